import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import MamoriTesting
import Testing
import TextScanning

@Suite("dhcpd.leases", .enabled(if: Corpus.isPresent, "needs the shared corpus"))
struct DhcpdLeasesTests {
    @Test func packetGuardianFourLeases() throws {
        let r = try parse(Paths.corpus("dhcp/dhcpd.leases"))
        #expect(r.recordsSeen == 4)
        #expect(r.events.count == 4)
        #expect(r.issues.isEmpty)
        let e = r.events[1]
        #expect(e.prefixes == [prefix("192.168.1.2/32")])
        #expect(e.subscriber == "6c:8d:c1:d3:04:e9")
        #expect(e.sessionStart == at("2016-01-12T19:18:36Z"))
        #expect(e.end == at("2016-01-12T19:24:36Z"))
        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        #expect(index.holder(of: ip("192.168.1.20"), at: at("2016-01-12T19:50:00Z")).subscriber == "3d:d2:d5:fc:dc:56")
    }

    @Test func dhcpd3RepeatedBlocksAbandonedAndNoTrailingNewline() throws {
        let r = try parse(Paths.corpus("abuse/dhcpd-2002-v3-format.leases"))
        #expect(r.recordsSeen == 12)
        #expect(r.recordsSkipped == 1)  // abandoned
        #expect(r.events.count == 11)
        #expect(r.issues.isEmpty)
        #expect(r.events.contains { $0.subscriber == "01:00:06:5b:eb:6d:4e" })  // uid preferred
        #expect(!r.events.contains { $0.prefixes == [prefix("192.168.0.100/32")] })

        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        // 192.168.0.105: the same client twice: one lease, extended.
        let pines = try #require(index.holder(of: ip("192.168.0.105"), at: at("2002-07-01T04:00:00Z")).holding)
        #expect(pines.subscriber == "00:a0:24:d8:4b:de")
        #expect(pines.from == at("2002-06-30T15:28:33Z"))
        #expect(pines.to == at("2002-07-01T04:23:49Z"))
        // 127.0.0.1: three clients in turn; each later block ends the earlier lease.
        let lo = ip("127.0.0.1")
        #expect(index.holder(of: lo, at: at("2002-01-01T00:00:00Z")).subscriber == "aa:aa:24:d8:4b:de")
        #expect(index.holder(of: lo, at: at("2002-05-01T00:00:00Z")).subscriber == "ab:aa:24:d8:4b:de")
        #expect(index.holder(of: lo, at: at("2002-07-01T00:00:00Z")).subscriber == "ac:aa:24:d8:4b:de")
        // Identical repeated blocks are one holding.
        #expect(index.holdings(containing: ip("192.168.0.102")).count == 1)
        #expect(index.holder(of: ip("192.168.0.100"), at: at("2002-06-22T20:00:00Z")).isNotFound)
    }

    @Test func dhcpd4BindingStateFreeAndSameAddressTwice() throws {
        let r = try parse(Paths.corpus("abuse/dhcpd-4x-binding-free.leases"))
        #expect(r.recordsSeen == 4)
        #expect(r.events.count == 4)
        #expect(r.issues.isEmpty)
        #expect(r.events[0].subscriber == "66:6f:6f")  // uid "foo" as hex bytes
        #expect(r.events[0].end == at("2015-05-15T02:07:17Z"))
        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        let a = ip("10.0.1.3")
        #expect(index.holder(of: a, at: at("2015-05-15T02:16:30Z")).subscriber == "62:61:7a:2d:31")  // baz-1
        #expect(index.holder(of: a, at: at("2015-05-15T02:20:00Z")).subscriber == "62:61:7a:2d:32")  // baz-2
        #expect(index.holder(of: a, at: at("2015-05-15T02:17:01Z")).ambiguityReason == .handoverWithinSkew)
        #expect(index.holder(of: a, at: at("2015-05-15T02:27:02Z")).isNotFound)  // free since ends
        #expect(index.holder(of: ip("10.0.1.1"), at: at("2015-05-15T02:08:00Z")).isNotFound)
    }

    @Test func handMadeStatesEpochNestedBadAndTruncated() throws {
        let r = try parse(Paths.fixture("dhcpd-states.leases"))
        #expect(r.recordsSeen == 8)
        #expect(r.recordsSkipped == 1)  // abandoned
        #expect(r.events.count == 4)  // three DHCPv4 leases and the ia-na address
        #expect(r.issues.map(\.line) == [46, 52, 65])
        #expect(r.issues[0].reason == "lease: not an IPv4 address")
        #expect(r.issues[1].reason.hasPrefix("starts: not a time"))
        #expect(r.issues[2].reason.contains("not closed"))

        let never = r.events[0]
        #expect(never.subscriber == "01:52:54:00:aa:bb:01")  // octal-escaped uid
        #expect(never.end == nil)  // ends never
        #expect(r.events[1].end == at("2026-11-27T00:20:00Z"))  // released
        #expect(r.events[2].sessionStart == t0)  // epoch form
        #expect(r.events[2].subscriber == "52:54:00:aa:bb:03")

        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        let open = try #require(index.holder(of: ip("198.51.100.70"), at: at("2030-01-01T00:00:00Z")).holding)
        #expect(open.to == nil)
        #expect(index.holder(of: ip("198.51.100.71"), at: at("2026-11-27T00:30:00Z")).isNotFound)
        #expect(index.holder(of: ip("198.51.100.72"), at: at("2026-11-27T00:30:00Z")).isNotFound)
    }

    /// DHCPv6 (`dhcpd -6`): `ia-na` addresses and `ia-pd` prefixes become holdings of the
    /// client's DUID, and answer attribution.
    @Test func dhcpv6AssociationsAnswerAttribution() throws {
        let text = #"""
            server-duid "\000\001\000\001\035\230\276\207RT\000\001\002\003";

            ia-na "\001\000\000\000\000\001\000\001*\314\207\364RT\000\022\064V" {
              cltt 5 2026/11/27 00:00:00;
              iaaddr 2001:db8:1::6 {
                binding state active;
                preferred-life 27000;
                max-life 43200;
                ends 5 2026/11/27 12:00:00;
              }
            }
            ia-pd "\002\000\000\000\000\001\000\001*\314\207\364RT\000\022\064V" {
              cltt 5 2026/11/27 00:00:00;
              iaprefix 2001:db8:100::/56 {
                binding state active;
                preferred-life 3000;
                max-life 4000;
                ends 5 2026/11/27 01:06:40;
              }
              iaprefix 2001:db8:200::/56 {
                binding state expired;
                max-life 4000;
                ends 4 2026/11/26 01:06:40;
              }
            }
            ia-ta "\003\000\000\000\000\001" {
              iaaddr 2001:db8:1::99 {
                binding state abandoned;
                ends 5 2026/11/27 12:00:00;
              }
            }
            ia-na "\001" {
              iaaddr 2001:db8:1::7 {
                binding state active;
                ends 5 2026/11/27 12:00:00;
              }
            }
            ia-pd "\004\000\000\000\000\001" {
              iaprefix 2001:db8:300::1/56 {
                ends 5 2026/11/27 12:00:00;
              }
            }
            """#
        let r = try AssignmentReader.parse(bytes: Array(text.utf8), fileName: "dhcpd6.leases", format: .dhcpdLeases)
        let duid = "00:01:00:01:2a:cc:87:f4:52:54:00:12:34:56"
        #expect(r.events.count == 3)
        #expect(Set(r.events.map(\.subscriber)) == [duid])
        #expect(
            r.events.map(\.session) == [
                "2001:db8:1::6@2026-11-27T00:00:00Z", "2001:db8:100::/56@2026-11-27T00:00:00Z", "2001:db8:200::/56@2026-11-26T00:00:00Z",
            ])
        #expect(r.recordsSkipped == 1)  // the abandoned ia-ta address
        // The IAID-only identifier and the prefix with host bits set are named, not guessed.
        #expect(r.issues.map(\.reason) == ["ia: identifier is not an IAID followed by a DUID", "iaprefix: not an IPv6 prefix"])
        #expect(r.recordsSeen == 6)

        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        #expect(index.holder(of: ip("2001:db8:1::6"), at: at("2026-11-27T06:00:00Z")).subscriber == duid)
        #expect(index.holder(of: ip("2001:db8:100:42::1"), at: at("2026-11-27T00:30:00Z")).subscriber == duid)  // inside the /56
        #expect(index.holder(of: ip("2001:db8:100:42::1"), at: at("2026-11-27T02:00:00Z")).isNotFound)  // after ends
        #expect(index.holder(of: ip("2001:db8:1::99"), at: at("2026-11-27T06:00:00Z")).isNotFound)  // abandoned
    }
}

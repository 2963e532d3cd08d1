import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import MamoriTesting
import Testing
import TextScanning

@Suite("Kea lease CSV", .enabled(if: Corpus.isPresent, "needs the shared corpus"))
struct KeaLeaseTests {
    @Test func metalStackTwelveColumns() throws {
        let r = try parse(Paths.corpus("dhcp/kea-leases4.csv"))
        #expect(r.recordsSeen == 2)
        #expect(r.issues.isEmpty)
        #expect(r.events.count == 2)
        let e = r.events[0]
        #expect(e.format == .keaCSV)
        #expect(e.kind == .lease)
        #expect(e.subscriber == "ac:1f:6b:35:ac:62")
        #expect(e.prefixes == [prefix("192.168.2.27/32")])
        #expect(e.sessionStart == Date(timeIntervalSince1970: 1_593_240_621 - 600))  // expire − valid_lifetime
        #expect(e.end == Date(timeIntervalSince1970: 1_593_240_621))
        #expect(e.session == "192.168.2.27@2020-06-27T06:40:21Z")
        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        #expect(index.holder(of: ip("192.168.2.30"), at: Date(timeIntervalSince1970: 1_593_240_300)).subscriber == "ac:1f:6b:35:ab:2d")
        #expect(index.holder(of: ip("192.168.2.30"), at: Date(timeIntervalSince1970: 1_593_240_607)).isNotFound)
    }

    @Test func memfileTestdataRowWithoutHwaddrIsAnIssue() throws {
        let r = try parse(Paths.corpus("abuse/kea-leases4-memfile-testdata.csv"))
        #expect(r.recordsSeen == 3)
        #expect(r.events.count == 2)
        #expect(r.issues.count == 1)
        #expect(r.issues[0].line == 3)
        #expect(r.issues[0].reason.hasPrefix("hwaddr: empty"))
        #expect(r.issues[0].description.hasPrefix("kea-leases4-memfile-testdata.csv:3: hwaddr"))
        #expect(r.events[0].subscriber == "06:07:08:09:0a:bc")
        #expect(r.events[1].subscriber == "0a:00:01:04")  // client_id preferred over hwaddr
        #expect(r.events[1].sessionStart == Date(timeIntervalSince1970: 0))
        #expect(r.events[1].end == Date(timeIntervalSince1970: 100))
    }

    @Test func leaseDumpStatesAndEscapedCommas() throws {
        let r = try parse(Paths.corpus("abuse/kea-lease4-dump-reference.csv"))
        #expect(r.recordsSeen == 3)
        #expect(r.issues.isEmpty)
        #expect(r.events.map(\.kind) == [.lease, .release, .lease])  // state 0, 1 (declined), 2 (expired-reclaimed)
        #expect(r.events[0].subscriber == "33:30")
        #expect(r.events[1].end == Date(timeIntervalSince1970: 1_643_210_000 - 40))
        #expect(r.events[2].subscriber == "32:32")
        #expect(r.events[2].prefixes == [prefix("0.0.0.12/32")])
    }

    @Test func historyRenewalDeletionReassignmentDecline() throws {
        let r = try parse(Paths.fixture("kea-leases4-history.csv"))
        #expect(r.recordsSeen == 11)
        #expect(r.events.count == 9)
        #expect(r.issues.map(\.line) == [10, 12])
        #expect(r.issues[1].reason == "expected 12 columns, found 10")
        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        #expect(index.report.leaseRenewals == 1)
        #expect(index.report.leaseReassignments == 1)
        #expect(index.report.releasesApplied == 2)

        // A: leased at T0, renewed at +30 min, deleted (lifetime 0, cltt = last renewal).
        let a = ip("192.0.2.50")
        let hA = try #require(index.holder(of: a, at: t0.addingTimeInterval(900)).holding)
        #expect(hA.subscriber == "01:0a:00:00:00:00:01")
        #expect(hA.from == t0)
        #expect(hA.to == t0.addingTimeInterval(1800))
        // Kea does not record the deletion time: after the last renewal nothing is attributed.
        #expect(index.holder(of: a, at: t0.addingTimeInterval(1860)).isNotFound)
        #expect(index.holder(of: a, at: t0.addingTimeInterval(5000)).isNotFound)
        // B later on the same address.
        #expect(index.holder(of: a, at: t0.addingTimeInterval(7260)).subscriber == "0a:00:00:00:00:02")

        // C from T0; D gets the address at +20 min while C's lease still runs: reassignment.
        let c = ip("192.0.2.51")
        #expect(index.holder(of: c, at: t0.addingTimeInterval(600)).subscriber == "0a:00:00:00:00:03")
        #expect(index.holder(of: c, at: t0.addingTimeInterval(1800)).subscriber == "0a:00:00:00:00:04")
        #expect(index.holder(of: c, at: t0.addingTimeInterval(1200)) == .ambiguous(candidates: 2, reason: .handoverWithinSkew))
        #expect(index.holder(of: c, at: t0.addingTimeInterval(4801)).isNotFound)

        // E declined at +10 min: held until then, nobody after.
        let e = ip("192.0.2.52")
        #expect(index.holder(of: e, at: t0.addingTimeInterval(300)).subscriber == "0a:00:00:00:00:05")
        #expect(index.holder(of: e, at: t0.addingTimeInterval(900)).isNotFound)
        // The row without hwaddr was rejected; the expired-reclaimed lease is history.
        #expect(index.holder(of: ip("192.0.2.53"), at: t0.addingTimeInterval(60)).isNotFound)
        #expect(index.holder(of: ip("192.0.2.54"), at: t0.addingTimeInterval(60)).subscriber == "0a:00:00:00:00:06")
    }

    @Test func dhcpv6PrefixDelegation() throws {
        let r = try parse(Paths.fixture("kea-leases6-pd.csv"))
        #expect(r.events.count == 2)
        #expect(r.issues.map(\.line) == [4])
        #expect(r.issues[0].reason.hasPrefix("prefix_len"))
        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        let pd = try #require(index.holder(of: ip("2001:db8:300:ab::1"), at: t0.addingTimeInterval(60)).holding)
        #expect(pd.prefix == prefix("2001:db8:300::/56"))
        #expect(pd.subscriber == "00:01:00:01:aa:bb:cc:dd:ee:01")
        #expect(index.holder(of: ip("2001:db8:1::100"), at: t0.addingTimeInterval(60)).holding?.prefix == prefix("2001:db8:1::100/128"))
        #expect(index.holder(of: ip("2001:db8:1::101"), at: t0.addingTimeInterval(60)).isNotFound)
        #expect(index.holder(of: ip("2001:db8:301::1"), at: t0.addingTimeInterval(60)).isNotFound)
    }

    @Test func memfileV6EmptyDuidAndDeletedPrefix() throws {
        let r = try parse(Paths.corpus("abuse/kea-leases6-memfile-testdata.csv"))
        #expect(r.recordsSeen == 4)
        #expect(r.events.count == 3)
        #expect(r.issues.map(\.line) == [3])
        #expect(r.issues[0].reason.hasPrefix("duid: empty"))
        let pd = try #require(r.events.last)
        #expect(pd.kind == .release)  // valid_lifetime 0: Kea deleted it
        #expect(pd.prefixes == [prefix("3000:1::/64")])
        let index = AttributionIndex(events: r.events)
        #expect(index.report.releasesUnmatched == 1)
    }

    @Test func leaseDumpV6EighteenColumns() throws {
        let r = try parse(Paths.corpus("abuse/kea-lease6-dump-reference.csv"))
        #expect(r.recordsSeen == 3)
        #expect(r.issues.isEmpty)
        #expect(r.events.map(\.kind) == [.lease, .release, .lease])
        #expect(r.events[0].subscriber == "32:30:33")
        #expect(r.events[0].prefixes == [prefix("::10/128")])
    }

    @Test func byteOrderMarkAndCRLF() throws {
        let text =
            "\u{FEFF}address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\r\n"
            + "192.0.2.9,aa:bb:cc:dd:ee:ff,,600,1795738200,1,0,0,\r\n"
        let r = try AssignmentReader.parse(bytes: Array(text.utf8), fileName: "win.csv")
        #expect(r.issues.isEmpty)
        #expect(r.events.count == 1)
        #expect(r.events[0].subscriber == "aa:bb:cc:dd:ee:ff")
        #expect(r.events[0].sessionStart == t0)
    }

    @Test func rowsBeforeHeaderAndBadFields() {
        var p = KeaLeaseParser(fileName: "k")
        var r = ParseResult()
        let lines = [
            "192.0.2.1,aa:bb,,10,100,1,0,0,",
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname",
            "2001:db8::1,aa:bb,,10,100,1,0,0,",
            "192.0.2.1,aa:bb,,ten,100,1,0,0,",
            "192.0.2.1,aa:bb,,10,x,1,0,0,",
            "192.0.2.1,aa:bb,,200,100,1,0,0,",
            "192.0.2.1,AA:B,,4294967295,100,1,0,0,",
            "",
        ]
        for (i, l) in lines.enumerated() { p.feed(line: l, number: i + 1, into: &r) }
        p.finish(into: &r)
        #expect(r.issues.map(\.line) == [1, 3, 4, 5, 6])
        #expect(r.events.count == 1)
        #expect(r.events[0].subscriber == "aa:0b")
        #expect(r.events[0].end == nil)  // infinite lifetime
    }
}

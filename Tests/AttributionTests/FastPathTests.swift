import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import MamoriTesting
import Testing
import TextScanning

/// Cross-checks of the fast paths (hashed network lookup, byte-level IPv6 parsing, SWAR
/// attribute-name scan) against plain reference computations.
@Suite("Attribution fast paths")
struct FastPathTests {
    /// A small deterministic generator.
    typealias Random = SplitMix64

    @Test func hashedRunsMatchABruteForceScan() throws {
        var rng = Random(seed: 42)
        // Few distinct networks per length so that runs have several rows; /128s share their top half.
        let lengths: [(IPAddress.Family, Int)] = [(.v4, 32), (.v4, 24), (.v6, 56), (.v6, 64), (.v6, 128)]
        var holdings: [Holding] = []
        func network(_ family: IPAddress.Family, _ length: Int, _ k: Int) -> IPPrefix? {
            if family == .v4 {
                let base: UInt32 = k % 2 == 0 ? 0x6440_0000 : 0x0A00_0000
                return IPPrefix(IPAddress(v4: base | UInt32(k) << 8 | UInt32(k % 7)), length: length)
            }
            let hi: UInt64 = 0x2001_0DB8_0000_0000 | UInt64(k % 40) << 8
            let lo: UInt64 = length > 64 ? UInt64(k) : 0
            return IPPrefix(IPAddress(v6: UInt128(hi) << 64 | UInt128(lo)), length: length)
        }
        for (family, length) in lengths {
            for _ in 0..<600 {
                let k = rng.below(120)
                let p = try #require(network(family, length, k))
                let from = Double(rng.below(100_000))
                let to: Double? = rng.below(10) == 0 ? nil : from + Double(rng.below(5000))
                holdings.append(
                    Holding(
                        subscriber: "s\(rng.below(50))", session: "x\(holdings.count)", prefix: p,
                        from: t0.addingTimeInterval(from), to: to.map { t0.addingTimeInterval($0) }))
            }
        }
        let index = AttributionIndex(holdings: holdings, config: AttributionConfig(skew: 0))
        #expect(index.sessionCount == holdings.count)
        var probes: [IPAddress] = holdings.map(\.prefix.network)
        for (family, length) in lengths {
            for k in 0..<140 {  // some never held
                if let p = network(family, length, k) {
                    probes.append(IPAddress(family: family, value: p.network.value | (family == .v4 ? 0 : 1)))
                }
            }
        }
        for a in probes.prefix(3000) {
            let expected = holdings.filter { $0.prefix.contains(a) }.map { "\($0.session)" }.sorted()
            let got = index.holdings(containing: a).map { "\($0.session)" }.sorted()
            #expect(got == expected, "\(a)")
            // A lookup at the start of each holding finds someone (maybe ambiguously).
            if let h = holdings.first(where: { $0.prefix.contains(a) }) {
                #expect(index.holder(of: a, at: h.from) != .notFound)
            } else {
                #expect(index.holder(of: a, at: t0.addingTimeInterval(50_000)) == .notFound)
            }
        }
    }

    @Test func ipv6ValuesParseAsIPAddressDoes() throws {
        let texts = [
            "2001:db8::/56", "2001:db8:0:1::/64", "::/0", "2001:DB8:ABCD:12::/64", "2001:db8::1/128",
            "1:2:3:4:5:6:7:8/128", "::ffff:192.0.2.1/128", "1::/16", "2001:db8:0:0:0:0:0:0/48",
            "0:0:0:0:0:0:0:0/128", "fe80::1:2/128", "2001:db8::192.0.2.0/120", "1:2:3:4:5:6:192.0.2.1/128",
        ]
        for t in texts {
            let r = try record(prefix: t)
            #expect(r.issues.isEmpty, "\(t)")
            #expect(r.events.first?.prefixes.last == IPPrefix(t), "\(t)")
        }
        let bad = [
            "2001:db8:::/56", "2001:db8::1::/64", "1:2:3:4:5:6:7:8:9/128", "1:2:3:4:5:6:7/128", ":1::/64",
            "1::2:/64", "12345::/16", "2001:db8::g/128", "2001:db8::1%eth0/128", "1:2:3:4:5:6:7:192.0.2.1/128",
            "::192.0.2/128", "::01.2.3.4/128", "2001:db8::1/129", "2001:db8::1/64",
        ]
        for t in bad {
            let r = try record(prefix: t)
            #expect(r.issues.count == 1, "\(t)")
        }
    }

    @Test func attributeNamesOfAllLengthsAreRecognised() throws {
        // Names ending at every offset of an 8-byte word, with `=`, space or tab after them.
        let text = """
            Tue Sep 13 16:24:27 2011
            \tA = 1
            \tAb\t= 2
            \tAcct-Status-Type=Start
            \tUser-Name\t=\t"bob"
            \tAcct-Session-Id  =  "S1"
            \tNAS-Port-Type = Virtual
            \tAcct-Unique-Session-Id = "U1"
            \tEvent-Timestamp = 1315930000
            \tFramed-IP-Address = 192.0.2.9
            \tAbcdefgh = x
            \tAbcdefghi = y
            \tAbcdefghijklmnop = z


            """
        let r = try AssignmentReader.parse(bytes: Array(text.utf8), fileName: "detail", format: .radiusDetail)
        #expect(r.issues.isEmpty)
        let e = try #require(r.events.first)
        #expect(e.subscriber == "bob")
        #expect(e.session == "U1")
        #expect(e.prefixes == [prefix("192.0.2.9/32")])
        #expect(e.eventTime == Date(timeIntervalSince1970: 1_315_930_000))

        let missing = try AssignmentReader.parse(
            bytes: Array("Tue Sep 13 16:24:27 2011\n\tAcct-Status-Type Start\n".utf8), fileName: "detail",
            format: .radiusDetail)
        #expect(missing.issues.count == 1)
    }

    @Test func eventTimestampZonesAndWeekdays() throws {
        for (zone, offset) in [("JST", 32400), ("utc", 0), ("CEST", 7200), ("AKDT", -28800), ("+0900", 32400)] {
            let text = """
                Sat Jan  3 10:00:00 2026
                \tAcct-Status-Type = Start
                \tUser-Name = "u"
                \tAcct-Session-Id = "s"
                \tEvent-Timestamp = "Jan  3 2026 10:00:00 \(zone)"


                """
            let r = try AssignmentReader.parse(bytes: Array(text.utf8), fileName: "detail", format: .radiusDetail)
            #expect(r.issues.isEmpty, "\(zone)")
            #expect(r.events.first?.eventTime == at("2026-01-03T10:00:00Z").addingTimeInterval(TimeInterval(-offset)))
        }
        let ambiguous = """
            Sat Jan  3 10:00:00 2026
            \tAcct-Status-Type = Start
            \tUser-Name = "u"
            \tAcct-Session-Id = "s"
            \tEvent-Timestamp = "Jan  3 2026 10:00:00 CST"


            """
        let r = try AssignmentReader.parse(bytes: Array(ambiguous.utf8), fileName: "detail", format: .radiusDetail)
        #expect(r.issues.count == 1)
    }

    private func record(prefix text: String) throws -> ParseResult {
        let detail = """
            Tue Sep 13 16:24:27 2011
            \tAcct-Status-Type = Start
            \tUser-Name = "u"
            \tAcct-Session-Id = "s"
            \tTimestamp = 1315930000
            \tDelegated-IPv6-Prefix = \(text)


            """
        return try AssignmentReader.parse(bytes: Array(detail.utf8), fileName: "detail", format: .radiusDetail)
    }
}

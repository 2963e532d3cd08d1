import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import MamoriTesting
import Testing
import TextScanning

@Suite("Attribution index", .enabled(if: Corpus.isPresent, "needs the shared corpus"))
struct IndexTests {
    func holding(
        _ sub: String, _ p: String, _ from: TimeInterval, _ to: TimeInterval?, ports: ClosedRange<UInt16>? = nil
    )
        -> Holding
    {
        Holding(
            subscriber: sub, session: "s-\(sub)-\(p)-\(from)", prefix: prefix(p), from: t0.addingTimeInterval(from),
            to: to.map { t0.addingTimeInterval($0) }, portRange: ports)
    }

    @Test func sameSubscriberTwiceIsNotAmbiguous() {
        let index = AttributionIndex(
            holdings: [
                holding("a", "192.0.2.1/32", 0, 3600), holding("a", "192.0.2.1/32", 1800, 7200),
                holding("a", "192.0.2.1/32", 0, 3600),
            ], config: AttributionConfig(skew: 0))
        #expect(index.sessionCount == 3)
        let h = index.holder(of: ip("192.0.2.1"), at: t0.addingTimeInterval(2000)).holding
        #expect(h?.subscriber == "a")
        #expect(h?.from == t0.addingTimeInterval(1800))  // the latest start among exact covers
    }

    @Test func indexHoldingsEqualTheirEagerCopies() throws {
        let h = holding("alice@isp.example", "2001:db8::/56", 0, 3600)
        let index = AttributionIndex(holdings: [h], config: AttributionConfig(skew: 0))
        var got = try #require(index.holder(of: ip("2001:db8:0:ff::1"), at: t0).holding)
        #expect(got == h)
        #expect(got.hashValue == h.hashValue)
        #expect(Set([got, h]).count == 1)
        #expect(got.session == h.session)
        got.subscriber = "bob"
        #expect(got.subscriber == "bob")
        #expect(got != h)
        #expect(index.holdings(containing: ip("2001:db8::1")) == [h])
    }

    @Test func exactDuplicatesAreDropped() {
        let h = holding("a", "192.0.2.1/32", 0, 3600)
        let index = AttributionIndex(holdings: [h, h, h])
        #expect(index.sessionCount == 1)
        #expect(index.report.duplicatesRemoved == 2)
    }

    @Test func differentPrefixLengthsOfDifferentSubscribersAreAmbiguous() {
        let index = AttributionIndex(
            holdings: [holding("pool", "192.0.2.0/24", 0, 3600), holding("b", "192.0.2.7/32", 0, 3600)],
            config: AttributionConfig(skew: 0))
        #expect(index.holder(of: ip("192.0.2.7"), at: t0.addingTimeInterval(10)) == .ambiguous(candidates: 2, reason: .multipleHolders))
        #expect(index.holder(of: ip("192.0.2.8"), at: t0.addingTimeInterval(10)).subscriber == "pool")
        // Same subscriber at two lengths: found, most specific prefix.
        let same = AttributionIndex(
            holdings: [holding("c", "2001:db8:200::/48", 0, nil), holding("c", "2001:db8:200:1::/64", 0, nil)])
        #expect(same.holder(of: ip("2001:db8:200:1::9"), at: t0).holding?.prefix == prefix("2001:db8:200:1::/64"))
        #expect(same.holder(of: ip("2001:db8:200:2::9"), at: t0).holding?.prefix == prefix("2001:db8:200::/48"))
    }

    @Test func ipv4MappedQueriesAndFamilies() {
        let index = AttributionIndex(holdings: [holding("a", "192.0.2.1/32", 0, 60)], config: AttributionConfig(skew: 0))
        #expect(index.holder(of: ip("::ffff:192.0.2.1"), at: t0).subscriber == "a")
        #expect(index.holder(of: ip("::c000:201"), at: t0).isNotFound)
        #expect(AttributionIndex().holder(of: ip("192.0.2.1"), at: t0).isNotFound)
    }

    @Test func openHoldingsAndOutOfRangeTimes() {
        var b = AttributionIndex.Builder(config: AttributionConfig(skew: 0))
        let ok = b.append(holding("a", "192.0.2.1/32", 0, nil))
        let beforeEpoch = b.append(
            Holding(subscriber: "x", session: "x", prefix: prefix("192.0.2.2/32"), from: Date(timeIntervalSince1970: -10), to: nil))
        let backwards = b.append(
            Holding(subscriber: "x", session: "x", prefix: prefix("192.0.2.2/32"), from: t0, to: t0.addingTimeInterval(-1)))
        let after2106 = b.append(
            Holding(subscriber: "x", session: "x", prefix: prefix("192.0.2.2/32"), from: t0, to: Date(timeIntervalSince1970: 5e9)))
        #expect(ok)
        #expect(!beforeEpoch)
        #expect(!backwards)
        #expect(!after2106)
        let index = b.build()
        #expect(index.report.outOfRange == 3)
        #expect(index.sessionCount == 1)
        #expect(index.holder(of: ip("192.0.2.1"), at: Date(timeIntervalSince1970: 4e9)).subscriber == "a")
        #expect(index.holder(of: ip("192.0.2.1"), at: Date.distantFuture).isNotFound)
        #expect(index.holder(of: ip("192.0.2.1"), at: Date.distantPast).isNotFound)
        #expect(index.holder(of: ip("192.0.2.1"), at: t0.addingTimeInterval(-1)).isNotFound)
    }

    @Test func manyHoldingsAgreeWithBruteForce() {
        // Pseudo-random holdings over a few addresses and lengths, checked against a linear scan.
        var rng = SplitMix(seed: 42)
        var holdings: [Holding] = []
        let prefixes = [
            "198.51.100.0/24", "198.51.100.7/32", "198.51.100.8/32", "198.51.100.9/32",
            "2001:db8::/56", "2001:db8::1/128", "2001:db8:0:1::/64",
        ].map(prefix)
        for i in 0..<3000 {
            let p = prefixes[Int(rng.next() % UInt64(prefixes.count))]
            let from = Double(rng.next() % 100_000)
            let len = Double(rng.next() % 5_000)
            let open = rng.next() % 50 == 0
            holdings.append(
                Holding(
                    subscriber: "u\(rng.next() % 40)", session: "s\(i)", prefix: p, from: t0.addingTimeInterval(from),
                    to: open ? nil : t0.addingTimeInterval(from + len),
                    portRange: rng.next() % 10 == 0 ? 1000...1999 : nil))
        }
        let skew = 30.0
        let index = AttributionIndex(holdings: holdings, config: AttributionConfig(skew: skew))
        let addresses = [
            "198.51.100.7", "198.51.100.8", "198.51.100.200", "2001:db8::1", "2001:db8::2",
            "2001:db8:0:1::5", "2001:db8:1::1", "203.0.113.1",
        ].map(ip)
        for _ in 0..<3000 {
            let a = addresses[Int(rng.next() % UInt64(addresses.count))]
            let t = t0.addingTimeInterval(Double(rng.next() % 110_000) - 5_000)
            let port: UInt16? = rng.next() % 2 == 0 ? UInt16(500 + rng.next() % 2000) : nil
            let covering = holdings.filter { h in
                h.prefix.contains(a) && h.from.addingTimeInterval(-skew) <= t
                    && (h.to.map { t <= $0.addingTimeInterval(skew) } ?? true)
                    && (port == nil || h.portRange == nil || h.portRange!.contains(port!))
            }
            let subs = Set(covering.map(\.subscriber))
            let answer = index.holder(of: a, at: t, port: port)
            if covering.isEmpty {
                #expect(answer == .notFound)
            } else if port == nil && covering.contains(where: { $0.portRange != nil }) {
                #expect(answer.ambiguityReason == .sharedAddressWithoutPort)
            } else if subs.count > 1 {
                guard case .ambiguous(let n, _) = answer else {
                    Issue.record("expected ambiguous, got \(answer)")
                    continue
                }
                #expect(n == subs.count)
            } else {
                #expect(answer.subscriber == subs.first)
            }
        }
        #expect(index.approximateMemoryBytes > 0)
    }

    @Test func bulkBuilderMemoryPerSession() {
        let n = 200_000
        var b = AttributionIndex.Builder()
        b.reserveCapacity(n)
        for i in 0..<n {
            let sub = b.subscriberID("user\(i % 50_000)")
            let ses = b.sessionID("S\(i)")
            b.append(
                prefix: IPPrefix(host: IPAddress(v4: 0x0A00_0000 | UInt32(i))), fromSeconds: 1_795_737_600,
                toSeconds: 1_795_741_200, subscriberID: sub, sessionID: ses)
        }
        let index = b.build()
        #expect(index.sessionCount == n)
        #expect(index.subscriberCount == 50_000)
        let perSession = Double(index.approximateMemoryBytes) / Double(n)
        #expect(perSession <= 64, "\(perSession) bytes per session")
        #expect(index.holder(of: IPAddress(v4: 0x0A00_0000 | 12345), at: t0.addingTimeInterval(10)).subscriber == "user12345")
    }

    @Test func eventsCodableAndStableKeys() throws {
        let r = try parse(Paths.fixture("cgn-blocks.csv"))
        let data = try JSONEncoder().encode(r.events)
        let back = try JSONDecoder().decode([AssignmentEvent].self, from: data)
        #expect(back == r.events)
        let keys = r.events.map(\.stableKey)
        #expect(Set(keys).count == keys.count)
        #expect(try parse(Paths.fixture("cgn-blocks.csv")).events.map(\.stableKey) == keys)
        #expect(
            keys[0]
                == "v1|cgn-csv|portBlock|sub-a|203.0.113.5:1024-2047@2026-11-27T00:00:00Z|203.0.113.5/32|1024-2047|1795737600|1795737600|1795744800|")
        var e = r.events[0]
        e.subscriber = "a|b,c%"
        #expect(e.stableKey.contains("|a%7Cb%2Cc%25|"))

        let h = try #require(AttributionIndex(events: r.events).holder(of: ip("203.0.113.5"), at: t0, port: 1500).holding)
        let hb = try JSONDecoder().decode(Holding.self, from: JSONEncoder().encode(h))
        #expect(hb == h)
    }

    @Test func formatDetection() throws {
        let cases: [(String, AssignmentFormat?)] = [
            ("radius/freeradius-detail-one.txt", .radiusDetail),
            ("abuse/radius-detail-livingston-2stop.txt", .radiusDetail),
            ("dhcp/kea-leases4.csv", .keaCSV),
            ("abuse/kea-leases4-memfile-testdata.csv", .keaCSV),
            ("abuse/kea-leases6-memfile-testdata.csv", .keaCSV),
            ("abuse/kea-lease4-dump-reference.csv", .keaCSV),
            ("abuse/kea-lease6-dump-reference.csv", .keaCSV),
            ("dhcp/dhcpd.leases", .dhcpdLeases),
            ("abuse/dhcpd-2002-v3-format.leases", .dhcpdLeases),
            ("abuse/dhcpd-4x-binding-free.leases", .dhcpdLeases),
            ("abuse/shadowserver-dns_openresolver-sample.eml", nil),
            ("abuse/cowrie-2019-telnet-ssh-head.json", nil),
        ]
        for (path, expected) in cases {
            let data = try Data(contentsOf: Paths.corpus(path))
            #expect(AssignmentFormat.detect(firstBytes: data.prefix(4096)) == expected, "\(path)")
        }
        for (name, expected) in [
            ("cgn-blocks.csv", AssignmentFormat.cgnCSV), ("dhcpd-states.leases", .dhcpdLeases),
            ("detail-sessions.txt", .radiusDetail), ("kea-leases6-pd.csv", .keaCSV),
        ] {
            let data = try Data(contentsOf: Paths.fixture(name))
            #expect(AssignmentFormat.detect(firstBytes: data) == expected, "\(name)")
        }
        #expect(AssignmentFormat.detect(firstBytes: [UInt8]()) == nil)
        #expect(throws: AttributionError.unknownFormat(file: "x")) {
            try AssignmentReader.parse(bytes: Array("hello\n".utf8), fileName: "x")
        }
        #expect(throws: AttributionError.self) { try parse(Paths.fixture("does-not-exist.txt")) }
    }

    @Test func garbageNeverTraps() {
        var rng = SplitMix(seed: 7)
        for format in AssignmentFormat.allCases {
            var bytes: [UInt8] = []
            for _ in 0..<20_000 {
                let r = rng.next() % 100
                bytes.append(
                    r < 10
                        ? 0x0A
                        : r < 15
                            ? 0x09
                            : r < 20
                                ? 0x3D
                                : r < 25
                                    ? 0x22
                                    : r < 30
                                        ? 0x7B
                                        : r < 35
                                            ? 0x7D
                                            : r < 40 ? 0x2C : UInt8(truncatingIfNeeded: rng.next()))
            }
            let result = try? AssignmentReader.parse(bytes: bytes, fileName: "g", format: format)
            #expect(result != nil)
        }
    }
}

/// A small deterministic generator for tests.
typealias SplitMix = SplitMix64

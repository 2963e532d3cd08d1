import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import MamoriTesting
import Testing
import TextScanning

/// The batch lookup (`holders(of:into:)`) answers exactly as the single lookup, query by query.
@Suite("Attribution batch lookups")
struct BatchLookupTests {
    typealias Random = SplitMix64

    /// The single lookup's answers.
    static func single(_ index: AttributionIndex, _ queries: [AttributionQuery]) -> [AttributionAnswer] {
        queries.map { index.holder(of: $0.address, at: $0.time, port: $0.port) }
    }

    /// Queries at and around the bounds of each holding (and its skew), inside and beside its prefix,
    /// with and without the port, IPv4 also as IPv4-mapped IPv6.
    static func queries(
        around holdings: [(prefix: IPPrefix, from: Date, to: Date?, ports: ClosedRange<UInt16>?)], skew: Double
    )
        -> [AttributionQuery]
    {
        var out: [AttributionQuery] = []
        for h in holdings {
            let net = h.prefix.network
            var addresses = [net, IPAddress(family: net.family, value: net.value | 1)]
            if net.family == .v4, let mapped = IPAddress("::ffff:\(net)") { addresses.append(mapped) }
            let end = h.to ?? h.from.addingTimeInterval(86_400)
            var times = [h.from, end, h.from.addingTimeInterval((end.timeIntervalSince(h.from)) / 2)]
            for d in [-1.0, 1, skew, -skew, skew + 1, -skew - 1, 0.5] {
                times.append(h.from.addingTimeInterval(d))
                times.append(end.addingTimeInterval(d))
            }
            var ports: [UInt16?] = [nil, 0, 80]
            if let p = h.ports { ports += [p.lowerBound, p.upperBound, p.upperBound &+ 1] }
            for a in addresses {
                for t in times {
                    for p in ports { out.append(AttributionQuery(address: a, at: t, port: p)) }
                }
            }
        }
        return out
    }

    @Test func generatedHoldingsAnswerAsSingleLookups() throws {
        var rng = Random(seed: 2026)
        // Few networks per length, so that runs have several rows and subscribers overlap and hand over.
        let lengths: [(IPAddress.Family, Int)] = [(.v4, 32), (.v4, 24), (.v6, 56), (.v6, 64), (.v6, 128)]
        var holdings: [Holding] = []
        for (family, length) in lengths {
            for _ in 0..<800 {
                let k = UInt32(rng.below(150))
                let address: IPAddress =
                    family == .v4
                    ? IPAddress(v4: 0x6440_0000 | k << 8 | k % 5)
                    : IPAddress(v6: UInt128(0x2001_0DB8_0000_0000 | UInt64(k % 60) << 8) << 64 | UInt128(k))
                let p = try #require(IPPrefix(address, length: length))
                let from = Double(rng.below(200_000))
                let to: Double? = rng.below(8) == 0 ? nil : from + Double(rng.below(20_000))
                var ports: ClosedRange<UInt16>?
                if family == .v4 && length == 32 && rng.below(4) == 0 {
                    let lo = UInt16(1024 + 512 * rng.below(100))
                    ports = lo...(lo + 511)
                }
                holdings.append(
                    Holding(
                        subscriber: "s\(rng.below(40))", session: "x\(holdings.count)", prefix: p, from: t0.addingTimeInterval(from),
                        to: to.map { t0.addingTimeInterval($0) }, portRange: ports, endIsEstimated: rng.below(5) == 0))
            }
        }
        for skew in [0.0, 60, 300] {
            let index = AttributionIndex(holdings: holdings, config: AttributionConfig(skew: skew))
            var queries = Self.queries(
                around: holdings.prefix(600).map { ($0.prefix, $0.from, $0.to, $0.portRange) }, skew: skew)
            // Random addresses and times, mostly never held.
            for _ in 0..<5000 {
                let a =
                    rng.below(2) == 0
                    ? IPAddress(v4: 0x6440_0000 | UInt32(rng.below(1 << 16)))
                    : IPAddress(v6: UInt128(0x2001_0DB8_0000_0000 | UInt64(rng.below(1 << 14))) << 64 | UInt128(rng.below(200)))
                queries.append(AttributionQuery(address: a, at: t0.addingTimeInterval(Double(rng.below(250_000))), port: nil))
            }
            // Extreme times (outside 1970…2106).
            queries.append(AttributionQuery(address: ip("100.64.1.1"), at: Date(timeIntervalSince1970: -10), port: nil))
            queries.append(AttributionQuery(address: ip("100.64.1.1"), at: Date.distantFuture, port: nil))
            let expected = Self.single(index, queries)
            #expect(expected.contains { $0.holding != nil })
            #expect(expected.contains { if case .ambiguous = $0 { true } else { false } })
            let got = index.holders(of: queries)
            #expect(got.count == queries.count)
            let firstMismatch = (0..<min(got.count, expected.count)).first { got[$0] != expected[$0] }
            #expect(firstMismatch == nil, "skew \(skew): \(firstMismatch.map { "\(queries[$0])" } ?? "")")
            // Every batch length, including the ragged last group; answers are appended.
            for n in [0, 1, 15, 16, 17, 33] {
                var answers: [AttributionAnswer] = [.notFound]
                index.holders(of: Array(queries.suffix(n)), into: &answers)
                #expect(answers == [.notFound] + expected.suffix(n))
            }
        }
    }

    @Test func emptyIndexAnswersNotFound() {
        let index = AttributionIndex()
        let queries = [AttributionQuery(address: ip("192.0.2.1"), at: t0), AttributionQuery(address: ip("2001:db8::1"), at: t0, port: 5)]
        #expect(index.holders(of: queries) == [.notFound, .notFound])
    }
}

@Suite("Attribution batch lookups on the corpus", .enabled(if: Corpus.isPresent, "needs the shared corpus"))
struct BatchLookupCorpusTests {
    @Test(arguments: [
        "radius/freeradius-detail-one.txt", "abuse/radius-detail-livingston-2stop.txt", "dhcp/kea-leases4.csv",
        "abuse/kea-leases4-memfile-testdata.csv", "abuse/kea-leases6-memfile-testdata.csv", "abuse/kea-lease4-dump-reference.csv",
        "abuse/kea-lease6-dump-reference.csv", "dhcp/dhcpd.leases", "abuse/dhcpd-2002-v3-format.leases",
        "abuse/dhcpd-4x-binding-free.leases",
    ])
    func corpusAnswersAsSingleLookups(path: String) throws {
        try Self.check(parse(Paths.corpus(path)).events)
    }

    @Test(arguments: ["cgn-blocks.csv", "dhcpd-states.leases", "detail-sessions.txt", "detail-handover.txt", "kea-leases6-pd.csv"])
    func fixturesAnswerAsSingleLookups(name: String) throws {
        try Self.check(parse(Paths.fixture(name)).events)
    }

    static func check(_ events: [AssignmentEvent]) throws {
        #expect(!events.isEmpty)
        for skew in [0.0, 60] {
            let index = AttributionIndex(events: events, config: AttributionConfig(skew: skew))
            var around: [(prefix: IPPrefix, from: Date, to: Date?, ports: ClosedRange<UInt16>?)] = []
            for e in events {
                for p in e.prefixes {
                    around.append((p, e.sessionStart ?? e.eventTime, e.end, e.portRange))
                    around.append((p, e.eventTime, nil, e.portRange))
                }
            }
            let queries = BatchLookupTests.queries(around: around, skew: skew)
            let expected = BatchLookupTests.single(index, queries)
            let got = index.holders(of: queries)
            #expect(got == expected)
        }
    }
}

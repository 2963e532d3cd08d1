import Addressing
import Foundation
import MamoriTesting
import Testing

@testable import EdgeFilter

/// The matcher's /16 index, its /24 tables and its halving search, against the pools' own definition.
@Suite struct PoolMatcherTests {
    /// Random pools (prefixes from /8 to /32, some across /16 boundaries, overlapping ones and
    /// exceptions) and the addresses at and beside every range edge, plus random ones: the
    /// matcher names the first pool in file order that holds an address no exception holds.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func matcherAgreesWithTheDefinition(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        func prefix() -> IPPrefix {
            // Clustered in 10.0.0.0/8 so that pools share /16s, with a few anywhere.
            let anywhere = random.next() % 8 == 0
            let length = anywhere ? 8 + Int(random.next() % 25) : 12 + Int(random.next() % 21)
            let clustered = 0x0A00_0000 | UInt32(truncatingIfNeeded: random.next() % (1 << 20)) << 4
            let value = anywhere ? UInt32(truncatingIfNeeded: random.next()) : clustered
            return IPPrefix(IPAddress(v4: value), length: length)!
        }
        var pools: [Pools.Pool] = []
        for index in 0..<4 {
            pools.append(Pools.Pool(name: "pool-\(index)", prefixes: (0..<(2 + Int(random.next() % 12))).map { _ in prefix() }))
        }
        pools.append(Pools.Pool(name: "edges", prefixes: [IPPrefix("0.0.0.0/32")!, IPPrefix("255.255.255.255/32")!]))
        let exceptions = (0..<4).map { _ in prefix() }
        let definition = Pools(pools: pools, exceptions: exceptions)
        // The default, no /24 table at all, and only the first three /16s given one.
        let matchers = [PoolMatcher(definition), PoolMatcher(definition, subtables: 0), PoolMatcher(definition, subtables: 3)]

        func expected(_ address: IPAddress) -> String? {
            guard !exceptions.contains(where: { $0.contains(address) }) else { return nil }
            return pools.first { $0.prefixes.contains { $0.contains(address) } }?.name
        }
        var probes: [UInt32] = [0, 1, 0xFFFF_FFFE, 0xFFFF_FFFF]
        for p in pools.flatMap(\.prefixes) + exceptions {
            let lower = UInt32(truncatingIfNeeded: p.network.value)
            let upper = UInt32(truncatingIfNeeded: p.lastAddress.value)
            probes += [lower &- 1, lower, lower &+ 1, upper &- 1, upper, upper &+ 1, lower & 0xFFFF_0000, upper | 0xFFFF]
        }
        for p in pools.flatMap(\.prefixes) + exceptions where p.length > 24 {
            // Every address of a /24 that a small prefix shares with others.
            let slash24 = UInt32(truncatingIfNeeded: p.network.value) & 0xFFFF_FF00
            probes += (0..<256).map { slash24 | $0 }
        }
        probes += (0..<20_000).map { _ in 0x0A00_0000 | UInt32(truncatingIfNeeded: random.next() % (1 << 24)) }
        probes += (0..<2_000).map { _ in UInt32(truncatingIfNeeded: random.next()) }
        var disagreements: [String] = []
        for (which, matcher) in matchers.enumerated() {
            for value in probes {
                let address = IPAddress(v4: value)
                let got = matcher.pool(of: address).map { matcher.names[$0] }
                let want = expected(address)
                if got != want { disagreements.append("matcher \(which): \(address): \(got ?? "none") != \(want ?? "none")") }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }

    /// No IPv4 pool: every IPv4 address is outside, and IPv6 pools still match.
    @Test func onlyIPv6Pools() {
        let matcher = PoolMatcher(Pools(pools: [Pools.Pool(name: "v6", prefixes: [IPPrefix("2001:db8::/32")!])], exceptions: []))
        #expect(matcher.pool(of: IPAddress("10.0.0.1")!) == nil)
        #expect(matcher.pool(of: IPAddress("2001:db8::1")!) == 0)
        #expect(matcher.pool(of: IPAddress("2001:db9::1")!) == nil)
    }
}

/// What ``AmplificationAnalysis`` counts, against a plain tally of the same views.
@Suite struct AmplificationAnalysisTests {
    static let pools = Pools(
        pools: [
            Pools.Pool(name: "a", prefixes: [IPPrefix("10.0.0.0/16")!]), Pools.Pool(name: "b", prefixes: [IPPrefix("10.1.0.0/16")!]),
            Pools.Pool(name: "c", prefixes: [IPPrefix("2001:db8::/32")!]),
        ], exceptions: [IPPrefix("10.0.9.0/24")!])

    /// Views over three pools and several hours, interleaved and partly out of order: the per
    /// pool and hour tallies are those of a dictionary keyed by pool and hour.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func hourTalliesMatchAPlainDictionary(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var analysis = AmplificationAnalysis(pools: Self.pools)
        var reference: [AmplificationAnalysis.HourKey: AmplificationAnalysis.Tally] = [:]
        var packets: UInt64 = 0
        let destinations = ["10.0.1.1", "10.0.9.9", "10.1.2.3", "10.2.0.1", "2001:db8::53", "2001:db9::1"].map { IPAddress($0)! }
        var time: Int64 = 1_795_737_600
        for _ in 0..<5_000 {
            // Mostly forward in time, sometimes back an hour or two; a few before 1970.
            time += Int64(random.next() % 600) - (random.next() % 10 == 0 ? 7200 : 0)
            let view = AmplificationView(
                destination: destinations[Int(random.next() % UInt64(destinations.count))],
                destinationPort: random.next() % 3 == 0 ? 80 : 53, transport: random.next() % 4 == 0 ? 6 : 17, direction: .unknown,
                bytes: random.next() % 1500, packets: 1 + random.next() % 5, time: random.next() % 50 == 0 ? -time : time)
            analysis.add(view)
            packets += view.packets
            guard view.transport == 17, view.destinationPort == 53, let pool = analysis.matcher.pool(of: view.destination) else { continue }
            let hour = Int64((Double(view.time) / 3600).rounded(.down)) * 3600
            reference[AmplificationAnalysis.HourKey(pool: pool, hour: hour), default: .init()].packets += view.packets
            reference[AmplificationAnalysis.HourKey(pool: pool, hour: hour), default: .init()].bytes += view.bytes
        }
        #expect(analysis.packets == packets)
        #expect(analysis.perPoolHour == reference)
        #expect(analysis.matched.packets == reference.values.reduce(0) { $0 + $1.packets })
        for pool in 0..<3 {
            #expect(analysis.perPool[pool].bytes == reference.filter { $0.key.pool == pool }.values.reduce(0) { $0 + $1.bytes })
        }
    }

    /// The specialised loop (`add(decoding:with:)`) counts what the closure path counts, on
    /// the corpus's captures and exports.
    @Test(.enabled(if: Corpus.isPresent, "needs the shared corpus"))
    func theSpecialisedLoopCountsWhatTheClosurePathCounts() throws {
        let everything = Pools(
            pools: [
                Pools.Pool(name: "low", prefixes: [IPPrefix("0.0.0.0/1")!, IPPrefix("::/1")!]),
                Pools.Pool(name: "high", prefixes: [IPPrefix("128.0.0.0/1")!, IPPrefix("8000::/1")!]),
            ], exceptions: [])
        let names = [
            "logstash-ipfix.dat", "logstash-netflow5.dat", "logstash-netflow9_test_softflowd_tpl_data.dat", "pmacct-ipfix-cisco.pcap",
            "pmacct-nfv9-cisco.pcap",
        ]
        var decodedAny = 0
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Corpus.file("dns/\(name)")))
            var closureDecoder = EdgeDecoder()
            var viaClosure = AmplificationAnalysis(pools: everything)
            let format = closureDecoder.decodeAmplification(bytes) { viaClosure.add($0) }
            var loopDecoder = EdgeDecoder()
            var viaLoop = AmplificationAnalysis(pools: everything)
            #expect(viaLoop.add(decoding: bytes, with: &loopDecoder) == format, "\(name)")
            #expect(loopDecoder.counts == closureDecoder.counts, "\(name)")
            #expect(viaLoop.packets == viaClosure.packets && viaLoop.matched == viaClosure.matched, "\(name)")
            #expect(viaLoop.perPool == viaClosure.perPool && viaLoop.perPoolHour == viaClosure.perPoolHour, "\(name)")
            decodedAny += loopDecoder.counts.decoded
        }
        #expect(decodedAny > 0)
    }
}

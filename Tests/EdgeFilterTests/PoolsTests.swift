import Addressing
import Foundation
import MamoriTesting
import Testing

@testable import EdgeFilter

@Suite struct PoolsTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func goldenPools() throws -> Pools {
        let text = try String(contentsOf: golden.appendingPathComponent("pools.txt"), encoding: .utf8)
        return try Pools.parse(text, file: "pools.txt")
    }

    @Test func parsesNamesExceptionsAndComments() throws {
        let pools = try Self.goldenPools()
        #expect(pools.pools.map(\.name) == ["ftth-east", "mobile", "ftth-west"])
        #expect(pools.exceptions.map(\.description) == ["198.51.100.64/28", "203.0.113.255/32", "2001:db8:100:ff00::/56"])
        #expect(pools.pools[0].prefixes.count == 3)
    }

    @Test func aggregatesMinimallyAndRemovesExceptions() throws {
        let pools = try Self.goldenPools()
        // 198.51.100.0/24 less .64/28: .0/26, .80/28, .96/27, .128/25.
        #expect(
            pools.prefixes(.v4).map(\.description) == [
                "192.0.2.0/24", "198.51.100.0/26", "198.51.100.80/28", "198.51.100.96/27", "198.51.100.128/25",
                "203.0.113.0/25", "203.0.113.128/26", "203.0.113.192/27", "203.0.113.224/28", "203.0.113.240/29",
                "203.0.113.248/30", "203.0.113.252/31", "203.0.113.254/32",
            ])
        // The /40 less a /56: one prefix per level (oracle: Python's ipaddress.address_exclude).
        #expect(
            pools.prefixes(.v6).map(\.description) == [
                "2001:db8:100::/49", "2001:db8:100:8000::/50", "2001:db8:100:c000::/51", "2001:db8:100:e000::/52",
                "2001:db8:100:f000::/53", "2001:db8:100:f800::/54", "2001:db8:100:fc00::/55", "2001:db8:100:fe00::/56",
                "2001:db8:101::/48", "2001:db8:102::/47", "2001:db8:104::/46", "2001:db8:108::/45", "2001:db8:110::/44",
                "2001:db8:120::/43", "2001:db8:140::/42", "2001:db8:180::/41", "2001:db8:200::/40",
            ])
        let matcher = PoolMatcher(pools)
        #expect(matcher.pool(of: IPAddress("198.51.100.70")!) == nil)
        #expect(matcher.pool(of: IPAddress("198.51.100.63")!).map { matcher.names[$0] } == "ftth-east")
        #expect(matcher.pool(of: IPAddress("203.0.113.255")!) == nil)
        #expect(matcher.pool(of: IPAddress("203.0.113.254")!).map { matcher.names[$0] } == "mobile")
        #expect(matcher.pool(of: IPAddress("2001:db8:100:ff00::1")!) == nil)
        #expect(matcher.pool(of: IPAddress("2001:db8:100:fe00::1")!).map { matcher.names[$0] } == "ftth-east")
        #expect(matcher.pool(of: IPAddress("2001:db8:2ff::1")!).map { matcher.names[$0] } == "mobile")
        #expect(matcher.pool(of: IPAddress("192.0.3.1")!) == nil)
    }

    /// The rendered prefixes hold exactly the addresses that are in a pool and in no exception,
    /// and no two of them could be merged: checked on random pools against a direct definition.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func prefixesAreExactAndMinimal(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        func prefix(_ family: IPAddress.Family) -> IPPrefix {
            let base: UInt128 = family == .v4 ? 0xC633_6400 : UInt128(0x2001_0db8) << 96  // 198.51.100.0, 2001:db8::
            let span = family == .v4 ? 8 : 24
            let length = (family == .v4 ? 24 : 32) + Int(random.next() % UInt64(span + 1))
            let offset = UInt128(random.next()) << UInt128(family == .v4 ? 0 : 72) & (family == .v4 ? 0xFF : UInt128(0xFF_FFFF) << 72)
            return IPPrefix(IPAddress(family: family, value: base | offset), length: length)!
        }
        var text = ""
        var pooled: [IPPrefix] = []
        var excepted: [IPPrefix] = []
        for index in 0..<12 {
            let family: IPAddress.Family = index % 3 == 2 ? .v6 : .v4
            let p = prefix(family)
            if random.next() % 4 == 0 {
                excepted.append(p)
                text += "!\(p)\n"
            } else {
                pooled.append(p)
                text += "\(p) pool\(random.next() % 3)\n"
            }
        }
        let pools = try Pools.parse(text, file: "random")
        let rendered = pools.prefixes(.v4) + pools.prefixes(.v6)
        // Exact: probe the edges of every prefix involved and random addresses.
        var probes: [IPAddress] = []
        for p in pooled + excepted + rendered {
            for value in [p.network.value, p.lastAddress.value, p.network.value &- 1, p.lastAddress.value &+ 1] {
                probes.append(IPAddress(family: p.family, value: value))
            }
        }
        for probe in probes {
            let expected = pooled.contains { $0.contains(probe) } && !excepted.contains { $0.contains(probe) }
            #expect(rendered.contains { $0.contains(probe) } == expected, "\(probe)")
        }
        // Minimal: sorted, disjoint, and no two siblings that would form their parent.
        for (a, b) in zip(rendered, rendered.dropFirst()) where a.family == b.family {
            #expect(a.lastAddress < b.network)
            if a.length == b.length, let parent = IPPrefix(a.network, length: a.length - 1) {
                #expect(!(parent.contains(a) && parent.contains(b)), "\(a) and \(b) merge")
            }
        }
    }

    @Test func errorsNameTheFileAndLine() {
        let text = "198.51.100.0/24 east\n\n# fine\n198.51.100.7/24 east\n!203.0.113.0/24 name\nnot-a-prefix\n192.0.2.0/24 bad/name\n"
        #expect {
            _ = try Pools.parse(text, file: "pools.txt")
        } throws: { error in
            guard let failure = error as? PoolsParseFailure else { return false }
            return failure.problems.map(\.description) == [
                "pools.txt:4: host bits set in the prefix (field 1; did you mean 198.51.100.0/24?)",
                "pools.txt:5: an exception takes no name (field 2)",
                "pools.txt:6: not an IPv4 or IPv6 prefix (field 1)",
                "pools.txt:7: pool name must be 1-64 of letters, digits, '-', '_', '.' (field 2)",
            ]
        }
    }

    @Test func diffShowsWhatStartsAndStopsBeingBlocked() throws {
        let old = try Pools.parse("198.51.100.0/24 east\n2001:db8:100::/40 east\n", file: "old")
        let new = try Pools.parse("198.51.100.0/24 east\n!198.51.100.128/25\n203.0.113.0/24 west\n2001:db8:100::/40 east\n", file: "new")
        let diff = PoolsDiff(from: old, to: new)
        #expect(diff.lines == ["- 198.51.100.128/25", "+ 203.0.113.0/24"])
        #expect(PoolsDiff(from: new, to: new).isEmpty)
    }
}

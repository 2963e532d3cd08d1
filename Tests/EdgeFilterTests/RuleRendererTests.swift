import Addressing
import Foundation
import Testing

@testable import EdgeFilter

@Suite struct RuleRendererTests {
    /// Each target's rendering of Golden/pools.txt equals its golden file byte for byte (reviewed
    /// line by line; regenerate with MAMORI_UPDATE_GOLDEN=1 and review the diff).
    @Test(arguments: RuleTarget.allCases)
    func matchesGoldenFile(target: RuleTarget) throws {
        let rendered = RuleRenderer(pools: try PoolsTests.goldenPools(), wanInterface: "wan0").render(target)
        let extensions: [RuleTarget: String] = [.nftables: "nft", .junos: "junos", .iosxr: "iosxr"]
        let url = PoolsTests.golden.appendingPathComponent("pools.\(extensions[target] ?? "")")
        if ProcessInfo.processInfo.environment["MAMORI_UPDATE_GOLDEN"] == "1" {
            try rendered.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(rendered == golden)
    }

    @Test func renderingIsDeterministicWhateverTheOrder() throws {
        let forward = try Pools.parse("203.0.113.0/24 b\n198.51.100.0/24 a\n!198.51.100.1\n", file: "f")
        let backward = try Pools.parse("!198.51.100.1\n198.51.100.0/24 a\n203.0.113.0/24 b\n", file: "b")
        #expect(forward.prefixes(.v4) == backward.prefixes(.v4))
        #expect(
            RuleRenderer(pools: forward).render(.iosxr).split(separator: "\n").filter { $0.contains("deny") }
                == RuleRenderer(pools: backward).render(.iosxr).split(separator: "\n").filter { $0.contains("deny") })
    }

    /// nftables itself accepts the ruleset (`nft -c -f`: parsed and checked by the kernel's
    /// netlink validation without being applied). Needs CAP_NET_ADMIN; says so when it is missing.
    @Test func nftablesAcceptsTheRuleset() throws {
        guard Tool.find("nft") != nil else { try Test.cancel("skipped: nft is not installed (.ci/run installs nftables)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-nft-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var cases: [(String, Pools)] = [("golden", try PoolsTests.goldenPools())]
        cases.append(("empty", try Pools.parse("# no pools yet\n", file: "empty")))
        cases.append(("v4-only", try Pools.parse("198.51.100.0/24 a\n!198.51.100.7\n", file: "v4")))
        for (name, pools) in cases {
            let file = directory.appendingPathComponent("\(name).nft")
            try RuleRenderer(pools: pools).render(.nftables).write(to: file, atomically: true, encoding: .utf8)
            let result = try Tool.run("nft", ["-c", "-f", file.path])
            if result.status != 0, result.error.contains("Operation not permitted") {
                try Test.cancel("skipped: nft -c needs CAP_NET_ADMIN here: \(result.error)")
            }
            #expect(result.status == 0, "\(name): \(result.error)")
        }
    }
}

import Foundation
import MamoriTesting
import Testing

/// `mamori edge open-resolvers` from the WAN of an ``EdgeLab``, against real Unbound in the
/// customer namespace: 198.51.100.10 recurses for anyone (open), 198.51.100.11 refuses
/// outsiders (closed), the rest of the pool is silent and the static exception is not probed.
/// Then the rendered edge rules are loaded on the router: the open resolver goes silent.
@Suite(.serialized) struct OpenResolverNamespaceTests {
    @Test func theProbeFindsTheOpenResolverAndTheEdgeRulesHideIt() throws {
        guard Unbound.isInstalled, EdgeLab.find("nft") != nil else {
            try Test.cancel("skipped: needs unbound and nftables (.ci/run installs them)")
        }
        let lab: EdgeLab
        do {
            lab = try EdgeLab(customerAddresses: ["198.51.100.10/24", "198.51.100.11/24", "198.51.100.70/24", "2001:db8:1::10/64"])
        } catch let unavailable as EdgeLabUnavailable {
            try Test.cancel(Comment(rawValue: unavailable.description))
        }
        defer { lab.stop() }
        // Each also listens on 127.0.0.1 (the helper's configuration), on a port of its own.
        for (index, (address, access)) in [("198.51.100.10", "allow"), ("198.51.100.11", "refuse")].enumerated() {
            let directory = lab.directory.appendingPathComponent("unbound-\(address)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let configuration = directory.appendingPathComponent("unbound.conf")
            try Unbound.configuration(
                port: 5301 + index, directory: directory, localZones: ["mamori.test. static"], localData: ["probe.mamori.test. 60 IN A 192.0.2.53"],
                serverOptions: ["interface: \(address)@53", "access-control: 203.0.113.0/24 \(access)"]
            ).write(to: configuration, atomically: true, encoding: .utf8)
            try lab.spawn(lab.customer, [Unbound.path, "-d", "-c", configuration.path], log: "unbound-\(address).log")
        }
        // The pool 198.51.100.8/29 is probed (eight addresses); .70, a static line, is not.
        let pools = lab.directory.appendingPathComponent("pools.txt")
        try "198.51.100.8/29 ftth\n198.51.100.64/28 ftth\n!198.51.100.64/28\n".write(to: pools, atomically: true, encoding: .utf8)
        func check() throws -> [String: Any] {
            let result = try lab.run(
                lab.wan,
                [
                    CLI.binary.path, "edge", "open-resolvers", "--pools", pools.path, "--name", "probe.mamori.test", "--timeout", "1",
                    "--rate", "200", "--json",
                ])
            #expect(result.status == 0, "\(result.errors)")
            return CLI.object(result.output.split(separator: "\n").last.map(String.init) ?? "")
        }
        // Each Unbound takes a moment to listen: until both answer, at most 10 tries.
        var summary: [String: Any] = [:]
        for _ in 0..<10 where (summary["open"] as? Int) != 1 || (summary["closed"] as? Int) != 1 { summary = try check() }
        #expect(summary["probed"] as? Int == 8, "\(summary) \(lab.logs())")
        #expect(summary["open"] as? Int == 1 && summary["open_addresses"] as? [String] == ["198.51.100.10"])
        #expect(summary["closed"] as? Int == 1 && summary["silent"] as? Int == 6 && summary["unmatched"] as? Int == 0, "\(summary)")

        // The edge rules on the router: the pools' UDP/53 from the internet is dropped.
        let ruleset = lab.directory.appendingPathComponent("edge.nft")
        let rendered = try CLI.run(["edge", "render", "--pools", pools.path, "--target", "nftables"])
        try #require(rendered.status == 0, "\(rendered.stderr)")
        try rendered.stdout.write(to: ruleset, atomically: true, encoding: .utf8)
        try lab.must(lab.router, ["nft", "-f", ruleset.path])
        let after = try check()
        #expect(after["open"] as? Int == 0 && after["closed"] as? Int == 0 && after["silent"] as? Int == 8)
    }

    /// Addresses outside the pools are refused by name and line; nothing is sent.
    @Test func targetsOutsideThePoolsAreRefused() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pools = directory.appendingPathComponent("pools.txt")
        try "198.51.100.0/24 ftth\n!198.51.100.64/28\n2001:db8:1::/48 ftth\n".write(to: pools, atomically: true, encoding: .utf8)
        let targets = directory.appendingPathComponent("targets.txt")
        try "198.51.100.7\n127.0.0.1\n198.51.100.65\n".write(to: targets, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["edge", "open-resolvers", "--pools", pools.path, "--targets", targets.path])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("targets.txt:2: 127.0.0.1 is not in a dynamic pool"))
        #expect(refused.stderr.contains("targets.txt:3: 198.51.100.65 is not in a dynamic pool"))
        #expect(!refused.stderr.contains("targets.txt:1"))
        let tooMany = try CLI.run(["edge", "open-resolvers", "--pools", pools.path, "--max-addresses", "100"])
        #expect(tooMany.status == 65 && tooMany.stderr.contains("the IPv4 pools hold 240 addresses, more than --max-addresses 100"))
        let badName = try CLI.run(["edge", "open-resolvers", "--pools", pools.path, "--name", "bad..name"])
        #expect(badName.status != 0 && badName.stderr.contains("--name bad..name"))
    }
}

import Foundation
import MamoriTesting
import Testing

@testable import EdgeFilter

/// The rendered nftables ruleset in a real kernel: three network namespaces made by the test
/// ("WAN", "router", "customer"), joined by veth pairs. The router loads the ruleset with
/// `nft -f` and forwards; tiny UDP and TCP responders on port 53 run in the customer namespace.
/// Only UDP/53 from the WAN to a pool address is dropped, and the counter says exactly that.
///
/// Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), iproute2, nftables and python3 for the
/// responders; without them the test is skipped with the reason. The namespaces' names are
/// unique to the run and removed whatever happens.
@Suite(.serialized) struct NamespaceTests {
    static let responder = """
        import socket, sys, threading
        def udp(port):
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(("::", port))
            while True:
                data, peer = s.recvfrom(2048); s.sendto(data, peer)
        def tcp(port):
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("::", port)); s.listen(16)
            while True:
                c, _ = s.accept(); c.sendall(c.recv(2048)); c.close()
        for port in (53, 5353):
            threading.Thread(target=udp, args=(port,), daemon=True).start()
            threading.Thread(target=tcp, args=(port,), daemon=True).start()
        print("ready", flush=True)
        threading.Event().wait()
        """

    /// Prints one word per probe: `reply` or `silent`.
    static let client = """
        import socket, sys
        proto, host, port, source = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM); s.settimeout(1.5)
        try:
            if source: s.bind((source, 0))
            if proto == "udp":
                s.sendto(b"probe", (host, port)); data, _ = s.recvfrom(2048)
            else:
                s.connect((host, port)); s.sendall(b"probe"); data = s.recv(2048)
            print("reply" if data == b"probe" else "silent")
        except OSError:
            print("silent")
        """

    @Test func onlyPoolUDP53FromTheWANIsDropped() throws {
        guard getuid() == 0 else { try Test.cancel("skipped: needs root to create network namespaces (ip netns)") }
        for tool in ["ip", "nft", "python3"] where Tool.find(tool) == nil {
            try Test.cancel("skipped: \(tool) is not installed (.ci/run installs iproute2, nftables)")
        }
        let id = String(UUID().uuidString.prefix(6)).lowercased()
        let wan = "mamori-\(id)-wan"
        let router = "mamori-\(id)-rtr"
        let customer = "mamori-\(id)-cus"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-netns-\(id)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var responder: Int32?
        defer {
            if let responder, responder > 0 { kill(responder, SIGKILL) }
            for name in [wan, router, customer] { _ = try? Tool.run("ip", ["netns", "delete", name]) }
            try? FileManager.default.removeItem(at: directory)
        }
        let created = try Tool.run("ip", ["netns", "add", wan])
        if created.status != 0 {
            try Test.cancel("skipped: this machine does not allow network namespaces: \(created.error)")
        }
        func sh(_ namespace: String?, _ arguments: [String]) throws {
            let result =
                try namespace.map { try Tool.run("ip", ["netns", "exec", $0] + arguments) } ?? Tool.run(arguments[0], Array(arguments.dropFirst()))
            try #require(result.status == 0, "\(arguments.joined(separator: " ")): \(result.error)")
        }
        try sh(nil, ["ip", "netns", "add", router])
        try sh(nil, ["ip", "netns", "add", customer])
        // WAN <-> router (wan0), router (lan0) <-> customer.
        try sh(nil, ["ip", "link", "add", "w\(id)", "netns", wan, "type", "veth", "peer", "name", "wan0", "netns", router])
        try sh(nil, ["ip", "link", "add", "lan0", "netns", router, "type", "veth", "peer", "name", "c\(id)", "netns", customer])
        let plan: [(String, String, [String])] = [
            (wan, "w\(id)", ["203.0.113.1/24", "2001:db8:2::1/64"]),
            (router, "wan0", ["203.0.113.2/24", "2001:db8:2::2/64"]),
            (router, "lan0", ["198.51.100.1/24", "2001:db8:1::1/64"]),
            (customer, "c\(id)", ["198.51.100.10/24", "198.51.100.70/24", "2001:db8:1::10/64"]),
        ]
        for (namespace, device, addresses) in plan {
            for address in addresses {
                try sh(namespace, ["ip", "addr", "add", address, "dev", device] + (address.contains(":") ? ["nodad"] : []))
            }
            try sh(namespace, ["ip", "link", "set", device, "up"])
            try sh(namespace, ["ip", "link", "set", "lo", "up"])
        }
        try sh(wan, ["ip", "route", "add", "default", "via", "203.0.113.2"])
        try sh(wan, ["ip", "-6", "route", "add", "default", "via", "2001:db8:2::2"])
        try sh(customer, ["ip", "route", "add", "default", "via", "198.51.100.1"])
        try sh(customer, ["ip", "-6", "route", "add", "default", "via", "2001:db8:1::1"])
        try sh(router, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        try sh(router, ["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"])

        // The rendered ruleset, loaded as an operator would.
        let pools = try Pools.parse("198.51.100.0/24 ftth\n!198.51.100.64/28\n2001:db8:1::/64 ftth\n", file: "pools.txt")
        let ruleset = directory.appendingPathComponent("edge.nft")
        try RuleRenderer(pools: pools, wanInterface: "wan0").render(.nftables).write(to: ruleset, atomically: true, encoding: .utf8)
        try sh(router, ["nft", "-f", ruleset.path])
        // Loading twice replaces atomically (the counters start again from zero).
        try sh(router, ["nft", "-f", ruleset.path])

        let responderScript = directory.appendingPathComponent("responder.py")
        let clientScript = directory.appendingPathComponent("client.py")
        try Self.responder.write(to: responderScript, atomically: true, encoding: .utf8)
        try Self.client.write(to: clientScript, atomically: true, encoding: .utf8)
        // The responder is spawned with an empty signal mask (CleanChild) and killed by pid.
        let child = try CleanChild(
            executable: URL(fileURLWithPath: Tool.find("ip") ?? "/usr/sbin/ip"),
            arguments: ["netns", "exec", customer, "python3", responderScript.path], output: directory.appendingPathComponent("responder.log"))
        responder = child.pid

        func probe(_ proto: String, _ host: String, _ port: Int) throws -> String {
            try Tool.run("ip", ["netns", "exec", wan, "python3", clientScript.path, proto, host, "\(port)"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // The responder is up when the static exception answers (a few tries while Python starts).
        var up = false
        for _ in 0..<10 where !up { up = try probe("udp", "198.51.100.70", 53) == "reply" }
        try #require(up, "the responder in the customer namespace did not answer")
        #expect(try probe("udp", "198.51.100.10", 53) == "silent")  // pool, UDP/53: dropped
        #expect(try probe("udp", "2001:db8:1::10", 53) == "silent")
        #expect(try probe("udp", "198.51.100.70", 53) == "reply")  // static exception
        #expect(try probe("tcp", "198.51.100.10", 53) == "reply")  // TCP/53 untouched
        #expect(try probe("tcp", "2001:db8:1::10", 53) == "reply")
        #expect(try probe("udp", "198.51.100.10", 5353) == "reply")  // other ports untouched
        // The replies above came *from* pool addresses (source port 53 or 5353): untouched too.
        let counters = try Tool.run("ip", ["netns", "exec", router, "nft", "-j", "list", "counters", "table", "inet", "mamori_edge"])
        let json = try JSONSerialization.jsonObject(with: Data(counters.output.utf8)) as? [String: Any]
        var packets: [String: Int] = [:]
        for item in json?["nftables"] as? [[String: Any]] ?? [] {
            if let counter = item["counter"] as? [String: Any], let name = counter["name"] as? String {
                packets[name] = counter["packets"] as? Int
            }
        }
        #expect(packets == ["dns_amp_v4": 1, "dns_amp_v6": 1])
    }
}

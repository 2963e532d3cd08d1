import Foundation
import MamoriTesting
import Testing

@testable import EdgeFilter

/// The rendered nftables ruleset in a real kernel: three network namespaces made by the test
/// (``EdgeLab``: "WAN", "router", "customer"), joined by veth pairs. The router loads the ruleset with
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
        for tool in ["nft", "python3"] where Tool.find(tool) == nil {
            try Test.cancel("skipped: \(tool) is not installed (.ci/run installs nftables)")
        }
        let lab: EdgeLab
        do {
            lab = try EdgeLab()
        } catch let unavailable as EdgeLabUnavailable {
            try Test.cancel(Comment(rawValue: unavailable.description))
        }
        defer { lab.stop() }

        // The rendered ruleset, loaded as an operator would.
        let pools = try Pools.parse("198.51.100.0/24 ftth\n!198.51.100.64/28\n2001:db8:1::/64 ftth\n", file: "pools.txt")
        let ruleset = lab.directory.appendingPathComponent("edge.nft")
        try RuleRenderer(pools: pools, wanInterface: "wan0").render(.nftables).write(to: ruleset, atomically: true, encoding: .utf8)
        try lab.must(lab.router, ["nft", "-f", ruleset.path])
        // Loading twice replaces atomically (the counters start again from zero).
        try lab.must(lab.router, ["nft", "-f", ruleset.path])

        let responderScript = lab.directory.appendingPathComponent("responder.py")
        let clientScript = lab.directory.appendingPathComponent("client.py")
        try Self.responder.write(to: responderScript, atomically: true, encoding: .utf8)
        try Self.client.write(to: clientScript, atomically: true, encoding: .utf8)
        // The responder is spawned with an empty signal mask (CleanChild) and killed by the lab.
        try lab.spawn(lab.customer, ["python3", responderScript.path], log: "responder.log")

        func probe(_ proto: String, _ host: String, _ port: Int) throws -> String {
            try lab.run(lab.wan, ["python3", clientScript.path, proto, host, "\(port)"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
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
        let counters = try lab.run(lab.router, ["nft", "-j", "list", "counters", "table", "inet", "mamori_edge"])
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

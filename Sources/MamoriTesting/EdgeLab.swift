public import Foundation

/// Three network namespaces made for one test, joined by veth pairs: a "WAN" (the internet,
/// 203.0.113.1 and 2001:db8:2::1), a "router" that forwards between its `wan0` and `lan0`, and a
/// "customer" side (198.51.100.0/24 and 2001:db8:1::/64 behind the router). Their names are
/// unique to the run; ``stop()`` kills what was spawned in them and deletes them.
///
/// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2. Where the machine cannot make
/// namespaces, the initializer throws ``EdgeLabUnavailable`` with the reason, for the test to
/// report as its skip reason.
public final class EdgeLab: @unchecked Sendable {
    public let wan: String
    public let router: String
    public let customer: String
    /// A directory of the lab's own for rulesets, scripts and logs.
    public let directory: URL
    private var children: [CleanChild] = []

    /// The lab with `customerAddresses` (CIDR notation; at least one IPv4 and one IPv6) on the
    /// customer's interface.
    public init(customerAddresses: [String] = ["198.51.100.10/24", "198.51.100.70/24", "2001:db8:1::10/64"]) throws {
        guard getuid() == 0 else { throw EdgeLabUnavailable(reason: "needs root to create network namespaces (ip netns)") }
        guard Self.find("ip") != nil else { throw EdgeLabUnavailable(reason: "ip is not installed (.ci/run installs iproute2)") }
        let id = String(UUID().uuidString.prefix(6)).lowercased()
        wan = "mamori-\(id)-wan"
        router = "mamori-\(id)-rtr"
        customer = "mamori-\(id)-cus"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-netns-\(id)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let created = try run(nil, ["ip", "netns", "add", wan])
        guard created.status == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw EdgeLabUnavailable(reason: "this machine does not allow network namespaces: \(created.output)")
        }
        do {
            try must(nil, ["ip", "netns", "add", router])
            try must(nil, ["ip", "netns", "add", customer])
            // WAN <-> router (wan0), router (lan0) <-> customer.
            try must(nil, ["ip", "link", "add", "w\(id)", "netns", wan, "type", "veth", "peer", "name", "wan0", "netns", router])
            try must(nil, ["ip", "link", "add", "lan0", "netns", router, "type", "veth", "peer", "name", "c\(id)", "netns", customer])
            let plan: [(String, String, [String])] = [
                (wan, "w\(id)", ["203.0.113.1/24", "2001:db8:2::1/64"]),
                (router, "wan0", ["203.0.113.2/24", "2001:db8:2::2/64"]),
                (router, "lan0", ["198.51.100.1/24", "2001:db8:1::1/64"]),
                (customer, "c\(id)", customerAddresses),
            ]
            for (namespace, device, addresses) in plan {
                for address in addresses {
                    try must(namespace, ["ip", "addr", "add", address, "dev", device] + (address.contains(":") ? ["nodad"] : []))
                }
                try must(namespace, ["ip", "link", "set", device, "up"])
                try must(namespace, ["ip", "link", "set", "lo", "up"])
            }
            try must(wan, ["ip", "route", "add", "default", "via", "203.0.113.2"])
            try must(wan, ["ip", "-6", "route", "add", "default", "via", "2001:db8:2::2"])
            try must(customer, ["ip", "route", "add", "default", "via", "198.51.100.1"])
            try must(customer, ["ip", "-6", "route", "add", "default", "via", "2001:db8:1::1"])
            try must(router, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
            try must(router, ["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"])
        } catch {
            stop()
            throw error
        }
    }

    /// What a command left: its exit status and what it wrote (standard output, then errors).
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: String
    }

    /// Runs `arguments` (a program on PATH or in the sbin directories, then its arguments) in
    /// `namespace`, or outside any when nil, to completion (at most 120 s).
    @discardableResult
    public func run(_ namespace: String?, _ arguments: [String]) throws -> Result {
        guard let first = arguments.first, let program = Self.find(first) ?? (first.hasPrefix("/") ? first : nil) else {
            throw EdgeLabUnavailable(reason: "\(arguments.first ?? "(nothing)") is not installed")
        }
        let (executable, rest) =
            namespace.map { (Self.find("ip") ?? "/usr/sbin/ip", ["netns", "exec", $0, program] + arguments.dropFirst()) }
            ?? (program, Array(arguments.dropFirst()))
        let run = directory.appendingPathComponent("run-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: run.appendingPathExtension("out"))
            try? FileManager.default.removeItem(at: run.appendingPathExtension("err"))
        }
        let child = try CleanChild(
            executable: URL(fileURLWithPath: executable), arguments: rest, output: run.appendingPathExtension("out"),
            errors: run.appendingPathExtension("err"))
        guard let status = child.wait(timeout: 120) else {
            child.signal(SIGKILL)
            _ = child.wait(timeout: 5)
            throw EdgeLabFailure(command: arguments.joined(separator: " "), output: "did not finish in 120 s")
        }
        return Result(
            status: status, output: (try? String(contentsOf: run.appendingPathExtension("out"), encoding: .utf8)) ?? "",
            errors: (try? String(contentsOf: run.appendingPathExtension("err"), encoding: .utf8)) ?? "")
    }

    /// Runs `arguments` in `namespace`; throws ``EdgeLabFailure`` unless it exits with 0.
    public func must(_ namespace: String?, _ arguments: [String]) throws {
        let result = try run(namespace, arguments)
        guard result.status == 0 else { throw EdgeLabFailure(command: arguments.joined(separator: " "), output: result.errors + result.output) }
    }

    /// Starts `arguments` in `namespace` in the background (output to `log` in ``directory``);
    /// killed by ``stop()``.
    @discardableResult
    public func spawn(_ namespace: String, _ arguments: [String], log: String) throws -> CleanChild {
        let child = try CleanChild(
            executable: URL(fileURLWithPath: Self.find("ip") ?? "/usr/sbin/ip"), arguments: ["netns", "exec", namespace] + arguments,
            output: directory.appendingPathComponent(log))
        children.append(child)
        return child
    }

    /// What the spawned programs logged, each log under its name.
    public func logs() -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".log") }.sorted().map { name in
            "== \(name)\n" + ((try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? "")
        }.joined(separator: "\n")
    }

    /// Kills what was spawned, deletes the namespaces and the directory.
    public func stop() {
        for child in children {
            child.signal(SIGKILL)
            _ = child.wait(timeout: 5)
        }
        children.removeAll()
        for name in [wan, router, customer] { _ = try? run(nil, ["ip", "netns", "delete", name]) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The absolute path of `name` on PATH or in the sbin directories, or nil.
    public static func find(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/local/sbin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// The machine cannot host the lab (not root, no iproute2, namespaces not allowed): the reason.
public struct EdgeLabUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "skipped: \(reason)" }
}

/// A lab command that failed: the command and what it printed.
public struct EdgeLabFailure: Error, CustomStringConvertible {
    public let command: String
    public let output: String
    public var description: String { "\(command): \(output)" }
}

import Addressing
public import ArgumentParser
import EdgeFilter
import Foundation
import Runtime

extension RuleTarget: ExpressibleByArgument {}

/// `mamori edge render|diff|analyze|pools suggest`: the DNS-amplification measure at the network edge
/// (`dns-amplification-prevention`): the pools' rules for the routers, what changes between two
/// pools files, and what the policy matches in captured traffic or flow exports.
struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge", abstract: "DNS-amplification prevention at the edge: router rules for the dynamic pools, and flow analysis.",
        subcommands: [
            EdgeRenderCommand.self, EdgeDiffCommand.self, EdgeAnalyzeCommand.self, EdgePoolsCommand.self, EdgeOpenResolversCommand.self,
        ])

    /// Reads and parses a pools file; problems are printed as `file:line: reason` and exit 65.
    static func loadPools(_ path: String, option: String = "--pools") throws -> Pools {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MamoriExit(code: MamoriExit.noInput, message: "\(option): \(url.lastPathComponent): cannot read")
        }
        do {
            return try Pools.parse(String(decoding: data, as: UTF8.self), file: url.lastPathComponent)
        } catch {
            for problem in error.problems { Output.error(problem.description) }
            throw MamoriExit(code: MamoriExit.dataError, message: "\(url.lastPathComponent): \(error.problems.count) problems; nothing rendered")
        }
    }
}

struct EdgeRenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the router rules that drop internet-originated UDP/53 to the dynamic pools.",
        discussion: """
            Pools file: one prefix a line with an optional name (PREFIX NAME), !PREFIX for an exception \
            (static customers, business lines), # comments. The rules list the pools less the exceptions, \
            aggregated and in address order, so two renderings diff cleanly. nftables: load with nft -f \
            (the table inet mamori_edge is replaced atomically); junos: load replace; iosxr: paste and commit. \
            TCP/53 and traffic from the pools are not matched (docs/edge.md).
            """)

    @Option(help: "The pools file.")
    var pools: String

    @Option(help: "nftables, junos or iosxr.")
    var target: RuleTarget

    @Option(help: "The WAN (internet-facing) interface name, for nftables.")
    var wan: String = "wan0"

    func run() async throws {
        guard !wan.isEmpty, wan.utf8.count < 16, wan.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) else {
            throw ValidationError("--wan: an interface name of 1-15 printable characters without quotes or backslashes")
        }
        let pools = try EdgeCommand.loadPools(self.pools)
        FileHandle.standardOutput.write(Data(RuleRenderer(pools: pools, wanInterface: wan).render(target).utf8))
    }
}

struct EdgeDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the prefixes that start (+) and stop (-) being blocked between two pools files.")

    @Option(help: "The new pools file.")
    var pools: String

    @Option(help: "The pools file deployed now.")
    var since: String

    @Flag(help: "End with one JSON object on stdout.")
    var json = false

    func run() async throws {
        let old = try EdgeCommand.loadPools(since, option: "--since")
        let new = try EdgeCommand.loadPools(pools)
        let diff = PoolsDiff(from: old, to: new)
        if json {
            Output.line(Output.json(["added": diff.added.map(\.description), "removed": diff.removed.map(\.description)]))
        } else {
            for line in diff.lines { Output.line(line) }
            Output.line("\(diff.removed.count) prefixes no longer blocked, \(diff.added.count) newly blocked")
        }
    }
}

struct EdgeAnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Count what the DNS-amplification policy matches in captures or flow exports, per pool and hour.",
        discussion: """
            Input: pcap, pcapng (Ethernet, Linux SLL, raw IP), NetFlow v5, NetFlow v9 or IPFIX export \
            messages, detected from the bytes; templates carry over from one file to the next. Only \
            destination address and port, protocol, direction, bytes, packets and time are decoded; only \
            aggregates are printed. Bad packets and records are counted by reason on stderr; the run goes on \
            (exit 65 when there were any).
            """)

    @Option(help: "The pools file.")
    var pools: String

    @Flag(help: "JSON lines: one per pool and hour, then the totals.")
    var json = false

    @Argument(help: "Capture or flow-export files.")
    var files: [String]

    func run() async throws {
        let pools = try EdgeCommand.loadPools(self.pools)
        var analysis = AmplificationAnalysis(pools: pools)
        var decoder = EdgeDecoder()
        var unreadable = false
        for file in files {
            let name = URL(fileURLWithPath: file).lastPathComponent
            guard let data = FileManager.default.contents(atPath: file) else {
                Output.error("\(name): cannot read")
                unreadable = true
                continue
            }
            let before = decoder.counts
            let format = analysis.add(decoding: [UInt8](data), with: &decoder)
            let counts = decoder.counts
            for (reason, count) in counts.bad.sorted(by: { $0.key < $1.key }) {
                let added = count - (before.bad[reason] ?? 0)
                guard added > 0 else { continue }
                let offset = before.bad[reason] == nil ? counts.firstOffset[reason].map { " (first at byte \($0))" } ?? "" : ""
                Output.error("\(name): \(added) refused: \(reason.rawValue)\(offset)")
            }
            if !json { Output.line("\(name): \(format?.rawValue ?? "unknown format"), \(counts.decoded - before.decoded) decoded") }
        }
        let bad = decoder.counts.badTotal
        if json {
            for (key, tally) in analysis.perPoolHour.sorted(by: { $0.key < $1.key }) {
                Output.line(
                    "{\"pool\":\"\(analysis.matcher.names[key.pool])\",\"hour\":\"\(Self.hour(key.hour))\","
                        + "\"packets\":\(tally.packets),\"bytes\":\(tally.bytes)}")
            }
            let perPool = analysis.matcher.names.enumerated().map { index, name in
                "\"\(name)\":{\"packets\":\(analysis.perPool[index].packets),\"bytes\":\(analysis.perPool[index].bytes)}"
            }
            Output.line(
                "{\"packets\":\(analysis.packets),\"matched_packets\":\(analysis.matched.packets),\"matched_bytes\":\(analysis.matched.bytes),"
                    + "\"bad\":\(bad),\"per_pool\":{\(perPool.joined(separator: ","))}}")
        } else {
            for (key, tally) in analysis.perPoolHour.sorted(by: { $0.key < $1.key }) {
                Output.line("\(analysis.matcher.names[key.pool]) \(Self.hour(key.hour)): \(tally.packets) packets, \(tally.bytes) bytes")
            }
            for (index, name) in analysis.matcher.names.enumerated() {
                Output.line("\(name): \(analysis.perPool[index].packets) packets, \(analysis.perPool[index].bytes) bytes matched")
            }
            Output.line(
                "total: \(analysis.packets) packets, \(analysis.matched.packets) matched (\(analysis.matched.bytes) bytes), \(bad) bad")
        }
        if unreadable { throw MamoriExit(code: MamoriExit.noInput) }
        if bad > 0 { throw MamoriExit(code: MamoriExit.dataError) }
    }

    /// The hour's start as RFC 3339 UTC.
    static func hour(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

import Addressing
import ArgumentParser
import Attribution
import EdgeFilter
import Foundation
import Runtime
import TextScanning

/// `mamori edge pools suggest FILE…`: dynamic pools derived from the address ranges seen in AAA
/// records, shown for review and used only once an operator writes them (`--write FILE --confirm`).
struct EdgePoolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pools", abstract: "Dynamic pools for the DNS-amplification rules.", subcommands: [EdgePoolsSuggestCommand.self])
}

struct EdgePoolsSuggestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract: "Suggest dynamic pools from the addresses assigned in AAA records (RADIUS detail, Kea CSV, dhcpd.leases).",
        discussion: """
            Reads only the assigned addresses and delegated prefixes of each record (nothing about \
            subscribers is printed), widens them to blocks (--v4-length, --v6-length), merges adjacent \
            blocks and prints a pools file on stdout: one pool per input file, named after it, each \
            prefix with how many assigned addresses were seen in it. CGN port blocks are left out (their \
            public addresses are the ISP's NAT, not customer routers). Nothing uses the suggestion until \
            it is written with --write FILE --confirm, after review.
            """)

    @Option(help: "The records' format (radius-detail, kea-csv, dhcpd-leases); detected when omitted.")
    var format: AssignmentFormat?

    @Option(help: "IPv4 addresses are widened to blocks of this prefix length (8-32).")
    var v4Length: Int = 24

    @Option(help: "IPv6 addresses and delegated prefixes are widened to this prefix length (16-128).")
    var v6Length: Int = 48

    @Option(help: "Write the suggested pools file here (needs --confirm).")
    var write: String?

    @Flag(help: "Confirm that the suggestion was reviewed: only then is --write done.")
    var confirm = false

    @Option(help: "Time zone of RADIUS detail header lines.")
    var headerTimeZone: String = "UTC"

    @Argument(help: "AAA record files.")
    var files: [String]

    func validate() throws {
        guard (8...32).contains(v4Length) else { throw ValidationError("--v4-length: 8 to 32") }
        guard (16...128).contains(v6Length) else { throw ValidationError("--v6-length: 16 to 128") }
        guard !files.isEmpty else { throw ValidationError("give at least one AAA record file") }
        if write != nil, !confirm {
            throw ValidationError("--write needs --confirm: review the suggestion (run without --write), then confirm it")
        }
        if confirm, write == nil { throw ValidationError("--confirm goes with --write FILE") }
    }

    func run() async throws {
        guard let zone = TimeZone(identifier: headerTimeZone) else { throw ValidationError("--header-time-zone: unknown time zone") }
        var suggestion = PoolSuggestion(blockLengthV4: v4Length, blockLengthV6: v6Length)
        var sources: [String] = []
        for file in files {
            let url = URL(fileURLWithPath: file)
            let name = url.lastPathComponent
            let pool = PoolSuggestion.poolName(fromFileName: name)
            var records = 0
            do {
                let summary = try AssignmentReader.stream(contentsOf: url, format: format, headerTimeZone: zone) { batch in
                    // Only the assigned addresses are taken from each event.
                    for event in batch.events where event.kind != .portBlock {
                        for prefix in event.prefixes { suggestion.add(prefix, pool: pool) }
                    }
                    for issue in batch.issues { Output.error(issue.description) }
                }
                records = summary.recordsSeen
            } catch let error as AttributionError {
                throw MamoriExit(code: MamoriExit.dataError, message: error.description)
            }
            sources.append("\(name) (\(records) records)")
        }
        let text = suggestion.poolsFile(sources: sources)
        // The suggestion must be a valid pools file before anyone may write it.
        do {
            _ = try Pools.parse(text, file: "suggestion")
        } catch {
            throw MamoriExit(code: MamoriExit.dataError, message: "the suggestion is not a valid pools file: \(error.description)")
        }
        guard let write else {
            FileHandle.standardOutput.write(Data(text.utf8))
            Output.error("not used: review it, then run again with --write FILE --confirm")
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: write), options: .atomic)
        } catch {
            throw MamoriExit(code: MamoriExit.noInput, message: "--write: \(URL(fileURLWithPath: write).lastPathComponent): cannot write")
        }
        Output.line("wrote \(URL(fileURLWithPath: write).lastPathComponent): \(suggestion.entries.count) prefixes from \(suggestion.count) assigned")
    }
}

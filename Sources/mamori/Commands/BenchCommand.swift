import ArgumentParser
import Foundation

/// `mamori bench attribution|ingest|cryptopan`: the benchmarks of docs/benchmarks.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks, measured side by side with a peer in one run (docs/benchmarks.md).",
        subcommands: []
    )
}

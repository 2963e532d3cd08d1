import Addressing
import ArgumentParser
import DNS
import EdgeFilter
import Foundation
import OpenResolverCheck
import Runtime

/// `mamori edge open-resolvers`: which addresses of the ISP's own pools answer recursive queries
/// from outside (the amplifiers the edge rules keep from the internet).
struct EdgeOpenResolversCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open-resolvers",
        abstract: "Probe the dynamic pools for open resolvers: one recursive query to UDP/53 of each address.",
        discussion: """
            Only addresses of the pools file (less its exceptions) are probed: every IPv4 address of \
            the pools, or the addresses listed with --targets (IPv6 pools are probed only through such \
            a list). Each answer must come from the address probed and repeat the query's id and \
            question. open: recursion available and an answer or a name error; closed: answered \
            without recursing (refused, recursion not available); silent: no answer. Run it from \
            outside the edge filter to see what the internet sees; with the rules in place every pool \
            address is silent. Nothing is stored. Ask for a name of a zone you serve (--name), so that \
            your servers' logs confirm the probe. The last line with --json: \
            {"probed":N,"open":N,"closed":N,"silent":N,"unmatched":N,"open_addresses":[...]}.
            """)

    @Option(help: "The pools file (the same as for render).")
    var pools: String

    @Option(help: "A file of addresses to probe instead (one a line, # comments); each must be in a pool and not an exception.")
    var targets: String?

    @Option(help: "The name asked for (type A, recursion desired).")
    var name: String = "www.example.com"

    @Option(help: "Queries a second.")
    var rate: Int = 1000

    @Option(help: "Seconds to wait for answers after the last query.")
    var timeout: Double = 2

    @Option(help: "The most addresses one run probes.")
    var maxAddresses: Int = 65_536

    @Flag(help: "One JSON line a target, then the counts as the last line.")
    var json = false

    func run() async throws {
        guard rate > 0, rate <= 100_000 else { throw ValidationError("--rate: 1 to 100000 queries a second") }
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout: more than 0 and at most 60 seconds") }
        guard maxAddresses > 0 else { throw ValidationError("--max-addresses must be positive") }
        let question: DNSName
        do {
            question = try DNSName(name)
        } catch {
            throw ValidationError("--name \(name): not a domain name (\(error))")
        }
        let pools = try EdgeCommand.loadPools(self.pools)
        let probeTargets: ProbeTargets
        do {
            if let targets {
                let url = URL(fileURLWithPath: targets)
                guard let data = FileManager.default.contents(atPath: targets) else {
                    throw MamoriExit(code: MamoriExit.noInput, message: "--targets: \(url.lastPathComponent): cannot read")
                }
                probeTargets = try ProbeTargets(
                    listed: String(decoding: data, as: UTF8.self), file: url.lastPathComponent, pools: pools, limit: maxAddresses)
            } else {
                probeTargets = try ProbeTargets(pools: pools, limit: maxAddresses)
            }
        } catch let error as ProbeTargetsError {
            for line in error.description.split(separator: "\n") { Output.error(String(line)) }
            throw MamoriExit(code: MamoriExit.dataError, message: "nothing probed")
        }
        if probeTargets.skippedIPv6Pools {
            Output.error("note: IPv6 pools are not walked; list their addresses with --targets to probe them")
        }
        let probe = OpenResolverProbe(name: question, rate: rate, timeout: .milliseconds(Int(timeout * 1000)))
        let report = try await probe.run(probeTargets.addresses)
        let open = report.addresses(.open)
        if json {
            for address in probeTargets.addresses {
                Output.line("{\"address\":\"\(address)\",\"verdict\":\"\(report.verdicts[address]?.rawValue ?? "silent")\"}")
            }
            Output.line(
                "{\"probed\":\(probeTargets.addresses.count),\"open\":\(open.count),\"closed\":\(report.count(.closed)),"
                    + "\"silent\":\(report.count(.silent)),\"unmatched\":\(report.unmatched),"
                    + "\"open_addresses\":[\(open.map { "\"\($0)\"" }.joined(separator: ","))]}")
        } else {
            for address in open { Output.line("open \(address)") }
            for address in report.addresses(.closed) { Output.line("closed \(address)") }
            Output.line(
                "probed \(probeTargets.addresses.count): \(open.count) open, \(report.count(.closed)) closed, "
                    + "\(report.count(.silent)) silent, \(report.unmatched) unmatched answers")
        }
    }
}

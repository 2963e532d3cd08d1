import Foundation
import MamoriTesting
import Runtime
import Secrecy
import TextScanning

/// `mamori bench cryptopan`: Mamori's batch IPv4 Crypto-PAn against yacryptopan (Python),
/// same key, one thread each, one run.
enum CryptoPAnBench {
    struct Options {
        var count: Int
        var peerCount: Int
        var json: Bool
    }

    static let script = "bench-yacryptopan.py"

    static func run(_ o: Options) throws {
        let ours = CryptoPAnBenchmark.measureV4(count: o.count, key: CryptoPAnBenchmark.referenceKey)
        guard ours.seconds > 0 else { throw MamoriExit(code: 1, message: "bench cryptopan: the measurement failed (count or key)") }

        var table = BenchTable("mamori bench cryptopan")
        let load = LoadAverage.oneMinute()
        if let load { table.row("load average (1 min) at start", BenchFormat.fixed(load, 2)) }
        table.row(
            "mamori (AES-NI, batch IPv4, 1 thread)",
            "\(BenchFormat.count(o.count)) addresses in \(BenchFormat.seconds(ours.seconds)): \(BenchFormat.rate(ours.addressesPerSecond)) "
                + "(goal ≥ 5,000,000/s: \(BenchFormat.goal(ours.addressesPerSecond >= 5_000_000)))")
        var json: [String: Any] = [
            "bench": "cryptopan", "addresses": o.count, "seconds": BenchFormat.json(ours.seconds, 4),
            "per_second": Int(ours.addressesPerSecond.rounded()), "goal_per_second_met": ours.addressesPerSecond >= 5_000_000,
            "load_average": load ?? -1,
        ]

        switch peer(count: o.peerCount) {
        case .success(let p):
            let ratio = p.perSecond > 0 ? ours.addressesPerSecond / p.perSecond : 0
            table.row(
                "yacryptopan (Python, 1 thread)",
                "\(BenchFormat.count(p.addresses)) addresses in \(BenchFormat.seconds(p.seconds)): \(BenchFormat.rate(p.perSecond))")
            table.row("ratio mamori / yacryptopan", "\(BenchFormat.fixed(ratio))×")
            json["peer"] = [
                "name": "yacryptopan", "addresses": p.addresses, "seconds": BenchFormat.json(p.seconds, 4),
                "per_second": Int(p.perSecond.rounded()),
            ]
            json["ratio"] = BenchFormat.json(ratio, 1)
        case .failure(let why):
            table.row("yacryptopan", "not measured: \(why.text)")
            json["peer_error"] = why.text
        }

        if o.json {
            Output.line(Output.json(json))
        } else {
            table.print()
        }
    }

    struct PeerResult {
        var addresses: Int
        var seconds: Double
        var perSecond: Double
    }

    struct PeerProblem: Error {
        var text: String
    }

    static func peer(count: Int) -> Result<PeerResult, PeerProblem> {
        guard let path = ScriptLocator.find(script) else {
            return .failure(PeerProblem(text: "scripts/\(script) not found (run from the repository)"))
        }
        let result: Subprocess.Result
        do {
            result = try Subprocess.run(["python3", path.path, String(count)], check: false)
        } catch {
            return .failure(PeerProblem(text: "python3 cannot be run (\(error))"))
        }
        guard result.status == 0 else {
            if result.stderr.contains("not installed") {
                return .failure(PeerProblem(text: "yacryptopan is not installed; install it with: pip install yacryptopan"))
            }
            return .failure(
                PeerProblem(
                    text:
                        "\(script) exited with status \(result.status): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))")
            )
        }
        guard let line = result.stdout.split(separator: "\n").last,
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let addresses = (object["addresses"] as? NSNumber)?.intValue,
            let seconds = (object["seconds"] as? NSNumber)?.doubleValue,
            let perSecond = (object["per_second"] as? NSNumber)?.doubleValue
        else {
            return .failure(PeerProblem(text: "\(script) printed no result line"))
        }
        return .success(PeerResult(addresses: addresses, seconds: seconds, perSecond: perSecond))
    }
}

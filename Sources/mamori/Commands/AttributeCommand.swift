import Addressing
import ArgumentParser
import Attribution
import Foundation
import Remediation
import Runtime
import Secrecy
import Storage
import TextScanning

/// `mamori attribute --purpose ID --ip ADDR --at TIME [--port N]` and `--batch`.
///
/// Output: one JSON line per query, in order: `{"status":"found","subscriber":…,"session":…,
/// "prefix":…,"from":…,"to":…}` (`to` null while open), `{"status":"not_found"}`,
/// `{"status":"ambiguous","candidates":N,"reason":…}`, or, for a bad batch line,
/// `{"status":"error","error":"stdin:LINE: …"}` (the run then exits 65).
struct AttributeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribute",
        abstract: "Find the subscriber who held an address at a time, for a declared purpose (audited)."
    )

    @OptionGroup var options: StoreOptions

    @Option(help: "The countermeasure id the identification is for (e.g. infected-host-notification).")
    var purpose: String

    @Option(help: "The address (IPv4 or IPv6).")
    var ip: String?

    @Option(help: "The time, RFC 3339 with a zone (e.g. 2026-11-27T09:30:00+09:00).")
    var at: String?

    @Option(help: "The source port, for addresses shared by CGN.")
    var port: UInt16?

    @Flag(help: "Read JSON lines {\"ip\":…,\"at\":…,\"port\":…} on stdin; write one JSON line per query.")
    var batch = false

    @Option(help: "Clock-skew tolerance in seconds.")
    var skew: Double = 60

    @Option(help: "Grace for sessions without Stop, as a multiple of the interim interval.")
    var graceMultiplier: Double = 2

    func validate() throws {
        if batch {
            guard ip == nil, at == nil, port == nil else { throw ValidationError("--batch reads queries from stdin; drop --ip/--at/--port") }
        } else {
            guard ip != nil, at != nil else { throw ValidationError("give --ip and --at (or --batch)") }
        }
    }

    func run() async throws {
        let purposeID = CountermeasureID(rawValue: purpose)
        let declarations = try options.loadDeclarations()
        guard OperatorAttribution.purposes.contains(purposeID) || declarations[purposeID] != nil else {
            throw ValidationError(
                "--purpose: unknown countermeasure \"\(purpose)\"; known: \(declarations.all.map(\.id.rawValue).joined(separator: ", "))")
        }
        var flow = FlowConfiguration()
        flow.attribution = AttributionConfig(graceMultiplier: graceMultiplier, skew: skew)
        let runtime = MamoriRuntime(store: try await options.openStore(), configuration: MamoriConfiguration(declarations: declarations, flow: flow))
        let desk = try await runtime.operatorAttribution(actor: "cli")

        if !batch {
            let query = try Query.parse(ip: ip ?? "", at: at ?? "", port: port).get()
            let answer = try await desk.attribute(purpose: purposeID, address: query.address, at: query.time, port: query.port)
            Output.line(Self.render(answer))
            return
        }
        var lineNumber = 0
        var errors = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) { continue }
            switch Query.parse(jsonLine: line, number: lineNumber) {
            case .success(let query):
                let answer = try await desk.attribute(purpose: purposeID, address: query.address, at: query.time, port: query.port)
                Output.line(Self.render(answer))
            case .failure(let error):
                errors += 1
                Output.line(Output.json(["status": "error", "error": "stdin:\(lineNumber): \(error.message)"]))
            }
        }
        if errors > 0 { throw MamoriExit(code: MamoriExit.dataError, message: "\(errors) malformed queries on stdin") }
    }

    static func render(_ answer: AttributionAnswer) -> String {
        switch answer {
        case .found(let h):
            var object: [String: Any] = [
                "status": "found", "subscriber": h.subscriber, "session": h.session, "prefix": h.prefix.description,
                "from": RFC3339.format(h.from), "to": h.to.map { RFC3339.format($0) } ?? NSNull(),
            ]
            if let ports = h.portRange { object["ports"] = "\(ports.lowerBound)-\(ports.upperBound)" }
            if h.endIsEstimated { object["to_estimated"] = true }
            return Output.json(object)
        case .notFound:
            return Output.json(["status": "not_found"])
        case .ambiguous(let candidates, let reason):
            return Output.json(["status": "ambiguous", "candidates": candidates, "reason": reason.rawValue])
        }
    }
}

/// One attribution query, validated.
struct Query {
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    var address: IPAddress
    var time: Date
    var port: UInt16?

    static func parse(ip: String, at: String, port: UInt16?) -> Result<Query, Failure> {
        guard let address = IPAddress(ip) else { return .failure(Failure(message: "ip: not an IPv4 or IPv6 address")) }
        switch parseTime(at, field: "at") {
        case .success(let time): return .success(Query(address: address, time: time, port: port))
        case .failure(let f): return .failure(f)
        }
    }

    /// Parses an RFC 3339 time; a zone-less time is refused with a message that says so.
    static func parseTime(_ text: String, field: String) -> Result<Date, Failure> {
        if let date = RFC3339.parse(text) { return .success(date) }
        let hasZone =
            text.hasSuffix("Z") || text.hasSuffix("z")
            || text.range(of: #"[+-]\d{2}:?\d{2}$"#, options: .regularExpression) != nil
        if !hasZone && text.range(of: #"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}"#, options: .regularExpression) != nil {
            return .failure(Failure(message: "\(field): the time has no zone; write it with Z or an offset, e.g. 2026-11-27T09:30:00+09:00"))
        }
        return .failure(Failure(message: "\(field): not an RFC 3339 time (e.g. 2026-11-27T09:30:00+09:00)"))
    }

    static func parse(jsonLine: String, number: Int) -> Result<Query, Failure> {
        guard let data = jsonLine.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return .failure(Failure(message: "not a JSON object")) }
        guard let ip = object["ip"] as? String else { return .failure(Failure(message: "ip: missing or not a string")) }
        guard let at = object["at"] as? String else { return .failure(Failure(message: "at: missing or not a string")) }
        var port: UInt16?
        if let value = object["port"], !(value is NSNull) {
            guard let number = value as? NSNumber, let p = UInt16(exactly: number.doubleValue) else {
                return .failure(Failure(message: "port: not a port number (0-65535)"))
            }
            port = p
        }
        return parse(ip: ip, at: at, port: port)
    }
}

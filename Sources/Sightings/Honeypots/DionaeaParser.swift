import Addressing
import Foundation
import TextScanning

/// Reads Dionaea connection records: one sighting per inbound connection.
///
/// Two shapes, told apart per line:
/// - Dionaea's own `log_json` handler: `connection` {`type`, …}, `src_ip`, `src_port`,
///   `timestamp`. Only `accept` and `reject` connections came from the remote host; `connect`
///   (Dionaea connecting out, e.g. to fetch a payload) and `listen` are ignored. Its timestamps
///   have no zone and are UTC (the handler writes `datetime.utcnow().isoformat()`).
/// - Sessions exported from an MHN MongoDB (`mongoexport` extended JSON): `source_ip`,
///   `source_port`, `timestamp` {`$date`: ISO text or epoch milliseconds}, `_id` {`$oid`},
///   `honeypot`. Rows of other honeypots (`honeypot` not `dionaea`) are ignored.
///
/// Credentials, FTP commands, p0f data, hostnames and destination fields are never decoded.
/// The family is nil. The evidence is `file:line`, with `#<$oid>` for MHN rows.
struct DionaeaParser: LineRecordParser {
    let feedName = "dionaea"
    let file: String

    init(file: String) { self.file = file }

    mutating func line(_ b: Bytes, number: Int, into out: inout SightingOutput) {
        out.summary.recordsSeen += 1
        var connection: JSONValue?
        var ip: JSONValue?
        var ipName = "src_ip"
        var port: JSONValue?
        var portName = "src_port"
        var timestamp: JSONValue?
        var oid: JSONValue?
        var honeypot: JSONValue?
        let ok = JSONScanner.members(b) { key, value in
            if key.equals("connection") {
                connection = value
            } else if key.equals("src_ip") {
                ip = value
            } else if key.equals("source_ip") {
                ip = value
                ipName = "source_ip"
            } else if key.equals("src_port") {
                port = value
            } else if key.equals("source_port") {
                port = value
                portName = "source_port"
            } else if key.equals("timestamp") {
                timestamp = value
            } else if key.equals("_id") {
                oid = value
            } else if key.equals("honeypot") {
                honeypot = value
            }
        }
        guard ok else {
            out.reject(line: number, "not a JSON object")
            return
        }
        let mhn = ipName == "source_ip"

        // Direction (log_json) or honeypot (MHN).
        if let connection {
            guard connection.kind == .object else {
                out.reject(line: number, "connection: not an object")
                return
            }
            var type: JSONValue?
            _ = JSONScanner.members(b, in: connection.range) { key, value in
                if key.equals("type") { type = value }
            }
            guard let type, type.kind == .string else {
                out.reject(line: number, "connection.type: missing")
                return
            }
            let t = b.sub(type.range)
            guard t.equals("accept") || t.equals("reject") else {
                out.summary.ignored += 1
                return
            }
        } else if !mhn {
            out.reject(line: number, "connection: missing")
            return
        }
        if let honeypot {
            guard honeypot.kind == .string else {
                out.reject(line: number, "honeypot: not a string")
                return
            }
            guard b.sub(honeypot.range).equalsIgnoringCase("dionaea") else {
                out.summary.ignored += 1
                return
            }
        }

        guard let ip, ip.kind == .string, !ip.escaped else {
            out.reject(line: number, ipName + ": missing or not a string")
            return
        }
        guard let address = ByteParse.ip(b.sub(ip.range)) else {
            out.reject(line: number, ipName + ": not an IP address")
            return
        }
        var sourcePort: UInt16?
        if let port, port.kind != .null {
            guard port.kind == .number || port.kind == .string, let p = ByteParse.port(b.sub(port.range)) else {
                out.reject(line: number, portName + ": not a port number")
                return
            }
            sourcePort = p
        }

        guard let timestamp else {
            out.reject(line: number, "timestamp: missing")
            return
        }
        var when: Double?
        var reason = "timestamp: not a time"
        switch timestamp.kind {
        case .string:
            switch TimeText.iso(b.sub(timestamp.range), zoneless: .utc, strict: false) {
            case .success(let t): when = t
            case .failure(let e): reason = "timestamp: " + e.reason(expected: "ISO 8601")
            }
        case .object:
            var date: JSONValue?
            _ = JSONScanner.members(b, in: timestamp.range) { key, value in
                if key.equals("$date") { date = value }
            }
            if let date {
                if date.kind == .string {
                    switch TimeText.iso(b.sub(date.range), zoneless: .utc, strict: false) {
                    case .success(let t): when = t
                    case .failure(let e): reason = "timestamp.$date: " + e.reason(expected: "ISO 8601")
                    }
                } else if date.kind == .number, let ms = ByteParse.uint(b.sub(date.range)), ms <= 253_402_300_799_000 {
                    when = Double(ms) / 1000
                } else if date.kind == .object {
                    var long: JSONValue?
                    _ = JSONScanner.members(b, in: date.range) { key, value in
                        if key.equals("$numberLong") { long = value }
                    }
                    if let long, long.kind == .string, let ms = ByteParse.uint(b.sub(long.range)),
                        ms <= 253_402_300_799_000
                    {
                        when = Double(ms) / 1000
                    }
                    reason = "timestamp.$date: not a time"
                } else {
                    reason = "timestamp.$date: not a time"
                }
            } else {
                reason = "timestamp: object without $date"
            }
        default:
            break
        }
        guard let when else {
            out.reject(line: number, reason)
            return
        }

        var evidence = "\(file):\(number)"
        if let oid, oid.kind == .object {
            var id: JSONValue?
            _ = JSONScanner.members(b, in: oid.range) { key, value in
                if key.equals("$oid") { id = value }
            }
            if let id, id.kind == .string, !id.escaped, id.range.count <= 64,
                b.sub(id.range).allSatisfy({ ASCII.hex($0) != nil })
            {
                evidence += "#" + b.sub(id.range).string
            }
        }
        out.add(
            Sighting(
                source: address, sourcePort: sourcePort, time: Date(timeIntervalSince1970: when), kind: .honeypotContact,
                family: nil, feed: feedName, evidence: evidence))
    }
}

import Addressing
import Foundation
import TextScanning

/// Parser for Mamori's CGN port-block allocation CSV (`cgn-csv`), read strictly.
///
/// One header line, exactly:
///
/// ```text
/// public_ip,port_start,port_end,private_ip,subscriber,start,end
/// ```
///
/// then one row per port-block allocation, exactly seven comma-separated fields, no
/// quoting, no spaces around fields:
///
/// | column | content |
/// |---|---|
/// | `public_ip` | the shared public IPv4 or IPv6 address |
/// | `port_start`, `port_end` | the allocated port range, decimal 0–65535, `port_start ≤ port_end` |
/// | `private_ip` | the subscriber's inside address (validated; kept only when `subscriber` is empty) |
/// | `subscriber` | the subscriber identity; may be empty, then `private_ip` is the subscriber; no commas |
/// | `start` | allocation time, RFC 3339 with a zone (`2026-11-27T10:00:00+09:00`); a zone-less time is refused |
/// | `end` | release time, RFC 3339 with a zone, `≥ start`; empty while the block is still allocated |
///
/// Blank lines are ignored. A row for the same allocation (same public address, ports,
/// start and subscriber) seen again with `end` filled in closes it (the index keeps the
/// latest known end). The session is `public_ip:port_start-port_end@start` (IPv6 in
/// brackets). Full description: `docs/formats/cgn-csv.md`.
public struct CGNPortBlockParser: AssignmentParser {
    /// The exact header line.
    public static let header = "public_ip,port_start,port_end,private_ip,subscriber,start,end"

    /// `.cgnCSV`.
    public var format: AssignmentFormat { .cgnCSV }
    /// The file name used in issues.
    public let fileName: String

    private var sawHeader = false
    private var headerBad = false

    /// A parser for one file.
    public init(fileName: String) {
        self.fileName = fileName
    }

    public mutating func feed(line: UnsafeBufferPointer<UInt8>, number: Int, into result: inout ParseResult) {
        guard line.trimmed.count > 0 else { return }
        if !sawHeader && !headerBad {
            if line.equals("public_ip,port_start,port_end,private_ip,subscriber,start,end") {
                sawHeader = true
            } else {
                headerBad = true
                result.report(
                    file: fileName, line: number, "header: expected public_ip,port_start,port_end,private_ip,subscriber,start,end")
            }
            return
        }
        result.recordsSeen += 1
        guard sawHeader else {
            result.report(file: fileName, line: number, "no valid header line before this row")
            return
        }
        row(line, number, &result)
    }

    public mutating func finish(into result: inout ParseResult) {}

    private func row(_ line: Bytes, _ number: Int, _ result: inout ParseResult) {
        func bad(_ reason: String) { result.report(file: fileName, line: number, reason) }
        var f: [Bytes] = []
        f.reserveCapacity(7)
        var s = 0
        for i in 0..<line.count where line[i] == ASCII.comma {
            f.append(line.sub(s..<i))
            s = i + 1
        }
        f.append(line.sub(s..<line.count))
        guard f.count == 7 else { return bad("expected 7 columns, found \(f.count)") }
        guard let publicIP = ByteParse.ip(f[0]) else { return bad("public_ip: not an IP address") }
        guard let ps = ByteParse.uint(f[1]), ps <= 65535 else { return bad("port_start: not a port number") }
        guard let pe = ByteParse.uint(f[2]), pe <= 65535 else { return bad("port_end: not a port number") }
        guard ps <= pe else { return bad("port_end: before port_start") }
        var privateText: String? = nil
        if f[3].count > 0 {
            guard let p = ByteParse.ip(f[3]) else { return bad("private_ip: not an IP address") }
            privateText = p.description
        }
        let subscriberBytes = f[4]
        if subscriberBytes.count > 0, subscriberBytes.trimmed.count != subscriberBytes.count {
            return bad("subscriber: leading or trailing space")
        }
        guard let subscriber = subscriberBytes.count > 0 ? subscriberBytes.string : privateText else {
            return bad("subscriber: empty and no private_ip")
        }
        let start: Double
        switch RFC3339.parse(bytes: f[5]) {
        case .success(let t): start = t
        case .failure(let e): return bad("start: \(e.description)")
        }
        var end: Double? = nil
        if f[6].count > 0 {
            switch RFC3339.parse(bytes: f[6]) {
            case .success(let t): end = t
            case .failure(let e): return bad("end: \(e.description)")
            }
            if let end, end < start { return bad("end: before start") }
        }
        guard start >= 0 else { return bad("start: before 1970") }
        let startDate = Date(timeIntervalSince1970: start)
        let host = publicIP.family == .v6 ? "[\(publicIP)]" : publicIP.description
        result.events.append(
            AssignmentEvent(
                format: .cgnCSV, kind: .portBlock, subscriber: subscriber,
                session: "\(host):\(ps)-\(pe)@\(RFC3339.format(startDate))", prefixes: [IPPrefix(host: publicIP)],
                portRange: UInt16(ps)...UInt16(pe), eventTime: startDate, sessionStart: startDate,
                end: end.map { Date(timeIntervalSince1970: $0) }))
    }
}

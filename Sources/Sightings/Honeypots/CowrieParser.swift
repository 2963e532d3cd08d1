import Addressing
import Foundation
import TextScanning

/// Reads Cowrie's JSON log (`cowrie.json`): one sighting per session.
///
/// Only `cowrie.session.connect` events make sightings, from their `src_ip`, `src_port`,
/// `timestamp` and `session` members. Every other event (logins, commands, downloads, client
/// versions…) is checked to be a JSON object with an `eventid` and counted as ignored; its
/// members are stepped over and never decoded, so passwords, user names, typed commands, URLs
/// and payload hashes never become a value. A second connect of a session already seen in
/// the file is ignored too.
///
/// The family is nil: a honeypot contact names no malware family, and a guess (from the
/// commands typed) would mean reading the content. The evidence is `file:line#session`.
struct CowrieParser: LineRecordParser {
    let feedName = "cowrie"
    let file: String
    private var sessions: Set<String> = []

    init(file: String) { self.file = file }

    mutating func line(_ b: Bytes, number: Int, into out: inout SightingOutput) {
        out.summary.recordsSeen += 1
        var eventid: JSONValue?
        var srcIP: JSONValue?
        var srcPort: JSONValue?
        var timestamp: JSONValue?
        var session: JSONValue?
        let ok = JSONScanner.members(b) { key, value in
            switch key.count {
            case 7 where key.equals("eventid"): eventid = value
            case 6 where key.equals("src_ip"): srcIP = value
            case 8 where key.equals("src_port"): srcPort = value
            case 9 where key.equals("timestamp"): timestamp = value
            case 7 where key.equals("session"): session = value
            default: break
            }
        }
        guard ok else {
            out.reject(line: number, "not a JSON object")
            return
        }
        guard let eventid, eventid.kind == .string else {
            out.reject(line: number, "eventid: missing or not a string")
            return
        }
        guard b.sub(eventid.range).equals("cowrie.session.connect") else {
            out.summary.ignored += 1
            return
        }
        guard let session, session.kind == .string, let id = JSONScanner.string(b, session), Self.isSessionID(id) else {
            out.reject(line: number, "session: missing or not a session id")
            return
        }
        guard let srcIP, srcIP.kind == .string, !srcIP.escaped else {
            out.reject(line: number, "src_ip: missing or not a string")
            return
        }
        guard let address = ByteParse.ip(b.sub(srcIP.range)) else {
            out.reject(line: number, "src_ip: not an IP address")
            return
        }
        var port: UInt16?
        if let srcPort {
            guard srcPort.kind == .number || srcPort.kind == .string, let p = ByteParse.port(b.sub(srcPort.range)) else {
                out.reject(line: number, "src_port: not a port number")
                return
            }
            port = p
        }
        guard let timestamp, timestamp.kind == .string else {
            out.reject(line: number, "timestamp: missing or not a string")
            return
        }
        let time: Double
        switch TimeText.iso(b.sub(timestamp.range), zoneless: .refuse, strict: false) {
        case .success(let t): time = t
        case .failure(let e):
            out.reject(line: number, "timestamp: " + e.reason(expected: "ISO 8601 with Z"))
            return
        }
        guard sessions.insert(id).inserted else {
            out.summary.ignored += 1
            return
        }
        out.add(
            Sighting(
                source: address, sourcePort: port, time: Date(timeIntervalSince1970: time), kind: .honeypotContact,
                family: nil, feed: feedName, evidence: "\(file):\(number)#\(id)"))
    }

    /// Cowrie session ids are short hex strings; anything else is not kept.
    static func isSessionID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { ASCII.hex($0) != nil || $0 == ASCII.minus }
    }
}

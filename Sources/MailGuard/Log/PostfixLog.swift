public import Addressing
public import Foundation
public import TextScanning

/// A SASL failure seen in a Postfix log: the client address and the time, and nothing else.
///
/// Since Postfix 3.7.8/3.8.3 the line ends in `, sasl_username=<tried name>`; the tried name is
/// not a measure 2 (`smtp-brute-force`) item, so it is skipped, never kept.
public struct AuthFailure: Sendable, Hashable {
    public var sourceIP: IPAddress
    public var time: Date

    public init(sourceIP: IPAddress, time: Date) {
        self.sourceIP = sourceIP
        self.time = time
    }

    /// The data item each stored property is (`smtp-brute-force`, class `mail-auth-events`).
    public static let dataItems: [String: String] = ["sourceIP": "source-ip", "time": "timestamp"]
}

/// One queued mail's SMTP AUTH facts: source IP, arrival time, envelope sender and AUTH ID, the
/// four items of measure 1 (`smtp-credential-abuse`) and nothing else.
public struct AuthenticatedSubmission: Sendable, Hashable {
    public var sourceIP: IPAddress
    public var time: Date
    /// The envelope sender; nil for the null sender `<>`.
    public var sender: String?
    public var authID: String

    public init(sourceIP: IPAddress, time: Date, sender: String?, authID: String) {
        self.sourceIP = sourceIP
        self.time = time
        self.sender = sender
        self.authID = authID
    }

    /// The data item each stored property is (`smtp-credential-abuse`, class `mail-auth-events`).
    public static let dataItems: [String: String] = [
        "sourceIP": "source-ip", "time": "timestamp", "sender": "mail-address", "authID": "smtp-auth-id",
    ]
}

/// What one Postfix log line says, as far as the guard may read it.
public enum PostfixLogEvent: Sendable, Hashable {
    /// `smtpd`: `QID: client=name[ip], sasl_method=M, sasl_username=ID` (a message being received
    /// from an authenticated client). The queue id only joins this line to ``queued``.
    case authenticated(queueID: String, sourceIP: IPAddress, authID: String, time: Date)
    /// `qmgr`: `QID: from=<sender>, size=…, nrcpt=… (queue active)`.
    case queued(queueID: String, sender: String?, time: Date)
    /// `smtpd`: `warning: name[ip]: SASL M authentication failed: …`, other than a lost
    /// connection to the authentication server or an invalid mechanism.
    case authFailure(AuthFailure)
    /// A Postfix line of no interest to the guard (the time is still read, for counters).
    case other(time: Date)
    /// A line from another program.
    case notPostfix(time: Date)
}

/// Postfix's log lines, in syslog or `maillog_file` form, with RFC 3339 or year-less times.
///
/// The line is read as bytes, in one pass, allocating only for what an event keeps (a queue id,
/// an AUTH ID, a sender).
public struct PostfixLogParser: Sendable {
    public var time: SyslogTime

    public init(time: SyslogTime) { self.time = time }

    /// Reads one line (without its newline). Throws only when the line has no time at its
    /// start (the error names file and line, never the content).
    public func parse(_ line: Substring, file: String = "-", lineNumber: Int = 0) throws(MailGuardError) -> PostfixLogEvent {
        let event: PostfixLogEvent?
        if let parsed = line.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) {
            event = parsed
        } else {
            var copy = String(line)
            event = copy.withUTF8 { parse(bytes: $0) }
        }
        guard let event else { throw .malformedLogLine(file: file, line: lineNumber, reason: "no RFC 3339 or syslog time at the start") }
        return event
    }

    /// Reads one line's bytes (without its newline); nil when the line has no time at its start.
    public func parse(bytes line: Bytes) -> PostfixLogEvent? {
        guard let (date, afterTime) = time.parse(bytes: line) else { return nil }
        // Host, then the tag `name/…/daemon[pid]:`. A line without a host (Dovecot's own log) has
        // its tag first; a Postfix tag always holds a `/`.
        var hostStart = afterTime
        while hostStart < line.count, line[hostStart] == ASCII.space { hostStart += 1 }
        guard let hostEnd = line.index(of: ASCII.space, from: hostStart) else { return .notPostfix(time: date) }
        let tagStart = hostEnd + 1
        guard let tagEnd = line.index(of: ASCII.space, from: tagStart), tagEnd > tagStart, line[tagEnd - 1] == ASCII.colon else {
            return .notPostfix(time: date)
        }
        var slash = tagEnd - 2
        while slash >= tagStart, line[slash] != ASCII.slash { slash -= 1 }
        guard slash >= tagStart else { return .notPostfix(time: date) }
        let daemonWithPID = line.sub((slash + 1)..<(tagEnd - 1))
        let daemon = daemonWithPID.index(of: 0x5B).map { daemonWithPID.sub(0..<$0) } ?? daemonWithPID
        let message = line.from(tagEnd + 1)
        if daemon.equals("smtpd") {
            if message.hasPrefix("warning: ") {
                return Self.failure(message.from(9), date) ?? .other(time: date)
            }
            return Self.authenticated(message, date) ?? .other(time: date)
        }
        if daemon.equals("qmgr") {
            return Self.queued(message, date) ?? .other(time: date)
        }
        return .other(time: date)
    }

    /// `name[ip]` or `name[ip]:port` at the start of `text`: the address and the offset after it.
    static func client(_ text: Bytes) -> (IPAddress, Int)? {
        guard let open = text.index(of: 0x5B), let close = text.index(of: 0x5D, from: open + 1) else { return nil }
        guard let address = IPAddress(ascii: text.sub((open + 1)..<close)) else { return nil }
        var rest = close + 1
        if rest < text.count, text[rest] == ASCII.colon {
            var digit = rest + 1
            while digit < text.count, ASCII.isDigit(text[digit]) { digit += 1 }
            if digit > rest + 1, digit < text.count, text[digit] == ASCII.colon { rest = digit }
        }
        return (address, rest)
    }

    /// The offset of the first `needle` in `text` at or after `start`.
    static func find(_ needle: StaticString, in text: Bytes, from start: Int = 0) -> Int? {
        let n = needle.utf8CodeUnitCount
        let first = needle.utf8Start[0]
        var i = start
        while i + n <= text.count, let at = text.index(of: first, from: i), at + n <= text.count {
            if text.from(at).hasPrefix(needle) { return at }
            i = at + 1
        }
        return nil
    }

    static func failure(_ text: Bytes, _ date: Date) -> PostfixLogEvent? {
        guard let (address, restStart) = client(text) else { return nil }
        let rest = text.from(restStart)
        guard rest.hasPrefix(": SASL "), let space = rest.index(of: ASCII.space, from: 7) else { return nil }
        let tail = rest.from(space + 1)
        guard tail.hasPrefix("authentication failed:") else { return nil }
        var reasonStart = 22
        while reasonStart < tail.count, tail[reasonStart] == ASCII.space { reasonStart += 1 }
        let reason = tail.from(reasonStart)
        if reason.hasPrefix("Connection lost to authentication server") || reason.hasPrefix("Invalid authentication mechanism") { return nil }
        return .authFailure(AuthFailure(sourceIP: address, time: date))
    }

    /// A queue id (letters and digits: short hex ids and long base-52 ids) and the offset of
    /// what follows its colon and spaces.
    static func queueID(_ message: Bytes) -> (Bytes, Int)? {
        guard let colon = message.index(of: ASCII.colon), colon > 0, colon <= 32 else { return nil }
        for i in 0..<colon {
            let c = message[i]
            guard ASCII.isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) else { return nil }
        }
        var rest = colon + 1
        while rest < message.count, message[rest] == ASCII.space { rest += 1 }
        return (message.sub(0..<colon), rest)
    }

    static func authenticated(_ message: Bytes, _ date: Date) -> PostfixLogEvent? {
        guard let (id, restStart) = queueID(message) else { return nil }
        let rest = message.from(restStart)
        guard rest.hasPrefix("client=") else { return nil }
        let clientText = rest.from(7)
        guard let (address, afterClient) = client(clientText), let at = find(", sasl_username=", in: clientText, from: afterClient) else {
            return nil
        }
        let loginStart = at + 16
        let loginEnd = find(", ", in: clientText, from: loginStart) ?? clientText.count
        guard loginEnd > loginStart else { return nil }
        return .authenticated(queueID: id.string, sourceIP: address, authID: clientText.sub(loginStart..<loginEnd).string, time: date)
    }

    static func queued(_ message: Bytes, _ date: Date) -> PostfixLogEvent? {
        guard let (id, restStart) = queueID(message) else { return nil }
        let rest = message.from(restStart)
        guard rest.hasPrefix("from=<") else { return nil }
        guard let close = find(">, ", in: rest, from: 6) ?? rest.index(of: 0x3E, from: 6) else { return nil }
        let sender = rest.sub(6..<close)
        return .queued(queueID: id.string, sender: sender.isEmpty ? nil : sender.string, time: date)
    }
}

/// Joins `client=…, sasl_username=…` with `qmgr … from=` on the queue id, into
/// ``AuthenticatedSubmission``s. Bounded: at most ``capacity`` messages waiting for their
/// `from=` line; the oldest are dropped first, and so are those waiting over ``maximumWait``.
public struct SubmissionJoiner: Sendable {
    public let capacity: Int
    public let maximumWait: TimeInterval
    private var pending: [String: (IPAddress, String, Date)] = [:]
    private var order: [String] = []

    public init(capacity: Int = 65_536, maximumWait: TimeInterval = 3_600) {
        self.capacity = capacity
        self.maximumWait = maximumWait
    }

    /// The number of messages waiting for their `from=` line.
    public var waiting: Int { pending.count }

    /// Takes one event; returns the joined submission when `event` completes one.
    public mutating func take(_ event: PostfixLogEvent) -> AuthenticatedSubmission? {
        switch event {
        case .authenticated(let id, let address, let login, let time):
            if pending[id] == nil { order.append(id) }
            pending[id] = (address, login, time)
            trim(now: time)
            return nil
        case .queued(let id, let sender, _):
            guard let (address, login, time) = pending.removeValue(forKey: id) else { return nil }
            return AuthenticatedSubmission(sourceIP: address, time: time, sender: sender, authID: login)
        default:
            return nil
        }
    }

    /// Forgets everything (at the end of the load alert).
    public mutating func reset() {
        pending.removeAll()
        order.removeAll()
    }

    private mutating func trim(now: Date) {
        var drop = 0
        while drop < order.count {
            let id = order[drop]
            guard let entry = pending[id] else {
                drop += 1
                continue
            }
            if pending.count > capacity || now.timeIntervalSince(entry.2) > maximumWait {
                pending.removeValue(forKey: id)
                drop += 1
            } else {
                break
            }
        }
        if drop > 0 { order.removeFirst(drop) }
        if order.count > 2 * capacity { order = order.filter { pending[$0] != nil } }
    }
}

/// `postcat -e` output (envelope records only): the four measure 1 items of one queued message.
public enum PostcatEnvelope {
    /// Reads one message's envelope; nil when it has no `sasl_username` (not authenticated) or
    /// lacks the client address or arrival time. Every other record is skipped unread.
    public static func parse(_ text: String) -> AuthenticatedSubmission? {
        var address: IPAddress?
        var login: String?
        var sender: String?
        var arrival: Date?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("*** MESSAGE CONTENTS") { break }
            if line.hasPrefix("named_attribute: sasl_username=") {
                let value = line.dropFirst(31)
                login = value.isEmpty ? nil : String(value)
            } else if line.hasPrefix("named_attribute: client_address=") {
                address = IPAddress(line.dropFirst(32))
            } else if line.hasPrefix("sender: ") {
                let value = line.dropFirst(8)
                sender = value.isEmpty ? nil : String(value)
            } else if line.hasPrefix("sender:") {
                sender = nil
            } else if line.hasPrefix("message_arrival_time: ") {
                arrival = ctime(line.dropFirst(22))
            }
        }
        guard let address, let login, let arrival else { return nil }
        return AuthenticatedSubmission(sourceIP: address, time: arrival, sender: sender, authID: login)
    }

    /// `Tue Nov 24 03:20:24 2026` (ctime, UTC as postcat prints it with TZ unset).
    static func ctime(_ text: Substring) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 5, let year = Int(parts[4]), let day = Int(parts[2]) else { return nil }
        let clock = Array(parts[3].utf8)
        let monthBytes = Array(parts[1].utf8)
        guard let month = monthBytes.withUnsafeBufferPointer({ CivilTime.month($0) }),
            let (hour, minute, second) = clock.withUnsafeBufferPointer({ CivilTime.clock($0) }),
            let seconds = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return Date(timeIntervalSince1970: Double(seconds))
    }
}

public import Addressing
public import Foundation
import TextScanning

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
public struct PostfixLogParser: Sendable {
    public var time: SyslogTime

    public init(time: SyslogTime) { self.time = time }

    /// Reads one line (without its newline). Throws only when the line has no time at its
    /// start (the error names file and line, never the content).
    public func parse(_ line: Substring, file: String = "-", lineNumber: Int = 0) throws(MailGuardError) -> PostfixLogEvent {
        let bytes = line.utf8
        guard let (date, afterTime) = time.parse(bytes) else {
            throw .malformedLogLine(file: file, line: lineNumber, reason: "no RFC 3339 or syslog time at the start")
        }
        // Host, then the tag `name/…/daemon[pid]:`. A line without a host (Dovecot's own log) has
        // its tag first; a Postfix tag always holds a `/`.
        let rest = line[afterTime...].drop(while: { $0 == " " })
        guard let firstSpace = rest.firstIndex(of: " ") else { return .notPostfix(time: date) }
        let afterHost = rest[rest.index(after: firstSpace)...]
        guard let tagEnd = afterHost.firstIndex(of: " ") else { return .notPostfix(time: date) }
        let tag = afterHost[..<tagEnd]
        guard tag.last == ":", let slash = tag.lastIndex(of: "/") else { return .notPostfix(time: date) }
        let daemonWithPID = tag[tag.index(after: slash)..<tag.index(before: tag.endIndex)]
        let daemon = daemonWithPID.firstIndex(of: "[").map { daemonWithPID[..<$0] } ?? daemonWithPID
        let message = afterHost[afterHost.index(after: tagEnd)...]
        switch daemon {
        case "smtpd":
            if message.hasPrefix("warning: ") {
                return Self.failure(message.dropFirst(9), date) ?? .other(time: date)
            }
            return Self.authenticated(message, date) ?? .other(time: date)
        case "qmgr":
            return Self.queued(message, date) ?? .other(time: date)
        default:
            return .other(time: date)
        }
    }

    /// `name[ip]` or `name[ip]:port` at the start of `text`: the address and the rest after it.
    static func client(_ text: Substring) -> (IPAddress, Substring)? {
        guard let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") else { return nil }
        guard let address = IPAddress(text[text.index(after: open)..<close]) else { return nil }
        var rest = text[text.index(after: close)...]
        if rest.first == ":" {
            let afterColon = rest.dropFirst()
            let digits = afterColon.prefix(while: { $0.isASCII && $0.isNumber })
            if !digits.isEmpty, afterColon.dropFirst(digits.count).first == ":" { rest = afterColon.dropFirst(digits.count) }
        }
        return (address, rest)
    }

    static let ignoredFailures: [Substring] = ["Connection lost to authentication server", "Invalid authentication mechanism"]

    static func failure(_ text: Substring, _ date: Date) -> PostfixLogEvent? {
        guard let (address, rest) = client(text), rest.hasPrefix(": SASL ") else { return nil }
        let afterSASL = rest.dropFirst(7)
        guard let space = afterSASL.firstIndex(of: " ") else { return nil }
        let tail = afterSASL[afterSASL.index(after: space)...]
        guard tail.hasPrefix("authentication failed:") else { return nil }
        let reason = tail.dropFirst(22).drop(while: { $0 == " " })
        for ignored in ignoredFailures where reason.hasPrefix(ignored) { return nil }
        return .authFailure(AuthFailure(sourceIP: address, time: date))
    }

    /// A queue id: letters and digits (short hex ids and long base-52 ids).
    static func queueID(_ message: Substring) -> (String, Substring)? {
        guard let colon = message.firstIndex(of: ":") else { return nil }
        let id = message[..<colon]
        guard !id.isEmpty, id.count <= 32, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return (String(id), message[message.index(after: colon)...].drop(while: { $0 == " " }))
    }

    static func authenticated(_ message: Substring, _ date: Date) -> PostfixLogEvent? {
        guard let (id, rest) = queueID(message), rest.hasPrefix("client=") else { return nil }
        guard let (address, afterClient) = client(rest.dropFirst(7)) else { return nil }
        guard let range = afterClient.range(of: ", sasl_username=") else { return nil }
        var login = afterClient[range.upperBound...]
        if let comma = login.range(of: ", ") { login = login[..<comma.lowerBound] }
        guard !login.isEmpty else { return nil }
        return .authenticated(queueID: id, sourceIP: address, authID: String(login), time: date)
    }

    static func queued(_ message: Substring, _ date: Date) -> PostfixLogEvent? {
        guard let (id, rest) = queueID(message), rest.hasPrefix("from=<") else { return nil }
        let afterOpen = rest.dropFirst(6)
        guard let close = afterOpen.range(of: ">, ") ?? afterOpen.range(of: ">") else { return nil }
        let sender = afterOpen[..<close.lowerBound]
        return .queued(queueID: id, sender: sender.isEmpty ? nil : String(sender), time: date)
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

import Addressing
import Foundation
import TextScanning

/// The RADIUS accounting attributes attribution keeps, and how they become an ``AssignmentEvent``:
/// one mapping shared by the detail-file parser (``RadiusDetailParser``, text values) and the
/// RFC 2866 codec (``RadiusAccountingRecord``, binary values), so that one record gives the same
/// event whichever way it arrives.
struct RadiusAccountingFields {
    /// `Acct-Status-Type`, as far as attribution cares.
    enum Status: Equatable {
        case missing, start, interim, stop
        /// Accounting-On/-Off, the tunnel types, Failed: no event.
        case other
    }

    var userName: String?
    var sessionID: String?
    var uniqueSessionID: String?
    var status = Status.missing
    var sessionTime: Int64?
    var delay: Int64?
    var eventTimestamp: Int64?
    /// The RADIUS server's arrival time (a detail file's `Timestamp`; the listener's clock).
    var timestamp: Int64?
    var interimInterval: Int64?
    var prefixes: [IPPrefix] = []

    /// What a record becomes.
    enum Outcome {
        case event(AssignmentEvent)
        /// Not a session event (Accounting-On/-Off, tunnel, Failed): counted, not reported.
        case skipped
        /// Unusable: the reason names the field (never its value).
        case problem(String)
    }

    /// The numeric `Acct-Status-Type` values (RFC 2866 §5.1, RFC 2867): 1 Start, 2 Stop,
    /// 3 Interim-Update, 7…15 Accounting-On/-Off, tunnel, Failed; nil for anything else.
    static func status(number: UInt64) -> Status? {
        switch number {
        case 1: .start
        case 2: .stop
        case 3: .interim
        case 7...15: .other
        default: nil
        }
    }

    /// Adds a `Framed-IP-Address` (/32), unless it is one of RFC 2865 §5.8's special values
    /// (0.0.0.0, 255.255.255.254, 255.255.255.255), which are not addresses.
    @inline(__always) mutating func addFramedIPv4(_ a: UInt32) {
        if a == 0 || a >= 0xFFFF_FFFE { return }
        addPrefix(IPPrefix(host: IPAddress(v4: a)))
    }

    @inline(__always) mutating func addPrefix(_ p: IPPrefix) {
        if prefixes.capacity == 0 { prefixes.reserveCapacity(4) }
        prefixes.append(p)
    }

    mutating func reset() {
        userName = nil
        sessionID = nil
        uniqueSessionID = nil
        status = .missing
        sessionTime = nil
        delay = nil
        eventTimestamp = nil
        timestamp = nil
        interimInterval = nil
        if !prefixes.isEmpty { prefixes = [] }
    }

    /// The event of the record. The time: `Event-Timestamp`; else `Timestamp` − `Acct-Delay-Time`;
    /// else `headerLocal` (local seconds read in `headerTimeZone`) − `Acct-Delay-Time`.
    func outcome(headerLocal: Int64? = nil, headerTimeZone: TimeZone = .gmt) -> Outcome {
        let kind: AssignmentEvent.Kind
        switch status {
        case .missing: return .problem("Acct-Status-Type: missing")
        case .other: return .skipped
        case .start: kind = .start
        case .interim: kind = .interim
        case .stop: kind = .stop
        }
        guard let user = userName else { return .problem("User-Name: missing") }
        guard let session = uniqueSessionID ?? sessionID else { return .problem("Acct-Session-Id: missing") }
        let time: Int64
        if let e = eventTimestamp {
            time = e
        } else if let t = timestamp {
            time = t - (delay ?? 0)
        } else if let h = headerLocal {
            time = CivilTime.utcSeconds(local: h, zone: headerTimeZone) - (delay ?? 0)
        } else {
            return .problem("time: no Event-Timestamp or Timestamp and the header line is unreadable")
        }
        let start: Int64? = kind == .start ? time : sessionTime.map { time - $0 }
        guard time >= 0, (start ?? 0) >= 0 else {
            return .problem("time: before 1970 (check Acct-Delay-Time/Acct-Session-Time)")
        }
        return .event(
            AssignmentEvent(
                format: .radiusDetail, kind: kind, subscriber: user, session: session, prefixes: prefixes,
                eventTime: Date(timeIntervalSince1970: TimeInterval(time)),
                sessionStart: start.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                end: kind == .stop ? Date(timeIntervalSince1970: TimeInterval(time)) : nil,
                interimInterval: interimInterval.map { TimeInterval($0) }))
    }
}

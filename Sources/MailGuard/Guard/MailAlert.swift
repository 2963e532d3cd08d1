public import Foundation

/// The two alerts that open the measures' windows.
public enum MailAlert: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// Submission load (queue size or submission rate): opens measure 1 (`smtp-credential-abuse`).
    case load
    /// AUTH-failure rate: opens measure 2 (`smtp-brute-force`).
    case authFailure = "auth-failure"

    public var description: String { rawValue }

    /// The declared countermeasure whose window this alert opens.
    public var countermeasure: String {
        switch self {
        case .load: "smtp-credential-abuse"
        case .authFailure: "smtp-brute-force"
        }
    }
}

/// Who raised or cleared an alert.
public enum AlertSource: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Mamori's own thresholds on the aggregate counters.
    case threshold
    /// The operator, with `mamori mail alert`.
    case cli
    /// A Prometheus Alertmanager webhook.
    case webhook

    public var description: String { rawValue }
}

/// A raised alert.
public struct RaisedAlert: Sendable, Hashable, Codable {
    public var alert: MailAlert
    public var since: Date
    public var source: AlertSource

    public init(alert: MailAlert, since: Date, source: AlertSource) {
        self.alert = alert
        self.since = since
        self.source = source
    }
}

/// An SMTP AUTH ID whose AUTH is suspended (measure 1).
public struct Suspension: Sendable, Hashable, Codable {
    public var authID: String
    public var since: Date
    /// When it ends by itself.
    public var until: Date
    /// Which rule found it (`distinct-ips`, `distinct-prefixes`, `volume`, `senders`, `operator`).
    public var reason: String

    public init(authID: String, since: Date, until: Date, reason: String) {
        self.authID = authID
        self.since = since
        self.until = until
        self.reason = reason
    }
}

/// An address no longer offered AUTH (measure 2).
public struct Block: Sendable, Hashable, Codable {
    public var address: String
    public var since: Date
    /// The last failure seen from it: the block lifts a quiet period after this.
    public var lastFailure: Date
    /// Failures seen in the window when it was blocked, and since.
    public var attempts: Int

    public init(address: String, since: Date, lastFailure: Date, attempts: Int) {
        self.address = address
        self.since = since
        self.lastFailure = lastFailure
        self.attempts = attempts
    }
}

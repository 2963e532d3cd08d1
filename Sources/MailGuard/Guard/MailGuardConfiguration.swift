public import Foundation

/// The guard's settings: detectors, enforcement texts, alert thresholds. Loaded once.
public struct MailGuardConfiguration: Sendable, Hashable {
    // Measure 1 (load alert): an ID very likely used by someone else.
    /// The window measure 1 looks at per ID.
    public var abuseWindow: TimeInterval = 600
    /// Suspend an ID seen from at least this many distinct addresses in the window.
    public var distinctAddresses = 5
    /// …or from at least this many distinct prefixes (/24 for IPv4, /48 for IPv6).
    public var distinctPrefixes = 4
    /// …or sending at least this many mails in the window (sudden volume).
    public var volume = 200
    /// …or using at least this many distinct envelope senders other than the ID itself.
    public var unusualSenders = 5
    /// How long a suspension lasts unless lifted earlier (operator, password change).
    public var suspensionDuration: TimeInterval = 7 * 86_400
    /// The policy server's answer for a suspended ID.
    public var suspendedReply: SuspendedReply = .reject
    /// The text of that answer (and of the `sasl_access` socketmap entry).
    public var suspendedText = "5.7.1 SMTP AUTH suspended for this ID: change your password"

    // Measure 2 (auth-failure alert): an address very likely brute-forcing.
    /// The window failures per address are counted in.
    public var failureWindow: TimeInterval = 300
    /// Block an address with at least this many failures in the window.
    public var failuresToBlock = 10
    /// The block lifts this long after the address's last failure.
    public var quietPeriod: TimeInterval = 600
    /// The auth-policy refusal text (Postfix logs it).
    public var blockedMessage = "blocked: brute force source"

    // Alert thresholds on the aggregate counters (nil: that alert is never raised by threshold).
    /// Raise the load alert at this many authenticated submissions per minute.
    public var loadRaisePerMinute: Int? = nil
    /// Raise the auth-failure alert at this many AUTH failures per minute.
    public var authFailureRaisePerMinute: Int? = nil
    /// A threshold-raised alert clears after the rate stayed under half its threshold this long.
    public var thresholdClearAfter: TimeInterval = 900

    // Bounds on the state kept during an alert.
    /// At most this many IDs (measure 1) or addresses (measure 2) tracked; the rest are counted only.
    public var maximumTracked = 100_000

    public init() {}
}

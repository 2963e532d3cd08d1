public import Foundation
import TextScanning

/// Tunables for parsing and attribution.
///
/// All of them widen or narrow how long a holding is believed to last; none of them can
/// turn two subscribers into one: a wider holding can only add ambiguity, never hide it.
public struct AttributionConfig: Sendable, Hashable {
    /// A RADIUS session with no Stop is held until its last Start/Interim-Update plus
    /// `graceMultiplier` × its interim interval (the largest `Acct-Interim-Interval` seen in
    /// the session, else the largest observed gap between its Start/Interim records).
    public var graceMultiplier: Double
    /// The grace when no interval is known (a Start alone, or a single Interim-Update), seconds.
    public var defaultGrace: TimeInterval
    /// Clock-skew tolerance, seconds: every holding is widened by this much on both sides at
    /// query time. Near a handover (A until 10:00, B from 10:00) a query within `skew` of the
    /// boundary therefore matches both and is answered `.ambiguous(…, .handoverWithinSkew)`:
    /// that is intended, the report's clock cannot be trusted closer than this.
    public var skew: TimeInterval
    /// The zone of RADIUS detail header lines (ctime in the RADIUS server's local time). Used
    /// only when a record has neither `Event-Timestamp` nor `Timestamp`. Default UTC.
    public var headerTimeZone: TimeZone

    /// Defaults: grace 2 × interval, 900 s when unknown, 60 s skew, header zone UTC.
    public init(
        graceMultiplier: Double = 2, defaultGrace: TimeInterval = 900, skew: TimeInterval = 60,
        headerTimeZone: TimeZone = .gmt
    ) {
        self.graceMultiplier = graceMultiplier
        self.defaultGrace = defaultGrace
        self.skew = skew
        self.headerTimeZone = headerTimeZone
    }
}

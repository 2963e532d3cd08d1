public import Foundation
public import Secrecy

/// The time span a report counts acts in: `from` inclusive, `to` exclusive; `nil` is open.
///
/// ```swift
/// let november = ReportPeriod(from: start, to: end)
/// november.contains(record.entry.time)
/// ```
public struct ReportPeriod: Sendable, Hashable {
    /// The first instant counted, or `nil` for the beginning of the log.
    public var from: Date?
    /// The first instant no longer counted, or `nil` for no end.
    public var to: Date?

    /// A period; both ends open by default (all time).
    public init(from: Date? = nil, to: Date? = nil) {
        self.from = from
        self.to = to
    }

    /// Whether `time` is in the period.
    public func contains(_ time: Date) -> Bool {
        if let from, time < from { return false }
        if let to, time >= to { return false }
        return true
    }
}

/// What the store holds of one data class: a row count and the oldest row's relevant time.
public struct HeldData: Sendable, Hashable {
    /// The data class.
    public var dataClass: DataClass
    /// Rows held.
    public var count: Int
    /// The relevant time of the oldest row (`nil` when none is held).
    public var oldest: Date?

    /// The holding of `dataClass`.
    public init(dataClass: DataClass, count: Int, oldest: Date?) {
        self.dataClass = dataClass
        self.count = count
        self.oldest = oldest
    }
}

/// Everything a compliance report is made from, as values: no store, no I/O.
///
/// The caller reads the store; ``ComplianceReport/init(_:)`` counts. Nothing here holds a raw
/// address, subscriber id or mail address: audit records carry pseudonyms only, and the report
/// keeps counts, never subjects.
public struct ComplianceInput: Sendable {
    /// The declarations in force.
    public var declarations: Declarations
    /// The whole audit log, record 1 first (verification needs all of it; counting uses the period).
    public var records: [AuditRecord]
    /// The checkpoints to verify the log against (the store's table today; a signed file later).
    public var checkpoints: [Checkpoint]
    /// Cases held now, per countermeasure and state (`open`, `notified`, …).
    public var caseCounts: [CountermeasureID: [String: Int]]
    /// What the store holds, per data class it keeps rows of.
    public var held: [HeldData]
    /// The span acts are counted in.
    public var period: ReportPeriod
    /// When the report is made: retention is judged at this instant.
    public var generatedAt: Date
    /// The log checked against the signed checkpoints kept outside the store (truncation,
    /// rollback, fork, bad signature), when the caller has the checkpoints file.
    public var signedCheckpoints: AuditTailVerification?

    /// An input.
    public init(
        declarations: Declarations, records: [AuditRecord], checkpoints: [Checkpoint], caseCounts: [CountermeasureID: [String: Int]],
        held: [HeldData], period: ReportPeriod, generatedAt: Date, signedCheckpoints: AuditTailVerification? = nil
    ) {
        self.signedCheckpoints = signedCheckpoints
        self.declarations = declarations
        self.records = records
        self.checkpoints = checkpoints
        self.caseCounts = caseCounts
        self.held = held
        self.period = period
        self.generatedAt = generatedAt
    }
}

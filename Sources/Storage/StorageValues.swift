public import Foundation
public import Secrecy

/// Whether the store can serve: it answers, and its schema is the one this build migrates to.
public struct StoreReadiness: Sendable, Equatable {
    /// The store answered a read.
    public var answers: Bool
    /// Every migration this build knows is applied (none missing, none unknown).
    public var migrationsCurrent: Bool
    /// Why it is not ready, for the `/readyz` body and the log; nil when ready.
    public var problem: String?

    public var isReady: Bool { answers && migrationsCurrent }

    public init(answers: Bool, migrationsCurrent: Bool, problem: String?) {
        self.answers = answers
        self.migrationsCurrent = migrationsCurrent
        self.problem = problem
    }

    /// Compares the migrations a store has applied with the ones this build knows.
    public static func comparing(applied: Set<String>, known: Set<String>) -> StoreReadiness {
        if applied == known { return StoreReadiness(answers: true, migrationsCurrent: true, problem: nil) }
        let missing = known.subtracting(applied).sorted()
        let unknown = applied.subtracting(known).sorted()
        let problem =
            missing.isEmpty
            ? "the store has migrations this build does not know (\(unknown.joined(separator: ", "))): a newer mamori wrote it"
            : "migrations not applied: \(missing.joined(separator: ", "))"
        return StoreReadiness(answers: true, migrationsCurrent: false, problem: problem)
    }
}

/// Audit records appended in a range of sequence numbers, counted per countermeasure, action
/// and (for identifications) outcome: the aggregates `/metrics` exposes. No subject, actor or
/// detail value other than the outcome is read.
public struct AuditActivity: Sendable, Hashable {
    public var countermeasure: String
    public var action: String
    /// `found`, `not_found` or `ambiguous` for `identification`; empty otherwise.
    public var outcome: String
    public var count: Int

    public init(countermeasure: String, action: String, outcome: String, count: Int) {
        self.countermeasure = countermeasure
        self.action = action
        self.outcome = outcome
        self.count = count
    }
}

/// AAA files ingested after a given file id, summed per format.
public struct AAAIngestTotals: Sendable, Hashable {
    public var format: String
    public var files: Int
    public var records: Int
    public var events: Int
    public var rejected: Int

    public init(format: String, files: Int, records: Int, events: Int, rejected: Int) {
        self.format = format
        self.files = files
        self.records = records
        self.events = events
        self.rejected = rejected
    }
}

/// What one class's purge did.
public struct PurgeResult: Sendable, Hashable {
    public var dataClass: DataClass
    /// Rows deleted, per table.
    public var deleted: [String: Int]
    public var cutoff: Date

    public var total: Int { deleted.values.reduce(0, +) }

    public init(dataClass: DataClass, deleted: [String: Int], cutoff: Date) {
        self.dataClass = dataClass
        self.deleted = deleted
        self.cutoff = cutoff
    }
}

/// The oldest item the store holds of a class, against its declared retention.
public struct RetentionState: Sendable, Hashable {
    public var dataClass: DataClass
    /// Rows held.
    public var count: Int
    /// The relevant time of the oldest row (nil when none is held).
    public var oldest: Date?

    public init(dataClass: DataClass, count: Int, oldest: Date?) {
        self.dataClass = dataClass
        self.count = count
        self.oldest = oldest
    }
}

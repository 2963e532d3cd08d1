public import Foundation
public import Secrecy

/// The compliance report: per countermeasure, its declaration and what was done under it in a
/// period, counted from the audit log; the retention state; the audit log's integrity.
///
/// Built from values only (``ComplianceInput``), rendered by ``ComplianceRenderer`` as JSON,
/// HTML or Markdown. It holds counts, never a subject: no address, subscriber id or mail
/// address can reach any rendering.
///
/// ```swift
/// let report = ComplianceReport(input)
/// let html = ComplianceRenderer(report: report, language: .ja).html()
/// ```
///
/// ## What is counted (audit actions)
///
/// | field | audit records in the period |
/// |---|---|
/// | identifications | `identification`, by `detail["status"]` (`found`, `not_found`, `ambiguous`) |
/// | disclosures | `disclosure` |
/// | notices | `notice-queued`, `notice-sent`, `notice-failed` |
/// | refusals | `purpose-refused` (an identification asked for a purpose whose declaration does not allow it) |
/// | purges | `purge` of a data class the declaration uses (purges run per class, not per countermeasure) |
///
/// Cases are the store's cases *now*, by state, not limited to the period.
public struct ComplianceReport: Sendable, Hashable {
    /// The audit log's state: verified over every record, whatever the period.
    public struct AuditState: Sendable, Hashable {
        /// Whether the chain and every checkpoint verified.
        public var intact: Bool
        /// Records in the log.
        public var records: Int
        /// The last record's hash, hex (the genesis hash when empty); `nil` when broken.
        public var head: String?
        /// Where and why it broke, when it did.
        public var brokenAt: Int64?
        public var reason: String?
        /// Checkpoints checked.
        public var checkpoints: Int
        /// The latest checkpoint (largest size), if any.
        public var lastCheckpoint: Checkpoint?
        /// Signed checkpoints (in the file outside the store) verified.
        public var signedCheckpoints = 0
    }

    /// Identifications by outcome.
    public struct Identifications: Sendable, Hashable {
        public var found = 0
        public var notFound = 0
        public var ambiguous = 0
        public var total: Int { found + notFound + ambiguous }
    }

    /// Notices by outcome.
    public struct Notices: Sendable, Hashable {
        public var queued = 0
        public var sent = 0
        public var failed = 0
    }

    /// Purges of one data class in the period.
    public struct Purges: Sendable, Hashable {
        public var dataClass: DataClass
        /// Purge runs (audit records).
        public var runs: Int
        /// Rows deleted, summed over the runs.
        public var deleted: Int
    }

    /// Cases in one state.
    public struct CaseCount: Sendable, Hashable {
        public var state: String
        public var count: Int
    }

    /// One data class against its retention.
    public struct Retention: Sendable, Hashable {
        public var dataClass: DataClass
        /// The declared lifetime in days: the countermeasure's own (per countermeasure), or the
        /// class's (the longest among the declarations, for the store-wide list); `nil` when no
        /// declaration keeps the class.
        public var days: Int?
        /// The lifetime the store enforces for the whole class (the longest declared).
        public var classDays: Int?
        /// The declarations whose retention sets ``classDays``.
        public var setBy: [CountermeasureID]
        /// Whether this store keeps rows of the class at all (some classes live elsewhere or are
        /// never written).
        public var tracked: Bool
        /// Rows held now (`nil` when not tracked).
        public var count: Int?
        /// The oldest row held.
        public var oldest: Date?
        /// Whether the oldest row is past the class's lifetime (or the class has none and rows exist).
        public var overdue: Bool
    }

    /// One countermeasure: its declaration and what was done under it.
    public struct Countermeasure: Sendable, Hashable, Identifiable {
        public var declaration: Declaration
        public var identifications = Identifications()
        public var disclosures = 0
        public var notices = Notices()
        /// Cases held now, by state, in lifecycle order (`open`, `notified`, `remediated`, `expired`, `reopened`, others).
        public var cases: [CaseCount] = []
        public var refusals = 0
        /// Purge runs of the classes the declaration uses.
        public var purges = 0
        public var purgesByClass: [Purges] = []
        /// Every audited action in the period, with its count.
        public var actions: [String: Int] = [:]
        public var retention: [Retention] = []

        public var id: CountermeasureID { declaration.id }

        /// Cases held now in `state`.
        public func cases(_ state: String) -> Int { cases.first { $0.state == state }?.count ?? 0 }

        /// Whether any class the declaration keeps is overdue.
        public var overdue: Bool { retention.contains(where: \.overdue) }
    }

    /// The case states in lifecycle order; other states found in the store follow, sorted.
    public static let caseStates = ["open", "notified", "remediated", "expired", "reopened"]

    /// The counted span.
    public var period: ReportPeriod
    /// When the report was made.
    public var generatedAt: Date
    /// The declarations file's name.
    public var declarationsSource: String
    /// SHA-256 of the declarations file, hex.
    public var declarationsSHA256: String
    /// The audit log's state.
    public var audit: AuditState
    /// Audit records in the period.
    public var recordsInPeriod: Int
    /// Every declared countermeasure, in the declarations' order.
    public var countermeasures: [Countermeasure]
    /// Every data class the store keeps or a declaration names, against its retention.
    public var retention: [Retention]
    /// Purges in the period, per class.
    public var purges: [Purges]
    /// Audited acts in the period that name no countermeasure (purges, ingests, refused
    /// personal links), by action.
    public var unattributed: [String: Int]
    /// Audited acts in the period naming a countermeasure that is not declared now, by id.
    public var undeclared: [CountermeasureID: Int]

    /// Counts `input`.
    public init(_ input: ComplianceInput) {
        period = input.period
        generatedAt = input.generatedAt
        declarationsSource = input.declarations.source
        declarationsSHA256 = input.declarations.sha256

        // The audit state covers the whole log.
        let verification = AuditChain.verify(input.records, checkpoints: input.checkpoints)
        let last = input.checkpoints.max { $0.size < $1.size }
        switch verification {
        case .intact(let count, let head):
            audit = AuditState(
                intact: true, records: count, head: Hex.encode(head), brokenAt: nil, reason: nil, checkpoints: input.checkpoints.count,
                lastCheckpoint: last)
        case .broken(let sequence, let reason):
            audit = AuditState(
                intact: false, records: input.records.count, head: nil, brokenAt: sequence, reason: reason,
                checkpoints: input.checkpoints.count, lastCheckpoint: last)
        }

        // Against the signed checkpoints outside the store: what the chain alone cannot see.
        if let tail = input.signedCheckpoints {
            audit.signedCheckpoints = tail.checkpointsChecked
            if let signed = tail.checkpoint?.checkpoint, signed.size >= (audit.lastCheckpoint?.size ?? 0) {
                audit.lastCheckpoint = signed
            }
            if audit.intact, tail.status != .intact {
                audit.intact = false
                audit.head = nil
                audit.brokenAt = tail.sequence ?? Int64(tail.records)
                audit.reason = "\(tail.status.rawValue): \(tail.reason ?? "")"
            }
        }

        // Retention, class by class.
        let policy = RetentionPolicy(declarations: input.declarations)
        let held = Dictionary(input.held.map { ($0.dataClass, $0) }, uniquingKeysWith: { first, _ in first })
        let now = input.generatedAt
        func state(_ dataClass: DataClass, days: Int?) -> Retention {
            let lifetime = policy.lifetime(for: dataClass)
            let holding = held[dataClass]
            var overdue = false
            if let holding, holding.count > 0 {
                if let lifetime, let oldest = holding.oldest {
                    overdue = oldest < now.addingTimeInterval(-Double(lifetime.days) * 86_400)
                } else if lifetime == nil {
                    overdue = true  // no declared purpose keeps it: none of it may stay
                }
            }
            return Retention(
                dataClass: dataClass, days: days, classDays: lifetime?.days, setBy: lifetime?.setBy ?? [], tracked: holding != nil,
                count: holding?.count, oldest: holding?.oldest, overdue: overdue)
        }
        retention = DataClass.allCases.filter { held[$0] != nil || policy.lifetime(for: $0) != nil }.map {
            state($0, days: policy.lifetime(for: $0)?.days)
        }

        // Acts in the period.
        var byCountermeasure: [CountermeasureID: [AuditEntry]] = [:]
        var purgeRuns: [DataClass: Purges] = [:]
        var unattributed: [String: Int] = [:]
        var inPeriod = 0
        for record in input.records where input.period.contains(record.entry.time) {
            inPeriod += 1
            let entry = record.entry
            if entry.action == AuditEntry.Action.purge, let dataClass = Self.purgedClass(entry) {
                var purge = purgeRuns[dataClass] ?? Purges(dataClass: dataClass, runs: 0, deleted: 0)
                purge.runs += 1
                purge.deleted += Int(entry.detail["deleted"] ?? "") ?? 0
                purgeRuns[dataClass] = purge
            }
            if let id = entry.countermeasure {
                byCountermeasure[id, default: []].append(entry)
            } else {
                unattributed[entry.action, default: 0] += 1
            }
        }
        recordsInPeriod = inPeriod
        purges = DataClass.allCases.compactMap { purgeRuns[$0] }
        self.unattributed = unattributed
        let declared = Set(input.declarations.ids)
        undeclared = byCountermeasure.filter { !declared.contains($0.key) }.mapValues(\.count)

        countermeasures = input.declarations.all.map { declaration in
            var c = Countermeasure(declaration: declaration)
            for entry in byCountermeasure[declaration.id] ?? [] {
                c.actions[entry.action, default: 0] += 1
                switch entry.action {
                case AuditEntry.Action.identification:
                    switch entry.detail["status"] {
                    case "found": c.identifications.found += 1
                    case "not_found": c.identifications.notFound += 1
                    case "ambiguous": c.identifications.ambiguous += 1
                    default: break
                    }
                case AuditEntry.Action.disclosure: c.disclosures += 1
                case "notice-queued": c.notices.queued += 1
                case AuditEntry.Action.noticeSent: c.notices.sent += 1
                case "notice-failed": c.notices.failed += 1
                case "purpose-refused": c.refusals += 1
                default: break
                }
            }
            let counts = input.caseCounts[declaration.id] ?? [:]
            let extra = counts.keys.filter { !Self.caseStates.contains($0) }.sorted()
            c.cases = (Self.caseStates + extra).map { CaseCount(state: $0, count: counts[$0] ?? 0) }
            c.purgesByClass = declaration.dataClasses.compactMap { purgeRuns[$0] }
            c.purges = c.purgesByClass.reduce(0) { $0 + $1.runs }
            c.retention = declaration.dataClasses.map { state($0, days: declaration.retentionDays(for: $0)) }
            return c
        }
    }

    /// The class a `purge` record is about: `detail["class"]`, else its subject `retention:<class>`.
    static func purgedClass(_ entry: AuditEntry) -> DataClass? {
        if let raw = entry.detail["class"], let dataClass = DataClass(rawValue: raw) { return dataClass }
        if entry.subject.hasPrefix("retention:") { return DataClass(rawValue: String(entry.subject.dropFirst("retention:".count))) }
        return nil
    }

    /// Whether any class is overdue.
    public var anyOverdue: Bool { retention.contains(where: \.overdue) }
}

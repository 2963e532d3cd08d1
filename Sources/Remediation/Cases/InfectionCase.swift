public import Foundation
public import Secrecy

/// A stored infection case, as the store keeps it.
///
/// This is the persistence form and carries the raw subscriber id: only `Store` (plumbing) and
/// this module handle it. What leaves the module for display is ``CaseSummary``, pseudonymised.
public struct CaseRecord: Sendable, Hashable {
    public var id: Int64?
    public var countermeasure: CountermeasureID
    public var kind: NoticeKind
    public var subscriber: String
    /// The malware family, lower-case; empty when unknown.
    public var family: String
    public var firstSeen: Date
    public var lastSeen: Date
    public var sightings: Int
    public var status: CaseStatus
    public var lastNoticeAt: Date?
    public var notices: Int
    public var remediatedAt: Date?
    public var reopenCount: Int
    /// A reference to the latest evidence (`feed` and `file:line` or event id), never content.
    public var evidence: String

    public init(
        id: Int64? = nil, countermeasure: CountermeasureID, kind: NoticeKind, subscriber: String, family: String,
        firstSeen: Date, lastSeen: Date, sightings: Int, status: CaseStatus, lastNoticeAt: Date? = nil, notices: Int = 0,
        remediatedAt: Date? = nil, reopenCount: Int = 0, evidence: String = ""
    ) {
        self.id = id
        self.countermeasure = countermeasure
        self.kind = kind
        self.subscriber = subscriber
        self.family = family
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.sightings = sightings
        self.status = status
        self.lastNoticeAt = lastNoticeAt
        self.notices = notices
        self.remediatedAt = remediatedAt
        self.reopenCount = reopenCount
        self.evidence = evidence
    }
}

/// A case for operators' eyes: the subscriber pseudonymised.
public struct CaseSummary: Sendable, Hashable {
    public var id: Int64
    public var countermeasure: CountermeasureID
    public var subscriberPseudonym: String
    public var family: String
    public var firstSeen: Date
    public var lastSeen: Date
    public var sightings: Int
    public var status: CaseStatus
    public var notices: Int
}

/// Case grouping rules.
public struct CasePolicy: Sendable, Hashable {
    /// Sightings of one subscriber and one family within this many seconds of the case's last
    /// sighting belong to the same case.
    public var window: TimeInterval
    /// A case with no sighting for this long (and not remediated) expires.
    public var expireAfter: TimeInterval

    /// Defaults: a 7-day window, expiry after 30 days without sightings.
    public init(window: TimeInterval = 7 * 86_400, expireAfter: TimeInterval = 30 * 86_400) {
        self.window = window
        self.expireAfter = expireAfter
    }
}

/// The in-memory case book that one ingest batch updates; the store writes its changes in one
/// transaction with the batch's audit records.
struct CaseBook {
    private(set) var cases: [CaseRecord]
    private var latest: [String: Int] = [:]
    private(set) var changed: Set<Int> = []
    private(set) var opened = 0
    private(set) var updated = 0
    let policy: CasePolicy

    init(active: [CaseRecord], policy: CasePolicy) {
        self.cases = active
        self.policy = policy
        for (i, c) in active.enumerated() {
            let key = Self.key(c.countermeasure, c.subscriber, c.family)
            if let j = latest[key], cases[j].lastSeen >= c.lastSeen { continue }
            latest[key] = i
        }
    }

    static func key(_ countermeasure: CountermeasureID, _ subscriber: String, _ family: String) -> String {
        countermeasure.rawValue + "\u{1F}" + family + "\u{1F}" + subscriber
    }

    /// Applies one attributed sighting.
    mutating func apply(
        countermeasure: CountermeasureID, kind: NoticeKind, subscriber: String, family: String, time: Date,
        evidence: @autoclosure () -> String
    ) {
        let key = Self.key(countermeasure, subscriber, family)
        if let i = latest[key] {
            var c = cases[i]
            switch c.status {
            case .remediated:
                if let remediatedAt = c.remediatedAt, time > remediatedAt {
                    c.status = .reopened
                    c.reopenCount += 1
                }
                absorb(&c, time: time, evidence: evidence)
                commit(c, at: i)
                return
            case .open, .notified, .reopened:
                if time >= c.firstSeen.addingTimeInterval(-policy.window) && time <= c.lastSeen.addingTimeInterval(policy.window) {
                    absorb(&c, time: time, evidence: evidence)
                    commit(c, at: i)
                    return
                }
                if time < c.firstSeen {
                    // A late, older sighting outside the window: record it in the case anyway rather than
                    // opening a case in the past.
                    absorb(&c, time: time, evidence: evidence)
                    commit(c, at: i)
                    return
                }
                // A new episode long after the last sighting: the old case expires.
                c.status = .expired
                commit(c, at: i)
            case .expired:
                break
            }
        }
        let new = CaseRecord(
            countermeasure: countermeasure, kind: kind, subscriber: subscriber, family: family, firstSeen: time, lastSeen: time,
            sightings: 1, status: .open, evidence: evidence())
        cases.append(new)
        latest[key] = cases.count - 1
        changed.insert(cases.count - 1)
        opened += 1
    }

    private mutating func absorb(_ c: inout CaseRecord, time: Date, evidence: () -> String) {
        c.sightings += 1
        if time < c.firstSeen { c.firstSeen = time }
        if time >= c.lastSeen {
            c.lastSeen = time
            c.evidence = evidence()
        }
    }

    private mutating func commit(_ c: CaseRecord, at i: Int) {
        cases[i] = c
        if changed.insert(i).inserted && c.id != nil { updated += 1 }
    }

    /// The cases this batch opened or changed.
    var changedCases: [CaseRecord] { changed.sorted().map { cases[$0] } }
}

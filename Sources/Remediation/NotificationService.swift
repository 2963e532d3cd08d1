import Addressing
import Attribution
import Foundation
import Secrecy
import Sightings
import Synchronization

/// Counts of one sightings ingest.
public struct SightingIngestCounts: Sendable, Hashable {
    public var parsed = 0
    public var rejected = 0
    public var notInfected = 0
    public var attributed = 0
    public var notFound = 0
    public var ambiguous = 0
    public var casesOpened = 0
    public var casesUpdated = 0
    public var alreadyIngested = false

    public init() {}
}

/// Counts of one notice planning run.
public struct NoticePlanCounts: Sendable, Hashable {
    public var queued = 0
    public var reminders = 0
    public var skippedNoContact = 0
    public var skippedRateLimit = 0
    public var expired = 0
    /// For dry runs: the notices that would be sent.
    public var previews: [OutgoingNotice] = []
}

/// Counts of one delivery run.
public struct DeliveryCounts: Sendable, Hashable {
    public var sent = 0
    public var retried = 0
    public var failed = 0
}

/// The infected-host / C&C notification flow: sightings → identification → cases → notices →
/// the remediation page.
///
/// Identification happens here, under the purpose of the sighting's countermeasure
/// (``InfectedHostNotification`` for sensors and reports, ``CnCTakedownNotification`` for
/// takedown logs), and only this module can open the result. The subscriber identity is used
/// for one thing: to address that subscriber's notice.
public struct NotificationService: Sendable {
    public let store: any RemediationStore
    public let attributor: Attributor
    public let templates: NoticeTemplates
    public let casePolicy: CasePolicy
    public let noticePolicy: NoticePolicy
    /// The portal's public base URL, e.g. `https://kujo.isp.example` (links are `BASE/r/TOKEN`).
    public let baseURL: String
    /// The domain of Message-IDs and the From address, e.g. `isp.example`.
    public let mailDomain: String
    public let actor: String

    public init(
        store: any RemediationStore, attributor: Attributor, templates: NoticeTemplates, casePolicy: CasePolicy = CasePolicy(),
        noticePolicy: NoticePolicy = NoticePolicy(), baseURL: String, mailDomain: String, actor: String
    ) {
        self.store = store
        self.attributor = attributor
        self.templates = templates
        self.casePolicy = casePolicy
        self.noticePolicy = noticePolicy
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.mailDomain = mailDomain
        self.actor = actor
    }

    var pseudonymizer: Pseudonymizer { attributor.pseudonymizer }

    // MARK: sightings → cases

    /// Attributes each sighting under its countermeasure's purpose and updates cases; writes the
    /// cases, the counts and every identification's audit record in one transaction.
    ///
    /// Sightings attributed not-found or ambiguous count per feed and notify nobody.
    public func ingest(
        sightings: [Sighting], feed: String, parsed: Int, rejected: Int, notInfected: Int, file: (sha256: String, name: String)?,
        now: Date = Date()
    ) throws -> SightingIngestCounts {
        var counts = SightingIngestCounts()
        counts.parsed = parsed
        counts.rejected = rejected
        counts.notInfected = notInfected
        let collector = AuditCollector()
        let identify = attributor.auditing(to: collector, actor: actor)
        var book = CaseBook(active: try store.activeCases(), policy: casePolicy)
        for sighting in sightings {
            let subscriber: String?
            let countermeasure: CountermeasureID
            let kind: NoticeKind
            if sighting.kind == .cncLogEntry {
                countermeasure = CnCTakedownNotification.countermeasure
                kind = .cncContact
                subscriber = Self.outcome(
                    try identify.identify(
                        CnCTakedownNotification.self, capability: .init(), address: sighting.source, at: sighting.time,
                        port: sighting.sourcePort), capability: .init(), counts: &counts)
            } else {
                countermeasure = InfectedHostNotification.countermeasure
                kind = .infectedHost
                subscriber = Self.outcome(
                    try identify.identify(
                        InfectedHostNotification.self, capability: .init(), address: sighting.source, at: sighting.time,
                        port: sighting.sourcePort), capability: .init(), counts: &counts)
            }
            guard let subscriber else { continue }
            book.apply(
                countermeasure: countermeasure, kind: kind, subscriber: subscriber, family: sighting.family ?? "", time: sighting.time,
                evidence: sighting.feed + " " + sighting.evidence)
        }
        counts.casesOpened = book.opened
        counts.casesUpdated = book.updated
        var feedCounts = FeedCounts(feed: feed)
        feedCounts.parsed = parsed
        feedCounts.rejected = rejected
        feedCounts.notInfected = notInfected
        feedCounts.attributed = counts.attributed
        feedCounts.notFound = counts.notFound
        feedCounts.ambiguous = counts.ambiguous
        var audit = collector.entries
        audit.append(
            AuditEntry(
                time: now, countermeasure: nil, action: "ingest-sightings", actor: actor,
                subject: file.map { "sighting_file:sha256:\($0.sha256.prefix(16))" } ?? "feed:\(feed)",
                detail: [
                    "feed": feed, "parsed": "\(parsed)", "rejected": "\(rejected)", "not_infected": "\(notInfected)",
                    "attributed": "\(counts.attributed)", "not_found": "\(counts.notFound)", "ambiguous": "\(counts.ambiguous)",
                    "cases_opened": "\(counts.casesOpened)", "cases_updated": "\(counts.casesUpdated)",
                ]))
        try store.commitSightings(cases: book.changedCases, counts: feedCounts, file: file, audit: audit)
        return counts
    }

    private static func outcome<P: Purpose>(
        _ identification: Identification<P>, capability: P.Capability, counts: inout SightingIngestCounts
    ) -> String? {
        switch identification {
        case .found(let bound):
            counts.attributed += 1
            return bound.open(capability).subscriber
        case .notFound:
            counts.notFound += 1
            return nil
        case .ambiguous:
            counts.ambiguous += 1
            return nil
        }
    }

    // MARK: cases for operators

    /// Cases, subscribers pseudonymised.
    public func summaries(status: CaseStatus? = nil) throws -> [CaseSummary] {
        try store.cases(status: status).compactMap { c in
            guard let id = c.id else { return nil }
            return CaseSummary(
                id: id, countermeasure: c.countermeasure, subscriberPseudonym: pseudonymizer.pseudonym(subscriber: c.subscriber),
                family: c.family, firstSeen: c.firstSeen, lastSeen: c.lastSeen, sightings: c.sightings, status: c.status,
                notices: c.notices)
        }
    }

    // MARK: notices

    /// Expires stale cases and queues the notices due now, under the notice policy.
    ///
    /// With `dryRun`, nothing is queued and no case changes: the notices that would be sent are
    /// returned as `previews`. Their personal links are real (the tokens are stored, so a
    /// preview's link opens the page) and the issue is audited.
    public func planNotices(now: Date = Date(), dryRun: Bool = false) throws -> NoticePlanCounts {
        var counts = NoticePlanCounts()
        var lastNotice = try store.lastNoticeTimes()
        let candidates = try store.cases(status: nil).filter { $0.status != .expired && $0.status != .remediated }
        for var c in candidates.sorted(by: { $0.firstSeen < $1.firstSeen }) {
            guard let caseID = c.id else { continue }
            let subjectPseudonym = pseudonymizer.pseudonym(subscriber: c.subscriber)
            if now.timeIntervalSince(c.lastSeen) > casePolicy.expireAfter {
                if !dryRun {
                    c.status = .expired
                    try store.update(
                        case: c,
                        audit: AuditEntry(
                            time: now, countermeasure: c.countermeasure, action: "case-expired", actor: actor, subject: subjectPseudonym,
                            detail: ["case": "\(caseID)"]))
                }
                counts.expired += 1
                continue
            }
            guard let type = noticePolicy.noticeDue(for: c, now: now) else { continue }
            if let last = lastNotice[c.subscriber], now.timeIntervalSince(last) < noticePolicy.minimumGap {
                counts.skippedRateLimit += 1
                continue
            }
            guard let contact = try store.contact(of: c.subscriber) else {
                counts.skippedNoContact += 1
                continue
            }
            let token = try PersonalToken.make()
            let expires = now.addingTimeInterval(noticePolicy.tokenLifetime)
            let link = "\(baseURL)/r/\(token)"
            let rendered = templates.render(
                kind: c.kind, type: type, language: contact.language, family: c.family, firstSeen: c.firstSeen, lastSeen: c.lastSeen,
                link: link, expires: expires)
            let random = Hex.encode(try Digest.randomBytes(count: 6))
            let messageID = "<notice-\(caseID)-\(c.notices + 1).\(random)@\(mailDomain)>"
            let tokenRecord = TokenRecord(
                hash: PersonalToken.hash(token), caseID: caseID, language: contact.language, createdAt: now, expiresAt: expires)
            let detail = [
                "case": "\(caseID)", "type": type.rawValue, "language": contact.language.rawValue,
                "message_id_hash": String(PersonalToken.hash(messageID).prefix(16)),
            ]
            if dryRun {
                try store.issuePreview(
                    token: tokenRecord,
                    audit: AuditEntry(
                        time: now, countermeasure: c.countermeasure, action: "notice-dry-run", actor: actor, subject: subjectPseudonym,
                        detail: detail))
                counts.previews.append(
                    OutgoingNotice(
                        messageID: messageID, recipient: contact.email, subject: rendered.subject, body: rendered.body,
                        language: contact.language, date: now))
            } else {
                c.status = .notified
                c.lastNoticeAt = now
                c.notices += 1
                let notice = NoticeRecord(
                    caseID: caseID, subscriber: c.subscriber, recipient: contact.email, language: contact.language, type: type,
                    kind: c.kind, messageID: messageID, subject: rendered.subject, body: rendered.body, nextAttemptAt: now,
                    createdAt: now)
                _ = try store.enqueue(
                    notice, token: tokenRecord, case: c,
                    audit: AuditEntry(
                        time: now, countermeasure: c.countermeasure, action: "notice-queued", actor: actor, subject: subjectPseudonym,
                        detail: detail))
            }
            if type == .reminder { counts.reminders += 1 }
            counts.queued += 1
            lastNotice[c.subscriber] = now
        }
        return counts
    }

    /// Delivers the due notices through `transport`, with retries and backoff.
    ///
    /// A notice is marked `sending` (committed) before the attempt and `sent` (committed, with the
    /// relay's reply and an audit record) right after the relay accepts it. A crash in between
    /// leaves it `sending`; the next run sends it again with the same Message-ID.
    public func deliver(transport: any NoticeTransport, now: @Sendable () -> Date = { Date() }) async throws -> DeliveryCounts {
        var counts = DeliveryCounts()
        for notice in try store.dueNotices(now: now()) {
            guard let id = notice.id else { continue }
            let attempts = notice.attempts + 1
            try store.markSending(id, attempts: attempts)
            let outgoing = OutgoingNotice(
                messageID: notice.messageID, recipient: notice.recipient, subject: notice.subject, body: notice.body,
                language: notice.language, date: notice.createdAt)
            let subjectPseudonym = pseudonymizer.pseudonym(subscriber: notice.subscriber)
            let countermeasure =
                notice.kind == .cncContact ? CnCTakedownNotification.countermeasure : InfectedHostNotification.countermeasure
            do {
                let reply = try await transport.deliver(outgoing)
                try store.markSent(
                    id, at: now(), reply: reply,
                    audit: AuditEntry(
                        time: now(), countermeasure: countermeasure, action: "notice-sent", actor: actor, subject: subjectPseudonym,
                        detail: ["case": "\(notice.caseID)", "notice": "\(id)", "type": notice.type.rawValue, "attempts": "\(attempts)"]))
                counts.sent += 1
            } catch {
                let permanent = (error as? any DeliveryFailure)?.isPermanent ?? false
                let message = "\(error)"
                if permanent || attempts >= noticePolicy.maxAttempts {
                    try store.markFailed(
                        id, error: message,
                        audit: AuditEntry(
                            time: now(), countermeasure: countermeasure, action: "notice-failed", actor: actor, subject: subjectPseudonym,
                            detail: ["case": "\(notice.caseID)", "notice": "\(id)", "attempts": "\(attempts)", "permanent": "\(permanent)"]))
                    counts.failed += 1
                } else {
                    try store.markRetry(id, next: now().addingTimeInterval(noticePolicy.backoff(afterAttempts: attempts)), error: message)
                    counts.retried += 1
                }
            }
        }
        return counts
    }
}

/// Collects audit entries of one batch, to be written with the batch's state in one transaction.
final class AuditCollector: AuditLog {
    private let state = Mutex<[AuditEntry]>([])

    /// Keeps the entry; the returned record is provisional (sequence 0, no hashes): the store
    /// seals the entries into the chain when the batch commits.
    func append(_ entry: AuditEntry) throws -> AuditRecord {
        state.withLock { $0.append(entry) }
        return AuditRecord(sequence: 0, entry: entry, previousHash: [], hash: [])
    }

    func records(from sequence: Int64) throws -> [AuditRecord] { [] }

    var entries: [AuditEntry] { state.withLock { $0 } }
}

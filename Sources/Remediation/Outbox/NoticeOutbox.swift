public import Foundation
public import Secrecy

/// Counts of one notice planning run.
public struct NoticePlanCounts: Sendable, Hashable {
    public var queued = 0
    public var reminders = 0
    public var skippedNoContact = 0
    public var skippedRateLimit = 0
    /// Cases another run (at the same time) queued first.
    public var alreadyPlanned = 0
    public var expired = 0
    /// For dry runs: the notices that would be sent.
    public var previews: [OutgoingNotice] = []

    public init() {}
}

/// Counts of one delivery run.
public struct DeliveryCounts: Sendable, Hashable {
    public var sent = 0
    /// Deferred: a transient failure, to be retried after the backoff.
    public var retried = 0
    public var failed = 0

    public init() {}
}

/// The notice outbox: plans the notices due under the notice policy and delivers them.
///
/// It never attributes: the cases already name their subscriber. Planning is idempotent per
/// case and round, and delivery hands each notice to one worker at a time through a lease, so
/// two runs at once (an overlapping cron job, `serve`'s worker beside a manual `notify`) send
/// each notice once (see ``RemediationStore``).
///
/// ```swift
/// let outbox = NoticeOutbox(store: store, templates: templates, pseudonymizer: p, baseURL: url, mailDomain: "isp.example", actor: "cli")
/// _ = try await outbox.planNotices()
/// let delivered = try await outbox.deliver(transport: smtp)
/// ```
public struct NoticeOutbox: Sendable {
    public let store: any RemediationStore
    public let templates: NoticeTemplates
    public let pseudonymizer: Pseudonymizer
    public let casePolicy: CasePolicy
    public let noticePolicy: NoticePolicy
    /// The portal's public base URL, e.g. `https://kujo.isp.example` (links are `BASE/r/TOKEN`).
    public let baseURL: String
    /// The domain of Message-IDs and the From address, e.g. `isp.example`.
    public let mailDomain: String
    public let actor: String
    /// This worker's name in leases (host, process, random).
    public let owner: String
    /// How long a claimed notice stays this worker's: longer than one SMTP transaction may take.
    /// A lease left by a crashed worker is taken over after it.
    public let lease: TimeInterval

    public init(
        store: any RemediationStore, templates: NoticeTemplates, pseudonymizer: Pseudonymizer, casePolicy: CasePolicy = CasePolicy(),
        noticePolicy: NoticePolicy = NoticePolicy(), baseURL: String, mailDomain: String, actor: String, owner: String? = nil,
        lease: TimeInterval = 300
    ) {
        self.store = store
        self.templates = templates
        self.pseudonymizer = pseudonymizer
        self.casePolicy = casePolicy
        self.noticePolicy = noticePolicy
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.mailDomain = mailDomain
        self.actor = actor
        self.owner = owner ?? Self.defaultOwner()
        self.lease = max(1, lease)
    }

    static func defaultOwner() -> String {
        let host = ProcessInfo.processInfo.hostName
        let random = (try? Hex.encode(Digest.randomBytes(count: 4))) ?? "0"
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(random)"
    }

    // MARK: planning

    /// Expires stale cases and queues the notices due now, under the notice policy.
    ///
    /// With `dryRun`, nothing is queued and no case changes: the notices that would be sent are
    /// returned as `previews`. Their personal links are real (the tokens are stored, so a
    /// preview's link opens the page) and the issue is audited.
    public func planNotices(now: Date = Date(), dryRun: Bool = false) async throws -> NoticePlanCounts {
        var counts = NoticePlanCounts()
        var lastNotice = try await store.lastNoticeTimes(since: now.addingTimeInterval(-noticePolicy.minimumGap))
        let candidates = try await store.casesInProgress()
        for c in candidates.sorted(by: { ($0.firstSeen, $0.id ?? 0) < ($1.firstSeen, $1.id ?? 0) }) {
            guard let caseID = c.id else { continue }
            let subjectPseudonym = pseudonymizer.pseudonym(subscriber: c.subscriber)
            if now.timeIntervalSince(c.lastSeen) > casePolicy.expireAfter {
                if !dryRun {
                    let expired = try await store.expire(
                        caseID: caseID, lastSeen: c.lastSeen,
                        audit: AuditEntry(
                            time: now, countermeasure: c.countermeasure, action: "case-expired", actor: actor, subject: subjectPseudonym,
                            detail: ["case": "\(caseID)"]))
                    if expired { counts.expired += 1 }
                } else {
                    counts.expired += 1
                }
                continue
            }
            guard let type = noticePolicy.noticeDue(for: c, now: now) else { continue }
            if let last = lastNotice[c.subscriber], now.timeIntervalSince(last) < noticePolicy.minimumGap {
                counts.skippedRateLimit += 1
                continue
            }
            guard let contact = try await store.contact(of: c.subscriber) else {
                counts.skippedNoContact += 1
                continue
            }
            let round = c.notices + 1
            let token = try PersonalToken.make()
            let expires = now.addingTimeInterval(noticePolicy.tokenLifetime)
            let link = "\(baseURL)/r/\(token)"
            let rendered = templates.render(
                kind: c.kind, type: type, language: contact.language, family: c.family, firstSeen: c.firstSeen, lastSeen: c.lastSeen,
                link: link, expires: expires)
            let random = Hex.encode(try Digest.randomBytes(count: 6))
            let messageID = "<notice-\(caseID)-\(round).\(random)@\(mailDomain)>"
            let tokenRecord = TokenRecord(
                hash: PersonalToken.hash(token), caseID: caseID, language: contact.language, createdAt: now, expiresAt: expires)
            let detail = [
                "case": "\(caseID)", "type": type.rawValue, "language": contact.language.rawValue, "round": "\(round)",
                "message_id_hash": String(PersonalToken.hash(messageID).prefix(16)),
            ]
            if dryRun {
                try await store.issuePreview(
                    token: tokenRecord,
                    audit: AuditEntry(
                        time: now, countermeasure: c.countermeasure, action: "notice-dry-run", actor: actor, subject: subjectPseudonym,
                        detail: detail))
                counts.previews.append(
                    OutgoingNotice(
                        messageID: messageID, recipient: contact.email, subject: rendered.subject, body: rendered.body,
                        language: contact.language, date: now))
            } else {
                let notice = NoticeRecord(
                    caseID: caseID, subscriber: c.subscriber, recipient: contact.email, language: contact.language, type: type,
                    kind: c.kind, round: round, messageID: messageID, subject: rendered.subject, body: rendered.body,
                    nextAttemptAt: now, createdAt: now)
                let outcome = try await store.enqueue(
                    notice, token: tokenRecord, expectedNotices: c.notices, expectedStatus: c.status, minimumGap: noticePolicy.minimumGap,
                    audit: AuditEntry(
                        time: now, countermeasure: c.countermeasure, action: "notice-queued", actor: actor, subject: subjectPseudonym,
                        detail: detail))
                switch outcome {
                case .queued:
                    break
                case .alreadyPlanned:
                    counts.alreadyPlanned += 1
                    continue
                case .rateLimited:
                    counts.skippedRateLimit += 1
                    lastNotice[c.subscriber] = now
                    continue
                }
            }
            if type == .reminder { counts.reminders += 1 }
            counts.queued += 1
            lastNotice[c.subscriber] = now
        }
        return counts
    }

    // MARK: delivery

    /// Delivers the notices due through `transport`, with retries and backoff.
    ///
    /// Each notice is claimed first (a lease, committed) and marked `sent` (committed, with the
    /// relay's reply and an audit record) right after the relay accepts it. A crash in between
    /// leaves it `sending` under a lease that expires; then this or another worker sends it again
    /// with the same Message-ID. Notices whose retry falls after the run started wait for a later run.
    public func deliver(transport: any NoticeTransport, now: @Sendable () -> Date = { Date() }) async throws -> DeliveryCounts {
        var counts = DeliveryCounts()
        let dueBy = now()
        while let notice = try await store.claimNotice(owner: owner, dueBy: dueBy, now: now(), lease: lease) {
            guard let id = notice.id else { continue }
            let attempts = notice.attempts
            let outgoing = OutgoingNotice(
                messageID: notice.messageID, recipient: notice.recipient, subject: notice.subject, body: notice.body,
                language: notice.language, date: notice.createdAt)
            let subjectPseudonym = pseudonymizer.pseudonym(subscriber: notice.subscriber)
            let countermeasure =
                notice.kind == .cncContact ? CnCTakedownNotification.countermeasure : InfectedHostNotification.countermeasure
            do {
                let reply = try await transport.deliver(outgoing)
                _ = try await store.markSent(
                    id, owner: owner, at: now(), reply: reply,
                    audit: AuditEntry(
                        time: now(), countermeasure: countermeasure, action: "notice-sent", actor: actor, subject: subjectPseudonym,
                        detail: ["case": "\(notice.caseID)", "notice": "\(id)", "type": notice.type.rawValue, "attempts": "\(attempts)"]))
                counts.sent += 1
            } catch {
                let permanent = (error as? any DeliveryFailure)?.isPermanent ?? false
                let message = "\(error)"
                if permanent || attempts >= noticePolicy.maxAttempts {
                    try await store.markFailed(
                        id, owner: owner, error: message,
                        audit: AuditEntry(
                            time: now(), countermeasure: countermeasure, action: "notice-failed", actor: actor, subject: subjectPseudonym,
                            detail: ["case": "\(notice.caseID)", "notice": "\(id)", "attempts": "\(attempts)", "permanent": "\(permanent)"]))
                    counts.failed += 1
                } else {
                    try await store.markRetry(
                        id, owner: owner, next: now().addingTimeInterval(noticePolicy.backoff(afterAttempts: attempts)), error: message)
                    counts.retried += 1
                }
            }
        }
        return counts
    }
}

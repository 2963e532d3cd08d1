public import Foundation
public import MailGuard
public import Remediation
public import Secrecy
import Synchronization

/// The owners' notices of SMTP AUTH suspensions (`smtp-credential-abuse`): composed in Japanese
/// then English for each suspension, queued in the store's mail notice outbox (audited
/// `notice-queued`, one per suspension), and delivered through the same transport as the other
/// notices, with the same leases and retries (audited `notice-sent`, `notice-failed`).
///
/// The recipient is ``MailOwnerAddress`` applied to the suspended ID. A notice carries the
/// owner's own ID and the suspension's start, nothing else (no address the ID was used from).
public struct MailNoticeOutbox: Sendable {
    public let store: any MailNoticeStore
    public let audit: any AuditLog
    public let ownerAddress: MailOwnerAddress
    public let sender: MailNoticeSender
    public let templates: MailNoticeTemplates
    public let pseudonymizer: Pseudonymizer
    public let mailDomain: String
    public let noticePolicy: NoticePolicy
    public let actor: String
    public let owner: String
    public let lease: TimeInterval

    public init(
        store: any MailNoticeStore, audit: any AuditLog, ownerAddress: MailOwnerAddress, sender: MailNoticeSender, templates: MailNoticeTemplates,
        pseudonymizer: Pseudonymizer, mailDomain: String, noticePolicy: NoticePolicy = NoticePolicy(), actor: String, owner: String? = nil,
        lease: TimeInterval = 300
    ) {
        self.store = store
        self.audit = audit
        self.ownerAddress = ownerAddress
        self.sender = sender
        self.templates = templates
        self.pseudonymizer = pseudonymizer
        self.mailDomain = mailDomain
        self.noticePolicy = noticePolicy
        self.actor = actor
        self.owner = owner ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):mail-notices"
        self.lease = max(1, lease)
    }

    /// What queuing one suspension's notice did.
    public enum Queued: Sendable, Hashable {
        /// Queued now (audited `notice-queued`).
        case queued
        /// Already queued for this suspension (another `serve`, or an earlier try).
        case alreadyQueued
        /// The owner address template gives no mail address for this ID (audited `notice-failed`).
        case noAddress
    }

    /// Queues the owner's notice of `suspension`, unless one is queued for it already.
    @discardableResult
    public func enqueue(_ suspension: Suspension, now: Date = Date()) async throws -> Queued {
        guard let recipient = ownerAddress.address(for: suspension.authID) else {
            _ = try await audit.append(
                MailOwnerNotice.auditEntry(
                    action: "notice-failed", login: suspension.authID, suspendedAt: suspension.since, recipient: nil, actor: actor, time: now,
                    pseudonymizer: pseudonymizer, detail: ["error": "no-owner-address", "permanent": "true"]))
            return .noAddress
        }
        let notice = MailOwnerNotice(
            login: suspension.authID, recipient: recipient, suspendedAt: suspension.since, sender: sender, templates: templates)
        let entry = MailOwnerNotice.auditEntry(
            action: "notice-queued", login: suspension.authID, suspendedAt: suspension.since, recipient: recipient, actor: actor, time: now,
            pseudonymizer: pseudonymizer)
        let queued = try await store.enqueueMailNotice(MailNoticeRecord(notice, mailDomain: mailDomain, now: now), audit: entry)
        return queued ? .queued : .alreadyQueued
    }

    /// Delivers the due notices through `transport`: each claimed under a lease, marked sent
    /// (audited) once the relay accepts it, retried with the notice policy's backoff, failed
    /// (audited) when permanent or out of attempts.
    public func deliver(transport: any NoticeTransport, now: @escaping @Sendable () -> Date = { Date() }) async throws -> DeliveryCounts {
        let dueBy = now()
        let (store, owner, lease, actor, pseudonymizer) = (store, owner, lease, actor, pseudonymizer)
        let delivery = LeasedDelivery<MailNoticeRecord>(
            claim: { try await store.claimMailNotice(owner: owner, dueBy: dueBy, now: now(), lease: lease) },
            row: { ($0.id, $0.attempts) },
            outgoing: { notice in
                OutgoingNotice(
                    messageID: notice.messageID, recipient: notice.recipient, subject: notice.subject, body: notice.text, language: .ja,
                    date: notice.createdAt, contentLanguages: ["ja", "en"])
            },
            audit: { action, notice, detail in
                MailOwnerNotice.auditEntry(
                    action: action, login: notice.login, suspendedAt: notice.suspendedAt, recipient: notice.recipient, actor: actor,
                    time: now(), pseudonymizer: pseudonymizer, detail: detail)
            },
            markSent: { id, reply, audit in _ = try await store.markMailNoticeSent(id, owner: owner, at: now(), reply: reply, audit: audit) },
            markRetry: { id, next, error in try await store.markMailNoticeRetry(id, owner: owner, next: next, error: error) },
            markFailed: { id, error, audit in try await store.markMailNoticeFailed(id, owner: owner, error: error, audit: audit) })
        return try await delivery.run(transport: transport, policy: noticePolicy, now: now)
    }
}

/// The suspensions the guard made, kept until the store sync has queued their notices (a
/// failed store write leaves them here for the next tick).
final class MailNoticeQueue: SuspensionNotifier {
    private let pending = Mutex<[Suspension]>([])

    func suspended(_ suspension: Suspension) {
        pending.withLock { $0.append(suspension) }
    }

    func drain() -> [Suspension] {
        pending.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }

    /// Puts back what could not be queued, ahead of anything added since.
    func putBack(_ suspensions: some Collection<Suspension>) {
        guard !suspensions.isEmpty else { return }
        pending.withLock { $0.insert(contentsOf: suspensions, at: 0) }
    }

    var count: Int { pending.withLock { $0.count } }
}

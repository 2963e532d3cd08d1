import Foundation
import Remediation
import Secrecy

/// One delivery pass over a leased outbox (site-owner notices, mail owners' notices): each due
/// item claimed under a lease, handed to the transport, then marked sent (audited
/// `notice-sent`) once the relay accepts it, put back with the notice policy's backoff, or
/// failed for good (audited `notice-failed`) when the error is permanent or the attempts are
/// spent. The outboxes differ only in their store calls, their message and their audit entry.
struct LeasedDelivery<Item: Sendable> {
    /// Claims the next due item, or nil when none is due.
    var claim: () async throws -> Item?
    /// The item's row id and the attempts counted so far (this one included).
    var row: (Item) -> (id: Int64?, attempts: Int)
    /// The message to send.
    var outgoing: (Item) -> OutgoingNotice
    /// The audit entry of `action` on the item, with `detail`.
    var audit: (_ action: String, Item, _ detail: [String: String]) -> AuditEntry
    var markSent: (_ id: Int64, _ reply: String, AuditEntry) async throws -> Void
    var markRetry: (_ id: Int64, _ next: Date, _ error: String) async throws -> Void
    var markFailed: (_ id: Int64, _ error: String, AuditEntry) async throws -> Void

    func run(transport: any NoticeTransport, policy: NoticePolicy, now: () -> Date) async throws -> DeliveryCounts {
        var counts = DeliveryCounts()
        while let item = try await claim() {
            let (id, attempts) = row(item)
            guard let id else { continue }
            let detail = ["attempts": "\(attempts)"]
            do {
                let reply = try await transport.deliver(outgoing(item))
                try await markSent(id, reply, audit("notice-sent", item, detail))
                counts.sent += 1
            } catch {
                let permanent = (error as? any DeliveryFailure)?.isPermanent ?? false
                if permanent || attempts >= policy.maxAttempts {
                    var failed = detail
                    failed["permanent"] = "\(permanent)"
                    try await markFailed(id, "\(error)", audit("notice-failed", item, failed))
                    counts.failed += 1
                } else {
                    try await markRetry(id, now().addingTimeInterval(policy.backoff(afterAttempts: attempts)), "\(error)")
                    counts.retried += 1
                }
            }
        }
        return counts
    }
}

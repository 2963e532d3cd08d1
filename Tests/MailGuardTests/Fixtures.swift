import Foundation
import MailGuard
import Secrecy
import Synchronization

/// A guard with an in-memory audit log and a notifier that records what it queued.
struct GuardFixture {
    let audit = InMemoryAuditLog()
    let notices = RecordingNotifier()
    let pseudonymizer: Pseudonymizer
    let guardian: MailGuard

    init(_ configure: (inout MailGuardConfiguration) -> Void = { _ in }) throws {
        var configuration = MailGuardConfiguration()
        configure(&configuration)
        pseudonymizer = try Pseudonymizer(key: Array(repeating: 9, count: 32))
        guardian = MailGuard(configuration: configuration, audit: audit, pseudonymizer: pseudonymizer, notifier: notices)
    }

    var actions: [String] { audit.records(from: 1).map(\.entry.action) }
    var entries: [AuditEntry] { audit.records(from: 1).map(\.entry) }
}

final class RecordingNotifier: SuspensionNotifier {
    private let state = Mutex<[String]>([])
    /// The IDs notified, in order.
    var queued: [String] { state.withLock { $0 } }
    func suspended(_ suspension: Suspension) {
        state.withLock { $0.append(suspension.authID) }
    }
}

import Addressing
import Foundation
public import Logging
public import MailGuard
import MailGuardServer
import NetServer
import Secrecy
public import ServiceLifecycle
import Storage
import StoreSQLite
import Synchronization

/// The mail guard's settings for `serve`: its listeners (each off unless given), the Postfix log
/// to follow, and the guard's own configuration.
public struct MailGuardSettings: Sendable {
    public var policyListen: (host: String, port: Int)?
    public var socketmapListen: (host: String, port: Int)?
    public var authPolicyListen: (host: String, port: Int)?
    public var postfixLog: String?
    public var configuration = MailGuardConfiguration()
    /// How often the guard ticks (lifts, expiries, thresholds) and reconciles with the store.
    public var tick: Duration = .seconds(1)

    public init() {}

    /// Whether any part is on.
    public var isOn: Bool { policyListen != nil || socketmapListen != nil || authPolicyListen != nil || postfixLog != nil }
}

/// Audit entries made by the guard under its lock, kept until the sync service writes them to
/// the store's audit log.
final class MailAuditQueue: AuditSink {
    private let entries = Mutex<[AuditEntry]>([])

    func append(_ entry: AuditEntry) -> AuditRecord {
        entries.withLock { $0.append(entry) }
        return AuditRecord(sequence: 0, entry: entry, previousHash: [], hash: [])
    }

    func drain() -> [AuditEntry] {
        entries.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }
}

/// Ticks the guard and keeps it and the store in step: alerts raised or cleared and lifts made
/// with `mamori mail …` reach the guard; the guard's suspensions, blocks and alerts reach the
/// store; its audit entries reach the audit log.
struct MailGuardSyncService: Service {
    let guardian: MailGuard
    let store: any MailGuardStore
    let audit: MailAuditQueue
    let auditLog: any AuditLog
    let tick: Duration
    let logger: Logger

    func run() async throws {
        let stored = try await store.mailGuardSnapshot()
        guardian.restore(stored)
        // Alerts raised while no serve ran open their windows now.
        var base = try await step(base: MailGuardSnapshot(suspensions: stored.suspensions, blocks: stored.blocks), stored: stored)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            do {
                base = try await step(base: base, stored: try await store.mailGuardSnapshot())
            } catch {
                logger.warning("mail guard: store sync failed", metadata: ["error": "\(type(of: error))"])
            }
        }
        _ = try? await step(base: base, stored: try await store.mailGuardSnapshot())
    }

    func step(base: MailGuardSnapshot, stored: MailGuardSnapshot) async throws -> MailGuardSnapshot {
        guardian.tick()
        let (write, next) = guardian.reconcile(store: stored, base: base)
        try await store.apply(write)
        for entry in audit.drain() { _ = try await auditLog.append(entry) }
        return next
    }
}

/// Follows a Postfix log file across rotation (a new inode or a shorter file starts over from
/// its beginning) and feeds the guard: every line counts (aggregates), and while an alert is
/// raised the joined submissions and the failures feed the measures.
public struct PostfixLogFollower: Service {
    let path: String
    let guardian: MailGuard
    let poll: Duration
    let logger: Logger
    /// Whether joined submissions feed measure 1 (off when the policy server sees them at
    /// END-OF-MESSAGE, so that no mail counts twice).
    let feedsSubmissions: Bool

    public init(path: String, guardian: MailGuard, poll: Duration, logger: Logger, feedsSubmissions: Bool = true) {
        self.path = path
        self.guardian = guardian
        self.poll = poll
        self.logger = logger
        self.feedsSubmissions = feedsSubmissions
    }

    public func run() async throws {
        var offset: UInt64 = 0
        var inode: UInt64 = 0
        var first = true
        var partial: [UInt8] = []
        var lineNumber = 0
        var joiner = SubmissionJoiner()
        let name = URL(fileURLWithPath: path).lastPathComponent
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let size = (attributes[.size] as? NSNumber)?.uint64Value
            {
                let node = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
                if first {
                    // Start at the end: history before start was not read under an alert.
                    offset = size
                    inode = node
                    first = false
                } else if node != inode || size < offset {
                    offset = 0
                    inode = node
                    partial.removeAll()
                    lineNumber = 0
                }
                if size > offset, let handle = FileHandle(forReadingAtPath: path) {
                    defer { try? handle.close() }
                    try? handle.seek(toOffset: offset)
                    let data = (try? handle.read(upToCount: Int(min(size - offset, 8 << 20)))) ?? Data()
                    offset += UInt64(data.count)
                    partial += data
                    var start = 0
                    let parser = PostfixLogParser(time: SyslogTime(reference: Date()))
                    while let newline = partial[start...].firstIndex(of: 0x0A) {
                        lineNumber += 1
                        let line = String(decoding: partial[start..<newline], as: UTF8.self)
                        start = newline + 1
                        guard !line.isEmpty else { continue }
                        do {
                            let event = try parser.parse(Substring(line), file: name, lineNumber: lineNumber)
                            if case .authFailure(let failure) = event { guardian.observe(failure) }
                            if feedsSubmissions, guardian.isRaised(.load) {
                                if let submission = joiner.take(event) { guardian.observe(submission) }
                            } else {
                                if joiner.waiting > 0 { joiner.reset() }
                                if feedsSubmissions, case .authenticated(_, _, _, let time) = event { guardian.countSubmission(at: time) }
                            }
                        } catch {
                            logger.debug("postfix log line skipped", metadata: ["error": "\(error)"])
                        }
                    }
                    partial.removeFirst(start)
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: poll) }
        }
    }
}

extension MamoriRuntime {
    /// The mail guard and its services: the policy, socketmap and auth-policy listeners that are
    /// configured, the Postfix log follower, and the store sync.
    public func mailGuardServices(_ settings: MailGuardSettings, logger: Logger) throws -> (guardian: MailGuard, services: [any Service]) {
        guard let sqlite = store as? MamoriStore else {
            throw GuardSettingsError("the mail guard keeps its state in the SQLite store for now (PostgreSQL: not yet)")
        }
        let audit = MailAuditQueue()
        let guardian = MailGuard(configuration: settings.configuration, audit: audit, pseudonymizer: try store.pseudonymizer())
        var services: [any Service] = [
            MailGuardSyncService(
                guardian: guardian, store: sqlite.mailGuard, audit: audit, auditLog: store.audit, tick: settings.tick, logger: logger)
        ]
        if let listen = settings.policyListen {
            services.append(
                TCPServer(
                    configuration: NetServerConfiguration(name: "policy", host: listen.host, port: listen.port),
                    handler: PolicyStreamHandler(guardian: guardian), logger: logger))
        }
        if let listen = settings.socketmapListen {
            services.append(
                TCPServer(
                    configuration: NetServerConfiguration(name: "socketmap", host: listen.host, port: listen.port),
                    handler: SocketmapStreamHandler(guardian: guardian), logger: logger))
        }
        if let listen = settings.authPolicyListen {
            services.append(
                TCPServer(
                    configuration: NetServerConfiguration(name: "auth-policy", host: listen.host, port: listen.port),
                    handler: AuthPolicyStreamHandler(guardian: guardian), logger: logger))
        }
        if let path = settings.postfixLog {
            services.append(
                PostfixLogFollower(
                    path: path, guardian: guardian, poll: .milliseconds(250), logger: logger, feedsSubmissions: settings.policyListen == nil))
        }
        return (guardian, services)
    }
}

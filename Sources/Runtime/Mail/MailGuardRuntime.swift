import Addressing
import Foundation
public import Logging
public import MailGuard
import MailGuardServer
import NetServer
import Remediation
import Secrecy
public import ServiceLifecycle
import Storage
import Synchronization

/// The mail guard's settings for `serve`: its listeners (each off unless given), the Postfix log
/// to follow, and the guard's own configuration.
public struct MailGuardSettings: Sendable {
    public var policyListen: (host: String, port: Int)?
    public var socketmapListen: (host: String, port: Int)?
    public var authPolicyListen: (host: String, port: Int)?
    public var postfixLog: String?
    /// ADDR:PORT (loopback) where Postfix's log arrives over syslog, UDP and TCP; off unless given.
    public var postfixSyslogListen: (host: String, port: Int)?
    /// ADDR:PORT of the password-changed API (`POST /api/v1/mail/password-changed`), off unless given.
    public var adminListen: (host: String, port: Int)?
    /// The bearer token of that API (at least 16 bytes).
    public var adminToken: [UInt8]?
    /// Where the owner of a suspended ID is told (`{login}`: the AUTH ID is the address).
    public var ownerAddress = MailOwnerAddress.login
    /// Puts a suspended ID's mail already queued on hold (`postsuper -h`); off by default.
    public var holdQueuedMail = false
    /// Postfix's configuration directory for `postqueue`/`postcat`/`postsuper` (`-c`), nil: the default.
    public var postfixConfigDirectory: String?
    /// Where those commands (and `postmap`) are.
    public var postfixCommandDirectory = "/usr/sbin"
    /// A directory where `sasl_access` and `sasl_exceptions` are kept as Postfix lookup tables
    /// (rebuilt with `postmap` on change; Postfix keeps answering from them while Mamori is
    /// down), off unless given.
    public var postfixTableDirectory: String?
    /// The type of those tables.
    public var postfixTableType = PostfixTableType.hash
    public var configuration = MailGuardConfiguration()
    /// How often the guard ticks (lifts, expiries, thresholds) and reconciles with the store.
    public var tick: Duration = .seconds(1)

    public init() {}

    /// Whether any part is on.
    public var isOn: Bool {
        policyListen != nil || socketmapListen != nil || authPolicyListen != nil || postfixLog != nil || adminListen != nil
            || postfixSyslogListen != nil || postfixTableDirectory != nil
    }
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

    /// Puts back what could not be written, ahead of anything added since.
    func putBack(_ unwritten: some Collection<AuditEntry>) {
        guard !unwritten.isEmpty else { return }
        entries.withLock { $0.insert(contentsOf: unwritten, at: 0) }
    }

    var count: Int { entries.withLock { $0.count } }
}

/// Ticks the guard and keeps it and the store in step: alerts raised or cleared and lifts made
/// with `mamori mail …` reach the guard; the guard's suspensions, blocks and alerts reach the
/// store; its audit entries reach the audit log, then each suspension's owner notice the outbox.
///
/// What cannot be written (the store is down, the audit log refuses) stays queued, in order,
/// for the next tick: an audit entry is never dropped, and a notice is queued after its
/// suspension's audit entry.
struct MailGuardSyncService: Service {
    let guardian: MailGuard
    let store: any MailGuardStore
    let audit: MailAuditQueue
    let auditLog: any AuditLog
    let notices: MailNoticeQueue
    let outbox: MailNoticeOutbox
    let tick: Duration
    let logger: Logger
    /// Holds a suspended ID's queued mail, when configured.
    var holder: QueueHolder? = nil

    func run() async throws {
        let stored = try await store.mailGuardSnapshot()
        guardian.restore(stored)
        // Alerts raised while no serve ran open their windows now.
        var base = try await step(base: MailGuardSnapshot(suspensions: stored.suspensions, blocks: stored.blocks), stored: stored)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            do {
                base = try await step(base: base, stored: try await store.mailGuardSnapshot())
            } catch _ where Task.isCancelled {
                break  // cancelled mid-step (not a graceful shutdown): nothing failed
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
        if await writeAudit() { await queueNotices() }
        return next
    }

    /// Appends the queued audit entries in order; on a failure keeps the rest for the next tick.
    /// Returns whether all were written.
    func writeAudit() async -> Bool {
        let entries = audit.drain()
        for (index, entry) in entries.enumerated() {
            do {
                _ = try await auditLog.append(entry)
            } catch {
                audit.putBack(entries[index...])
                logger.error(
                    "mail guard: audit append failed; entries kept for the next tick",
                    metadata: ["pending": "\(audit.count)", "error": "\(type(of: error))"])
                return false
            }
        }
        return true
    }

    /// Puts the suspended ID's queued mail on hold; audited (`hold`, with the count) when any was.
    func hold(_ suspension: Suspension, with holder: QueueHolder) async throws {
        let held: Int
        do {
            held = try await holder.hold(authID: suspension.authID)
        } catch {
            // The queue is Postfix's: a failure here leaves the mail as it was; the suspension stands.
            logger.warning("mail guard: queued mail not held", metadata: ["error": "\(error)"])
            return
        }
        guard held > 0 else { return }
        _ = try await auditLog.append(
            AuditEntry(
                countermeasure: .smtpCredentialAbuse, action: "hold", actor: "service:mail-guard",
                subject: outbox.pseudonymizer.pseudonym(subscriber: suspension.authID), detail: ["messages": "\(held)"]))
    }

    /// Queues each new suspension's owner notice; on a failure keeps the rest for the next tick.
    func queueNotices() async {
        let suspensions = notices.drain()
        for (index, suspension) in suspensions.enumerated() {
            do {
                try await outbox.enqueue(suspension)
                if let holder { try await hold(suspension, with: holder) }
            } catch {
                notices.putBack(suspensions[index...])
                logger.error(
                    "mail guard: owner notice not queued; kept for the next tick",
                    metadata: ["pending": "\(notices.count)", "error": "\(type(of: error))"])
                return
            }
        }
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
        let feed = PostfixLogFeed(guardian: guardian, feedsSubmissions: feedsSubmissions)
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
                            feed.take(try parser.parse(Substring(line), file: name, lineNumber: lineNumber))
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
    /// The owners' notices of suspensions: the ISP's names and contact from the notice
    /// templates' page texts, the wording bundled unless the templates directory holds
    /// `password-change.ja.txt` and `password-change.en.txt`.
    public func mailNoticeOutbox(ownerAddress: MailOwnerAddress, actor: String) throws -> MailNoticeOutbox {
        let flow = configuration.flow
        let page = try flow.loadTemplates()
        let templates: MailNoticeTemplates
        if let directory = flow.templatesDirectory.map({ URL(fileURLWithPath: $0) }), MailNoticeTemplates.present(in: directory) {
            templates = try MailNoticeTemplates(directory: directory)
        } else {
            templates = try MailNoticeTemplates.bundled()
        }
        return MailNoticeOutbox(
            store: store.mailNotices, audit: store.audit, ownerAddress: ownerAddress,
            sender: MailNoticeSender(ispName: page.ispNames, support: page.supportTexts), templates: templates,
            pseudonymizer: try store.pseudonymizer(), mailDomain: flow.mailDomain, noticePolicy: flow.noticePolicy, actor: actor,
            lease: flow.outboxLease)
    }

    /// The mail guard and its services: the policy, socketmap and auth-policy listeners that are
    /// configured, the password-changed API, the Postfix lookup tables, the Postfix log
    /// follower, and the store sync (which
    /// also queues the owners' notices; `serve`'s outbox worker delivers them).
    public func mailGuardServices(_ settings: MailGuardSettings, logger: Logger) throws -> (guardian: MailGuard, services: [any Service]) {
        let audit = MailAuditQueue()
        let notices = MailNoticeQueue()
        let guardian = MailGuard(
            configuration: settings.configuration, audit: audit, pseudonymizer: try store.pseudonymizer(), notifier: notices)
        var services: [any Service] = [
            MailGuardSyncService(
                guardian: guardian, store: store.mailGuardStore, audit: audit, auditLog: store.audit, notices: notices,
                outbox: try mailNoticeOutbox(ownerAddress: settings.ownerAddress, actor: "service:mail-guard"), tick: settings.tick,
                logger: logger,
                holder: settings.holdQueuedMail
                    ? QueueHolder(configDirectory: settings.postfixConfigDirectory, commandDirectory: settings.postfixCommandDirectory) : nil)
        ]
        if let listen = settings.policyListen {
            services.append(
                TCPServer(
                    configuration: NetServerConfiguration(name: "policy", host: listen.host, port: listen.port),
                    handler: PolicyStreamHandler(guardian: guardian), logger: logger))
        }
        if let listen = settings.socketmapListen {
            if settings.postfixTableDirectory == nil {
                logger.warning(
                    "mail guard: the socketmap is not fail-open: while Mamori is down, a Postfix that looks sasl_exceptions or sasl_access up through it answers every EHLO or RCPT with 4.3.0; --postfix-table-dir keeps local tables that Postfix reads instead (docs/mail-guard.md)"
                )
            }
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
        if let listen = settings.adminListen {
            guard let token = settings.adminToken else {
                throw GuardSettingsError("the password-changed API needs a token (--mail-api-token-file)")
            }
            services.append(makeMailAPIApplication(guardian: guardian, token: token, host: listen.host, port: listen.port, logger: logger))
        }
        if let listen = settings.postfixSyslogListen {
            let feed = PostfixLogFeed(guardian: guardian, feedsSubmissions: settings.policyListen == nil)
            var tcp = NetServerConfiguration(name: "postfix-syslog", host: listen.host, port: listen.port)
            tcp.idleTimeout = .seconds(3600)  // a syslog sender keeps its connection open
            services.append(UDPServer(configuration: tcp, handler: SyslogDatagramHandler(feed: feed), logger: logger))
            services.append(TCPServer(configuration: tcp, handler: SyslogStreamHandler(feed: feed), logger: logger))
        }
        if let directory = settings.postfixTableDirectory {
            services.append(
                PostfixTableWriter(
                    guardian: guardian, directory: URL(fileURLWithPath: directory), type: settings.postfixTableType,
                    postmap: "\(settings.postfixCommandDirectory)/postmap", configDirectory: settings.postfixConfigDirectory,
                    tick: settings.tick, logger: logger))
        }
        if let path = settings.postfixLog {
            services.append(
                PostfixLogFollower(
                    path: path, guardian: guardian, poll: .milliseconds(250), logger: logger, feedsSubmissions: settings.policyListen == nil))
        }
        return (guardian, services)
    }
}

import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import SiteWarning
public import Storage

/// Keeps a running guard's lists and choices those of the store, and its live tables short.
///
/// On every change signal of the store (PostgreSQL: LISTEN/NOTIFY as a change commits, in any
/// process; SQLite: a poll), it reads the choice changes after its cursor and applies them, and
/// when the lists' version moved it compiles the current lists into a new ``Blocklist`` and
/// swaps it in. Queries never wait for any of this: they read the snapshot in force. Expired
/// sessions and bypasses are purged every ``purgeInterval``.
public struct SiteWarningFollower: Service {
    public let store: any Storage
    public let guardian: SiteWarningGuard
    public let poll: Duration
    public let purgeInterval: Duration
    public let logger: Logger

    public init(
        store: any Storage, guard guardian: SiteWarningGuard, poll: Duration = .milliseconds(250), purgeInterval: Duration = .seconds(30),
        logger: Logger
    ) {
        self.store = store
        self.guardian = guardian
        self.poll = poll
        self.purgeInterval = purgeInterval
        self.logger = logger
    }

    /// Reads what changed since the guard's snapshot and applies it (also the first load).
    public func refresh() async throws {
        var cursor = guardian.consent.cursor
        while true {
            let next = try await store.consent.changes(since: cursor, limit: 10_000)
            guard !next.changes.isEmpty else { break }
            guardian.apply(next.changes, cursor: next.cursor)
            Counter(label: "mamori_site_warning_choice_changes_applied_total").increment(by: next.changes.count)
            cursor = next.cursor
        }
        let version = try await store.blocklists.listsVersion()
        if version != guardian.listsVersion {
            let started = ContinuousClock.now
            var builder = BlocklistBuilder()
            var issues = 0
            for source in try await store.blocklists.currentLists() {
                let report = try builder.load(source)
                issues += report.issueCount
            }
            let blocklist = builder.build()
            guardian.replace(blocklist: blocklist, version: version)
            Gauge(label: "mamori_site_warning_list_entries").record(blocklist.entryCount)
            logger.info(
                "lists loaded",
                metadata: [
                    "version": "\(version)", "lists": "\(blocklist.lists.count)", "entries": "\(blocklist.entryCount)",
                    "issues": "\(issues)", "seconds": "\(ContinuousClock.now - started)",
                ])
        }
    }

    public func run() async throws {
        try await refresh()
        let store = self.store
        let logger = self.logger
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                do {
                    try await store.followChanges(poll: poll) {
                        do {
                            try await refresh()
                        } catch is CancellationError {
                            throw CancellationError()
                        } catch {
                            // Keep the snapshot in force and try again on the next signal.
                            logger.error("site-warning refresh failed", metadata: ["error": "\(error)"])
                        }
                    }
                } catch is CancellationError {}
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: purgeInterval)
                    } catch {
                        return
                    }
                    let now = Date()
                    _ = guardian.sessions.purge(now: now)
                    _ = guardian.bypass.purge(now: now)
                }
            }
            try await gracefulShutdown()
            group.cancelAll()
        }
    }
}

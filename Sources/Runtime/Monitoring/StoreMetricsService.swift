import Foundation
public import Logging
import Metrics
import Remediation
import Secrecy
public import ServiceLifecycle
public import Storage

/// Reads the store's aggregates every interval into gauges and counters: cases per
/// countermeasure and state, notices per status (the outbox depth), and the audit records
/// appended since this process started, per countermeasure, action and identification outcome
/// (from any writer: `ingest` runs, other instances), and the AAA records and sightings ingested
/// since then per format and feed, accepted and rejected. Each read is timed
/// (`mamori_store_query_seconds`). Every read is asynchronous; no identifier is read.
public struct StoreMetricsService: Service {
    public let store: any Storage
    public let interval: Duration
    public let logger: Logger

    public init(store: any Storage, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// The identification outcomes a label may carry; anything else is `other`.
    static let outcomes: Set<String> = ["found", "not_found", "ambiguous"]

    public func run() async throws {
        var audited = (try? await store.audit.headSequence()) ?? 0
        var caseLabels: Set<[String]> = []
        var noticeLabels: Set<String> = []
        var feeds = Self.byFeed((try? await store.remediation.feedCounts()) ?? [])
        var aaaFile = (try? await store.aaaIngests(afterFile: 0).lastFile) ?? 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let cases = try await timed("cases") { try await store.caseCounts() }
                var seen: Set<[String]> = []
                for (countermeasure, states) in cases {
                    for (state, count) in states {
                        seen.insert([countermeasure.rawValue, state])
                        Gauge(label: "mamori_cases", dimensions: [("countermeasure", countermeasure.rawValue), ("state", state)]).record(count)
                    }
                }
                // A state that emptied reads 0, not its last value.
                for gone in caseLabels.subtracting(seen) {
                    Gauge(label: "mamori_cases", dimensions: [("countermeasure", gone[0]), ("state", gone[1])]).record(0)
                }
                caseLabels.formUnion(seen)

                let notices = try await timed("notices") { try await store.noticeCounts() }
                for status in noticeLabels.union(notices.keys) {
                    Gauge(label: "mamori_notices", dimensions: [("status", status)]).record(notices[status] ?? 0)
                }
                noticeLabels.formUnion(notices.keys)
                let pending = ["queued", "sending", "retry"].reduce(0) { $0 + (notices[$1] ?? 0) }
                Gauge(label: "mamori_outbox_depth").record(pending)

                let head = try await timed("audit_head") { try await store.audit.headSequence() }
                Gauge(label: "mamori_audit_records").record(head)
                if head > audited {
                    let activity = try await timed("audit_activity") { try await store.auditActivity(after: audited, through: head) }
                    for row in activity {
                        Counter(label: "mamori_audit_appends_total", dimensions: [("countermeasure", row.countermeasure), ("action", row.action)])
                            .increment(by: row.count)
                        if row.action == "identification" {
                            let outcome = Self.outcomes.contains(row.outcome) ? row.outcome : "other"
                            Counter(
                                label: "mamori_identifications_total", dimensions: [("countermeasure", row.countermeasure), ("outcome", outcome)]
                            ).increment(by: row.count)
                        }
                    }
                    audited = head
                }
                // Ingest by any writer since this process started: AAA records per format, sightings per feed.
                let aaa = try await timed("aaa_ingests") { try await store.aaaIngests(afterFile: aaaFile) }
                for row in aaa.totals {
                    let format = Self.labelValue(row.format)
                    Counter(label: "mamori_aaa_files_total", dimensions: [("format", format)]).increment(by: row.files)
                    Counter(label: "mamori_aaa_records_total", dimensions: [("format", format), ("outcome", "accepted")])
                        .increment(by: max(0, row.records - row.rejected))
                    Counter(label: "mamori_aaa_records_total", dimensions: [("format", format), ("outcome", "rejected")])
                        .increment(by: row.rejected)
                    Counter(label: "mamori_aaa_events_total", dimensions: [("format", format)]).increment(by: row.events)
                }
                aaaFile = aaa.lastFile
                let now = Self.byFeed(try await timed("feeds") { try await store.remediation.feedCounts() })
                for (feed, counts) in now {
                    let before = Dictionary(uniqueKeysWithValues: Self.outcomes(of: feeds[feed] ?? FeedCounts(feed: feed)))
                    for (outcome, count) in Self.outcomes(of: counts) where count > before[outcome] ?? 0 {
                        Counter(label: "mamori_sightings_total", dimensions: [("feed", Self.labelValue(feed)), ("outcome", outcome)])
                            .increment(by: count - (before[outcome] ?? 0))
                    }
                }
                feeds = now
                let readiness = await store.readiness()
                Gauge(label: "mamori_store_ready").record(readiness.isReady ? 1 : 0)
            } catch {
                Counter(label: "mamori_store_errors_total").increment()
                logger.error("store metrics read failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    static func byFeed(_ counts: [FeedCounts]) -> [String: FeedCounts] {
        Dictionary(counts.map { ($0.feed, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// A feed's counts as (outcome label, count).
    static func outcomes(of c: FeedCounts) -> [(String, Int)] {
        [
            ("parsed", c.parsed), ("rejected", c.rejected), ("not_infected", c.notInfected), ("attributed", c.attributed),
            ("not_found", c.notFound), ("ambiguous", c.ambiguous),
        ]
    }

    /// A label value from a name the ISP chose (a feed, a format): letters, digits, `_`, `-` and
    /// `.` kept, anything else `_`, at most 64 characters.
    static func labelValue(_ name: String) -> String {
        String(
            name.unicodeScalars.prefix(64).map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "_-.".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
            })
    }

    private func timed<T>(_ query: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer { Timer(label: "mamori_store_query_seconds", dimensions: [("query", query)]).record(duration: ContinuousClock.now - start) }
        return try await body()
    }
}

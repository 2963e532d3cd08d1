public import Attribution
import Dispatch
public import Foundation
public import Secrecy
public import StoreSQLite
import Synchronization

/// The ingest of one AAA file into the store, shared by `ingest aaa` and `demo`.
public enum AAAIngest {
    /// What one file's ingest did.
    public struct Report: Sendable {
        public var format: AssignmentFormat?
        public var alreadyIngested = false
        public var records = 0
        public var skipped = 0
        public var added = 0
        public var duplicates = 0
        public var rejected = 0
        /// The first 1,000 issues (the rest counted in `issuesSuppressed`).
        public var issues: [AttributionParseIssue] = []
        public var issuesSuppressed = 0

        public init() {}

        /// One line for operators.
        public func summaryLine(name: String) -> String {
            if alreadyIngested { return "\(name): already ingested (same content), nothing added" }
            return "\(name): \(format?.rawValue ?? "?"), \(records) records, \(added) events added, "
                + "\(duplicates) already stored, \(skipped) skipped (no assignment), \(rejected) rejected"
        }
    }

    /// Ingests one file: skipped when its content is already in (the `aaa_file` ledger, by
    /// SHA-256); events committed in batches of 50,000 (a stable key per event makes a rerun after
    /// a crash add exactly what is missing); the file recorded and the ingest audited at the end.
    /// Throws ``AttributionError`` when the file cannot be read or its format is unknown.
    public static func ingest(
        url: URL, format: AssignmentFormat?, headerTimeZone: TimeZone, store: MamoriStore, audit: any AuditLog, actor: String
    ) throws -> Report {
        let name = url.lastPathComponent
        let contentHash: String
        do {
            contentHash = try FileDigest.sha256Hex(of: url)
        } catch {
            throw AttributionError.unreadable(file: name, reason: "\(error)")
        }
        var report = Report()
        if try store.hasIngestedFile(sha256: contentHash) {
            report.alreadyIngested = true
            return report
        }
        // Batches are stored on a second thread while the next one is parsed (in file order,
        // one transaction each); the first store error stops the parse and is thrown.
        let storer = BatchStorer(store: store)
        let summary: ParseSummary
        do {
            summary = try AssignmentReader.stream(
                contentsOf: url, format: format, headerTimeZone: headerTimeZone, batchSize: 50_000
            ) { batch in
                for issue in batch.issues {
                    if report.issues.count < 1000 { report.issues.append(issue) } else { report.issuesSuppressed += 1 }
                }
                report.issuesSuppressed += batch.issuesSuppressed
                if !batch.events.isEmpty { try storer.submit(batch.events) }
            }
        } catch {
            _ = try? storer.finish()
            throw error
        }
        let outcome = try storer.finish()
        report.added = outcome.added
        report.duplicates = outcome.duplicates
        report.format = summary.format
        report.records = summary.recordsSeen
        report.skipped = summary.recordsSkipped
        report.rejected = summary.issues
        try store.recordIngestedFile(
            sha256: contentHash, name: name, format: summary.format.rawValue, records: summary.recordsSeen,
            events: summary.events, rejected: summary.issues)
        _ = try audit.append(
            AuditEntry(
                time: Date(), countermeasure: nil, action: "ingest-aaa", actor: actor,
                subject: "aaa_file:sha256:\(contentHash.prefix(16))",
                detail: [
                    "format": summary.format.rawValue, "records": "\(summary.recordsSeen)", "added": "\(report.added)",
                    "rejected": "\(summary.issues)",
                ]))
        return report
    }
}

/// Stores batches of events in order on a serial queue, at most two waiting: the parse of the
/// next batch overlaps the store of the last one.
final class BatchStorer: Sendable {
    private struct State {
        var added = 0
        var duplicates = 0
        var failure: (any Error)?
    }

    private let store: MamoriStore
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "mamori.ingest-aaa.store")
    private let slots = DispatchSemaphore(value: 2)

    init(store: MamoriStore) {
        self.store = store
    }

    /// Queues `events` for storing (waits while two batches wait); throws the first store error.
    func submit(_ events: [AssignmentEvent]) throws {
        slots.wait()
        if let failure = state.withLock({ $0.failure }) {
            slots.signal()
            throw failure
        }
        queue.async { [self] in
            defer { slots.signal() }
            guard state.withLock({ $0.failure == nil }) else { return }
            do {
                let outcome = try store.insert(events: events)
                state.withLock {
                    $0.added += outcome.added
                    $0.duplicates += outcome.duplicates
                }
            } catch {
                state.withLock { $0.failure = $0.failure ?? error }
            }
        }
    }

    /// Waits for every queued batch; the counts, or the first store error.
    func finish() throws -> (added: Int, duplicates: Int) {
        queue.sync {}
        let (added, duplicates, failure) = state.withLock { ($0.added, $0.duplicates, $0.failure) }
        if let failure { throw failure }
        return (added, duplicates)
    }
}

/// SHA-256 of a file's content, read in chunks (the parser then reads the file once more, streaming).
enum FileDigest {
    static func sha256Hex(of url: URL) throws -> String {
        Hex.encode(try Digest.sha256(contentsOf: url))
    }
}

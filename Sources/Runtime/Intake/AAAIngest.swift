public import Attribution
public import Foundation
import Secrecy
public import TextScanning

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
    /// a crash add exactly what is missing), the file parsed on its own thread while the last batch
    /// is stored; the file recorded with the ingest's audit record at the end, in one transaction.
    /// Throws ``AttributionError`` when the file cannot be read or its format is unknown.
    public static func ingest(
        url: URL, format: AssignmentFormat?, headerTimeZone: TimeZone, store: any AssignmentRecordStore, actor: String,
        now: Date = Date()
    ) async throws -> Report {
        let name = url.lastPathComponent
        let contentHash: String
        do {
            contentHash = try FileDigest.sha256Hex(of: url)
        } catch {
            throw AttributionError.unreadable(file: name, reason: "\(error)")
        }
        var report = Report()
        if try await store.hasIngestedFile(sha256: contentHash) {
            report.alreadyIngested = true
            return report
        }
        let summary = try await BatchPipe.run { emit in
            try AssignmentReader.stream(contentsOf: url, format: format, headerTimeZone: headerTimeZone, batchSize: 50_000) {
                try emit($0)
            }
        } consume: { batch in
            for issue in batch.issues {
                if report.issues.count < 1000 { report.issues.append(issue) } else { report.issuesSuppressed += 1 }
            }
            report.issuesSuppressed += batch.issuesSuppressed
            if !batch.events.isEmpty {
                let outcome = try await store.insert(events: batch.events, now: now)
                report.added += outcome.added
                report.duplicates += outcome.duplicates
            }
        }
        report.format = summary.format
        report.records = summary.recordsSeen
        report.skipped = summary.recordsSkipped
        report.rejected = summary.issues
        try await store.recordIngestedFile(
            AssignmentFileRecord(
                sha256: contentHash, name: name, format: summary.format.rawValue, records: summary.recordsSeen, events: summary.events,
                rejected: summary.issues, ingestedAt: now),
            audit: AuditEntry(
                time: Date(), countermeasure: nil, action: "ingest-aaa", actor: actor,
                subject: "aaa_file:sha256:\(contentHash.prefix(16))",
                detail: [
                    "format": summary.format.rawValue, "records": "\(summary.recordsSeen)", "added": "\(report.added)",
                    "rejected": "\(summary.issues)",
                ]))
        return report
    }
}

/// SHA-256 of a file's content, read in chunks (the parser then reads the file once more, streaming).
enum FileDigest {
    static func sha256Hex(of url: URL) throws -> String {
        Hex.encode(try Digest.sha256(contentsOf: url))
    }
}

import Addressing
public import Attribution
public import Foundation
import Secrecy
public import Sightings
public import TextScanning

/// Counts of one sightings ingest.
public struct SightingIngestCounts: Sendable, Hashable {
    public var parsed = 0
    public var rejected = 0
    public var notInfected = 0
    public var attributed = 0
    public var notFound = 0
    public var ambiguous = 0
    public var casesOpened = 0
    public var casesUpdated = 0
    /// The whole file was already in the store (same content): nothing done.
    public var alreadyIngested = false
    /// Sightings skipped because another run (earlier, or at the same time) committed them.
    public var alreadyCommitted = 0

    public init() {}

    /// Adds another ingest's counts.
    public mutating func add(_ other: SightingIngestCounts) {
        parsed += other.parsed
        rejected += other.rejected
        notInfected += other.notInfected
        attributed += other.attributed
        notFound += other.notFound
        ambiguous += other.ambiguous
        casesOpened += other.casesOpened
        casesUpdated += other.casesUpdated
        alreadyCommitted += other.alreadyCommitted
    }
}

/// Case intake: sightings → identification → cases.
///
/// Identification happens here, under the purpose of the sighting's countermeasure
/// (``InfectedHostNotification`` for sensors and reports, ``CnCTakedownNotification`` for
/// takedown logs), and only this module can open the result. The subscriber identity is used
/// for one thing: to group sightings into that subscriber's case.
///
/// A file is read in batches; each batch is attributed and written in one store transaction,
/// with the audit record of every identification in it. The store's ledger makes the intake
/// exact: a file already in is skipped, a file half in (a crash, or another run of the same
/// file at the same time) goes on where the committed part ends.
///
/// ```swift
/// let intake = CaseIntake(store: store.remediationStore(), attributor: attributor, actor: "cli")
/// let counts = try await intake.ingest(contentsOf: url, feed: nil) { issue in log(issue.description) }
/// ```
public struct CaseIntake: Sendable {
    public let store: any RemediationStore
    public let attributor: Attributor
    public let casePolicy: CasePolicy
    public let actor: String
    /// Sightings per batch transaction.
    public var batchSize: Int

    public init(
        store: any RemediationStore, attributor: Attributor, casePolicy: CasePolicy = CasePolicy(), actor: String,
        batchSize: Int = 65_536
    ) {
        self.store = store
        self.attributor = attributor
        self.casePolicy = casePolicy
        self.actor = actor
        self.batchSize = max(1, batchSize)
    }

    /// A file that cannot be read or whose feed is not known.
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Ingests one sightings file, streaming, one transaction per batch.
    ///
    /// Issues (bad records) go to `onIssue` (at most the reader's issue limit; the rest are
    /// counted). Throws ``Unreadable`` when the file cannot be read or its feed is unknown.
    public func ingest(
        contentsOf url: URL, feed: SightingFeed?, reader: SightingReader = SightingReader(), now: Date = Date(),
        onIssue: (SightingParseIssue) -> Void = { _ in }
    ) async throws -> SightingIngestCounts {
        let name = url.lastPathComponent
        let file: SightingFileRef
        do {
            file = SightingFileRef(sha256: Hex.encode(try Digest.sha256(contentsOf: url)), name: name)
        } catch {
            throw Unreadable(description: "\(name): cannot read")
        }
        var counts = SightingIngestCounts()
        if let progress = try await store.sightingFile(sha256: file.sha256), progress.complete {
            counts.alreadyIngested = true
            return counts
        }
        var position = 0
        let pseudonyms = PseudonymMemo(attributor.pseudonymizer)
        let summary: SightingSummary
        let batchSize = batchSize
        do {
            // The file is parsed on its own thread while the last batch is attributed and stored.
            summary = try await BatchPipe.run { emit in
                try reader.stream(contentsOf: url, feed: feed, batchSize: batchSize) { try emit($0) }
            } consume: { batch in
                let range = position..<(position + batch.count)
                position = range.upperBound
                try await commit(
                    batch, range: range, feedName: nil, file: file, now: now, pseudonyms: pseudonyms, counts: &counts)
            }
        } catch let error as SightingError {
            throw Unreadable(description: "\(error)")
        }
        for issue in summary.issues { onIssue(issue) }
        counts.parsed = summary.recordsSeen
        counts.rejected = summary.issueCount
        counts.notInfected = summary.notInfected
        let completed = try await complete(file: file, feed: summary.feed, counts: counts, now: now)
        if !completed && counts.attributed + counts.notFound + counts.ambiguous == 0 {
            counts = SightingIngestCounts()
            counts.alreadyIngested = true
        }
        return counts
    }

    /// Ingests sightings already in memory as one batch, outside the file ledger (tests,
    /// benchmarks, and feeds that are not files).
    public func ingest(
        sightings: [Sighting], feed: String, parsed: Int, rejected: Int, notInfected: Int, now: Date = Date()
    ) async throws -> SightingIngestCounts {
        var counts = SightingIngestCounts()
        try await commit(
            sightings, range: 0..<sightings.count, feedName: feed, file: nil, now: now,
            pseudonyms: PseudonymMemo(attributor.pseudonymizer), counts: &counts)
        counts.parsed = parsed
        counts.rejected = rejected
        counts.notInfected = notInfected
        _ = try await complete(file: nil, feed: feed, counts: counts, now: now)
        return counts
    }

    /// Whether a sightings file of this content (SHA-256, hex) is already complete in the ledger.
    public func isIngested(sha256: String) async throws -> Bool {
        try await store.sightingFile(sha256: sha256)?.complete ?? false
    }

    /// Ingests the sightings a sensor derived from one file (a capture or a flow export), under
    /// the file ledger like a feed's file: a file already complete is skipped (its counts say
    /// ``SightingIngestCounts/alreadyIngested``), a file half in goes on where the committed part
    /// ends.
    public func ingest(
        sightings: [Sighting], from file: SightingFileRef, feed: String, parsed: Int, rejected: Int, notInfected: Int, now: Date = Date()
    ) async throws -> SightingIngestCounts {
        var counts = SightingIngestCounts()
        if try await isIngested(sha256: file.sha256) {
            counts.alreadyIngested = true
            return counts
        }
        if !sightings.isEmpty {
            try await commit(
                sightings, range: 0..<sightings.count, feedName: feed, file: file, now: now,
                pseudonyms: PseudonymMemo(attributor.pseudonymizer), counts: &counts)
        }
        counts.parsed = parsed
        counts.rejected = rejected
        counts.notInfected = notInfected
        let completed = try await complete(file: file, feed: feed, counts: counts, now: now)
        if !completed && counts.attributed + counts.notFound + counts.ambiguous == 0 {
            counts = SightingIngestCounts()
            counts.alreadyIngested = true
        }
        return counts
    }

    /// Attributes one batch and updates its subscribers' cases, inside one store transaction.
    private func commit(
        _ batch: [Sighting], range: Range<Int>, feedName: String?, file: SightingFileRef?, now: Date,
        pseudonyms: PseudonymMemo, counts: inout SightingIngestCounts
    ) async throws {
        var batchCounts = SightingIngestCounts()
        var collector = AuditCollector()
        // Attributed sightings by their index in the batch (not copied).
        var attributed: [(index: Int, subscriber: String, countermeasure: CountermeasureID, kind: NoticeKind)] = []
        let outcome = try await store.commitSightingBatch(file: file, range: range) { alreadyCommitted in
            batchCounts = SightingIngestCounts()
            let skip = min(batch.count, max(0, alreadyCommitted))
            batchCounts.alreadyCommitted = skip
            collector = AuditCollector()
            attributed.removeAll(keepingCapacity: true)
            attributed.reserveCapacity(batch.count - skip)
            for index in batch.indices.dropFirst(skip) {
                let sighting = batch[index]
                if sighting.kind == .cncLogEntry {
                    let identification = try attributor.identify(
                        CnCTakedownNotification.self, capability: .init(), address: sighting.source, at: sighting.time,
                        port: sighting.sourcePort, auditingTo: collector, pseudonyms: pseudonyms)
                    if let subscriber = Self.outcome(identification, capability: .init(), counts: &batchCounts) {
                        attributed.append((index, subscriber, CnCTakedownNotification.countermeasure, .cncContact))
                    }
                } else {
                    let identification = try attributor.identify(
                        InfectedHostNotification.self, capability: .init(), address: sighting.source, at: sighting.time,
                        port: sighting.sourcePort, auditingTo: collector, pseudonyms: pseudonyms)
                    if let subscriber = Self.outcome(identification, capability: .init(), counts: &batchCounts) {
                        attributed.append((index, subscriber, InfectedHostNotification.countermeasure, .infectedHost))
                    }
                }
            }
            return Set(attributed.map(\.subscriber))
        } cases: { active in
            var book = CaseBook(active: active, policy: casePolicy)
            for a in attributed {
                let sighting = batch[a.index]
                book.apply(
                    countermeasure: a.countermeasure, kind: a.kind, subscriber: a.subscriber, family: sighting.family ?? "",
                    time: sighting.time, evidence: sighting.feed + " " + sighting.evidence)
            }
            batchCounts.casesOpened = book.opened
            batchCounts.casesUpdated = book.updated
            var feedCounts = FeedCounts(feed: feedName ?? batch.first?.feed ?? "")
            feedCounts.attributed = batchCounts.attributed
            feedCounts.notFound = batchCounts.notFound
            feedCounts.ambiguous = batchCounts.ambiguous
            return SightingBatchWrite(cases: book.changedCases, counts: feedCounts, audit: collector.entries)
        }
        switch outcome {
        case .committed:
            counts.add(batchCounts)
        case .alreadyCommitted, .fileComplete:
            counts.alreadyCommitted += batch.count
        }
    }

    /// Marks the file complete with its counts and the ingest's audit record.
    private func complete(file: SightingFileRef?, feed: String, counts: SightingIngestCounts, now: Date) async throws -> Bool {
        var feedCounts = FeedCounts(feed: feed)
        feedCounts.parsed = counts.parsed
        feedCounts.rejected = counts.rejected
        feedCounts.notInfected = counts.notInfected
        let entry = AuditEntry(
            time: now, countermeasure: nil, action: "ingest-sightings", actor: actor,
            subject: file.map { "sighting_file:sha256:\($0.sha256.prefix(16))" } ?? "feed:\(feed)",
            detail: [
                "feed": feed, "parsed": "\(counts.parsed)", "rejected": "\(counts.rejected)", "not_infected": "\(counts.notInfected)",
                "attributed": "\(counts.attributed)", "not_found": "\(counts.notFound)", "ambiguous": "\(counts.ambiguous)",
                "cases_opened": "\(counts.casesOpened)", "cases_updated": "\(counts.casesUpdated)",
                "already_committed": "\(counts.alreadyCommitted)",
            ])
        return try await store.completeSightingFile(file, counts: feedCounts, audit: entry)
    }

    private static func outcome<P: Purpose>(
        _ identification: Identification<P>, capability: P.Capability, counts: inout SightingIngestCounts
    ) -> String? {
        switch identification {
        case .found(let bound):
            counts.attributed += 1
            return bound.open(capability).subscriber
        case .notFound:
            counts.notFound += 1
            return nil
        case .ambiguous:
            counts.ambiguous += 1
            return nil
        }
    }

    // MARK: cases for operators

    /// Cases, subscribers pseudonymised.
    public func summaries(status: CaseStatus? = nil) async throws -> [CaseSummary] {
        try await store.cases(status: status).compactMap { c in
            guard let id = c.id else { return nil }
            return CaseSummary(
                id: id, countermeasure: c.countermeasure,
                subscriberPseudonym: attributor.pseudonymizer.pseudonym(subscriber: c.subscriber), family: c.family,
                firstSeen: c.firstSeen, lastSeen: c.lastSeen, sightings: c.sightings, status: c.status, notices: c.notices)
        }
    }
}

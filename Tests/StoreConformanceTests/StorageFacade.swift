import Attribution
import Foundation
import Remediation
import Secrecy
import Storage

/// One value answering every domain protocol of a ``Storage`` (SQLite hands them out as
/// separate objects), so the suite's bodies are written once.
struct StorageFacade: AssignmentRecordStore, AuditLog, RemediationStore, RemediationPageStore {
    let storage: any Storage

    // AssignmentRecordStore
    func insert(events: [AssignmentEvent], now: Date) async throws -> (added: Int, duplicates: Int) {
        try await storage.assignments.insert(events: events, now: now)
    }
    func allEvents() async throws -> [AssignmentEvent] { try await storage.assignments.allEvents() }
    func purgeEvents(endedBefore cutoff: Date) async throws -> Int { try await storage.assignments.purgeEvents(endedBefore: cutoff) }
    func eventCount() async throws -> Int { try await storage.assignments.eventCount() }
    func assignmentStamp() async throws -> String { try await storage.assignments.assignmentStamp() }
    func hasIngestedFile(sha256: String) async throws -> Bool { try await storage.assignments.hasIngestedFile(sha256: sha256) }
    func recordIngestedFile(_ file: AssignmentFileRecord, audit: AuditEntry) async throws {
        try await storage.assignments.recordIngestedFile(file, audit: audit)
    }

    // AuditLog
    func append(_ entry: AuditEntry) async throws -> AuditRecord { try await storage.audit.append(entry) }
    func records(from sequence: Int64) async throws -> [AuditRecord] { try await storage.audit.records(from: sequence) }

    // RemediationStore
    func upsert(contacts: [SubscriberContact], audit: AuditEntry) async throws -> Int {
        try await storage.remediation.upsert(contacts: contacts, audit: audit)
    }
    func contact(of subscriber: String) async throws -> SubscriberContact? { try await storage.remediation.contact(of: subscriber) }
    func sightingFile(sha256: String) async throws -> SightingFileProgress? { try await storage.remediation.sightingFile(sha256: sha256) }
    func commitSightingBatch(
        file: SightingFileRef?, range: Range<Int>, attribute: SightingBatchAttribution, cases: SightingBatchCases
    ) async throws -> SightingBatchOutcome {
        try await storage.remediation.commitSightingBatch(file: file, range: range, attribute: attribute, cases: cases)
    }
    func completeSightingFile(_ file: SightingFileRef?, counts: FeedCounts, audit: AuditEntry) async throws -> Bool {
        try await storage.remediation.completeSightingFile(file, counts: counts, audit: audit)
    }
    func cases(status: CaseStatus?) async throws -> [CaseRecord] { try await storage.remediation.cases(status: status) }
    func casesInProgress() async throws -> [CaseRecord] { try await storage.remediation.casesInProgress() }
    func caseRecord(id: Int64) async throws -> CaseRecord? { try await storage.remediation.caseRecord(id: id) }
    func feedCounts() async throws -> [FeedCounts] { try await storage.remediation.feedCounts() }
    func lastNoticeTimes(since: Date) async throws -> [String: Date] { try await storage.remediation.lastNoticeTimes(since: since) }
    func enqueue(
        _ notice: NoticeRecord, token: TokenRecord, expectedNotices: Int, expectedStatus: CaseStatus, minimumGap: TimeInterval,
        audit: AuditEntry
    ) async throws -> EnqueueOutcome {
        try await storage.remediation.enqueue(
            notice, token: token, expectedNotices: expectedNotices, expectedStatus: expectedStatus, minimumGap: minimumGap, audit: audit)
    }
    func expire(caseID: Int64, lastSeen: Date, audit: AuditEntry) async throws -> Bool {
        try await storage.remediation.expire(caseID: caseID, lastSeen: lastSeen, audit: audit)
    }
    func claimNotice(owner: String, dueBy: Date, now: Date, lease: TimeInterval) async throws -> NoticeRecord? {
        try await storage.remediation.claimNotice(owner: owner, dueBy: dueBy, now: now, lease: lease)
    }
    func markSent(_ id: Int64, owner: String, at: Date, reply: String, audit: AuditEntry) async throws -> Bool {
        try await storage.remediation.markSent(id, owner: owner, at: at, reply: reply, audit: audit)
    }
    func markRetry(_ id: Int64, owner: String, next: Date, error: String) async throws {
        try await storage.remediation.markRetry(id, owner: owner, next: next, error: error)
    }
    func markFailed(_ id: Int64, owner: String, error: String, audit: AuditEntry) async throws {
        try await storage.remediation.markFailed(id, owner: owner, error: error, audit: audit)
    }
    func notices() async throws -> [NoticeRecord] { try await storage.remediation.notices() }
    func issuePreview(token: TokenRecord, audit: AuditEntry) async throws { try await storage.remediation.issuePreview(token: token, audit: audit) }
    func token(hash: String) async throws -> TokenRecord? { try await storage.remediation.token(hash: hash) }
    func append(audit: AuditEntry) async throws { try await storage.remediation.append(audit: audit) }

    // RemediationPageStore
    func pageToken(hash: String) async throws -> TokenRecord? { try await storage.page.pageToken(hash: hash) }
    func pageCase(id: Int64) async throws -> CaseRecord? { try await storage.page.pageCase(id: id) }
    func markRemediated(caseID: Int64, at: Date, audit: AuditEntry) async throws -> Bool {
        try await storage.page.markRemediated(caseID: caseID, at: at, audit: audit)
    }
    func appendPageAudit(_ audit: AuditEntry) async throws { try await storage.page.appendPageAudit(audit) }
}

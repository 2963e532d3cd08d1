import Foundation
import Secrecy
import SiteWarning
import Storage
import Testing

/// The site-owner notices' outbox on every backend: one notice per name and recipient, audited;
/// claims by two workers never overlap; sent, retried and failed states with their audit.
@Suite("Site-report store conformance")
struct SiteReportConformanceTests {
    static let t = Date(timeIntervalSince1970: 1_795_737_600)
    static let desk = SiteReporter(organization: "Example ISP", contact: "abuse@isp.example", domain: "isp.example")

    static func record(_ domain: String, to recipient: String) throws -> (SiteReportRecord, AuditEntry) {
        let site = ListedSite(domain: domain, kind: .malwareSite, list: "feed", listedAt: t, reason: "dropper", feedContact: nil)
        let report = try SiteOwnerReport(site: site, recipient: recipient, reporter: desk, format: .xarf, reportID: UUID(), now: t)
        return (SiteReportRecord(report, mailDomain: "isp.example"), report.auditEntry(action: "notice-queued", actor: "test", time: t))
    }

    @Test(arguments: Backend.all)
    func oneNoticePerNameAndRecipientClaimedOnce(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let storage = try SiteWarningConformanceTests.storage(h.store)
            let reports = storage.siteReports
            for i in 0..<20 {
                let (record, audit) = try Self.record("site\(i).example", to: "abuse@host.example")
                #expect(try await reports.enqueue(record, audit: audit))
            }
            // The same name to the same recipient again: not queued, not audited.
            let (again, againAudit) = try Self.record("site0.example", to: "abuse@host.example")
            #expect(try await !reports.enqueue(again, audit: againAudit))
            // To another recipient: a notice of its own.
            let (other, otherAudit) = try Self.record("site0.example", to: "abuse@other.example")
            #expect(try await reports.enqueue(other, audit: otherAudit))
            let stored = try await reports.siteReports()
            #expect(stored.count == 21)
            #expect(stored.first?.parts.map(\.fileName) == [nil, "xarf.json"])
            #expect(stored.first?.text.contains("site0.example") == true)

            // Two workers claim at once: disjoint, and all of them.
            let now = Self.t.addingTimeInterval(60)
            async let a = Self.claimAll(reports, owner: "a", now: now)
            async let b = Self.claimAll(reports, owner: "b", now: now)
            let (claimedA, claimedB) = try await (a, b)
            #expect(Set(claimedA).isDisjoint(with: Set(claimedB)))
            #expect(claimedA.count + claimedB.count == 21)

            // Sent (audited once), retried (not audited), failed (audited).
            let sentID = try #require(claimedA.first)
            let audit = { (action: String) in
                AuditEntry(time: now, countermeasure: .siteOwnerNotice, action: action, actor: "test", subject: "site:x", detail: [:])
            }
            #expect(try await reports.markReportSent(sentID, owner: "a", at: now, reply: "250 ok", audit: audit("notice-sent")))
            #expect(try await !reports.markReportSent(sentID, owner: "a", at: now, reply: "250 ok", audit: audit("notice-sent")))
            let retryID = try #require(claimedB.first)
            try await reports.markReportRetry(retryID, owner: "b", next: now.addingTimeInterval(600), error: "421 busy")
            let failedID = try #require(claimedA.dropFirst().first)
            try await reports.markReportFailed(failedID, owner: "a", error: "550 no such user", audit: audit("notice-failed"))
            let after = Dictionary(uniqueKeysWithValues: try await reports.siteReports().compactMap { r in r.id.map { ($0, r) } })
            #expect(after[sentID]?.status == .sent)
            #expect(after[sentID]?.sentAt == now)
            #expect(after[retryID]?.status == .queued)
            #expect(after[retryID]?.lastError == "421 busy")
            #expect(after[failedID]?.status == .failed)
            // The retried one is not due before its time; then it is, with its attempt counted.
            #expect(try await reports.claimReport(owner: "c", dueBy: now, now: now, lease: 60) == nil)
            let later = now.addingTimeInterval(601)
            let retried = try await reports.claimReport(owner: "c", dueBy: later, now: later, lease: 60)
            #expect(retried?.id == retryID)
            #expect(retried?.attempts == 2)

            let actions = try await storage.audit.records(from: 1).filter { $0.entry.countermeasure == .siteOwnerNotice }.map(\.entry.action)
            #expect(actions.filter { $0 == "notice-queued" }.count == 21)
            #expect(actions.filter { $0 == "notice-sent" }.count == 1)
            #expect(actions.filter { $0 == "notice-failed" }.count == 1)
        }
    }

    static func claimAll(_ reports: any SiteReportStore, owner: String, now: Date) async throws -> [Int64] {
        var ids: [Int64] = []
        // Leases outlast the test's clock (now + 601 s), so only the retried report is due again.
        while let claimed = try await reports.claimReport(owner: owner, dueBy: now, now: now, lease: 3600) {
            if let id = claimed.id { ids.append(id) }
            await Task.yield()
        }
        return ids
    }
}

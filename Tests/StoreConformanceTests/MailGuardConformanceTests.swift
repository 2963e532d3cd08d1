import Foundation
import MailGuard
import Secrecy
import Storage
import Testing

/// The mail guard's state and the owners' notices on every backend: alerts, suspensions and
/// blocks written and deleted as changes; one notice per suspension, audited; claims by two
/// workers never overlap; sent, retried and failed states with their audit.
@Suite("Mail guard store conformance")
struct MailGuardConformanceTests {
    static let t = Date(timeIntervalSince1970: 1_795_737_600)

    @Test(arguments: Backend.all)
    func alertsSuspensionsAndBlocksRoundTrip(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let mail = try SiteWarningConformanceTests.storage(h.store).mailGuardStore
            #expect(try await mail.mailGuardSnapshot() == MailGuardSnapshot())
            let raised = RaisedAlert(alert: .load, since: Self.t, source: .cli)
            let suspension = Suspension(
                authID: "alice@isp.example", since: Self.t, until: Self.t.addingTimeInterval(600), reason: "distinct-addresses")
            let block = Block(address: "192.0.2.7", since: Self.t, lastFailure: Self.t.addingTimeInterval(5), attempts: 10)
            try await mail.apply([.alert(.load, raised), .suspension(suspension.authID, suspension), .block(block.address, block)])
            var expected = MailGuardSnapshot(alerts: [.load: raised], suspensions: [suspension.authID: suspension], blocks: [block.address: block])
            #expect(try await mail.mailGuardSnapshot() == expected)
            // Another process sees the same; a change replaces the row.
            let another = try SiteWarningConformanceTests.storage(try await h.another()).mailGuardStore
            var later = block
            later.lastFailure = Self.t.addingTimeInterval(30)
            later.attempts = 12
            try await another.apply([
                .block(block.address, later), .alert(.authFailure, RaisedAlert(alert: .authFailure, since: Self.t, source: .webhook)),
            ])
            expected.blocks[block.address] = later
            expected.alerts[.authFailure] = RaisedAlert(alert: .authFailure, since: Self.t, source: .webhook)
            #expect(try await mail.mailGuardSnapshot() == expected)
            // Deleting leaves nothing per ID or address behind.
            try await mail.apply([.alert(.load, nil), .alert(.authFailure, nil), .suspension(suspension.authID, nil), .block(block.address, nil)])
            #expect(try await mail.mailGuardSnapshot() == MailGuardSnapshot())
        }
    }

    static func notice(_ login: String, suspendedAt: Date) -> MailNoticeRecord {
        MailNoticeRecord(
            login: login, suspendedAt: suspendedAt, recipient: login, messageID: "<mail-notice.\(UUID().uuidString.lowercased())@isp.example>",
            subject: "SMTP AUTH suspended", text: "パスワードを変更してください\n\nPlease change the password\n", nextAttemptAt: t, createdAt: t)
    }

    static func audit(_ action: String) -> AuditEntry {
        AuditEntry(time: t, countermeasure: .smtpCredentialAbuse, action: action, actor: "test", subject: "sub:x", detail: [:])
    }

    @Test(arguments: Backend.all)
    func oneNoticePerSuspensionClaimedOnce(_ backend: Backend) async throws {
        try await withHarness(backend) { h in
            let storage = try SiteWarningConformanceTests.storage(h.store)
            let notices = storage.mailNotices
            for i in 0..<12 {
                #expect(
                    try await notices.enqueueMailNotice(Self.notice("user\(i)@isp.example", suspendedAt: Self.t), audit: Self.audit("notice-queued")))
            }
            // The same suspension again (another serve, a retried tick): not queued, not audited.
            #expect(try await !notices.enqueueMailNotice(Self.notice("user0@isp.example", suspendedAt: Self.t), audit: Self.audit("notice-queued")))
            // A later suspension of the same ID: a notice of its own.
            let later = Self.t.addingTimeInterval(86_400)
            #expect(try await notices.enqueueMailNotice(Self.notice("user0@isp.example", suspendedAt: later), audit: Self.audit("notice-queued")))
            let stored = try await notices.mailNotices()
            #expect(stored.count == 13)
            #expect(stored.first?.text.hasPrefix("パスワード") == true)
            #expect(stored.last?.suspendedAt == later)

            let now = Self.t.addingTimeInterval(60)
            async let a = Self.claimAll(notices, owner: "a", now: now)
            async let b = Self.claimAll(notices, owner: "b", now: now)
            let (claimedA, claimedB) = try await (a, b)
            #expect(Set(claimedA).isDisjoint(with: Set(claimedB)))
            #expect(claimedA.count + claimedB.count == 13)

            let sentID = try #require(claimedA.first)
            #expect(try await notices.markMailNoticeSent(sentID, owner: "a", at: now, reply: "250 ok", audit: Self.audit("notice-sent")))
            #expect(try await !notices.markMailNoticeSent(sentID, owner: "a", at: now, reply: "250 ok", audit: Self.audit("notice-sent")))
            let retryID = try #require(claimedB.first)
            try await notices.markMailNoticeRetry(retryID, owner: "b", next: now.addingTimeInterval(600), error: "421 busy")
            let failedID = try #require(claimedA.dropFirst().first)
            try await notices.markMailNoticeFailed(failedID, owner: "a", error: "550 no such user", audit: Self.audit("notice-failed"))
            let after = Dictionary(uniqueKeysWithValues: try await notices.mailNotices().compactMap { r in r.id.map { ($0, r) } })
            #expect(after[sentID]?.status == .sent)
            #expect(after[sentID]?.sentAt == now)
            #expect(after[retryID]?.status == .queued)
            #expect(after[retryID]?.lastError == "421 busy")
            #expect(after[failedID]?.status == .failed)
            #expect(try await notices.claimMailNotice(owner: "c", dueBy: now, now: now, lease: 60) == nil)
            let due = now.addingTimeInterval(601)
            let retried = try await notices.claimMailNotice(owner: "c", dueBy: due, now: due, lease: 60)
            #expect(retried?.id == retryID)
            #expect(retried?.attempts == 2)

            let actions = try await storage.audit.records(from: 1).filter { $0.entry.countermeasure == .smtpCredentialAbuse }.map(\.entry.action)
            #expect(actions.filter { $0 == "notice-queued" }.count == 13)
            #expect(actions.filter { $0 == "notice-sent" }.count == 1)
            #expect(actions.filter { $0 == "notice-failed" }.count == 1)

            // The notices are of retention class `notices`: purged by their creation time.
            let purge = { (result: PurgeResult) in
                AuditEntry(time: Self.t, countermeasure: nil, action: "purge", actor: "test", subject: "notices", detail: [:])
            }
            #expect(try await storage.purge(.notices, before: Self.t, audit: purge).deleted["mail_notice"] == 0)
            #expect(try await storage.purge(.notices, before: Self.t.addingTimeInterval(1), audit: purge).deleted["mail_notice"] == 13)
            #expect(try await notices.mailNotices().isEmpty)
        }
    }

    static func claimAll(_ notices: any MailNoticeStore, owner: String, now: Date) async throws -> [Int64] {
        var ids: [Int64] = []
        // Leases outlast the test's clock (now + 601 s), so only the retried notice is due again.
        while let claimed = try await notices.claimMailNotice(owner: owner, dueBy: now, now: now, lease: 3600) {
            if let id = claimed.id { ids.append(id) }
            await Task.yield()
        }
        return ids
    }
}

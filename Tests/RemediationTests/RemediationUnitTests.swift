import Foundation
import Secrecy
import Testing
import TextScanning

@testable import Remediation

@Suite struct CaseBookTests {
    let t0 = Date(timeIntervalSince1970: 1_795_737_600)

    @Test func sightingsOfOneSubscriberAndFamilyWithinTheWindowFormOneCase() {
        var book = CaseBook(active: [], policy: CasePolicy(window: 3600, expireAfter: 86_400))
        book.apply(countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "mirai", time: t0, evidence: "e1")
        book.apply(
            countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "mirai", time: t0.addingTimeInterval(1800),
            evidence: "e2")
        book.apply(
            countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "sality", time: t0.addingTimeInterval(60),
            evidence: "e3")
        book.apply(
            countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "b", family: "mirai", time: t0.addingTimeInterval(60),
            evidence: "e4")
        #expect(book.opened == 3)
        let mirai = book.cases.first { $0.subscriber == "a" && $0.family == "mirai" }
        #expect(mirai?.sightings == 2)
        #expect(mirai?.lastSeen == t0.addingTimeInterval(1800))
        #expect(mirai?.evidence == "e2")
    }

    @Test func aSightingAfterTheWindowStartsANewCaseAndExpiresTheOld() {
        let old = CaseRecord(
            id: 7, countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "mirai", firstSeen: t0,
            lastSeen: t0, sightings: 1, status: .notified)
        var book = CaseBook(active: [old], policy: CasePolicy(window: 3600, expireAfter: 86_400))
        book.apply(
            countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "mirai", time: t0.addingTimeInterval(7200),
            evidence: "e")
        #expect(book.opened == 1)
        #expect(book.updated == 1)
        #expect(book.changedCases.first { $0.id == 7 }?.status == .expired)
        #expect(book.changedCases.first { $0.id == nil }?.status == .open)
    }

    @Test func sightingsAfterRemediationReopen() {
        let remediated = CaseRecord(
            id: 3, countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "mirai", firstSeen: t0,
            lastSeen: t0, sightings: 4, status: .remediated, lastNoticeAt: t0, notices: 1, remediatedAt: t0.addingTimeInterval(100))
        var book = CaseBook(active: [remediated], policy: CasePolicy())
        // A late sighting from before the remediation does not reopen.
        book.apply(
            countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "mirai", time: t0.addingTimeInterval(50),
            evidence: "late")
        #expect(book.cases[0].status == .remediated)
        book.apply(
            countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "mirai", time: t0.addingTimeInterval(500),
            evidence: "again")
        #expect(book.cases[0].status == .reopened)
        #expect(book.cases[0].reopenCount == 1)
        #expect(book.cases[0].sightings == 6)
        #expect(book.opened == 0)
        #expect(book.updated == 1)
    }

    @Test func purposesDoNotMix() {
        var book = CaseBook(active: [], policy: CasePolicy())
        book.apply(countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "x", time: t0, evidence: "")
        book.apply(countermeasure: .cncTakedownNotification, kind: .cncContact, subscriber: "a", family: "x", time: t0, evidence: "")
        #expect(book.opened == 2)
    }
}

@Suite struct NoticePolicyTests {
    let t0 = Date(timeIntervalSince1970: 1_795_737_600)
    let policy = NoticePolicy(reminderAfter: 7 * 86_400, minimumGap: 3 * 86_400)

    func makeCase(_ status: CaseStatus, lastSeen: TimeInterval, lastNotice: TimeInterval?, remediated: TimeInterval? = nil) -> CaseRecord {
        CaseRecord(
            id: 1, countermeasure: .infectedHostNotification, kind: .infectedHost, subscriber: "a", family: "", firstSeen: t0,
            lastSeen: t0.addingTimeInterval(lastSeen), sightings: 1, status: status,
            lastNoticeAt: lastNotice.map { t0.addingTimeInterval($0) }, remediatedAt: remediated.map { t0.addingTimeInterval($0) })
    }

    @Test func firstNoticeAtOnce() {
        #expect(policy.noticeDue(for: makeCase(.open, lastSeen: 0, lastNotice: nil), now: t0) == .first)
    }

    @Test func reminderOnlyWhenSightingsContinueAndTimeHasPassed() {
        let day: TimeInterval = 86_400
        // Sightings continued after the notice, 8 days ago: reminder.
        #expect(policy.noticeDue(for: makeCase(.notified, lastSeen: 2 * day, lastNotice: 0), now: t0.addingTimeInterval(8 * day)) == .reminder)
        // Too soon.
        #expect(policy.noticeDue(for: makeCase(.notified, lastSeen: 2 * day, lastNotice: 0), now: t0.addingTimeInterval(6 * day)) == nil)
        // No sightings after the notice.
        #expect(policy.noticeDue(for: makeCase(.notified, lastSeen: 0, lastNotice: 10), now: t0.addingTimeInterval(30 * day)) == nil)
        // Remediated and expired cases are never notified.
        #expect(policy.noticeDue(for: makeCase(.remediated, lastSeen: 0, lastNotice: nil), now: t0) == nil)
        #expect(policy.noticeDue(for: makeCase(.expired, lastSeen: 0, lastNotice: nil), now: t0) == nil)
        // Reopened after remediation: a new first notice, once.
        #expect(
            policy.noticeDue(for: makeCase(.reopened, lastSeen: 3 * day, lastNotice: 0, remediated: day), now: t0.addingTimeInterval(4 * day))
                == .first)
        #expect(
            policy.noticeDue(for: makeCase(.reopened, lastSeen: 3 * day, lastNotice: 2 * day, remediated: day), now: t0.addingTimeInterval(4 * day))
                == nil)
    }

    @Test func backoffDoubles() {
        let p = NoticePolicy(retryBase: 60)
        #expect(p.backoff(afterAttempts: 1) == 60)
        #expect(p.backoff(afterAttempts: 2) == 120)
        #expect(p.backoff(afterAttempts: 4) == 480)
    }
}

@Suite struct TokenAndTemplateTests {
    @Test func tokensAreUnguessableAndWellFormed() throws {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let token = try PersonalToken.make()
            #expect(PersonalToken.isWellFormed(token))
            #expect(seen.insert(token).inserted)
        }
        #expect(PersonalToken.byteCount * 8 >= 128)
        #expect(!PersonalToken.isWellFormed("short"))
        #expect(!PersonalToken.isWellFormed(String(repeating: "a", count: 21) + "/"))
        #expect(PersonalToken.hash("x").count == 64)
    }

    @Test func bundledTemplatesRenderBothLanguages() throws {
        let templates = try NoticeTemplates.bundled()
        let t0 = Date(timeIntervalSince1970: 1_795_737_600)  // 2026-11-27 00:00 UTC = 09:00 JST
        for kind in NoticeKind.allCases {
            for type in NoticeType.allCases {
                let ja = templates.render(
                    kind: kind, type: type, language: .ja, family: "mirai", firstSeen: t0, lastSeen: t0, link: "http://x/r/TOKEN",
                    expires: t0)
                #expect(ja.subject.contains("まもりネット"))
                #expect(ja.body.contains("http://x/r/TOKEN"))
                #expect(ja.body.contains("2026年11月27日 09:00（日本時間）"))
                #expect(ja.body.contains("mirai"))
                #expect(!ja.body.contains("{{"))
                let en = templates.render(
                    kind: kind, type: type, language: .en, family: "", firstSeen: t0, lastSeen: t0, link: "http://x/r/TOKEN", expires: t0)
                #expect(en.subject.contains("Mamori Net"))
                #expect(en.body.contains("27 November 2026, 09:00 JST"))
                #expect(en.body.contains("family not identified"))
                #expect(!en.body.contains("{{"))
            }
        }
    }

    @Test func templateDirectoryMustBeCompleteAndKnown() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tpl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(throws: TemplateError.self) { try NoticeTemplates(directory: dir) }
        #expect(throws: TemplateError.self) { try NoticeTemplates.parse("Subject: {{password}}\nbody", file: "x.txt") }
        #expect(throws: TemplateError.self) { try NoticeTemplates.parse("no subject line", file: "x.txt") }
    }
}

@Suite struct DirectoryCSVTests {
    @Test func importsGoodRowsAndNamesBadOnes() {
        let csv = """
            subscriber,email,language
            sub-1@isp.example,taro@example.jp,ja
            "sub,2",hanako@example.jp,en
            sub-3,not-an-address,ja
            sub-4,jiro@example.jp,fr
            ,x@example.jp,ja
            sub-5,saburo@example.jp,
            """
        let (contacts, issues) = SubscriberDirectoryCSV.parse(csv, file: "dir.csv")
        #expect(contacts.map(\.subscriber) == ["sub-1@isp.example", "sub,2", "sub-5"])
        #expect(contacts[1].language == .en)
        #expect(contacts[2].language == .ja)
        #expect(
            issues.map(\.description) == [
                "dir.csv:4: email: not an e-mail address", "dir.csv:5: language: must be ja or en", "dir.csv:6: subscriber: empty",
            ])
        let wrongHeader = SubscriberDirectoryCSV.parse("id,mail\n", file: "h.csv")
        #expect(wrongHeader.contacts.isEmpty)
        #expect(wrongHeader.issues.first?.description.contains("header") == true)
    }
}

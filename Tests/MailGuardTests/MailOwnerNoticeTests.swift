import Foundation
import MailGuard
import Secrecy
import Testing

/// The owner's notice: where it goes (the owner address template), and what it says.
@Suite struct MailOwnerNoticeTests {
    @Test func theOwnerAddressComesFromTheTemplate() throws {
        #expect(try MailOwnerAddress("{login}").address(for: "alice@example.jp") == "alice@example.jp")
        #expect(try MailOwnerAddress.login == MailOwnerAddress("{login}"))
        #expect(try MailOwnerAddress("{login}@example.jp").address(for: "alice") == "alice@example.jp")
        #expect(try MailOwnerAddress("{local}@example.jp").address(for: "alice@old.example.jp") == "alice@example.jp")
        // No address from a bare user name with {login}, nor from odd bytes.
        #expect(try MailOwnerAddress("{login}").address(for: "alice") == nil)
        #expect(try MailOwnerAddress("{login}").address(for: "a b@example.jp") == nil)
        #expect(try MailOwnerAddress("{login}@example.jp").address(for: "x>,y") == nil)
    }

    @Test(arguments: ["alice@example.jp", "{user}@example.jp", "{login}@{domain}"])
    func aTemplateWithoutTheLoginIsRefusedNamingIt(_ template: String) {
        #expect(throws: MailNoticeError.badOwnerAddress(template)) { try MailOwnerAddress(template) }
        #expect(MailNoticeError.badOwnerAddress(template).description.contains(template))
    }

    @Test func theNoticeIsJapaneseThenEnglishAndCarriesOnlyTheOwnersID() throws {
        let sender = MailNoticeSender(ispName: (ja: "まもりネット", en: "Mamori Net"), support: (ja: "窓口 0120-000-000", en: "Desk 0120-000-000"))
        let since = Date(timeIntervalSince1970: 1_795_737_600)
        let notice = MailOwnerNotice(
            login: "alice@example.jp", recipient: "alice@example.jp", suspendedAt: since, sender: sender, templates: try .bundled())
        #expect(notice.subject.hasPrefix("【まもりネット】") && notice.subject.contains("[Mamori Net]"))
        let ja = try #require(notice.text.range(of: "パスワードを変更してください"))
        let en = try #require(notice.text.range(of: "Please change the password"))
        #expect(ja.lowerBound < en.lowerBound)
        #expect(notice.text.contains("alice@example.jp"))
        #expect(notice.text.contains("IMAP") && notice.text.contains("webmail"))
        #expect(notice.text.contains("窓口 0120-000-000") && notice.text.contains("Desk 0120-000-000"))
        #expect(!notice.text.contains("{{"))
    }

    @Test func aTemplateWithAnUnknownPlaceholderIsRefusedNamingTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mail-notice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "Subject: x\n{{login}}\n".write(to: directory.appendingPathComponent("password-change.ja.txt"), atomically: true, encoding: .utf8)
        try "Subject: x\n{{client_address}}\n".write(
            to: directory.appendingPathComponent("password-change.en.txt"), atomically: true, encoding: .utf8)
        #expect(MailNoticeTemplates.present(in: directory))
        #expect(throws: MailNoticeError.malformedTemplate(file: "password-change.en.txt", reason: "unknown placeholder {{client_address}}")) {
            try MailNoticeTemplates(directory: directory)
        }
    }

    @Test func theAuditEntryNamesThePseudonymAndTheRecipientsDomainOnly() throws {
        let pseudonymizer = try Pseudonymizer(key: Array(repeating: 3, count: 32))
        let entry = MailOwnerNotice.auditEntry(
            action: "notice-queued", login: "alice@example.jp", suspendedAt: Date(timeIntervalSince1970: 100), recipient: "alice@example.jp",
            actor: "test", time: Date(timeIntervalSince1970: 101), pseudonymizer: pseudonymizer)
        #expect(entry.countermeasure == .smtpCredentialAbuse)
        #expect(entry.subject == pseudonymizer.pseudonym(subscriber: "alice@example.jp"))
        #expect(entry.detail == ["recipient_domain": "example.jp", "suspended-at": "100"])
    }
}

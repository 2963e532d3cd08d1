import Foundation
public import TextScanning

/// How to reach a subscriber: used only to send that subscriber's notice.
public struct SubscriberContact: Sendable, Hashable, Codable {
    /// The subscriber id attribution returns (RADIUS User-Name, the lease's client id, the CGN log's subscriber).
    public var subscriber: String
    /// The contact e-mail address.
    public var email: String
    /// The preferred language.
    public var language: Language

    public init(subscriber: String, email: String, language: Language) {
        self.subscriber = subscriber
        self.email = email
        self.language = language
    }
}

/// A problem in a subscriber directory CSV, naming the line and field (never the value).
public typealias DirectoryIssue = RecordIssue

/// The subscriber directory CSV: header `subscriber,email,language`, one subscriber a line.
///
/// Fields may be double-quoted (RFC 4180); `language` is `ja` or `en` (empty means `ja`).
/// A bad line is reported and skipped; the rest is imported.
public enum SubscriberDirectoryCSV {
    public static func parse(_ text: String, file: String) -> (contacts: [SubscriberContact], issues: [DirectoryIssue]) {
        var contacts: [SubscriberContact] = []
        var issues: [DirectoryIssue] = []
        let rows = CSVScanner.rows(text) { line, reason in issues.append(DirectoryIssue(file: file, line: line, reason: reason)) }
        guard let header = rows.first else {
            return ([], [DirectoryIssue(file: file, line: 1, reason: "empty file; expected the header subscriber,email,language")])
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard names == ["subscriber", "email", "language"] else {
            return ([], [DirectoryIssue(file: file, line: header.line, reason: "header must be subscriber,email,language")])
        }
        for row in rows.dropFirst() {
            if row.fields.count == 1 && row.fields[0].isEmpty { continue }
            guard row.fields.count == 3 else {
                issues.append(DirectoryIssue(file: file, line: row.line, reason: "expected 3 fields, found \(row.fields.count)"))
                continue
            }
            let subscriber = row.fields[0].trimmingCharacters(in: .whitespaces)
            let email = row.fields[1].trimmingCharacters(in: .whitespaces)
            let languageText = row.fields[2].trimmingCharacters(in: .whitespaces).lowercased()
            guard !subscriber.isEmpty else {
                issues.append(DirectoryIssue(file: file, line: row.line, reason: "subscriber: empty"))
                continue
            }
            guard ContactAddress.isPlausible(email) else {
                issues.append(DirectoryIssue(file: file, line: row.line, reason: "email: not an e-mail address"))
                continue
            }
            guard let language = languageText.isEmpty ? .ja : Language(rawValue: languageText) else {
                issues.append(DirectoryIssue(file: file, line: row.line, reason: "language: must be ja or en"))
                continue
            }
            contacts.append(SubscriberContact(subscriber: subscriber, email: email, language: language))
        }
        return (contacts, issues)
    }
}

/// A deliberately simple e-mail address check: one `@`, a non-empty local part, a dotted
/// domain, no spaces or control characters, no header-breaking characters.
public enum ContactAddress {
    public static func isPlausible(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else {
            return false
        }
        return !text.unicodeScalars.contains { $0.value <= 0x20 || $0 == "<" || $0 == ">" || $0 == "," || $0 == ";" || $0.value == 0x7F }
    }
}

public import Foundation
public import Mailer
public import Remediation

/// Delivers notices over SMTP to the ISP's relay.
public struct SMTPNoticeTransport: NoticeTransport {
    public let client: SMTPClient
    public let from: EmailAddress

    public init(client: SMTPClient, from: EmailAddress) {
        self.client = client
        self.from = from
    }

    struct Failure: DeliveryFailure, CustomStringConvertible {
        let error: any Error
        let isPermanent: Bool
        var description: String { "\(error)" }
    }

    public func deliver(_ notice: OutgoingNotice) async throws -> String {
        let message: MailMessage
        do {
            message = try NoticeMail.message(notice, from: from)
        } catch {
            throw Failure(error: error, isPermanent: true)
        }
        do {
            let receipt = try await client.send(message)
            if receipt.acceptedRecipients.isEmpty, let refused = receipt.rejectedRecipients.first {
                throw Failure(error: RecipientRefused(reply: refused.reply.description), isPermanent: refused.reply.code >= 500)
            }
            return receipt.finalReply.description
        } catch let error as SMTPError {
            throw Failure(error: error, isPermanent: error.isPermanent)
        }
    }
}

struct RecipientRefused: Error, CustomStringConvertible {
    let reply: String
    var description: String { "the relay refused the recipient: \(reply)" }
}

/// Writes notices as RFC 5322 `.eml` files into a folder (`notify --dry-run --out DIR`).
public struct FolderNoticeTransport: NoticeTransport {
    public let directory: URL
    public let from: EmailAddress

    public init(directory: URL, from: EmailAddress) {
        self.directory = directory
        self.from = from
    }

    public func deliver(_ notice: OutgoingNotice) async throws -> String {
        let bytes = try NoticeMail.message(notice, from: from).rfc5322()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let safe = notice.messageID.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "@" }
        let url = directory.appendingPathComponent(safe + ".eml")
        try Data(bytes).write(to: url, options: .atomic)
        return "written \(url.lastPathComponent)"
    }
}

/// The mail form of a notice.
public enum NoticeMail {
    public static func message(_ notice: OutgoingNotice, from: EmailAddress) throws -> MailMessage {
        var message = MailMessage(
            from: from, to: [try EmailAddress(notice.recipient)], subject: notice.subject, textBody: notice.body,
            messageID: notice.messageID, date: notice.date, timeZone: TimeZone(identifier: "Asia/Tokyo") ?? .gmt,
            extraHeaders: [("Auto-Submitted", "auto-generated"), ("Content-Language", notice.contentLanguages.joined(separator: ", "))])
        if let report = notice.report {
            message.report = MailReport(
                type: report.type,
                parts: report.parts.map { MailReport.Part(contentType: $0.contentType, fileName: $0.fileName, content: $0.content) })
        }
        return message
    }
}

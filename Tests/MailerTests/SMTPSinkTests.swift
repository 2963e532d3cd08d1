import Foundation
import MamoriTesting
import Testing

@testable import Mailer

/// Delivery to a real SMTP server: Postfix's smtp-sink on 127.0.0.1 (Debian package `postfix`).
@Suite("Delivery to Postfix smtp-sink")
struct SMTPSinkTests {
    static func client(port: Int) throws -> SMTPClient {
        // smtp-sink offers no STARTTLS: the default `.startTLSIfOffered` goes on in plaintext.
        try SMTPClient(
            configuration: SMTPConfiguration(
                host: "127.0.0.1", port: port, heloName: "mamori.isp.example", replyTimeout: .seconds(120)))
    }

    static func message(_ number: Int, subject: String, text: String, html: String? = nil) throws -> MailMessage {
        MailMessage(
            from: try EmailAddress("abuse@isp.example", displayName: "ISP セキュリティ窓口"),
            to: [try EmailAddress("subscriber\(number)@example.jp")],
            subject: subject, textBody: text, htmlBody: html,
            messageID: "<notice-\(number).abcd@mamori.isp.example>",
            date: Date(timeIntervalSince1970: 1_715_085_296),
            timeZone: TimeZone(identifier: "Asia/Tokyo") ?? .gmt,
            extraHeaders: [("Auto-Submitted", "auto-generated"), ("Content-Language", "ja")])
    }

    static let japaneseSubject = "【重要】お客様の機器がマルウェアに感染している可能性があります（ご確認のお願い）"
    static let japaneseText = "山田 太郎 様\n\nお客様の回線から、感染した機器に特有の通信を観測しました。\n.で始まる行\n"
    static let dottedText = "Line one\n.hidden line starting with a dot\n.\n..\nlast line\n"

    @Test func severalMessagesArriveIntactOneWithJapanese() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let client = try Self.client(port: sink.port)

        let batch = [
            try Self.message(1, subject: Self.japaneseSubject, text: Self.japaneseText, html: "<p>山田 太郎 様</p>"),
            try Self.message(2, subject: "Security notice 2", text: Self.dottedText),
            try Self.message(3, subject: "Security notice 3", text: "third"),
        ]
        let results = await client.send(batch)
        #expect(results.count == 3)
        for result in results {
            let receipt = try result.get()
            #expect(receipt.finalReply.code == 250)
            #expect(receipt.acceptedRecipients.count == 1)
            #expect(!receipt.usedTLS)
        }
        let single = try await client.send(try Self.message(4, subject: "単発の通知", text: "四通目"))
        #expect(single.finalReplyText.hasPrefix("250"))
        #expect(single.peer == "127.0.0.1:\(sink.port)")

        let dumps = try await sink.waitForDumps(count: 4)
        #expect(dumps.count == 4, "smtp-sink received \(dumps.count) messages")
        var byID: [String: ParsedMail] = [:]
        for dump in dumps {
            let parsed = ParsedMail(dump)
            byID[parsed.header("Message-ID") ?? "?"] = parsed
        }
        #expect(Set(byID.keys) == Set((1...4).map { "<notice-\($0).abcd@mamori.isp.example>" }))

        let japanese = try #require(byID["<notice-1.abcd@mamori.isp.example>"])
        #expect(MIMEDecode.header(try #require(japanese.header("Subject"))) == Self.japaneseSubject)
        #expect(japanese.allHeaders("X-Rcpt-Args") == ["<subscriber1@example.jp>"])
        #expect(japanese.header("X-Mail-Args")?.hasPrefix("<abuse@isp.example>") == true)
        #expect(japanese.header("X-Client-Proto") == "ESMTP")
        #expect(japanese.header("Auto-Submitted") == "auto-generated")
        let parts = japanese.parts()
        #expect(parts.count == 2)
        let expectedText = Self.japaneseText.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(parts.first?.decodedBody == expectedText)
        #expect(parts.last?.decodedBody == "<p>山田 太郎 様</p>")

        // Dot-stuffed on the wire, unstuffed by the server: the lines arrive as written.
        let dotted = try #require(byID["<notice-2.abcd@mamori.isp.example>"])
        #expect(dotted.header("Content-Transfer-Encoding") == "7bit")
        #expect(dotted.body.hasPrefix(Self.dottedText))

        let fourth = try #require(byID["<notice-4.abcd@mamori.isp.example>"])
        #expect(MIMEDecode.header(try #require(fourth.header("Subject"))) == "単発の通知")
        #expect(fourth.decodedBody == "四通目")
    }

    @Test func refusedRecipientIsPermanentAtStageRcpt() async throws {
        let sink = try SMTPSink(extraArguments: ["-f", "RCPT"])
        defer { sink.stop() }
        let client = try Self.client(port: sink.port)
        let error = await #expect(throws: SMTPError.self) {
            try await client.send(try Self.message(1, subject: "x", text: "y"))
        }
        #expect(error?.stage == .rcpt)
        #expect(error?.isPermanent == true)
        #expect(error?.reply?.isPermanentNegative == true)
        #expect(error?.peer == "127.0.0.1:\(sink.port)")
        #expect(error?.description.contains("127.0.0.1:\(sink.port)") == true)
        #expect(try sink.dumps().allSatisfy { !$0.contains("Message-ID") }, "no message was delivered")
    }

    @Test func softRefusedRecipientIsTransient() async throws {
        let sink = try SMTPSink(extraArguments: ["-r", "RCPT"])
        defer { sink.stop() }
        let client = try Self.client(port: sink.port)
        let error = await #expect(throws: SMTPError.self) {
            try await client.send(try Self.message(1, subject: "x", text: "y"))
        }
        #expect(error?.stage == .rcpt)
        #expect(error?.reply?.isTransientNegative == true)
        #expect(error?.isPermanent == false)
    }

    @Test func serverClosingWith421AtMailIsTransient() async throws {
        let sink = try SMTPSink(extraArguments: ["-Q", "MAIL"])
        defer { sink.stop() }
        let client = try Self.client(port: sink.port)
        let results = await client.send([
            try Self.message(1, subject: "x", text: "y"), try Self.message(2, subject: "x", text: "y"),
        ])
        for result in results {
            #expect(throws: SMTPError.self) { try result.get() }
            if case .failure(let error) = result {
                #expect(error.stage == .mail)
                #expect(error.isPermanent == false)
            }
        }
    }
}

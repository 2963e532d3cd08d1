import Foundation
import Testing

@testable import Mailer

@Suite("MailMessage rendering")
struct MailMessageTests {
    static let japaneseSubject = "【重要】お客様の回線からウイルス感染の可能性がある通信を検知しました（マモリ通知）"
    static let japaneseBody = """
        山田 太郎 様

        お客様の回線から、マルウェアに感染した機器に特有の通信が観測されました。
        .で始まる行もそのまま届きます。
        詳しくは https://portal.isp.example/notice/abc をご覧ください。
        """

    static func message(
        subject: String = japaneseSubject, text: String = japaneseBody, html: String? = nil,
        extra: [(String, String)] = [("Auto-Submitted", "auto-generated"), ("Content-Language", "ja")]
    ) throws -> MailMessage {
        MailMessage(
            from: try EmailAddress("abuse@isp.example", displayName: "ISP セキュリティ窓口"),
            to: [try EmailAddress("taro@example.jp", displayName: "山田 太郎"), try EmailAddress("hanako@example.jp")],
            subject: subject, textBody: text, htmlBody: html,
            messageID: "<notice-123.abcd@mamori.isp.example>",
            date: Date(timeIntervalSince1970: 1_715_085_296),  // 2024-05-07T12:34:56Z
            timeZone: TimeZone(identifier: "Asia/Tokyo") ?? .gmt,
            extraHeaders: extra)
    }

    static func render(_ message: MailMessage) throws -> String {
        String(decoding: try message.rfc5322(), as: UTF8.self)
    }

    @Test func everyLineEndsInCRLFAndIsSevenBit() throws {
        let bytes = try Self.message(html: "<p>こんにちは</p>").rfc5322()
        #expect(bytes.allSatisfy { $0 < 0x80 }, "the rendering is 7-bit clean")
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D, "LF at \(index) without CR") }
            if byte == 0x0D {
                #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "CR at \(index) without LF")
            }
        }
        #expect(bytes.suffix(2) == [0x0D, 0x0A])
    }

    @Test func japaneseSubjectIsEncodedWordsThatDecodeBack() throws {
        let text = try Self.render(Self.message())
        let rawLines = text.components(separatedBy: "\r\n")
        let subjectStart = try #require(rawLines.firstIndex { $0.hasPrefix("Subject: ") })
        var subjectLines = [rawLines[subjectStart]]
        for line in rawLines[(subjectStart + 1)...] {
            guard line.hasPrefix(" ") else { break }
            subjectLines.append(line)
        }
        #expect(subjectLines.count > 1, "a long Japanese subject is folded")
        for line in subjectLines {
            #expect(line.count <= 76, "line longer than 76: \(line)")
            let words = line.split(separator: " ").filter { $0 != "Subject:" }
            for word in words {
                #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
                #expect(word.count <= 75)
            }
        }
        let parsed = ParsedMail(text)
        #expect(MIMEDecode.header(try #require(parsed.header("Subject"))) == Self.japaneseSubject)
    }

    @Test func everyEncodedWordHoldsWholeCharacters() throws {
        // Four-byte scalars and a multi-scalar grapheme (family emoji) across word boundaries.
        let subject = String(repeating: "𠮷野家👨‍👩‍👧‍👦", count: 6)
        let parsed = ParsedMail(try Self.render(Self.message(subject: subject)))
        let value = try #require(parsed.header("Subject"))
        for word in value.split(separator: " ") {
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            let data = try #require(Data(base64Encoded: String(base64)))
            #expect(String(data: data, encoding: .utf8) != nil, "an encoded-word splits a character")
        }
        #expect(MIMEDecode.header(value) == subject)
    }

    @Test func asciiSubjectIsPlainAndFoldedAtSpaces() throws {
        let subject = "Security notice: a device on your line appears to be infected with malware (reference 12345)"
        let text = try Self.render(Self.message(subject: subject))
        let parsed = ParsedMail(text)
        #expect(parsed.header("Subject") == subject)
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.count <= 998 })
        #expect(text.contains("Subject: Security notice:"))
    }

    @Test func asciiSubjectThatLooksEncodedIsEncoded() throws {
        let subject = "about =?UTF-8?B?dGVzdA==?= strings"
        let parsed = ParsedMail(try Self.render(Self.message(subject: subject)))
        #expect(MIMEDecode.header(try #require(parsed.header("Subject"))) == subject)
    }

    @Test func textBodyIsBase64ThatDecodesBack() throws {
        let parsed = ParsedMail(try Self.render(Self.message()))
        #expect(parsed.header("MIME-Version") == "1.0")
        #expect(parsed.header("Content-Type") == "text/plain; charset=UTF-8")
        #expect(parsed.header("Content-Transfer-Encoding") == "base64")
        let body = try #require(parsed.decodedBody)
        // Line breaks are sent in canonical CRLF form.
        #expect(body == Self.japaneseBody.replacingOccurrences(of: "\n", with: "\r\n"))
        for line in parsed.body.split(separator: "\n") { #expect(line.count <= 76) }
    }

    @Test func asciiBodyIsSevenBitWithCRLF() throws {
        let text = try Self.render(Self.message(subject: "Notice", text: "Hello\nsecond line\r\nthird\rfourth"))
        #expect(text.contains("Content-Transfer-Encoding: 7bit\r\n"))
        #expect(text.hasSuffix("\r\n\r\nHello\r\nsecond line\r\nthird\r\nfourth\r\n"))
    }

    @Test func htmlMakesMultipartAlternative() throws {
        let html = "<html lang=\"ja\"><body><p>山田 太郎 様</p><p>感染の可能性があります。</p></body></html>"
        let parsed = ParsedMail(try Self.render(Self.message(html: html)))
        let contentType = try #require(parsed.header("Content-Type"))
        #expect(contentType.hasPrefix("multipart/alternative;"))
        #expect(contentType.contains("boundary=\"=_mamori_"))
        #expect(parsed.header("Content-Transfer-Encoding") == nil)
        let parts = parsed.parts()
        #expect(parts.count == 2)
        #expect(parts.first?.header("Content-Type") == "text/plain; charset=UTF-8")
        #expect(parts.last?.header("Content-Type") == "text/html; charset=UTF-8")
        #expect(parts.first?.decodedBody == Self.japaneseBody.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(parts.last?.decodedBody == html)
    }

    @Test func multipartBoundaryAvoidsSevenBitContent() throws {
        let first = try Self.render(Self.message(subject: "x", text: "plain", html: "<p>html</p>"))
        let boundary = try #require(
            ParsedMail(first).header("Content-Type")?.components(separatedBy: "boundary=\"").last?.dropLast())
        let sneaky = "--\(boundary)\nnot a boundary"
        let parsed = ParsedMail(try Self.render(Self.message(subject: "x", text: sneaky, html: "<p>html</p>")))
        #expect(parsed.parts().count == 2)
        #expect(parsed.parts().first?.decodedBody == sneaky)  // the reader gives LF line breaks
    }

    @Test func headersAreInPlace() throws {
        let parsed = ParsedMail(try Self.render(Self.message()))
        #expect(parsed.header("Date") == "Tue, 07 May 2024 21:34:56 +0900")
        #expect(parsed.header("Message-ID") == "<notice-123.abcd@mamori.isp.example>")
        #expect(parsed.header("Auto-Submitted") == "auto-generated")
        #expect(parsed.header("Content-Language") == "ja")
        let from = try #require(parsed.header("From"))
        #expect(from.hasSuffix(" <abuse@isp.example>"))
        #expect(MIMEDecode.header(String(from.dropLast(" <abuse@isp.example>".count))) == "ISP セキュリティ窓口")
        let to = try #require(parsed.header("To"))
        #expect(to.contains("<taro@example.jp>, hanako@example.jp"))
        #expect(
            parsed.headers.map(\.name).prefix(6) == ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version"])
    }

    @Test(arguments: [
        (Date(timeIntervalSince1970: 0), "GMT", "Thu, 01 Jan 1970 00:00:00 +0000"),
        (Date(timeIntervalSince1970: 951_782_400), "GMT", "Tue, 29 Feb 2000 00:00:00 +0000"),
        (Date(timeIntervalSince1970: 1_735_657_199), "Asia/Tokyo", "Tue, 31 Dec 2024 23:59:59 +0900"),
        (Date(timeIntervalSince1970: -1), "GMT", "Wed, 31 Dec 1969 23:59:59 +0000"),
        (Date(timeIntervalSince1970: 1_700_000_000), "America/St_Johns", "Tue, 14 Nov 2023 18:43:20 -0330"),
    ])
    func dateIsRFC5322(date: Date, zone: String, expected: String) throws {
        #expect(RFC5322Date.format(date, in: try #require(TimeZone(identifier: zone))) == expected)
    }

    @Test func messageIDGetsAngleBrackets() throws {
        var message = try Self.message()
        message.messageID = "notice-9.ff@mamori.isp.example"
        #expect(ParsedMail(try Self.render(message)).header("Message-ID") == "<notice-9.ff@mamori.isp.example>")
    }

    @Test(arguments: ["no-at-sign", "<two words@x.example>", "<a@b@>", "<a\r\n@b.example>", "<@x.example>"])
    func malformedMessageIDIsRefused(id: String) throws {
        var message = try Self.message()
        message.messageID = id
        #expect(throws: MailMessageError.invalidMessageID) { try message.rfc5322() }
    }

    @Test func renderingIsDeterministic() throws {
        let message = try Self.message(html: "<p>同じ</p>")
        #expect(try message.rfc5322() == message.rfc5322())
    }

    // MARK: - Header injection

    @Test(arguments: ["Notice\r\nBcc: victim@example.com", "Notice\nX-Evil: 1", "Notice\rX", "a\u{0}b", "a\u{85}b"])
    func subjectInjectionIsRefused(subject: String) throws {
        let message = try Self.message(subject: subject)
        #expect(throws: MailMessageError.headerInjection(header: "Subject")) { try message.rfc5322() }
    }

    @Test func extraHeaderValueInjectionIsRefused() throws {
        let message = try Self.message(extra: [("X-Notice", "1\r\nBcc: victim@example.com")])
        #expect(throws: MailMessageError.headerInjection(header: "X-Notice")) { try message.rfc5322() }
    }

    @Test(arguments: ["Bad Name", "Bad:Name", "", "名前"])
    func badExtraHeaderNameIsRefused(name: String) throws {
        let message = try Self.message(extra: [(name, "x")])
        #expect(throws: MailMessageError.invalidHeaderName) { try message.rfc5322() }
    }

    @Test(arguments: ["Subject", "content-type", "BCC", "Message-Id"])
    func reservedExtraHeaderIsRefused(name: String) throws {
        let message = try Self.message(extra: [(name, "x")])
        #expect(throws: MailMessageError.reservedHeader(name: name)) { try message.rfc5322() }
    }

    @Test func displayNameInjectionIsRefused() {
        #expect(throws: MailMessageError.headerInjection(header: "display name")) {
            try EmailAddress("taro@example.jp", displayName: "Taro\r\nBcc: x@example.com")
        }
    }

    @Test(arguments: [
        "taro", "taro@", "@example.jp", "ta ro@example.jp", "taro@exa mple.jp", "<taro@example.jp>",
        "taro@example.jp\r\nRCPT TO:<x@y>", "太郎@example.jp", "taro@例え.jp", "taro@-bad.example",
    ])
    func invalidAddressIsRefused(address: String) {
        #expect(throws: MailMessageError.self) { try EmailAddress(address) }
    }

    @Test func legacyJapaneseMobileLocalPartIsQuoted() throws {
        let address = try EmailAddress("taro..yamada.@docomo.ne.jp")
        #expect(address.addrSpec == "\"taro..yamada.\"@docomo.ne.jp")
        #expect(try EmailAddress("taro.yamada@docomo.ne.jp").addrSpec == "taro.yamada@docomo.ne.jp")
    }

    @Test func asciiDisplayNameWithSpecialsIsQuoted() throws {
        var message = try Self.message()
        message.from = try EmailAddress("abuse@isp.example", displayName: "ISP, \"Security\" Desk")
        #expect(
            ParsedMail(try Self.render(message)).header("From") == "\"ISP, \\\"Security\\\" Desk\" <abuse@isp.example>")
    }

    @Test func noRecipientsIsRefused() throws {
        var message = try Self.message()
        message.to = []
        #expect(throws: MailMessageError.noRecipients) { try message.rfc5322() }
    }

    @Test func nonASCIIExtraHeaderIsEncoded() throws {
        let parsed = ParsedMail(try Self.render(Self.message(extra: [("X-Mamori-Case", "感染通知 第1号")])))
        #expect(MIMEDecode.header(try #require(parsed.header("X-Mamori-Case"))) == "感染通知 第1号")
    }
}

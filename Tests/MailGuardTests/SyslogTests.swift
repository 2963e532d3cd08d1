import Addressing
import Foundation
import MailGuard
import MailGuardServer
import NIOCore
import NIOEmbedded
import Testing

/// Syslog messages as Postfix log lines, and the TCP framings (RFC 6587), without sockets.
@Suite struct SyslogTests {
    static let failure = "warning: unknown[192.0.2.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"

    @Test func rfc3164And5424MessagesBecomeLogLines() throws {
        #expect(
            try Syslog.logLine("<22>Nov 24 03:20:23 mx postfix/smtpd[7]: \(Self.failure)") == "Nov 24 03:20:23 mx postfix/smtpd[7]: \(Self.failure)")
        // What util-linux `logger --rfc5424` sends: structured data with quoted values, then the message.
        let rfc5424 =
            #"<13>1 2026-12-04T16:40:00.123456+09:00 mx postfix/smtpd 7 - [timeQuality tzKnown="1" isSynced="0" x="a\]b"] "# + Self.failure
        let line = try Syslog.logLine(Substring(rfc5424))
        #expect(line == "2026-12-04T16:40:00.123456+09:00 mx postfix/smtpd[7]: \(Self.failure)")
        let event = try PostfixLogParser(time: SyslogTime(reference: Date())).parse(Substring(line))
        guard case .authFailure(let failure) = event else {
            Issue.record("not a failure: \(event)")
            return
        }
        #expect(failure.sourceIP.description == "192.0.2.9")
        #expect(
            try Syslog.logLine("<13>1 2026-12-04T16:40:00Z mx postfix/qmgr - - - ABC: from=<a@b>\n")
                == "2026-12-04T16:40:00Z mx postfix/qmgr: ABC: from=<a@b>")
    }

    @Test(arguments: ["no pri", "<x>1 2026", "<13>1 2026-12-04T16:40:00Z mx", "<13>1 2026-12-04T16:40:00Z mx a 1 - [unclosed x=\"]"])
    func aMessageThatIsNotSyslogIsRefusedWithoutItsContent(_ text: String) {
        #expect(throws: MailGuardError.self) { try Syslog.logLine(Substring(text)) }
        do {
            _ = try Syslog.logLine(Substring(text))
        } catch {
            #expect(!error.description.contains("2026"))
        }
    }

    @Test func octetCountedAndLFDelimitedFramesDripFed() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SyslogFrameDecoder()))
        let first = "<22>Nov 24 03:20:23 mx postfix/smtpd[7]: one"
        let second = "<22>Nov 24 03:20:24 mx postfix/smtpd[7]: two\nwith a newline inside"
        let stream = "\(first.utf8.count) \(first)\(second.utf8.count) \(second)<22>Nov 24 03:20:25 mx postfix/smtpd[7]: three\n"
        for byte in Array(stream.utf8) { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(try channel.readInbound(as: String.self) == first)
        #expect(try channel.readInbound(as: String.self) == second)
        #expect(try channel.readInbound(as: String.self) == "<22>Nov 24 03:20:25 mx postfix/smtpd[7]: three")
        #expect(try channel.readInbound(as: String.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test(arguments: ["0 x", "12x <22>", "99999999 "])
    func aBadFrameThrows(_ text: String) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SyslogFrameDecoder()))
        #expect(throws: MailGuardError.self) { try channel.writeInbound(ByteBuffer(string: text)) }
        _ = try? channel.finish()
    }
}

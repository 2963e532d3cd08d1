import Foundation
import NIOCore
import NIOEmbedded
import Testing

@testable import Mailer

@Suite("SMTP codec and pipeline handlers")
struct SMTPCodecTests {
    // MARK: - Reply decoder

    static func decoderChannel() -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
    }

    @Test func multiLineReplyDripFedByteByByte() throws {
        let channel = Self.decoderChannel()
        let wire =
            "250-smtp.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n"
        for byte in wire.utf8 {
            #expect(try channel.readInbound(as: SMTPReply.self) == nil)
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        let reply = try #require(try channel.readInbound(as: SMTPReply.self))
        #expect(reply.code == 250)
        #expect(reply.lines == ["smtp.example Hello", "PIPELINING", "SIZE 10240000", "AUTH PLAIN LOGIN", "STARTTLS"])
        #expect(reply.description == wire.replacingOccurrences(of: "\r\n", with: "\n").dropLast().description)
        #expect(try channel.readInbound(as: SMTPReply.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func severalRepliesInOneRead() throws {
        let channel = Self.decoderChannel()
        try channel.writeInbound(
            ByteBuffer(string: "220 ready\r\n250 2.1.0 Ok\n354 End data with <CR><LF>.<CR><LF>\r\n221"))
        #expect(try channel.readInbound(as: SMTPReply.self) == SMTPReply(code: 220, lines: ["ready"]))
        #expect(try channel.readInbound(as: SMTPReply.self) == SMTPReply(code: 250, lines: ["2.1.0 Ok"]))
        #expect(try channel.readInbound(as: SMTPReply.self)?.code == 354)
        #expect(try channel.readInbound(as: SMTPReply.self) == nil)
        try channel.writeInbound(ByteBuffer(string: "\r\n"))
        let bare = try #require(try channel.readInbound(as: SMTPReply.self))
        #expect(bare.code == 221)
        #expect(bare.description == "221")
    }

    @Test(arguments: [
        "250-first\r\n251 second\r\n",  // codes differ
        "hello\r\n",  // no code
        "250xfoo\r\n",  // no separator
        "650 bad class\r\n",
        "25\r\n",
    ])
    func malformedReplyIsAProtocolViolation(wire: String) throws {
        let channel = Self.decoderChannel()
        #expect(throws: SMTPProtocolViolation.self) { try channel.writeInbound(ByteBuffer(string: wire)) }
    }

    @Test func overlongLineIsRefusedWithoutWaitingForItsEnd() throws {
        let channel = Self.decoderChannel()
        let long = "250 " + String(repeating: "x", count: SMTPReplyDecoder.maximumLineLength + 10)
        #expect(throws: SMTPProtocolViolation.self) { try channel.writeInbound(ByteBuffer(string: long)) }
    }

    @Test func endlessMultiLineReplyIsRefused() throws {
        let channel = Self.decoderChannel()
        let wire = String(repeating: "250-x\r\n", count: SMTPReplyDecoder.maximumLines + 1)
        #expect(throws: SMTPProtocolViolation.self) { try channel.writeInbound(ByteBuffer(string: wire)) }
    }

    // MARK: - Replies and extensions

    @Test func enhancedStatusCode() {
        #expect(SMTPReply(code: 250, lines: ["2.0.0 Ok: queued as 4Z1"]).enhancedStatusCode == "2.0.0")
        #expect(SMTPReply(code: 550, lines: ["5.1.1 <x@y>: Recipient address rejected"]).enhancedStatusCode == "5.1.1")
        #expect(SMTPReply(code: 250, lines: ["Ok"]).enhancedStatusCode == nil)
        #expect(SMTPReply(code: 250, lines: ["2.0.0 Ok: queued as ABC"]).description == "250 2.0.0 Ok: queued as ABC")
    }

    @Test func extensionsFromEHLO() {
        let reply = SMTPReply(
            code: 250,
            lines: ["mx.example", "PIPELINING", "SIZE 10240000", "auth login PLAIN", "AUTH=CRAM-MD5", "STARTTLS"])
        let extensions = SMTPExtensions(ehloReply: reply)
        #expect(extensions.supportsStartTLS)
        #expect(extensions.supportsSize)
        #expect(extensions.authMechanisms == ["LOGIN", "PLAIN", "CRAM-MD5"])
        #expect(!SMTPExtensions(ehloReply: SMTPReply(code: 250, lines: ["only.greeting"])).supportsStartTLS)
    }

    // MARK: - Commands and DATA

    @Test func commandsOnTheWire() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(SMTPCommandEncoder()))
        let expectations: [(SMTPCommand, String)] = [
            (.ehlo("mamori.isp.example"), "EHLO mamori.isp.example\r\n"),
            (.mailFrom("abuse@isp.example", size: 1234), "MAIL FROM:<abuse@isp.example> SIZE=1234\r\n"),
            (.mailFrom("abuse@isp.example", size: nil), "MAIL FROM:<abuse@isp.example>\r\n"),
            (.rcptTo("\"taro..\"@docomo.ne.jp"), "RCPT TO:<\"taro..\"@docomo.ne.jp>\r\n"),
            (.auth(mechanism: "PLAIN", initialResponse: "AHUAcA=="), "AUTH PLAIN AHUAcA==\r\n"),
            (.messageData(Array("a\r\n.b\r\n".utf8)), "a\r\n..b\r\n.\r\n"),
            (.quit, "QUIT\r\n"),
        ]
        for (command, wire) in expectations {
            try channel.writeOutbound(command)
            #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: wire))
        }
        #expect(try channel.finish().isClean)
    }

    @Test func credentialsNeverInALogName() {
        #expect(SMTPCommand.auth(mechanism: "PLAIN", initialResponse: "AHVzZXIAc2VjcmV0").logName == "AUTH PLAIN")
        #expect(SMTPCommand.authResponse("c2VjcmV0").logName == "AUTH response")
        #expect(SMTPCommand.rcptTo("taro@example.jp").logName == "RCPT TO")
        #expect(!"\(SMTPCredentials(username: "mamori", password: "s3cret!"))".contains("s3cret!"))
        let configuration = SMTPConfiguration(
            host: "127.0.0.1", heloName: "h", credentials: SMTPCredentials(username: "mamori", password: "s3cret!"))
        #expect(!"\(configuration)".contains("s3cret!"))
        #expect(!String(reflecting: configuration).contains("s3cret!"))
    }

    @Test(arguments: [
        ("plain\r\ntext\r\n", "plain\r\ntext\r\n.\r\n"),
        (".leading dot\r\n", "..leading dot\r\n.\r\n"),
        ("a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n"),  // a lone "." line would end DATA early
        ("..two\r\n", "...two\r\n.\r\n"),
        ("no final break", "no final break\r\n.\r\n"),
        ("bare\nLF\n.x", "bare\r\nLF\r\n..x\r\n.\r\n"),  // bare LF normalised: no smuggling
        ("bare\rCR\r.\r", "bare\r\nCR\r\n..\r\n.\r\n"),
        ("mid.dot\r\n", "mid.dot\r\n.\r\n"),
        ("", ".\r\n"),
    ])
    func dotStuffing(input: String, wire: String) {
        #expect(String(decoding: SMTPDataEncoding.encode(Array(input.utf8)), as: UTF8.self) == wire)
    }

    @Test func renderedMessageWithDotLinesSurvivesStuffing() throws {
        let message = MailMessage(
            from: try EmailAddress("a@isp.example"), to: [try EmailAddress("b@example.jp")], subject: "dots",
            textBody: ".\n.hidden\n..", messageID: "<d@isp.example>", date: .init(timeIntervalSince1970: 0))
        let wire = String(decoding: SMTPDataEncoding.encode(try message.rfc5322()), as: UTF8.self)
        #expect(wire.hasSuffix("\r\n\r\n..\r\n..hidden\r\n...\r\n.\r\n"))
        #expect(wire.components(separatedBy: "\r\n.\r\n").count == 2, "exactly one end-of-data marker")
    }

    // MARK: - STARTTLS upgrade handler

    /// Stands in for the TLS handler: records what reaches it.
    final class RecordingHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        var seen: [ByteBuffer] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            seen.append(Self.unwrapInboundIn(data))
        }
        func channelReadComplete(context: ChannelHandlerContext) {}
    }

    /// Counts read-completes that reach it.
    final class ReadCompleteCounter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var count = 0
        func channelReadComplete(context: ChannelHandlerContext) {
            count += 1
            context.fireChannelReadComplete()
        }
    }

    @Test func positiveReplyHandsTheStreamToTLSWithinTheSameRead() throws {
        let tls = RecordingHandler()  // like NIOSSL, it swallows the read-complete of a handshake read
        let counter = ReadCompleteCounter()
        let channel = EmbeddedChannel(handlers: [StartTLSUpgradeHandler { tls }, counter])
        try channel.writeInbound(ByteBuffer(string: "220-go\r\n"))
        #expect(counter.count == 1)
        // One read that carries the final line: the reply still gets its read-complete,
        // otherwise NIOAsyncChannel would hold the reply back and the client would hang.
        channel.pipeline.fireChannelRead(ByteBuffer(string: "220 2.0.0 Ready to start TLS\r\n"))
        #expect(counter.count == 2)
        channel.pipeline.fireChannelReadComplete()
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "220-go\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "220 2.0.0 Ready to start TLS\r\n"))
        #expect(throws: (any Error).self) {
            try channel.pipeline.syncOperations.handler(type: StartTLSUpgradeHandler.self)
        }
        try channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x03]))
        #expect(tls.seen == [ByteBuffer(bytes: [0x16, 0x03, 0x03])], "bytes after the reply go to TLS")
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
    }

    @Test func injectedPlaintextAfterTheReplyIsRefused() throws {
        let tls = RecordingHandler()
        let channel = EmbeddedChannel(handler: StartTLSUpgradeHandler { tls })
        #expect(throws: SMTPProtocolViolation.self) {
            try channel.writeInbound(ByteBuffer(string: "220 Ready\r\n250-injected\r\n250 AUTH PLAIN\r\n"))
        }
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "not even the 220 is passed on")
        #expect(!channel.isActive)
        #expect(tls.seen.isEmpty)
    }

    @Test func refusedSTARTTLSLeavesThePipelineAsItWas() throws {
        let tls = RecordingHandler()
        let channel = EmbeddedChannel(handler: StartTLSUpgradeHandler { tls })
        try channel.writeInbound(ByteBuffer(string: "454 4.7.0 TLS not available\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "454 4.7.0 TLS not available\r\n"))
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: RecordingHandler.self) }
        #expect(throws: (any Error).self) {
            try channel.pipeline.syncOperations.handler(type: StartTLSUpgradeHandler.self)
        }
        try channel.writeInbound(ByteBuffer(string: "250 next\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "250 next\r\n"))
    }

    @Test func onlyAnOutstandingReplyIsTimed() throws {
        let channel = EmbeddedChannel(handler: ReplyDeadlineHandler(timeout: .seconds(20)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        // The greeting is outstanding from the start.
        channel.embeddedEventLoop.advanceTime(by: .seconds(19))
        try channel.throwIfErrorCaught()
        try channel.writeInbound(SMTPReply(code: 220, lines: ["mx.example ESMTP"]))
        // Nothing outstanding: the client may take its time (a busy process) without a timeout.
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        try channel.throwIfErrorCaught()
        #expect(channel.isActive)
        // Two commands pipelined: each reply must come within 20 s of the last.
        try channel.writeOutbound(SMTPCommand.mailFrom("a@isp.example", size: nil))
        try channel.writeOutbound(SMTPCommand.rcptTo("b@example.jp"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(15))
        try channel.writeInbound(SMTPReply(code: 250, lines: ["ok"]))
        channel.embeddedEventLoop.advanceTime(by: .seconds(19))
        try channel.throwIfErrorCaught()
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(throws: SMTPReplyTimeout.self) { try channel.throwIfErrorCaught() }
        #expect(!channel.isActive)
    }

    @Test func aSilentGreetingTimesOut() throws {
        let channel = EmbeddedChannel(handler: ReplyDeadlineHandler(timeout: .seconds(20)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        channel.embeddedEventLoop.advanceTime(by: .seconds(21))
        #expect(throws: SMTPReplyTimeout.self) { try channel.throwIfErrorCaught() }
        #expect(!channel.isActive)
    }
}

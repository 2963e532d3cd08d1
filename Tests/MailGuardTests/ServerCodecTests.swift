import Addressing
import Foundation
import MailGuard
import MailGuardServer
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NetServer
import Testing

/// The servers' codecs on `EmbeddedChannel`: no sockets.
@Suite struct ServerCodecTests {
    @Test func policyDecoderFramesDripFedRequests() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PolicyRequestDecoder()))
        let text = "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nsasl_username=alice@mamori.test\nclient_address=127.0.0.5\n\n"
        for byte in Array((text + text).utf8) { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        for _ in 0..<2 {
            let request = try #require(try channel.readInbound(as: PolicyRequest.self))
            #expect(
                request == PolicyRequest(saslUsername: "alice@mamori.test", clientAddress: IPAddress("127.0.0.5"), sender: nil, isEndOfMessage: true))
        }
        #expect(try channel.readInbound(as: PolicyRequest.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func policyDecoderRefusesAMalformedRequestWithoutAnswering() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PolicyRequestDecoder()))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(PolicyActionEncoder()))
        #expect(throws: MailGuardError.malformedPolicyRequest(line: 2, reason: "no `=` in the attribute line")) {
            try channel.writeInbound(ByteBuffer(string: "request=smtpd_access_policy\ngarbage\n\n"))
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try? channel.finish()
    }

    @Test func policyDecoderRefusesAnEndlessRequest() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PolicyRequestDecoder()))
        let long = ByteBuffer(string: "request=smtpd_access_policy\nx=" + String(repeating: "a", count: PolicyProtocol.maximumRequestSize))
        #expect(throws: MailGuardError.malformedPolicyRequest(line: 0, reason: "request over \(PolicyProtocol.maximumRequestSize) bytes")) {
            try channel.writeInbound(long)
        }
        _ = try? channel.finish()
    }

    @Test func policyEncoderWritesTheAction() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(PolicyActionEncoder()))
        try channel.writeOutbound(PolicyAction.reject("5.7.1 SMTP AUTH suspended for this ID: change your password"))
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: out) == "action=REJECT 5.7.1 SMTP AUTH suspended for this ID: change your password\n\n")
        #expect(try channel.finish().isClean)
    }

    @Test func socketmapCodecs() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SocketmapRequestDecoder()))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(SocketmapReplyEncoder()))
        for byte in Array("26:sasl_exceptions 127.0.0.90,".utf8) { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(try channel.readInbound(as: Socketmap.Request.self) == Socketmap.Request(map: "sasl_exceptions", key: "127.0.0.90"))
        try channel.writeOutbound(Socketmap.Reply.notFound)
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "9:NOTFOUND ,")
        #expect(throws: MailGuardError.malformedSocketmapFrame(reason: "netstring not ended by `,`")) {
            try channel.writeInbound(ByteBuffer(string: "3:abc;"))
        }
        _ = try? channel.finish()
    }

    @Test func authPolicyHTTPRoundTrip() throws {
        let channel = EmbeddedChannel()
        let handler = AuthPolicyStreamHandler(guardian: try GuardFixture().guardian)
        try handler.addCodec(to: channel.pipeline.syncOperations, configuration: .init(name: "auth-policy", port: 0))
        let body = #"{"protocol":"smtp","remote":"127.0.0.68","tls":false}"#
        let request =
            "POST /?command=allow HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: dovecot/auth-policy-client\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        try channel.writeInbound(ByteBuffer(string: request))
        let parsed = try #require(try channel.readInbound(as: AuthPolicyHTTPRequest.self))
        #expect(parsed.method == .POST && parsed.target == "/?command=allow" && parsed.body == Array(body.utf8))
        try channel.writeOutbound(AuthPolicyHTTPResponse(status: .ok, body: #"{"status":0,"msg":""}"#))
        var written = ""
        while let part = try channel.readOutbound(as: ByteBuffer.self) { written += String(buffer: part) }
        #expect(written.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(written.contains("Content-Length: 21\r\n"))
        #expect(written.hasSuffix("\r\n\r\n{\"status\":0,\"msg\":\"\"}"))
        _ = try? channel.finish()
    }
}

import DNS
import Foundation
import MamoriTesting
import NIOCore
import NIOEmbedded
import Testing

/// DNS over TCP framing on `EmbeddedChannel`, fed dnsperf's framed inputs (`-B` format: a
/// two-octet length, then the message) one byte at a time.
@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct DNSTCPFramingTests {
    static func blob(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Corpus.file("dns/dnsperf-\(name).blob")))
    }

    /// Feeds `bytes` one at a time; returns the frames read and the error, if any.
    static func frames(_ bytes: [UInt8]) throws -> ([ByteBuffer], (any Error)?) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(DNSTCPFrameDecoder()))
        var out: [ByteBuffer] = []
        var failure: (any Error)?
        do {
            for byte in bytes {
                try channel.writeInbound(ByteBuffer(bytes: [byte]))
                while let frame = try channel.readInbound(as: ByteBuffer.self) { out.append(frame) }
            }
        } catch {
            failure = error
        }
        _ = try? channel.finish()
        return (out, failure)
    }

    @Test func dnsperfQueriesFrameAndDecode() throws {
        let (two, error) = try Self.frames(try Self.blob("twoquerieswithnsid"))
        #expect(error == nil)
        #expect(two.count == 2)
        for frame in two {
            let query = try DNSMessage(decoding: frame)
            #expect(query.questions.first?.name == (try DNSName("www.google.com")))
            #expect(query.questions.first?.type == .aaaa)
            #expect(query.edns?.options.contains { $0.code == 3 } == true)  // NSID
        }
        let (cookie, cookieError) = try Self.frames(try Self.blob("querywithcookie"))
        #expect(cookieError == nil && cookie.count == 1)
        #expect(try DNSMessage(decoding: try #require(cookie.first)).edns?.options.first?.code == 10)  // COOKIE
    }

    @Test func brokenFramesAreRefusedOrWaitedFor() throws {
        // Length 0 and length 1: no DNS header fits; refused at once.
        #expect(try Self.frames(try Self.blob("emptypayload")).1 is DNSTCPFrameDecoder.FrameTooShort)
        #expect(try Self.frames(try Self.blob("shortpayload")).1 is DNSTCPFrameDecoder.FrameTooShort)
        #expect(try Self.frames(try Self.blob("missingpayload")).1 is DNSTCPFrameDecoder.FrameTooShort)
        // One byte of a length: nothing yet, no error.
        let (none, error) = try Self.frames(try Self.blob("tooshortlength"))
        #expect(none.isEmpty && error == nil)
    }

    @Test func encoderPrefixesTheLength() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(DNSTCPFrameEncoder()))
        var query = DNSMessage(header: DNSHeader(id: 0xBEEF))
        query.header.recursionDesired = true
        query.questions = [DNSQuestion(name: try DNSName("example.jp"), type: .a)]
        let bytes = try query.bytes()
        try channel.writeOutbound(ByteBuffer(bytes: bytes))
        let framed = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(framed.readableBytesView) == [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes)
        _ = try channel.finish()
        let (read, error) = try Self.frames(Array(framed.readableBytesView))
        #expect(error == nil && read.count == 1)
        #expect(try DNSMessage(decoding: read[0]) == query)
    }
}

import Foundation
public import MailGuard
public import NIOCore
public import NetServer

/// Frames syslog messages on a TCP connection (RFC 6587: octet counting, or LF-delimited); a
/// bad or oversized frame throws, and the listener closes the connection.
public struct SyslogFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = String

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let frame = try Syslog.frame(in: view) else { return .needMoreData }
        let start = view.startIndex
        let text = String(decoding: view[(start + frame.message.lowerBound)..<(start + frame.message.upperBound)], as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: frame.end)
        context.fireChannelRead(Self.wrapInboundOut(text))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Reads one syslog message into the feed; a message that is not syslog, or has no time, is
/// counted as malformed (the reason names the problem, never the content).
func feedSyslog(_ message: Substring, to feed: PostfixLogFeed) -> HandlerResult<ByteBuffer> {
    do {
        let line = try Syslog.logLine(message)
        let event = try PostfixLogParser(time: SyslogTime(reference: Date())).parse(Substring(line), file: "syslog")
        feed.take(event)
        return .noReply
    } catch {
        return .malformed(reason: error.description, reply: nil)
    }
}

/// Postfix's log over syslog/TCP on loopback (rsyslog `omfwd` with `TCP_Framing="octet-counted"`,
/// or LF-delimited): each message feeds the guard; nothing is answered.
public struct SyslogStreamHandler: StreamHandler {
    public typealias Inbound = String
    public typealias Outbound = ByteBuffer

    public let feed: PostfixLogFeed

    public init(feed: PostfixLogFeed) { self.feed = feed }

    public func addCodec(to pipeline: ChannelPipeline.SynchronousOperations, configuration: NetServerConfiguration) throws {
        try pipeline.addHandler(ByteToMessageHandler(SyslogFrameDecoder(), maximumBufferSize: 2 * Syslog.maximumMessage + 16))
    }

    public func handle(_ message: String, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
        feedSyslog(Substring(message), to: feed)
    }
}

/// Postfix's log over syslog/UDP on loopback: one message a datagram.
public struct SyslogDatagramHandler: DatagramHandler {
    public let feed: PostfixLogFeed

    public init(feed: PostfixLogFeed) { self.feed = feed }

    public func handle(_ datagram: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
        feedSyslog(Substring(String(buffer: datagram)), to: feed)
    }
}

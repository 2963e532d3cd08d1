public import MailGuard
public import NIOCore
public import NetServer

/// Frames and parses Postfix policy requests: bytes up to a blank line → ``PolicyRequest``.
/// A malformed request, or one over ``PolicyProtocol/maximumRequestSize`` without its blank
/// line, throws: the listener then logs the reason and closes, and no answer is given
/// (SMTPD_POLICY_README: on trouble, disconnect without replying).
public struct PolicyRequestDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = PolicyRequest

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let end = PolicyProtocol.requestEnd(in: view) else {
            if view.count > PolicyProtocol.maximumRequestSize {
                throw MailGuardError.malformedPolicyRequest(line: 0, reason: "request over \(PolicyProtocol.maximumRequestSize) bytes")
            }
            return .needMoreData
        }
        guard end <= PolicyProtocol.maximumRequestSize else {
            throw MailGuardError.malformedPolicyRequest(line: 0, reason: "request over \(PolicyProtocol.maximumRequestSize) bytes")
        }
        let request = try PolicyProtocol.parse(view.prefix(end))
        buffer.moveReaderIndex(forwardBy: end)
        context.fireChannelRead(Self.wrapInboundOut(request))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Writes a policy action as `action=…\n\n`.
public struct PolicyActionEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = PolicyAction

    public init() {}

    public func encode(data: PolicyAction, out: inout ByteBuffer) throws {
        out.writeBytes(data.encoded)
    }
}

/// The Postfix policy delegation server's handler: the guard's answer for each request
/// (REJECT/DEFER/HOLD as configured for a suspended ID, DUNNO otherwise).
public struct PolicyStreamHandler: ImmediateStreamHandler {
    public typealias Inbound = PolicyRequest
    public typealias Outbound = PolicyAction

    public let guardian: MailGuard

    public init(guardian: MailGuard) { self.guardian = guardian }

    public func addCodec(to pipeline: ChannelPipeline.SynchronousOperations, configuration: NetServerConfiguration) throws {
        try pipeline.addHandler(ByteToMessageHandler(PolicyRequestDecoder(), maximumBufferSize: 4 * PolicyProtocol.maximumRequestSize))
        try pipeline.addHandler(MessageToByteHandler(PolicyActionEncoder()))
    }

    public func handleNow(_ message: PolicyRequest, from peer: SocketAddress) -> HandlerResult<PolicyAction> {
        .reply(guardian.policyAction(for: message))
    }
}

/// Frames socketmap lookups (netstrings) → ``Socketmap/Request``; a bad frame throws, and the
/// listener closes the connection.
public struct SocketmapRequestDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = Socketmap.Request

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let bytes = Array(buffer.readableBytesView.prefix(Socketmap.maximumLength + 8))
        guard let frame = try Socketmap.frame(in: bytes) else { return .needMoreData }
        let request = try Socketmap.request(bytes[frame.payload])
        buffer.moveReaderIndex(forwardBy: frame.end)
        context.fireChannelRead(Self.wrapInboundOut(request))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Writes a socketmap reply as a netstring.
public struct SocketmapReplyEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = Socketmap.Reply

    public init() {}

    public func encode(data: Socketmap.Reply, out: inout ByteBuffer) throws {
        out.writeBytes(data.encoded)
    }
}

/// The socketmap server's handler: maps `sasl_access` (SASL login → the suspended reply) and
/// `sasl_exceptions` (client IP → `OK blocked`, so Postfix stops offering AUTH).
public struct SocketmapStreamHandler: ImmediateStreamHandler {
    public typealias Inbound = Socketmap.Request
    public typealias Outbound = Socketmap.Reply

    public let guardian: MailGuard

    public init(guardian: MailGuard) { self.guardian = guardian }

    public func addCodec(to pipeline: ChannelPipeline.SynchronousOperations, configuration: NetServerConfiguration) throws {
        try pipeline.addHandler(ByteToMessageHandler(SocketmapRequestDecoder(), maximumBufferSize: 2 * Socketmap.maximumLength + 16))
        try pipeline.addHandler(MessageToByteHandler(SocketmapReplyEncoder()))
    }

    public func handleNow(_ message: Socketmap.Request, from peer: SocketAddress) -> HandlerResult<Socketmap.Reply> {
        .reply(guardian.socketmapReply(message))
    }
}

public import MailGuard
public import NIOCore
public import NIOHTTP1
public import NetServer

/// One HTTP request to the auth-policy endpoint: its target and body.
public struct AuthPolicyHTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    public var target: String
    public var body: [UInt8]

    public init(method: HTTPMethod, target: String, body: [UInt8]) {
        self.method = method
        self.target = target
        self.body = body
    }
}

/// One HTTP response: a status and a JSON body.
public struct AuthPolicyHTTPResponse: Sendable, Equatable {
    public var status: HTTPResponseStatus
    public var body: String

    public init(status: HTTPResponseStatus, body: String) {
        self.status = status
        self.body = body
    }
}

/// Collects `HTTPServerRequestPart`s into one ``AuthPolicyHTTPRequest``; a body over
/// ``AuthPolicyRequest/maximumBodySize`` is an error (the connection closes).
public final class AuthPolicyRequestAggregator: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = AuthPolicyHTTPRequest

    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.removeAll(keepingCapacity: true)
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= AuthPolicyRequest.maximumBodySize else {
                context.fireErrorCaught(MailGuardError.malformedAuthPolicyRequest(reason: "body over \(AuthPolicyRequest.maximumBodySize) bytes"))
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            context.fireChannelRead(wrapInboundOut(AuthPolicyHTTPRequest(method: head.method, target: head.uri, body: body)))
        }
    }
}

/// Writes an ``AuthPolicyHTTPResponse`` as HTTP/1.1 (JSON, with its length: the connection stays open).
public final class AuthPolicyResponseWriter: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = AuthPolicyHTTPResponse
    public typealias OutboundOut = HTTPServerResponsePart

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let response = unwrapOutboundIn(data)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }
}

/// Dovecot's auth-policy HTTP API (`POST …?command=allow|report`) for measure 2, and the
/// Prometheus Alertmanager webhook (`POST /alertmanager`, ``AlertmanagerWebhook``) on the same
/// listener:
/// `{"status":-1,"msg":…}` for a blocked address, `{"status":0,"msg":""}` otherwise; a failed
/// SMTP `report` counts as a failure. A request carrying `login` or `pwhash` is refused (HTTP
/// 403, and a log line naming the attribute and the Dovecot setting to change).
public struct AuthPolicyStreamHandler: StreamHandler {
    public typealias Inbound = AuthPolicyHTTPRequest
    public typealias Outbound = AuthPolicyHTTPResponse

    public let guardian: MailGuard

    public init(guardian: MailGuard) { self.guardian = guardian }

    public func addCodec(to pipeline: ChannelPipeline.SynchronousOperations, configuration: NetServerConfiguration) throws {
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try pipeline.addHandler(HTTPResponseEncoder())
        try pipeline.addHandler(AuthPolicyRequestAggregator())
        try pipeline.addHandler(AuthPolicyResponseWriter())
    }

    public func handle(_ message: AuthPolicyHTTPRequest, from peer: SocketAddress) async throws -> HandlerResult<AuthPolicyHTTPResponse> {
        if message.target.hasPrefix("/alertmanager") {
            guard message.method == .POST else {
                return .malformed(
                    reason: "alertmanager webhook: method is not POST", reply: AuthPolicyHTTPResponse(status: .methodNotAllowed, body: "{}"))
            }
            do {
                let changed = guardian.applyWebhook(try AlertmanagerWebhook.parse(message.body))
                return .reply(AuthPolicyHTTPResponse(status: .ok, body: #"{"changed":\#(changed)}"#))
            } catch {
                return .malformed(reason: "\(error)", reply: AuthPolicyHTTPResponse(status: .badRequest, body: "{}"))
            }
        }
        guard message.method == .POST else {
            return .malformed(reason: "auth-policy request: method is not POST", reply: AuthPolicyHTTPResponse(status: .methodNotAllowed, body: "{}"))
        }
        do {
            let request = try AuthPolicyRequest.parse(target: message.target, body: message.body)
            return .reply(AuthPolicyHTTPResponse(status: .ok, body: guardian.authPolicyReply(request)))
        } catch {
            let status: HTTPResponseStatus = if case .forbiddenAuthPolicyAttribute = error { .forbidden } else { .badRequest }
            return .malformed(reason: "\(error)", reply: AuthPolicyHTTPResponse(status: status, body: #"{"status":0,"msg":""}"#))
        }
    }
}

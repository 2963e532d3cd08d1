import Logging
import NIOCore

/// The user event a ``TCPServer`` sends down an admitted connection's pipeline (within the
/// connection limit).
struct ConnectionAdmitted: Sendable {}

/// Serves an ``ImmediateStreamHandler``'s connection on its event loop: each decoded message is
/// answered at once, the replies of one read flushed together. Nothing is answered before the
/// listener admits the connection (``ConnectionAdmitted``, after the connection limit is checked): what
/// arrives earlier waits, and a refused connection is closed unanswered. A codec or handler error is
/// counted and logged as in ``TCPServer/serve(_:)`` and closes the connection; nothing reaches
/// the handlers behind this one (the connection's task then only waits for the close).
final class ImmediateReplyHandler<Handler: ImmediateStreamHandler>: ChannelInboundHandler {
    typealias InboundIn = Handler.Inbound
    typealias OutboundOut = Handler.Outbound

    private let handler: Handler
    private let metrics: NetServerMetrics
    private let log: RateLimitedLogger
    private let peer: SocketAddress?
    private var pendingFlush = false
    private var closed = false
    private var admitted = false
    private var waiting: [Handler.Inbound] = []
    static var maximumWaiting: Int { 256 }

    /// `peer`: the address taken when the connection was accepted (a peer that wrote and closed
    /// at once has none left on the channel).
    init(handler: Handler, peer: SocketAddress?, metrics: NetServerMetrics, log: RateLimitedLogger) {
        self.handler = handler
        self.peer = peer
        self.metrics = metrics
        self.log = log
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ConnectionAdmitted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        admitted = true
        let early = waiting
        waiting = []
        for message in early { answer(context: context, message) }
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        let message = unwrapInboundIn(data)
        guard admitted else {
            // Admission follows the accept within moments; a peer that floods before it is cut off.
            guard waiting.count < Self.maximumWaiting else {
                log.logger.debug("connection closed: too many messages before admission")
                close(context)
                return
            }
            waiting.append(message)
            return
        }
        answer(context: context, message)
    }

    private func answer(context: ChannelHandlerContext, _ message: Handler.Inbound) {
        guard !closed else { return }
        guard let peer = peer ?? context.channel.remoteAddress else {
            close(context)
            return
        }
        let result: HandlerResult<Handler.Outbound>
        do {
            result = try handler.handleNow(message, from: peer)
        } catch {
            metrics.handlerFailed(error, log: log, "handler failed, connection closed")
            close(context)
            return
        }
        if let reply = result.accounted(in: metrics, log: log, unit: "message") {
            context.write(wrapOutboundOut(reply), promise: nil)
            pendingFlush = true
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is IOError, is ChannelError:
            // The peer reset the connection, or similar: nothing of ours to count as malformed.
            log.logger.debug("connection ended", metadata: ["error": "\(type(of: error))"])
        default:
            // The codec refused the bytes.
            metrics.dropped(.malformed)
            log.warning(key: "malformed", "malformed stream input, connection closed", metadata: ["reason": "\(error)"])
        }
        close(context)
    }

    private func close(_ context: ChannelHandlerContext) {
        guard !closed else { return }
        closed = true
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
        context.close(promise: nil)
    }
}

public import NIOCore

/// Closes the connection when an `IdleStateHandler` before it reports a read timeout, and tells
/// `onIdle` (which counts it). Every other event passes through.
public final class IdleCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    let onIdle: @Sendable () -> Void

    public init(onIdle: @escaping @Sendable () -> Void) { self.onIdle = onIdle }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read || idle == .all {
            onIdle()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// On an unconnected UDP socket, keeps the errors of single reads and writes (an ICMP
/// unreachable reported by the kernel, a datagram too big) from ending the async stream, which
/// would stop the server: each is handed to `onError` (which counts it) and dropped.
public final class DatagramErrorFilter: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    let onError: @Sendable (any Error) -> Void

    public init(onError: @escaping @Sendable (any Error) -> Void) { self.onError = onError }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        onError(error)
    }
}

import NIOCore

/// Times the server, not the client: while a reply is outstanding (the greeting, or a command
/// written and not yet answered), the next reply must arrive within `timeout`, else
/// ``SMTPReplyTimeout`` is raised and the connection closed. Time the client spends between a
/// reply and its next command (a busy process, a starved thread) does not count, as an idle
/// timer would count it; with pipelining each reply restarts the clock for the next one.
/// A TLS handshake after STARTTLS is covered: EHLO is written (and buffered by TLS) at once.
final class ReplyDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = SMTPReply
    typealias InboundOut = SMTPReply
    typealias OutboundIn = SMTPCommand
    typealias OutboundOut = SMTPCommand

    private let timeout: TimeAmount
    private var outstanding = 0
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelActive(context: ChannelHandlerContext) {
        outstanding += 1  // the greeting
        arm(context: context)
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        outstanding += 1
        if deadline == nil { arm(context: context) }
        context.write(data, promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        outstanding = max(0, outstanding - 1)
        deadline?.cancel()
        deadline = nil
        if outstanding > 0 { arm(context: context) }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func arm(context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let context = loopBound.value
            context.fireErrorCaught(SMTPReplyTimeout())
            context.close(promise: nil)
        }
    }
}

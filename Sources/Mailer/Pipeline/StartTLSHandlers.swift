import NIOCore

/// Put at the front of the pipeline just before `STARTTLS` is written: it passes the server's
/// reply on and, if that reply is `220`, puts the TLS handler in its own place *within the same
/// read*, so no byte after the reply is ever read as plaintext. Bytes that arrive in the same
/// read after the reply (the STARTTLS response injection of the 2021 "NO STARTTLS" study) are refused
/// with a protocol violation and the connection is closed. On any other reply it just leaves.
final class StartTLSUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let makeTLSHandler: () throws -> any ChannelHandler
    /// The first bytes of the current reply line (enough for the code and separator).
    private var lineStart: [UInt8] = []
    private var done = false

    /// - Parameter makeTLSHandler: makes the TLS client handler (a `NIOSSLClientHandler`).
    init(makeTLSHandler: @escaping () throws -> any ChannelHandler) {
        self.makeTLSHandler = makeTLSHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        var buffer = Self.unwrapInboundIn(data)
        var replyLength: Int?
        var offset = 0
        for byte in buffer.readableBytesView {
            offset += 1
            if byte == 0x0A {
                let continues = lineStart.count >= 4 && lineStart[3] == UInt8(ascii: "-")
                if !continues {
                    replyLength = offset
                    break
                }
                lineStart.removeAll(keepingCapacity: true)
            } else if lineStart.count < 4 {
                lineStart.append(byte)
            }
        }
        guard let replyLength, let reply = buffer.readSlice(length: replyLength) else {
            context.fireChannelRead(data)
            return
        }
        done = true
        if buffer.readableBytes > 0 {
            context.fireErrorCaught(
                SMTPProtocolViolation(reason: "the server sent data after its STARTTLS reply, before the TLS handshake")
            )
            context.close(promise: nil)
            return
        }
        let accepted = lineStart.starts(with: Array("220".utf8))
        // The reply goes on as plaintext first, completed by its own read-complete: the TLS
        // handler swallows the read-complete of this read (nothing decrypted), and both
        // `NIOAsyncChannel` and `IdleStateHandler` wait for one. Only then does TLS take over.
        context.fireChannelRead(Self.wrapInboundOut(reply))
        context.fireChannelReadComplete()
        if accepted {
            do {
                try context.pipeline.syncOperations.addHandler(makeTLSHandler(), position: .after(self))
            } catch {
                context.fireErrorCaught(error)
                context.close(promise: nil)
                return
            }
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

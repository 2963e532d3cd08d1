import DNS
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A TCP connection to 127.0.0.1 with DNS's two-octet framing.
typealias FramedConnection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

func connectFramed(to server: SocketAddress) async throws -> FramedConnection {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(to: server) { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
            try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(DNSTCPFrameEncoder()))
            return try FramedConnection(
                wrappingChannelSynchronously: channel, configuration: .init(inboundType: ByteBuffer.self, outboundType: ByteBuffer.self))
        }
    }
}

/// A raw TCP connection to 127.0.0.1 (bytes as they are).
func connectRaw(to server: SocketAddress) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(to: server) { channel in
        channel.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(inboundType: ByteBuffer.self, outboundType: ByteBuffer.self))
        }
    }
}

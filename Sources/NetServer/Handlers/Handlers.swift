public import NIOCore

/// What a handler makes of one message from a peer.
public enum HandlerResult<Message: Sendable>: Sendable {
    /// Send `message` back to the peer.
    case reply(Message)
    /// Send nothing (the request was served some other way, or needs no answer).
    case noReply
    /// The peer sent something unreadable: counted (`dropped{reason="malformed"}`) and logged with
    /// `reason` only (never the peer's address or the bytes); `reply` is sent when given (a
    /// FORMERR, say). `reason` must not hold secrets: it reaches the logs.
    case malformed(reason: String, reply: Message?)
}

/// Serves datagrams: bytes and the peer's address in, a result out.
///
/// ```swift
/// struct Echo: DatagramHandler {
///     func handle(_ datagram: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
///         .reply(datagram)
///     }
/// }
/// ```
///
/// Called concurrently (up to `maxInFlightDatagrams`). A thrown error is counted
/// (`dropped{reason="handler_error"}`) and logged without the peer; the server keeps serving.
public protocol DatagramHandler: Sendable {
    func handle(_ datagram: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer>
}

/// Serves a stream connection's messages, framed by the handler's own codec.
///
/// `addCodec` puts the decoder (bytes → `Inbound`) and encoder (`Outbound` → bytes) on each new
/// connection's pipeline; a decoder error counts as malformed input and closes that connection.
/// `handle` is called for each message in order, one at a time per connection. A thrown error is
/// counted (`dropped{reason="handler_error"}`) and closes the connection.
public protocol StreamHandler: Sendable {
    associatedtype Inbound: Sendable
    associatedtype Outbound: Sendable

    /// Adds the codec to a new connection's pipeline (on its event loop).
    func addCodec(to pipeline: ChannelPipeline.SynchronousOperations, configuration: NetServerConfiguration) throws

    func handle(_ message: Inbound, from peer: SocketAddress) async throws -> HandlerResult<Outbound>
}

/// A ``StreamHandler`` whose answer needs no suspension (a lookup under a lock, say): the
/// ``TCPServer`` answers each message on the connection's event loop as it is decoded, with no
/// hop to a task and back, and writes the replies of one read in one flush (pipelined requests
/// included). Order, limits, counters, logging and graceful shutdown are those of `handle`.
///
/// `handleNow` must not block: it runs on an event loop.
public protocol ImmediateStreamHandler: StreamHandler {
    func handleNow(_ message: Inbound, from peer: SocketAddress) throws -> HandlerResult<Outbound>
}

extension ImmediateStreamHandler {
    public func handle(_ message: Inbound, from peer: SocketAddress) async throws -> HandlerResult<Outbound> {
        try handleNow(message, from: peer)
    }
}

public import Logging
public import NIOCore
import NIOPosix
import Synchronization

// Test support for servers on NetServer (DNS, RADIUS, the mail guard's listeners): a timeout, a
// UDP probe on loopback, and logs kept in memory. Never linked into `mamori`.

/// Why a test helper gave up.
public struct TestTimeout: Error, CustomStringConvertible {
    public var description: String { "timed out" }
    public init() {}
}

/// `body`'s result, or `TestTimeout` after `timeout` (`body` is then cancelled).
public func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TestTimeout()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// A UDP socket on 127.0.0.1 that sends datagrams and collects the replies.
public enum UDPProbe {
    /// Sends `payloads` to `server`, then collects replies until `count` came or `timeout` passed.
    public static func exchange(
        _ payloads: [[UInt8]], with server: SocketAddress, expecting count: Int, timeout: Duration = .seconds(30)
    ) async throws
        -> [ByteBuffer]
    {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(inboundType: AddressedEnvelope<ByteBuffer>.self, outboundType: AddressedEnvelope<ByteBuffer>.self))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for payload in payloads { try await outbound.write(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: payload))) }
            let replies = Mutex<[ByteBuffer]>([])
            guard count > 0 else {
                try await Task.sleep(for: timeout)
                return []
            }
            _ = try? await withTimeout(timeout) {
                for try await envelope in inbound {
                    let n = replies.withLock {
                        $0.append(envelope.data)
                        return $0.count
                    }
                    if n >= count { return }
                }
            }
            return replies.withLock { $0 }
        }
    }
}

/// Log records kept in memory, to check what a server logs (and what it must not).
public final class CapturedLogs: Sendable {
    public init() {}

    let records = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])

    public var all: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] { records.withLock { $0 } }

    /// Every message and metadata value as one text, to search for what must not be there.
    public var text: String {
        all.map { record in ([record.message] + record.metadata.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }.joined(separator: "\n")
    }

    public func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "test") { _ in Handler(logs: self) }
        logger.logLevel = level
        return logger
    }

    struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            logs.records.withLock { $0.append((event.level, "\(event.message)", merged)) }
        }
    }
}

public import CoreMetrics
import DNS
public import NIOCore
public import NetServer
import Synchronization

/// Counts of the packet cache since start.
public struct DNSCacheStats: Sendable, Equatable {
    public var hits = 0
    public var misses = 0
    public var inserts = 0

    public init() {}
}

/// Serves one query, whatever transport it came over: decode, policy, cache, upstreams, encode.
///
/// Unreadable bytes are malformed input (a FORMERR goes back when a query's header could be
/// read); a response sent to us is dropped without answer (no loops); opcodes other than QUERY
/// get NOTIMP. UDP answers are cut to the client's EDNS payload size, or 512, with TC set.
public final class DNSQueryProcessor<Policy: DNSPolicy>: Sendable {
    public let configuration: DNSServerConfiguration
    public let policy: Policy
    public let forwarder: DNSForwarder
    let cache: Mutex<DNSPacketCache>
    let cacheEnabled: Bool
    let cacheState = Mutex(DNSCacheStats())
    let cacheCounters: [String: Counter]

    public init(
        configuration: DNSServerConfiguration, policy: Policy, forwarder: DNSForwarder, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        self.policy = policy
        self.forwarder = forwarder
        self.cache = Mutex(
            DNSPacketCache(capacity: configuration.cacheCapacity, maxTTL: configuration.maxTTL, maxNegativeTTL: configuration.maxNegativeTTL))
        self.cacheEnabled = configuration.cacheCapacity > 0
        var counters: [String: Counter] = [:]
        for result in ["hit", "miss"] {
            counters[result] = Counter(
                label: "mamori_dns_cache_total", dimensions: [("server", configuration.name), ("result", result)], factory: metricsFactory)
        }
        cacheCounters = counters
    }

    /// The cache's counts so far.
    public var cacheStats: DNSCacheStats { cacheState.withLock { $0 } }

    /// The reply to `bytes` from `client` over `transport`.
    public func process(_ bytes: ByteBuffer, from client: SocketAddress, over transport: NetTransport) async -> HandlerResult<ByteBuffer> {
        let query: DNSMessage
        do {
            query = try DNSMessage(decoding: bytes)
        } catch {
            let reply = DNSForwarding.formatErrorReply(toUnreadable: bytes).flatMap { try? ByteBuffer(bytes: $0.bytes()) }
            return .malformed(reason: error.description, reply: reply)
        }
        guard !query.header.isResponse else { return .malformed(reason: "a response where a query was expected", reply: nil) }
        guard query.header.opcode == 0 else {
            return encode(DNSForwarding.errorResponse(to: query, rcode: DNSRCode.notImplemented), for: query, over: transport)
        }
        guard query.questions.count == 1 else {
            let reply = encode(DNSForwarding.errorResponse(to: query, rcode: DNSRCode.formatError), for: query, over: transport)
            guard case .reply(let bytes) = reply else { return reply }
            return .malformed(reason: "\(query.questions.count) questions (one expected)", reply: bytes)
        }
        switch await policy.decide(query, client: client) {
        case .answer(var answer):
            answer.header.id = query.header.id
            answer.header.isResponse = true
            return encode(answer, for: query, over: transport)
        case .drop:
            return .noReply
        case .tcpOnly where transport == .udp:
            var answer = DNSForwarding.errorResponse(to: query, rcode: DNSRCode.noError)
            answer.header.truncated = true
            return encode(answer, for: query, over: transport)
        case .forward, .tcpOnly:
            break
        }
        if cacheEnabled {
            let now = configuration.now()
            if let hit = cache.withLock({ $0.answer(query, at: now) }) {
                cacheCounters["hit"]?.increment()
                cacheState.withLock { $0.hits += 1 }
                return encode(hit, for: query, over: transport)
            }
            cacheCounters["miss"]?.increment()
            cacheState.withLock { $0.misses += 1 }
        }
        let response = await forwarder.resolve(query)
        if cacheEnabled {
            let now = configuration.now()
            if cache.withLock({ $0.insert(response, for: query, at: now) }) { cacheState.withLock { $0.inserts += 1 } }
        }
        return encode(response, for: query, over: transport)
    }

    /// `answer`'s bytes; over UDP within the client's limit (TC set when records had to go).
    func encode(_ answer: DNSMessage, for query: DNSMessage, over transport: NetTransport) -> HandlerResult<ByteBuffer> {
        let limit = transport == .udp ? DNSForwarding.udpLimit(for: query, maximum: configuration.maxUDPPayload) : 65_535
        var buffer = ByteBuffer()
        do {
            try answer.encode(into: &buffer, limit: limit)
        } catch {
            // Not even the header and question fit: SERVFAIL, which always does.
            buffer.clear()
            try? DNSForwarding.errorResponse(to: query, rcode: DNSRCode.serverFailure).encode(into: &buffer)
        }
        return .reply(buffer)
    }
}

/// DNS over UDP for a `UDPServer`.
public struct DNSDatagramHandler<Policy: DNSPolicy>: DatagramHandler {
    public let processor: DNSQueryProcessor<Policy>

    public init(processor: DNSQueryProcessor<Policy>) { self.processor = processor }

    public func handle(_ datagram: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
        await processor.process(datagram, from: peer, over: .udp)
    }
}

/// DNS over TCP for a `TCPServer`: two-octet length framing (RFC 7766).
public struct DNSStreamHandler<Policy: DNSPolicy>: StreamHandler {
    public typealias Inbound = ByteBuffer
    public typealias Outbound = ByteBuffer

    public let processor: DNSQueryProcessor<Policy>

    public init(processor: DNSQueryProcessor<Policy>) { self.processor = processor }

    public func addCodec(to pipeline: ChannelPipeline.SynchronousOperations, configuration: NetServerConfiguration) throws {
        // A frame is at most 65,537 bytes; the buffer holds at most a partial frame and one read.
        try pipeline.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder(), maximumBufferSize: 2 * (configuration.maxMessageSize + 2)))
        try pipeline.addHandler(MessageToByteHandler(DNSTCPFrameEncoder()))
    }

    public func handle(_ message: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
        await processor.process(message, from: peer, over: .tcp)
    }
}

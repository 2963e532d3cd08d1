public import Addressing
public import DNS
public import NIOCore
import NIOPosix
import Synchronization

/// What an address did with a recursive query.
public enum ResolverVerdict: String, Sendable, CaseIterable, Comparable {
    /// It recursed for an outsider: recursion available, and an answer or a name error.
    case open
    /// It answered without recursing: refused, recursion not available, or another error.
    case closed
    /// No answer within the timeout (nothing listens, or the edge filter dropped the query).
    case silent

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Finds which of the ISP's own addresses answer recursive queries from outside (open
/// resolvers, the amplifiers of `dns-amplification-prevention`): one recursive query (RD set,
/// type A) to UDP port 53 of each target, paced, and each answer checked against its query
/// (source address, id, and question when the answer has one) before it counts.
///
/// Run it from outside the edge filter to see what the internet sees: with the filter in
/// place every pool address should be `silent`. Nothing is stored; the result is the list.
public struct OpenResolverProbe: Sendable {
    /// The name asked for; best one of a zone the ISP serves, so its servers' logs confirm the probe.
    public var name: DNSName
    /// Queries sent a second.
    public var rate: Int
    /// How long to wait for answers after the last query.
    public var timeout: Duration
    /// The port probed (53; another only in tests).
    public var port: Int

    public init(name: DNSName, rate: Int = 1000, timeout: Duration = .seconds(2), port: Int = 53) {
        self.name = name
        self.rate = max(1, rate)
        self.timeout = timeout
        self.port = port
    }

    /// The query for one target: a random id, RD set, one question (`name`, A, IN).
    public func query(id: UInt16) -> (message: DNSMessage, outstanding: DNSOutstandingQuery) {
        var message = DNSMessage(header: DNSHeader(id: id))
        message.header.recursionDesired = true
        let question = DNSQuestion(name: name, type: .a)
        message.questions = [question]
        return (message, DNSOutstandingQuery(id: id, question: question))
    }

    /// The verdict on an answer that matched its query.
    public static func verdict(of response: DNSMessage) -> ResolverVerdict {
        guard response.header.recursionAvailable, response.header.opcode == 0 else { return .closed }
        switch response.responseCode {
        case UInt16(DNSRCode.noError): return response.answers.isEmpty ? .closed : .open
        case UInt16(DNSRCode.nameError): return .open
        default: return .closed
        }
    }

    /// The message in `bytes` if it answers `query`: a response with its id, and its question
    /// or none (a refusal may omit it: Unbound's does).
    static func answer(_ bytes: ByteBuffer, to query: DNSOutstandingQuery) -> DNSMessage? {
        guard let response = try? DNSMessage(decoding: bytes), response.header.isResponse, response.header.id == query.id else { return nil }
        if response.questions.isEmpty { return response }
        return query.matches(response) ? response : nil
    }

    /// Probes `targets` over NIO's shared event loops; every target gets a verdict.
    public func run(_ targets: [IPAddress]) async throws -> OpenResolverReport {
        try await run(targets, group: MultiThreadedEventLoopGroup.singleton)
    }

    /// Probes `targets` over `group`; every target gets a verdict.
    public func run(_ targets: [IPAddress], group: any EventLoopGroup) async throws -> OpenResolverReport {
        var report = OpenResolverReport(verdicts: Dictionary(uniqueKeysWithValues: targets.map { ($0, .silent) }), unmatched: 0)
        for family in [IPAddress.Family.v4, .v6] {
            let some = targets.filter { $0.family == family }
            guard !some.isEmpty else { continue }
            let (answers, unmatched) = try await probe(some, family: family, group: group)
            for (address, verdict) in answers { report.verdicts[address] = verdict }
            report.unmatched += unmatched
        }
        return report
    }

    /// One socket for one family: the queries paced at ``rate``, the answers read until
    /// ``timeout`` after the last.
    func probe(
        _ targets: [IPAddress], family: IPAddress.Family, group: any EventLoopGroup
    ) async throws -> (
        answers: [IPAddress: ResolverVerdict], unmatched: Int
    ) {
        var outstanding: [IPAddress: DNSOutstandingQuery] = [:]
        var datagrams: [(SocketAddress, [UInt8])] = []
        for target in targets {
            let (message, expected) = query(id: DNSForwarding.randomID())
            outstanding[target] = expected
            datagrams.append((try SocketAddress(ipAddress: target.description, port: port), try message.bytes()))
        }
        let expected = outstanding
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
            .bind(host: family == .v4 ? "0.0.0.0" : "::", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(inboundType: AddressedEnvelope<ByteBuffer>.self, outboundType: AddressedEnvelope<ByteBuffer>.self))
                }
            }
        let state = Answers()
        let rate = rate
        let timeout = timeout
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await envelope in inbound {
                        guard let address = envelope.remoteAddress.ipAddress.flatMap({ IPAddress($0) }),
                            let query = expected[address], let response = Self.answer(envelope.data, to: query)
                        else {
                            state.value.withLock { $0.unmatched += 1 }
                            continue
                        }
                        state.value.withLock { state in
                            // The first matching answer counts; a second one is unmatched.
                            if state.answers[address] == nil {
                                state.answers[address] = Self.verdict(of: response)
                            } else {
                                state.unmatched += 1
                            }
                        }
                    }
                }
                // Paced in batches of about 10 ms.
                let batch = max(1, rate / 100)
                let clock = ContinuousClock()
                let start = clock.now
                for (index, (address, bytes)) in datagrams.enumerated() {
                    try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)))
                    if (index + 1) % batch == 0 {
                        try await Task.sleep(until: start + .seconds(Double(index + 1) / Double(rate)), clock: clock)
                    }
                }
                try await Task.sleep(for: timeout)
                group.cancelAll()
            }
        }
        return state.value.withLock { $0 }
    }

    /// The answers of one run, shared by its sender and its reader.
    final class Answers: Sendable {
        let value = Mutex<(answers: [IPAddress: ResolverVerdict], unmatched: Int)>(([:], 0))
    }
}

/// The result of a check: each target's verdict, and how many datagrams matched no query
/// (from an address not probed, with a wrong id or question, or a second answer).
public struct OpenResolverReport: Sendable, Hashable {
    public var verdicts: [IPAddress: ResolverVerdict]
    public var unmatched: Int

    /// The addresses with `verdict`, in address order.
    public func addresses(_ verdict: ResolverVerdict) -> [IPAddress] { verdicts.filter { $0.value == verdict }.map(\.key).sorted() }

    /// How many targets got `verdict`.
    public func count(_ verdict: ResolverVerdict) -> Int { verdicts.values.count { $0 == verdict } }
}

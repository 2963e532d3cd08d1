import DNS
import DNSServer
import Logging
import MetricsTestKit
import NIOCore
import NetServer
import Testing

/// The query processor without sockets: no upstream (so forwarding fails at once) and a policy
/// that answers `many.example.test` with 100 addresses.
struct DNSQueryProcessorTests {
    struct ManyAddresses: DNSPolicy {
        func decide(_ query: DNSMessage, client: SocketAddress) async -> DNSPolicyDecision {
            guard let question = query.questions.first, question.name == (try? DNSName("many.example.test")) else { return .forward }
            var answer = DNSForwarding.errorResponse(to: query, rcode: DNSRCode.noError)
            answer.answers = (0..<100).map { DNSRecord(name: question.name, type: .a, ttl: 60, data: .a([192, 0, 2, UInt8($0)])) }
            answer.header.id = 0  // the processor puts the query's id back
            return .answer(answer)
        }
    }

    static let client = try! SocketAddress(ipAddress: "127.0.0.1", port: 40000)

    static func processor() -> DNSQueryProcessor<ManyAddresses> {
        let configuration = DNSServerConfiguration(port: 53, upstreams: [])
        let forwarder = DNSForwarder(upstreams: [], timeout: .seconds(1), logger: Logger(label: "test"), metricsFactory: TestMetrics())
        return DNSQueryProcessor(configuration: configuration, policy: ManyAddresses(), forwarder: forwarder, metricsFactory: TestMetrics())
    }

    static func query(_ name: String, id: UInt16 = 77, edns: UInt16? = nil) throws -> DNSMessage {
        var query = DNSMessage(header: DNSHeader(id: id))
        query.header.recursionDesired = true
        query.questions = [DNSQuestion(name: try DNSName(name), type: .a)]
        query.edns = edns.map { EDNS(udpPayloadSize: $0) }
        return query
    }

    static func reply(_ result: HandlerResult<ByteBuffer>) throws -> DNSMessage? {
        switch result {
        case .reply(let bytes): try DNSMessage(decoding: bytes)
        case .malformed(_, let bytes?): try DNSMessage(decoding: bytes)
        default: nil
        }
    }

    @Test func policyAnswersAreCutToTheClientsSizeOverUDPOnly() async throws {
        let processor = Self.processor()
        let bytes = ByteBuffer(bytes: try Self.query("many.example.test").bytes())
        guard case .reply(let udp) = await processor.process(bytes, from: Self.client, over: .udp) else {
            Issue.record("no reply")
            return
        }
        #expect(udp.readableBytes <= 512)
        let cut = try DNSMessage(decoding: udp)
        #expect(cut.header.truncated && cut.header.id == 77 && cut.answers.count < 100)
        let withEDNS = ByteBuffer(bytes: try Self.query("many.example.test", edns: 4096).bytes())
        let full = try #require(try Self.reply(await processor.process(withEDNS, from: Self.client, over: .udp)))
        #expect(!full.header.truncated && full.answers.count == 100 && full.edns != nil)
        let tcp = try #require(try Self.reply(await processor.process(bytes, from: Self.client, over: .tcp)))
        #expect(!tcp.header.truncated && tcp.answers.count == 100)
    }

    @Test func noUpstreamLeftIsSERVFAIL() async throws {
        let processor = Self.processor()
        let bytes = ByteBuffer(bytes: try Self.query("www.example.test", edns: 1232).bytes())
        let answer = try #require(try Self.reply(await processor.process(bytes, from: Self.client, over: .udp)))
        #expect(answer.header.rcode == DNSRCode.serverFailure && answer.header.id == 77 && answer.edns != nil)
        #expect(processor.forwarder.stats.failures == 1)
        #expect(processor.cacheStats.misses == 1 && processor.cacheStats.inserts == 0)  // SERVFAIL is not cached
    }

    @Test func whatIsNotAPlainQuery() async throws {
        let processor = Self.processor()
        // Another opcode (STATUS): NOTIMP.
        var status = try Self.query("www.example.test")
        status.header.opcode = 2
        let notimp = try #require(try Self.reply(await processor.process(ByteBuffer(bytes: try status.bytes()), from: Self.client, over: .udp)))
        #expect(notimp.header.rcode == DNSRCode.notImplemented)
        // Two questions: malformed, with a FORMERR.
        var two = try Self.query("www.example.test")
        two.questions.append(two.questions[0])
        let result = await processor.process(ByteBuffer(bytes: try two.bytes()), from: Self.client, over: .udp)
        guard case .malformed(_, let formerr?) = result else {
            Issue.record("not malformed: \(result)")
            return
        }
        #expect(try DNSMessage(decoding: formerr).header.rcode == DNSRCode.formatError)
        // A response: malformed, no answer.
        var response = try Self.query("www.example.test")
        response.header.isResponse = true
        guard case .malformed(_, nil) = await processor.process(ByteBuffer(bytes: try response.bytes()), from: Self.client, over: .udp) else {
            Issue.record("a response was answered")
            return
        }
        // Garbage shorter than a header: malformed, no answer.
        guard case .malformed(_, nil) = await processor.process(ByteBuffer(bytes: [0, 1, 2]), from: Self.client, over: .tcp) else {
            Issue.record("garbage was answered")
            return
        }
    }
}

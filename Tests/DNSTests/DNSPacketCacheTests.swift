import DNS
import MamoriTesting
import NIOCore
import Testing

/// The cache behind a reference, so that `#expect` can call its mutating methods.
final class CacheBox {
    var cache: DNSPacketCache
    init(_ cache: DNSPacketCache) { self.cache = cache }
    var count: Int { cache.count }
    func cacheTTL(of response: DNSMessage) -> UInt32? { cache.cacheTTL(of: response) }
    @discardableResult
    func insert(_ response: DNSMessage, for query: DNSMessage, at now: ContinuousClock.Instant) -> Bool {
        cache.insert(response, for: query, at: now)
    }
    func answer(_ query: DNSMessage, at now: ContinuousClock.Instant) -> DNSMessage? { cache.answer(query, at: now) }
    func removeExpired(at now: ContinuousClock.Instant) { cache.removeExpired(at: now) }
}

/// The packet cache with time moved by hand: TTLs, negative caching (RFC 2308), keys, eviction.
struct DNSPacketCacheTests {
    static let t0 = ContinuousClock.now

    static func query(_ name: String, _ type: DNSType = .a, id: UInt16 = 1, dnssecOK: Bool? = nil) throws -> DNSMessage {
        var query = DNSMessage(header: DNSHeader(id: id))
        query.header.recursionDesired = true
        query.questions = [DNSQuestion(name: try DNSName(name), type: type)]
        if let dnssecOK {
            var edns = EDNS(udpPayloadSize: 4096)
            edns.dnssecOK = dnssecOK
            query.edns = edns
        }
        return query
    }

    static func response(
        to query: DNSMessage, rcode: UInt8 = 0, answers: [(UInt32, [UInt8])] = [], soa: (ttl: UInt32, minimum: UInt32)? = nil
    ) throws
        -> DNSMessage
    {
        var response = query
        response.header.isResponse = true
        response.header.recursionAvailable = true
        response.header.rcode = rcode
        let name = query.questions[0].name
        response.answers = answers.map { DNSRecord(name: name, type: .a, ttl: $0.0, data: .a($0.1)) }
        if let soa {
            let zone = try DNSName("example.test")
            response.authority = [
                DNSRecord(
                    name: zone, type: .soa, ttl: soa.ttl,
                    data: .soa(
                        mname: try DNSName("ns.example.test"), rname: try DNSName("host.example.test"), serial: 1, refresh: 3600, retry: 600,
                        expire: 86400, minimum: soa.minimum))
            ]
        }
        return response
    }

    @Test func positiveAnswerLivesForTheSmallestAnswerTTL() throws {
        let cache = CacheBox(DNSPacketCache())
        let query = try Self.query("www.example.test")
        let response = try Self.response(to: query, answers: [(300, [192, 0, 2, 1]), (120, [192, 0, 2, 2])])
        #expect(cache.cacheTTL(of: response) == 120)
        #expect(cache.insert(response, for: query, at: Self.t0))

        // 50 s later, another client asks in other case: its id and its question, TTLs lowered by 50.
        var again = try Self.query("WWW.Example.TEST", id: 0x4242)
        again.header.recursionDesired = false
        let hit = try #require(cache.answer(again, at: Self.t0 + .seconds(50)))
        #expect(hit.header.id == 0x4242)
        #expect(hit.header.isResponse && !hit.header.recursionDesired)
        #expect(hit.questions == again.questions)
        #expect(hit.questions[0].name.description == "WWW.Example.TEST.")
        #expect(hit.answers.map(\.ttl) == [70, 70])  // 250 left for the first, but the entry itself has 70
        #expect(hit.edns == nil)

        #expect(cache.answer(again, at: Self.t0 + .seconds(119))?.answers.map(\.ttl) == [1, 1])
        #expect(cache.answer(again, at: Self.t0 + .seconds(120)) == nil)
        #expect(cache.count == 0)
    }

    @Test func negativeAnswersLiveForTheSOAMinimum() throws {
        let cache = CacheBox(DNSPacketCache())
        let nx = try Self.query("nx.example.test")
        // NXDOMAIN: min(SOA TTL 3600, minimum 60) = 60.
        let nxResponse = try Self.response(to: nx, rcode: 3, soa: (3600, 60))
        #expect(cache.cacheTTL(of: nxResponse) == 60)
        #expect(cache.insert(nxResponse, for: nx, at: Self.t0))
        let hit = try #require(cache.answer(nx, at: Self.t0 + .seconds(10)))
        #expect(hit.header.rcode == 3)
        #expect(hit.authority.first?.ttl == 50)
        #expect(cache.answer(nx, at: Self.t0 + .seconds(60)) == nil)

        // NODATA: NOERROR without answers, the SOA's own TTL smaller.
        let nodata = try Self.query("www.example.test", .aaaa)
        #expect(cache.cacheTTL(of: try Self.response(to: nodata, soa: (30, 60))) == 30)
        // Without an SOA, a negative answer is not cached (RFC 2308 §5).
        #expect(!cache.insert(try Self.response(to: nodata), for: nodata, at: Self.t0))
        // Capped.
        #expect(DNSPacketCache(maxNegativeTTL: 10).cacheTTL(of: try Self.response(to: nodata, soa: (300, 300))) == 10)
        #expect(DNSPacketCache(maxTTL: 5).cacheTTL(of: try Self.response(to: nodata, answers: [(300, [192, 0, 2, 1])])) == 5)
    }

    @Test func whatIsNotCached() throws {
        let cache = CacheBox(DNSPacketCache())
        let query = try Self.query("www.example.test")
        var truncated = try Self.response(to: query, answers: [(300, [192, 0, 2, 1])])
        truncated.header.truncated = true
        #expect(!cache.insert(truncated, for: query, at: Self.t0))
        #expect(!cache.insert(try Self.response(to: query, rcode: 2), for: query, at: Self.t0))  // SERVFAIL
        #expect(!cache.insert(try Self.response(to: query, rcode: 5), for: query, at: Self.t0))  // REFUSED
        #expect(!cache.insert(try Self.response(to: query, answers: [(0, [192, 0, 2, 1])]), for: query, at: Self.t0))  // TTL 0
        // A response for another question than the query's.
        let other = try Self.query("other.example.test")
        #expect(!cache.insert(try Self.response(to: other, answers: [(300, [192, 0, 2, 1])]), for: query, at: Self.t0))
        #expect(cache.count == 0)
    }

    @Test func theKeyHoldsTypeClassAndTheDOBit() throws {
        let cache = CacheBox(DNSPacketCache())
        let plain = try Self.query("www.example.test", dnssecOK: false)
        #expect(cache.insert(try Self.response(to: plain, answers: [(300, [192, 0, 2, 1])]), for: plain, at: Self.t0))
        #expect(cache.answer(try Self.query("www.example.test", dnssecOK: true), at: Self.t0) == nil)
        #expect(cache.answer(try Self.query("www.example.test", .aaaa), at: Self.t0) == nil)
        // Without EDNS the DO bit is clear: the same entry, served without OPT.
        #expect(cache.answer(try Self.query("www.example.test"), at: Self.t0)?.edns == nil)
        // With EDNS: an OPT with the query's DO bit and our payload size.
        let hit = try #require(cache.answer(plain, at: Self.t0))
        #expect(hit.edns?.udpPayloadSize == 1232 && hit.edns?.dnssecOK == false)
        #expect(DNSCacheKey(query: plain) == DNSCacheKey(name: try DNSName("WWW.EXAMPLE.TEST"), type: .a))
    }

    @Test func fullCacheEvictsTheOldestInsertion() throws {
        let cache = CacheBox(DNSPacketCache(capacity: 3))
        for i in 0..<5 {
            let query = try Self.query("h\(i).example.test")
            cache.insert(try Self.response(to: query, answers: [(300, [192, 0, 2, UInt8(i)])]), for: query, at: Self.t0)
            #expect(cache.count <= 3)
        }
        #expect(cache.answer(try Self.query("h0.example.test"), at: Self.t0) == nil)
        #expect(cache.answer(try Self.query("h1.example.test"), at: Self.t0) == nil)
        #expect(cache.answer(try Self.query("h4.example.test"), at: Self.t0) != nil)
        // Refreshing an entry many times does not grow the cache beyond its capacity.
        let query = try Self.query("h4.example.test")
        for _ in 0..<5000 { cache.insert(try Self.response(to: query, answers: [(300, [192, 0, 2, 4])]), for: query, at: Self.t0) }
        #expect(cache.count == 3)
        cache.removeExpired(at: Self.t0 + .seconds(301))
        #expect(cache.count == 0)
    }
}

/// The pure forwarder pieces: ids, matching a response to the outstanding query, limits.
struct DNSForwardingTests {
    @Test func randomIDsFollowTheGenerator() {
        var a = SplitMix64(seed: 7)
        var b = SplitMix64(seed: 7)
        let first = (0..<64).map { _ in DNSForwarding.randomID(using: &a) }
        #expect(first == (0..<64).map { _ in DNSForwarding.randomID(using: &b) })
        #expect(Set(first).count > 60)
        #expect(Set((0..<64).map { _ in DNSForwarding.randomID() }).count > 50)
    }

    @Test func onlyTheMatchingResponseIsTaken() throws {
        var client = try DNSPacketCacheTests.query("www.example.test", id: 0x1111, dnssecOK: true)
        client.header.checkingDisabled = true
        let (upstream, outstanding) = try #require(DNSForwarding.upstreamQuery(for: client, id: 0x2222))
        #expect(upstream.header.id == 0x2222 && upstream.header.recursionDesired && upstream.header.checkingDisabled)
        #expect(upstream.edns == client.edns)  // the client's OPT goes upstream

        let good = try DNSPacketCacheTests.response(to: upstream, answers: [(300, [192, 0, 2, 1])])
        #expect(outstanding.matches(good))
        var caseChanged = good
        caseChanged.questions[0].name = try DNSName("WWW.EXAMPLE.TEST")
        #expect(outstanding.matches(caseChanged))

        var wrongID = good
        wrongID.header.id = 0x2223
        var wrongName = good
        wrongName.questions[0].name = try DNSName("evil.example.test")
        var wrongType = good
        wrongType.questions[0].type = .aaaa
        var wrongClass = good
        wrongClass.questions[0].recordClass = 3
        var notAResponse = good
        notAResponse.header.isResponse = false
        var twoQuestions = good
        twoQuestions.questions.append(good.questions[0])
        for bad in [wrongID, wrongName, wrongType, wrongClass, notAResponse, twoQuestions] { #expect(!outstanding.matches(bad)) }
        #expect(outstanding.match(ByteBuffer(bytes: try good.bytes())) == good)
        #expect(outstanding.match(ByteBuffer(bytes: [1, 2, 3])) == nil)

        let back = DNSForwarding.clientResponse(good, to: client)
        #expect(back.header.id == 0x1111 && back.questions == client.questions && back.answers == good.answers)
    }

    @Test func errorsLimitsAndFormerr() throws {
        let query = try DNSPacketCacheTests.query("www.example.test", id: 9, dnssecOK: true)
        let servfail = DNSForwarding.errorResponse(to: query, rcode: DNSRCode.serverFailure)
        #expect(servfail.header.isResponse && servfail.header.rcode == 2 && servfail.header.id == 9)
        #expect(servfail.questions == query.questions && servfail.edns?.dnssecOK == true)

        #expect(DNSForwarding.udpLimit(for: try DNSPacketCacheTests.query("a.test")) == 512)
        #expect(DNSForwarding.udpLimit(for: query) == 4096)
        #expect(DNSForwarding.udpLimit(for: query, maximum: 1232) == 1232)
        var small = query
        small.edns?.udpPayloadSize = 100
        #expect(DNSForwarding.udpLimit(for: small) == 512)

        // A header then garbage: FORMERR with the id; fewer than 12 bytes or a response: nothing.
        let formerr = try #require(
            DNSForwarding.formatErrorReply(toUnreadable: ByteBuffer(bytes: [0xAB, 0xCD, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xFF])))
        #expect(formerr.header.id == 0xABCD && formerr.header.rcode == 1 && formerr.header.recursionDesired)
        #expect(DNSForwarding.formatErrorReply(toUnreadable: ByteBuffer(bytes: [0xAB, 0xCD, 0x01])) == nil)
        #expect(DNSForwarding.formatErrorReply(toUnreadable: ByteBuffer(bytes: [0xAB, 0xCD, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0])) == nil)
    }
}

/// What a cached answer is filed under: the question (name compared without case, RFC 4343),
/// its type and class, and the client's DO bit (a DNSSEC-aware answer differs).
public struct DNSCacheKey: Sendable, Hashable {
    public var name: DNSName
    public var type: DNSType
    public var recordClass: UInt16
    public var dnssecOK: Bool

    public init(name: DNSName, type: DNSType, recordClass: UInt16 = 1, dnssecOK: Bool = false) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.dnssecOK = dnssecOK
    }

    /// The key of a standard query with exactly one question; nil for anything else.
    public init?(query: DNSMessage) {
        guard query.header.opcode == 0, query.questions.count == 1, let question = query.questions.first else { return nil }
        self.init(name: question.name, type: question.type, recordClass: question.recordClass, dnssecOK: query.edns?.dnssecOK ?? false)
    }
}

/// A bounded cache of whole responses that respects their TTLs. Not thread-safe: a server keeps it
/// under a lock. Time is passed in (`at:`), so tests move it by hand.
///
/// ```swift
/// var cache = DNSPacketCache(capacity: 10_000)
/// if let hit = cache.answer(query, at: .now) { return hit }
/// let response = try await upstream(query)
/// cache.insert(response, for: query, at: .now)
/// ```
///
/// - A positive answer lives for the smallest TTL of its answer records; a negative one (NXDOMAIN,
///   or NOERROR without answers) for the smaller of its SOA record's TTL and the SOA minimum
///   (RFC 2308 §5); without an SOA it is not cached. Both are capped (`maxTTL`, `maxNegativeTTL`).
/// - Only NOERROR and NXDOMAIN responses to standard queries are kept; truncated ones are not.
/// - Served answers carry the query's id and question (its case), every TTL lowered by the time
///   spent in the cache, and an OPT record only when the query had one (with the query's DO bit).
/// - Full: the oldest insertion goes first.
public struct DNSPacketCache: Sendable {
    struct Entry: Sendable {
        var response: DNSMessage
        var stored: ContinuousClock.Instant
        var expires: ContinuousClock.Instant
        var generation: UInt64
    }

    public let capacity: Int
    public let maxTTL: UInt32
    public let maxNegativeTTL: UInt32
    /// The UDP payload size put in the OPT record of answers served from the cache.
    public let udpPayloadSize: UInt16
    var entries: [DNSCacheKey: Entry] = [:]
    /// Insertion order, oldest first from `head`; an item whose generation no longer matches its
    /// entry is stale and skipped.
    var order: [(key: DNSCacheKey, generation: UInt64)] = []
    var head = 0
    var generation: UInt64 = 0

    public init(capacity: Int = 10_000, maxTTL: UInt32 = 86_400, maxNegativeTTL: UInt32 = 3_600, udpPayloadSize: UInt16 = 1232) {
        self.capacity = max(1, capacity)
        self.maxTTL = maxTTL
        self.maxNegativeTTL = maxNegativeTTL
        self.udpPayloadSize = udpPayloadSize
    }

    /// The number of entries (expired ones included until they are looked up or swept).
    public var count: Int { entries.count }

    /// How long `response` may be cached, in seconds, or nil when it must not be (see the type's rules).
    public func cacheTTL(of response: DNSMessage) -> UInt32? {
        guard response.header.isResponse, response.header.opcode == 0, !response.header.truncated, response.questions.count == 1 else { return nil }
        let ttl: UInt32
        switch response.responseCode {
        case 0 where !response.answers.isEmpty:
            ttl = min(response.answers.map(\.ttl).min() ?? 0, maxTTL)
        case 0, 3:
            guard let soa = response.authority.first(where: { $0.type == .soa }), case .soa(_, _, _, _, _, _, let minimum) = soa.data else {
                return nil
            }
            ttl = min(soa.ttl, minimum, maxNegativeTTL)
        default:
            return nil
        }
        return ttl > 0 ? ttl : nil
    }

    /// Keeps `response` to `query` if it may be cached; says whether it was.
    @discardableResult
    public mutating func insert(_ response: DNSMessage, for query: DNSMessage, at now: ContinuousClock.Instant) -> Bool {
        guard let key = DNSCacheKey(query: query), let ttl = cacheTTL(of: response),
            response.questions.first.map({ $0.name == key.name && $0.type == key.type && $0.recordClass == key.recordClass }) == true
        else { return false }
        var stored = response
        stored.edns = nil
        generation += 1
        if entries[key] == nil {
            while entries.count >= capacity, evictOldest() {}
        }
        entries[key] = Entry(response: stored, stored: now, expires: now + .seconds(Int(ttl)), generation: generation)
        order.append((key, generation))
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        return true
    }

    /// The cached answer to `query`, as described on the type; nil on a miss or when expired
    /// (the entry is then removed).
    public mutating func answer(_ query: DNSMessage, at now: ContinuousClock.Instant) -> DNSMessage? {
        guard let key = DNSCacheKey(query: query), let entry = entries[key] else { return nil }
        guard now < entry.expires else {
            entries[key] = nil
            return nil
        }
        let elapsed = Self.seconds(now - entry.stored)
        let remaining = Self.seconds(entry.expires - now)
        var answer = entry.response
        answer.header.id = query.header.id
        answer.header.recursionDesired = query.header.recursionDesired
        answer.header.checkingDisabled = query.header.checkingDisabled
        answer.questions = query.questions
        func age(_ records: inout [DNSRecord]) {
            for i in records.indices {
                let ttl = records[i].ttl > elapsed ? records[i].ttl - elapsed : 0
                records[i].ttl = min(ttl, remaining)
            }
        }
        age(&answer.answers)
        age(&answer.authority)
        age(&answer.additional)
        answer.edns = query.edns.map { queryEDNS in
            var edns = EDNS(udpPayloadSize: udpPayloadSize)
            edns.dnssecOK = queryEDNS.dnssecOK
            return edns
        }
        return answer
    }

    /// Removes every expired entry.
    public mutating func removeExpired(at now: ContinuousClock.Instant) {
        entries = entries.filter { now < $0.value.expires }
    }

    /// Removes the oldest live entry; false when there is none.
    mutating func evictOldest() -> Bool {
        while head < order.count {
            let item = order[head]
            head += 1
            if entries[item.key]?.generation == item.generation {
                entries[item.key] = nil
                return true
            }
        }
        order.removeAll(keepingCapacity: true)
        head = 0
        return false
    }

    /// Whole seconds in `duration` (rounded down), clamped to UInt32.
    static func seconds(_ duration: Duration) -> UInt32 {
        let seconds = duration.components.seconds
        return seconds <= 0 ? 0 : UInt32(clamping: seconds)
    }
}

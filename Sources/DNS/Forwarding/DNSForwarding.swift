public import NIOCore

/// Response codes (RFC 1035 §4.1.1, RFC 6895) used by the forwarder.
public enum DNSRCode {
    public static let noError: UInt8 = 0
    public static let formatError: UInt8 = 1
    public static let serverFailure: UInt8 = 2
    public static let nameError: UInt8 = 3
    public static let notImplemented: UInt8 = 4
    public static let refused: UInt8 = 5
}

/// A query sent upstream and not yet answered: what a response must repeat to be taken.
public struct DNSOutstandingQuery: Sendable, Hashable {
    public var id: UInt16
    public var question: DNSQuestion

    public init(id: UInt16, question: DNSQuestion) {
        self.id = id
        self.question = question
    }

    /// Whether `response` answers this query: a response (QR set) with the same id and exactly one
    /// question of the same name (ignoring ASCII case), type and class. Anything else is dropped
    /// by the caller (a spoofing attempt, or a late answer to an earlier query).
    public func matches(_ response: DNSMessage) -> Bool {
        guard response.header.isResponse, response.header.id == id, response.questions.count == 1, let q = response.questions.first else {
            return false
        }
        return q.name == question.name && q.type == question.type && q.recordClass == question.recordClass
    }

    /// The message in `bytes` if it decodes and ``matches(_:)``; nil otherwise.
    public func match(_ bytes: ByteBuffer) -> DNSMessage? {
        guard let response = try? DNSMessage(decoding: bytes), matches(response) else { return nil }
        return response
    }
}

/// The pure parts of forwarding a client's query upstream and its answer back.
public enum DNSForwarding {
    /// A query id from `generator` (16 random bits, RFC 5452 §4.3).
    public static func randomID<G: RandomNumberGenerator>(using generator: inout G) -> UInt16 {
        UInt16.random(in: .min ... .max, using: &generator)
    }

    /// A query id from the system's random number generator.
    public static func randomID() -> UInt16 {
        var generator = SystemRandomNumberGenerator()
        return randomID(using: &generator)
    }

    /// The query to send upstream for the client's `query`, under `id`: the same question, RD
    /// and CD bits and OPT record (EDNS is kept), and what its answer must match. Nil when the
    /// query does not have exactly one question.
    public static func upstreamQuery(for query: DNSMessage, id: UInt16) -> (query: DNSMessage, outstanding: DNSOutstandingQuery)? {
        guard query.questions.count == 1, let question = query.questions.first else { return nil }
        var upstream = DNSMessage(header: DNSHeader(id: id))
        upstream.header.opcode = query.header.opcode
        upstream.header.recursionDesired = query.header.recursionDesired
        upstream.header.checkingDisabled = query.header.checkingDisabled
        upstream.header.authenticData = query.header.authenticData
        upstream.questions = [question]
        upstream.edns = query.edns
        return (upstream, DNSOutstandingQuery(id: id, question: question))
    }

    /// The upstream's `response` as an answer to the client's `query`: the client's id and
    /// question (in the case it was asked).
    public static func clientResponse(_ response: DNSMessage, to query: DNSMessage) -> DNSMessage {
        var answer = response
        answer.header.id = query.header.id
        answer.questions = query.questions
        return answer
    }

    /// An answer with no records and `rcode` (SERVFAIL, FORMERR, NOTIMP, REFUSED) to `query`,
    /// with an OPT record when the query had one.
    public static func errorResponse(to query: DNSMessage, rcode: UInt8, udpPayloadSize: UInt16 = 1232) -> DNSMessage {
        var answer = DNSMessage(header: DNSHeader(id: query.header.id))
        answer.header.isResponse = true
        answer.header.opcode = query.header.opcode
        answer.header.recursionDesired = query.header.recursionDesired
        answer.header.checkingDisabled = query.header.checkingDisabled
        answer.header.recursionAvailable = true
        answer.header.rcode = rcode
        answer.questions = query.questions
        answer.edns = query.edns.map { queryEDNS in
            var edns = EDNS(udpPayloadSize: udpPayloadSize)
            edns.dnssecOK = queryEDNS.dnssecOK
            return edns
        }
        return answer
    }

    /// The FORMERR answer to bytes that do not decode, when they at least hold a query's header
    /// (12 bytes, QR clear): the header's id and opcode, no question. Nil otherwise (answering a
    /// broken response could loop between two servers).
    public static func formatErrorReply(toUnreadable bytes: ByteBuffer) -> DNSMessage? {
        guard bytes.readableBytes >= 12, let id = bytes.getInteger(at: bytes.readerIndex, as: UInt16.self),
            let flags = bytes.getInteger(at: bytes.readerIndex + 2, as: UInt16.self), flags & 0x8000 == 0
        else { return nil }
        var answer = DNSMessage(header: DNSHeader(id: id))
        answer.header.isResponse = true
        answer.header.opcode = UInt8((flags >> 11) & 0x0F)
        answer.header.recursionDesired = flags & 0x0100 != 0
        answer.header.rcode = DNSRCode.formatError
        return answer
    }

    /// The most bytes a UDP answer to `query` may have: the client's EDNS payload size (at least
    /// 512, at most `maximum`), or 512 without EDNS (RFC 1035 §4.2.1, RFC 6891 §6.2.5).
    public static func udpLimit(for query: DNSMessage, maximum: Int = 4096) -> Int {
        guard let edns = query.edns else { return 512 }
        return min(max(512, Int(edns.udpPayloadSize)), max(512, maximum))
    }
}

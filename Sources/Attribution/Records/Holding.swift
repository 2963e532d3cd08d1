public import Addressing
public import Foundation
import TextScanning

/// One subscriber's hold on a prefix (and, for CGN, a port range) over a time interval.
///
/// The interval is closed, in whole seconds (`from` rounded down, `to` rounded up when built
/// from events), and does not include the query-time skew tolerance.
///
/// A holding answered by an ``AttributionIndex`` reads its `subscriber` and `session` text
/// from the index's string tables when first asked (it keeps the tables alive meanwhile),
/// so a lookup whose caller only needs the verdict does not pay for decoding them.
/// Equality, hashing and coding use the text.
public struct Holding: Sendable, Hashable, Codable {
    /// Who held it.
    public var subscriber: String {
        get { subscriberText.value }
        set { subscriberText = .string(newValue) }
    }
    /// The session or lease it came from.
    public var session: String {
        get { sessionText.value }
        set { sessionText = .string(newValue) }
    }
    private var subscriberText: TableText
    private var sessionText: TableText
    /// What was held; the queried address lies inside it.
    public var prefix: IPPrefix
    /// Held from (inclusive).
    public var from: Date
    /// Held until (inclusive); nil when open (a lease that `ends never`, a CGN block still allocated).
    public var to: Date?
    /// The CGN port range on the public address; nil when the whole address was held.
    public var portRange: ClosedRange<UInt16>?
    /// True when `to` is an estimate: a RADIUS session with no Stop, held until its last
    /// record plus the grace period.
    public var endIsEstimated: Bool

    /// Creates a holding.
    public init(
        subscriber: String, session: String, prefix: IPPrefix, from: Date, to: Date?,
        portRange: ClosedRange<UInt16>? = nil, endIsEstimated: Bool = false
    ) {
        self.subscriberText = .string(subscriber)
        self.sessionText = .string(session)
        self.prefix = prefix
        self.from = from
        self.to = to
        self.portRange = portRange
        self.endIsEstimated = endIsEstimated
    }

    /// A holding whose texts stay in the index's string tables until read.
    init(
        subscriber: StringTable, _ subscriberID: UInt32, session: StringTable, _ sessionID: UInt32, prefix: IPPrefix,
        from: Date, to: Date?, portRange: ClosedRange<UInt16>?, endIsEstimated: Bool
    ) {
        self.subscriberText = .table(subscriber, subscriberID)
        self.sessionText = .table(session, sessionID)
        self.prefix = prefix
        self.from = from
        self.to = to
        self.portRange = portRange
        self.endIsEstimated = endIsEstimated
    }

    public static func == (a: Holding, b: Holding) -> Bool {
        a.prefix == b.prefix && a.from == b.from && a.to == b.to && a.portRange == b.portRange
            && a.endIsEstimated == b.endIsEstimated && a.subscriber == b.subscriber && a.session == b.session
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(subscriber)
        hasher.combine(session)
        hasher.combine(prefix)
        hasher.combine(from)
        hasher.combine(to)
        hasher.combine(portRange)
        hasher.combine(endIsEstimated)
    }

    private enum CodingKeys: String, CodingKey {
        case subscriber, session, prefix, from, to, portStart, portEnd, endIsEstimated
    }

    /// Decodes a holding; the prefix is decoded from its text form.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        subscriberText = .string(try c.decode(String.self, forKey: .subscriber))
        sessionText = .string(try c.decode(String.self, forKey: .session))
        guard let p = IPPrefix(try c.decode(String.self, forKey: .prefix)) else {
            throw DecodingError.dataCorruptedError(forKey: .prefix, in: c, debugDescription: "prefix: not an IP prefix")
        }
        prefix = p
        from = try c.decode(Date.self, forKey: .from)
        to = try c.decodeIfPresent(Date.self, forKey: .to)
        if let s = try c.decodeIfPresent(UInt16.self, forKey: .portStart),
            let e = try c.decodeIfPresent(UInt16.self, forKey: .portEnd)
        {
            guard s <= e else {
                throw DecodingError.dataCorruptedError(forKey: .portEnd, in: c, debugDescription: "portEnd: before portStart")
            }
            portRange = s...e
        } else {
            portRange = nil
        }
        endIsEstimated = try c.decodeIfPresent(Bool.self, forKey: .endIsEstimated) ?? false
    }

    /// Encodes a holding; the prefix is encoded as its text form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(subscriber, forKey: .subscriber)
        try c.encode(session, forKey: .session)
        try c.encode(prefix.description, forKey: .prefix)
        try c.encode(from, forKey: .from)
        try c.encodeIfPresent(to, forKey: .to)
        try c.encodeIfPresent(portRange?.lowerBound, forKey: .portStart)
        try c.encodeIfPresent(portRange?.upperBound, forKey: .portEnd)
        try c.encode(endIsEstimated, forKey: .endIsEstimated)
    }
}

/// A string given, or one still in a ``StringTable`` (read on demand).
enum TableText: Sendable {
    case string(String)
    case table(StringTable, UInt32)

    var value: String {
        switch self {
        case .string(let s): s
        case .table(let t, let id): t.string(id)
        }
    }
}

/// Why a query could not be answered with one subscriber.
public enum AmbiguityReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// Two or more subscribers held the address at that very time (overlapping records).
    case multipleHolders
    /// At most one subscriber held it at that exact time, but another held it within the
    /// skew tolerance: a handover too close to the reported time to tell who it was.
    case handoverWithinSkew
    /// The address was a shared CGN public address at that time and the query gave no
    /// source port, so the port block that would decide is unknown.
    case sharedAddressWithoutPort
}

/// The answer to "who held this address at that time?".
public enum AttributionAnswer: Sendable, Equatable {
    /// Exactly one subscriber held it (possibly through several records of their own).
    case found(Holding)
    /// Nobody is on record as holding it then.
    case notFound
    /// More than one subscriber could have held it: never guess. `candidates` counts the
    /// distinct subscribers considered.
    case ambiguous(candidates: Int, reason: AmbiguityReason)

    /// The holding when `.found`.
    public var holding: Holding? {
        if case .found(let h) = self { return h }
        return nil
    }
}

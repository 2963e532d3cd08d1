public import Addressing

/// The direction a flow exporter reports for a flow (IPFIX `flowDirection`, NetFlow v9 `DIRECTION`).
public enum FlowDirection: UInt8, Sendable, Hashable {
    case ingress = 0
    case egress = 1
    /// Not reported (pcap, NetFlow v5, templates without the field).
    case unknown = 255
}

/// What the DNS-amplification measure (`dns-amplification-prevention`) gets of one packet or flow:
/// destination address and port, protocol, direction, bytes, packets and time. Nothing else.
///
/// There is no source field, and the decoders that produce this view never read a source
/// address or port into a value: the bytes are skipped by offset (`AmplificationViewTests`
/// checks both the shape and that scrambling source bytes changes nothing).
public struct AmplificationView: Sendable, Hashable {
    /// The destination address.
    public let destination: IPAddress
    /// The destination port; 0 for protocols without ports and for non-first fragments.
    public let destinationPort: UInt16
    /// The IP protocol number (6 TCP, 17 UDP).
    public let transport: UInt8
    /// Reported direction, if any.
    public let direction: FlowDirection
    /// Layer-3 bytes (IP header included), summed over the flow.
    public let bytes: UInt64
    /// Packets (1 for a captured packet).
    public let packets: UInt64
    /// Seconds since the Unix epoch (a packet's capture time, a flow's start).
    public let time: Int64
}

/// What the darknet sensor (`network-observation`) gets of one packet or flow to its addresses:
/// the source (transient: attributed or counted, then dropped), destination address and port,
/// protocol and time.
public struct DarknetView: Sendable, Hashable {
    /// The sender: the sensor is the party receiving it.
    public let source: IPAddress
    /// The darknet address targeted.
    public let destination: IPAddress
    /// The destination port (0 when none).
    public let destinationPort: UInt16
    /// The IP protocol number.
    public let transport: UInt8
    /// Packets.
    public let packets: UInt64
    /// Seconds since the Unix epoch.
    public let time: Int64
}

/// Why a packet or record was not decoded (the run goes on; each is counted).
public enum BadReason: String, Sendable, Hashable, CaseIterable, Comparable {
    case truncatedFileHeader = "truncated-file-header"
    case truncatedRecord = "truncated-record"
    case unsupportedLinkType = "unsupported-link-type"
    case badIPHeader = "bad-ip-header"
    case truncatedIPHeader = "truncated-ip-header"
    case truncatedTransportHeader = "truncated-transport-header"
    case badBlock = "bad-pcapng-block"
    case unknownInterface = "unknown-pcapng-interface"
    case badNetFlowHeader = "bad-netflow-header"
    case badFlowCount = "bad-flow-count"
    case badSetLength = "bad-set-length"
    case badTemplate = "bad-template"
    case unknownTemplate = "unknown-template"
    case expiredTemplate = "expired-template"
    case badRecord = "bad-record"
    case unknownFormat = "unknown-format"

    public static func < (lhs: BadReason, rhs: BadReason) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The counts of one decoding run: what was read and what was refused, by reason.
public struct DecodeCounts: Sendable, Hashable {
    /// Captured packets or flow records decoded into a view.
    public internal(set) var decoded = 0
    /// Frames that are not IP (ARP, LLDP…): skipped, not bad.
    public internal(set) var notIP = 0
    /// Refused, per reason.
    public internal(set) var bad: [BadReason: Int] = [:]
    /// Where the first refusal of each reason was (byte offset in the input).
    public internal(set) var firstOffset: [BadReason: Int] = [:]

    public init() {}

    /// All refusals.
    public var badTotal: Int { bad.values.reduce(0, +) }

    mutating func refuse(_ reason: BadReason, at offset: Int, count: Int = 1) {
        bad[reason, default: 0] += count
        if firstOffset[reason] == nil { firstOffset[reason] = offset }
    }

    /// Adds `other`'s counts.
    public mutating func add(_ other: DecodeCounts) {
        decoded += other.decoded
        notIP += other.notIP
        for (reason, count) in other.bad { bad[reason, default: 0] += count }
        for (reason, offset) in other.firstOffset where firstOffset[reason] == nil { firstOffset[reason] = offset }
    }
}

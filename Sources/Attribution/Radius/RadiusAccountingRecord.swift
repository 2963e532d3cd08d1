public import Addressing
public import Foundation

/// `Acct-Status-Type` (RFC 2866 §5.1).
public enum RadiusAccountingStatus: Sendable, Hashable {
    case start
    case stop
    case interimUpdate
    /// The NAS started: its earlier sessions are over.
    case accountingOn
    /// The NAS is going down: its sessions are over.
    case accountingOff
    /// Tunnel types and Failed (RFC 2867, RFC 2866 §5.1: 9…15).
    case other(UInt32)

    init?(_ number: UInt32) {
        switch number {
        case 1: self = .start
        case 2: self = .stop
        case 3: self = .interimUpdate
        case 7: self = .accountingOn
        case 8: self = .accountingOff
        case 9...15: self = .other(number)
        default: return nil
        }
    }
}

/// Which NAS sent a request, as it names itself (`NAS-IP-Address`, else `NAS-IPv6-Address`,
/// else `NAS-Identifier`). Used to end a NAS's sessions on Accounting-On/-Off; never logged.
public enum RadiusNASIdentity: Sendable, Hashable {
    case address(IPAddress)
    case identifier(String)
}

/// What Mamori keeps of one Accounting-Request: the status, the NAS's identity, and the
/// ``AssignmentEvent`` the same record makes in a detail file (see ``RadiusDetailParser``).
///
/// ```swift
/// try RadiusAuthenticator.verifyAccountingRequest(datagram, secret: secret)
/// let packet = try RadiusPacket(decoding: datagram)
/// let record = try RadiusAccountingRecord(packet, receivedAt: Date())
/// if let event = record.event { … }
/// ```
///
/// Read attributes (all others are ignored, never kept): `User-Name`, `Acct-Session-Id`,
/// `Acct-Status-Type`, `Acct-Session-Time`, `Acct-Delay-Time`, `Acct-Interim-Interval`,
/// `Event-Timestamp`, `Framed-IP-Address` (/32; RFC 2865's special values are not addresses),
/// `Framed-IPv6-Address` (/128), `Framed-IPv6-Prefix`, `Delegated-IPv6-Prefix`, and for the NAS
/// `NAS-IP-Address`, `NAS-IPv6-Address`, `NAS-Identifier`.
///
/// The event's time is `Event-Timestamp`, else `receivedAt` − `Acct-Delay-Time`: what a detail
/// file's `Timestamp` is (the server's arrival time), so a record gives the same event live and
/// from the detail file FreeRADIUS writes of it (up to the second of arrival). One difference:
/// FreeRADIUS adds `Acct-Unique-Session-Id` (its own hash) to detail files, and the detail
/// parser prefers it to `Acct-Session-Id`; it is not on the wire. Feed one NAS's records either
/// live or from detail files written without that attribute, or their sessions are keyed twice.
public struct RadiusAccountingRecord: Sendable {
    /// `Acct-Status-Type`.
    public var status: RadiusAccountingStatus
    /// The NAS, when it names itself.
    public var nas: RadiusNASIdentity?
    /// The session event (Start, Interim-Update, Stop), or nil (Accounting-On/-Off, tunnel,
    /// Failed, or an incomplete record: see ``problem``).
    public var event: AssignmentEvent?
    /// Why a Start/Interim/Stop makes no event (the field, never its value), e.g. `User-Name: missing`.
    public var problem: String?

    /// Maps an Accounting-Request (already verified). Throws when an attribute read here has
    /// the wrong size or value, or `Acct-Status-Type` is missing or unknown.
    public init(_ packet: RadiusPacket, receivedAt: Date) throws(RadiusError) {
        guard packet.code == .accountingRequest else { throw .unexpectedCode(packet.code) }
        var fields = RadiusAccountingFields()
        var status: RadiusAccountingStatus?
        var nasAddress: IPAddress?
        var nasIPv6: IPAddress?
        var nasIdentifier: String?
        for attribute in packet.attributes {
            let v = attribute.value
            switch attribute.type {
            case .userName: fields.userName = try Self.text(v, "User-Name")
            case .acctSessionID: fields.sessionID = try Self.text(v, "Acct-Session-Id")
            case .acctStatusType:
                let n = try Self.integer(v, "Acct-Status-Type")
                guard let s = RadiusAccountingStatus(n), let mapped = RadiusAccountingFields.status(number: UInt64(n)) else {
                    throw .badAttribute(field: "Acct-Status-Type", reason: "unknown value")
                }
                status = s
                fields.status = mapped
            case .acctSessionTime: fields.sessionTime = Int64(try Self.integer(v, "Acct-Session-Time"))
            case .acctDelayTime: fields.delay = Int64(try Self.integer(v, "Acct-Delay-Time"))
            case .acctInterimInterval: fields.interimInterval = Int64(try Self.integer(v, "Acct-Interim-Interval"))
            case .eventTimestamp: fields.eventTimestamp = Int64(try Self.integer(v, "Event-Timestamp"))
            case .framedIPAddress: fields.addFramedIPv4(try Self.integer(v, "Framed-IP-Address"))
            case .framedIPv6Address:
                guard v.count == 16, let a = IPAddress(bytes: v) else {
                    throw .badAttribute(field: "Framed-IPv6-Address", reason: "not 16 octets")
                }
                fields.addPrefix(IPPrefix(host: a))
            case .framedIPv6Prefix: fields.addPrefix(try Self.ipv6Prefix(v, "Framed-IPv6-Prefix"))
            case .delegatedIPv6Prefix: fields.addPrefix(try Self.ipv6Prefix(v, "Delegated-IPv6-Prefix"))
            case .nasIPAddress:
                guard v.count == 4, let a = IPAddress(bytes: v) else { throw .badAttribute(field: "NAS-IP-Address", reason: "not 4 octets") }
                nasAddress = a
            case .nasIPv6Address:
                guard v.count == 16, let a = IPAddress(bytes: v) else {
                    throw .badAttribute(field: "NAS-IPv6-Address", reason: "not 16 octets")
                }
                nasIPv6 = a
            case .nasIdentifier: nasIdentifier = try Self.text(v, "NAS-Identifier")
            default: continue  // not kept (Vendor-Specific included: opaque)
            }
        }
        guard let status else { throw .badAttribute(field: "Acct-Status-Type", reason: "missing") }
        self.status = status
        if let a = nasAddress ?? nasIPv6 {
            nas = .address(a)
        } else if let nasIdentifier {
            nas = .identifier(nasIdentifier)
        }
        let seconds = receivedAt.timeIntervalSince1970.rounded(.down)
        fields.timestamp = seconds.isFinite && abs(seconds) < 1e15 ? Int64(seconds) : 0
        switch fields.outcome() {
        case .event(let event): self.event = event
        case .skipped: break
        case .problem(let reason): problem = reason
        }
    }

    static func text(_ v: [UInt8], _ field: String) throws(RadiusError) -> String {
        guard !v.isEmpty else { throw .badAttribute(field: field, reason: "empty") }
        return String(decoding: v, as: UTF8.self)
    }

    static func integer(_ v: [UInt8], _ field: String) throws(RadiusError) -> UInt32 {
        guard v.count == 4 else { throw .badAttribute(field: field, reason: "not 4 octets") }
        return UInt32(v[0]) << 24 | UInt32(v[1]) << 16 | UInt32(v[2]) << 8 | UInt32(v[3])
    }

    /// RFC 3162 §2.3 / RFC 4818: reserved, prefix length (≤ 128), the prefix's significant
    /// octets (0…16, at least enough for the length); host bits must be zero, as the detail
    /// parser demands.
    static func ipv6Prefix(_ v: [UInt8], _ field: String) throws(RadiusError) -> IPPrefix {
        guard v.count >= 2, v.count <= 18 else { throw .badAttribute(field: field, reason: "not 2…18 octets") }
        let length = Int(v[1])
        guard length <= 128 else { throw .badAttribute(field: field, reason: "prefix length over 128") }
        let octets = Array(v[2...])
        guard octets.count * 8 >= length else { throw .badAttribute(field: field, reason: "fewer prefix octets than the length needs") }
        let full = octets + [UInt8](repeating: 0, count: 16 - octets.count)
        guard let address = IPAddress(bytes: full), let prefix = IPPrefix(address, length: length), prefix.network == address else {
            throw .badAttribute(field: field, reason: "not an IPv6 prefix (host bits zero)")
        }
        return prefix
    }
}

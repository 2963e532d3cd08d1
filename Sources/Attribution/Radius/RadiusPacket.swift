/// A RADIUS packet code (RFC 2865 §3, RFC 2866 §3).
public struct RadiusCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 4: sent by a NAS to an accounting server.
    public static let accountingRequest = RadiusCode(rawValue: 4)
    /// 5: the accounting server's acknowledgement.
    public static let accountingResponse = RadiusCode(rawValue: 5)

    public var description: String {
        switch rawValue {
        case 4: "Accounting-Request"
        case 5: "Accounting-Response"
        default: "code \(rawValue)"
        }
    }
}

/// A RADIUS attribute type (RFC 2865 §5 and later RFCs); only the ones Mamori reads are named.
public struct RadiusAttributeType: RawRepresentable, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let userName = RadiusAttributeType(rawValue: 1)
    public static let nasIPAddress = RadiusAttributeType(rawValue: 4)
    public static let framedIPAddress = RadiusAttributeType(rawValue: 8)
    /// Kept opaque: vendor id and vendor data as they came.
    public static let vendorSpecific = RadiusAttributeType(rawValue: 26)
    public static let nasIdentifier = RadiusAttributeType(rawValue: 32)
    public static let acctStatusType = RadiusAttributeType(rawValue: 40)
    public static let acctDelayTime = RadiusAttributeType(rawValue: 41)
    public static let acctSessionID = RadiusAttributeType(rawValue: 44)
    public static let acctSessionTime = RadiusAttributeType(rawValue: 46)
    /// RFC 2869 §5.3: seconds since 1970 at the NAS.
    public static let eventTimestamp = RadiusAttributeType(rawValue: 55)
    public static let acctInterimInterval = RadiusAttributeType(rawValue: 85)
    public static let nasIPv6Address = RadiusAttributeType(rawValue: 95)
    /// RFC 3162 §2.3: reserved octet, prefix length, prefix (0…16 octets).
    public static let framedIPv6Prefix = RadiusAttributeType(rawValue: 97)
    /// RFC 4818: the same layout as Framed-IPv6-Prefix.
    public static let delegatedIPv6Prefix = RadiusAttributeType(rawValue: 123)
    /// RFC 6911 §3.1: 16 octets.
    public static let framedIPv6Address = RadiusAttributeType(rawValue: 168)
}

/// One attribute: type and value octets, as on the wire (a Vendor-Specific one stays opaque).
public struct RadiusAttribute: Sendable, Hashable {
    public var type: RadiusAttributeType
    /// At most 253 octets.
    public var value: [UInt8]

    public init(_ type: RadiusAttributeType, _ value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// A 32-bit integer attribute (RFC 2865 §5: network byte order).
    public init(_ type: RadiusAttributeType, integer: UInt32) {
        self.init(type, withUnsafeBytes(of: integer.bigEndian) { Array($0) })
    }

    /// A text attribute (UTF-8).
    public init(_ type: RadiusAttributeType, text: String) {
        self.init(type, Array(text.utf8))
    }
}

/// Why a datagram is not a usable RADIUS accounting packet. Each case names the field (and an
/// offset), never a value: the description may reach the logs.
public enum RadiusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Fewer than 20 octets, or a Length field under 20 or over 4096.
    case badLength(declared: Int, received: Int)
    /// The Length field says more octets than the datagram has.
    case truncated(declared: Int, received: Int)
    /// An attribute header at `offset` is cut or its length is under 2 or runs past the packet.
    case badAttributeLength(type: UInt8, offset: Int)
    /// Not the code expected here.
    case unexpectedCode(RadiusCode)
    /// An attribute has the wrong size or an unusable value; `field` is its name.
    case badAttribute(field: String, reason: String)
    /// The Request Authenticator does not match the shared secret (RFC 2866 §3).
    case badAuthenticator

    public var description: String {
        switch self {
        case .badLength(let declared, let received):
            "Length: \(declared) is outside 20…4096 (datagram of \(received) octets)"
        case .truncated(let declared, let received): "Length: \(declared) octets declared, \(received) received"
        case .badAttributeLength(let type, let offset): "attribute \(type) at offset \(offset): bad length"
        case .unexpectedCode(let code): "Code: \(code) is not an Accounting-Request"
        case .badAttribute(let field, let reason): "\(field): \(reason)"
        case .badAuthenticator: "Request Authenticator: does not match the shared secret"
        }
    }
}

/// A RADIUS packet (RFC 2865 §3): code, identifier, authenticator and attributes in order.
///
/// ```swift
/// let packet = try RadiusPacket(decoding: datagram)     // header and attributes, nothing verified
/// try RadiusAuthenticator.verifyAccountingRequest(datagram, secret: secret)
/// ```
///
/// Decoding checks the header and the attributes' type-length-value framing only; octets past
/// the Length field are padding and ignored (RFC 2865 §3).
public struct RadiusPacket: Sendable, Hashable {
    public var code: RadiusCode
    public var identifier: UInt8
    /// 16 octets.
    public var authenticator: [UInt8]
    public var attributes: [RadiusAttribute]

    /// The smallest and largest packets (RFC 2865 §3).
    public static let minimumLength = 20
    public static let maximumLength = 4096

    public init(code: RadiusCode, identifier: UInt8, authenticator: [UInt8], attributes: [RadiusAttribute]) {
        self.code = code
        self.identifier = identifier
        self.authenticator = authenticator
        self.attributes = attributes
    }

    /// Decodes a datagram.
    public init(decoding bytes: some Collection<UInt8>) throws(RadiusError) {
        let b = Array(bytes)
        let length = try Self.declaredLength(b)
        code = RadiusCode(rawValue: b[0])
        identifier = b[1]
        authenticator = Array(b[4..<20])
        var attributes: [RadiusAttribute] = []
        var i = 20
        while i < length {
            guard i + 2 <= length else { throw .badAttributeLength(type: b[i], offset: i) }
            let n = Int(b[i + 1])
            guard n >= 2, i + n <= length else { throw .badAttributeLength(type: b[i], offset: i) }
            attributes.append(RadiusAttribute(RadiusAttributeType(rawValue: b[i]), Array(b[(i + 2)..<(i + n)])))
            i += n
        }
        self.attributes = attributes
    }

    /// The Length field of a datagram, checked against RFC 2865 §3's bounds and the datagram's size.
    static func declaredLength(_ b: [UInt8]) throws(RadiusError) -> Int {
        guard b.count >= minimumLength else { throw .badLength(declared: b.count >= 4 ? Int(b[2]) << 8 | Int(b[3]) : 0, received: b.count) }
        let length = Int(b[2]) << 8 | Int(b[3])
        guard length >= minimumLength, length <= maximumLength else { throw .badLength(declared: length, received: b.count) }
        guard length <= b.count else { throw .truncated(declared: length, received: b.count) }
        return length
    }

    /// The packet's octets with its ``authenticator`` as it is (no attribute may exceed 253 octets;
    /// longer values are cut there).
    public func encoded() -> [UInt8] {
        encoded(authenticator: authenticator)
    }

    func encoded(authenticator: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [code.rawValue, identifier, 0, 0]
        out.append(contentsOf: authenticator.prefix(16))
        if authenticator.count < 16 { out.append(contentsOf: repeatElement(0, count: 16 - authenticator.count)) }
        for attribute in attributes {
            let value = attribute.value.prefix(253)
            out.append(attribute.type.rawValue)
            out.append(UInt8(value.count + 2))
            out.append(contentsOf: value)
        }
        out[2] = UInt8(truncatingIfNeeded: out.count >> 8)
        out[3] = UInt8(truncatingIfNeeded: out.count)
        return out
    }

    /// The values of every attribute of `type`, in order.
    public func values(_ type: RadiusAttributeType) -> [[UInt8]] {
        attributes.compactMap { $0.type == type ? $0.value : nil }
    }
}

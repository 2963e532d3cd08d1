/// A record type (RFC 1035 §3.2.2 and later RFCs); unknown types are kept as numbers.
public struct DNSType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(rawValue: 1)
    public static let ns = DNSType(rawValue: 2)
    public static let cname = DNSType(rawValue: 5)
    public static let soa = DNSType(rawValue: 6)
    public static let ptr = DNSType(rawValue: 12)
    public static let mx = DNSType(rawValue: 15)
    public static let txt = DNSType(rawValue: 16)
    public static let aaaa = DNSType(rawValue: 28)
    public static let opt = DNSType(rawValue: 41)
    public static let https = DNSType(rawValue: 65)
    public static let caa = DNSType(rawValue: 257)

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .opt: "OPT"
        case .https: "HTTPS"
        case .caa: "CAA"
        default: "TYPE\(rawValue)"
        }
    }
}

/// The header's flags and codes (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD and CD).
public struct DNSHeader: Sendable, Hashable {
    public var id: UInt16
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    public var authenticData = false
    public var checkingDisabled = false
    /// The low four bits of the response code (EDNS adds eight more, see ``EDNS``).
    public var rcode: UInt8 = 0

    public init(id: UInt16) { self.id = id }

    var flags: UInt16 {
        var f: UInt16 = 0
        if isResponse { f |= 0x8000 }
        f |= UInt16(opcode & 0x0F) << 11
        if authoritative { f |= 0x0400 }
        if truncated { f |= 0x0200 }
        if recursionDesired { f |= 0x0100 }
        if recursionAvailable { f |= 0x0080 }
        if authenticData { f |= 0x0020 }
        if checkingDisabled { f |= 0x0010 }
        return f | UInt16(rcode & 0x0F)
    }

    init(id: UInt16, flags f: UInt16) {
        self.id = id
        isResponse = f & 0x8000 != 0
        opcode = UInt8((f >> 11) & 0x0F)
        authoritative = f & 0x0400 != 0
        truncated = f & 0x0200 != 0
        recursionDesired = f & 0x0100 != 0
        recursionAvailable = f & 0x0080 != 0
        authenticData = f & 0x0020 != 0
        checkingDisabled = f & 0x0010 != 0
        rcode = UInt8(f & 0x000F)
    }
}

/// A question (RFC 1035 §4.1.2).
public struct DNSQuestion: Sendable, Hashable {
    public var name: DNSName
    public var type: DNSType
    public var recordClass: UInt16

    public init(name: DNSName, type: DNSType, recordClass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

/// Record data: the types whose RDATA holds names are decoded (their names may be compressed);
/// every other type is kept as its octets.
public enum DNSRData: Sendable, Hashable {
    case a([UInt8])
    case aaaa([UInt8])
    case name(DNSName)  // NS, CNAME, PTR
    case mx(preference: UInt16, exchange: DNSName)
    case soa(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32)
    case opaque([UInt8])
}

/// A resource record (RFC 1035 §4.1.3).
public struct DNSRecord: Sendable, Hashable {
    public var name: DNSName
    public var type: DNSType
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: DNSRData

    public init(name: DNSName, type: DNSType, recordClass: UInt16 = 1, ttl: UInt32, data: DNSRData) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }
}

/// EDNS(0) (RFC 6891): the OPT pseudo-record, lifted out of the additional section.
public struct EDNS: Sendable, Hashable {
    /// The requestor's UDP payload size (values under 512 are treated as 512).
    public var udpPayloadSize: UInt16 = 1232
    /// The upper eight bits of the 12-bit response code.
    public var extendedRCode: UInt8 = 0
    public var version: UInt8 = 0
    public var dnssecOK = false
    /// Options as (code, data), in order.
    public var options: [EDNSOption] = []

    public init(udpPayloadSize: UInt16 = 1232) { self.udpPayloadSize = udpPayloadSize }
}

/// One EDNS option (code and data).
public struct EDNSOption: Sendable, Hashable {
    public var code: UInt16
    public var data: [UInt8]

    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}

/// A DNS message (RFC 1035 §4.1): header, questions, the three record sections, and EDNS.
public struct DNSMessage: Sendable, Hashable {
    public var header: DNSHeader
    public var questions: [DNSQuestion] = []
    public var answers: [DNSRecord] = []
    public var authority: [DNSRecord] = []
    /// The additional section without the OPT record (see ``edns``).
    public var additional: [DNSRecord] = []
    public var edns: EDNS?

    public init(header: DNSHeader) { self.header = header }

    /// The full response code: the header's four bits and EDNS's eight.
    public var responseCode: UInt16 { UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(header.rcode) }
}

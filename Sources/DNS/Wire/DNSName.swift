/// A domain name as its labels (RFC 1035 §3.1): at most 63 octets a label, 255 on the wire.
/// Comparison and hashing ignore ASCII case, as DNS does (RFC 4343).
public struct DNSName: Sendable, Hashable, CustomStringConvertible {
    /// The labels, most specific first, without the root's empty label.
    public let labels: [[UInt8]]

    public static let root = DNSName(validated: [])

    init(validated labels: [[UInt8]]) { self.labels = labels }

    /// A name from labels; throws when a label is empty or over 63 octets, or the name over 255.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        var length = 1
        for label in labels {
            guard !label.isEmpty else { throw .invalidName("an empty label") }
            guard label.count <= 63 else { throw .invalidName("a label of \(label.count) octets (at most 63)") }
            length += label.count + 1
        }
        guard length <= 255 else { throw .invalidName("\(length) octets on the wire (at most 255)") }
        self.labels = labels
    }

    /// A name from its text form (`www.example.com`, a trailing dot optional; `.` is the root).
    /// No escapes: names the guard reads from lists are host names.
    public init(_ text: String) throws(DNSWireError) {
        var trimmed = Substring(text)
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        if trimmed.isEmpty {
            self = .root
            return
        }
        try self.init(labels: trimmed.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) })
    }

    /// The number of octets of the name on the wire, uncompressed.
    public var wireLength: Int { labels.reduce(1) { $0 + $1.count + 1 } }

    /// The name in text form with a trailing dot; octets outside printable ASCII, `.` and `\`
    /// are escaped as `\DDD` (RFC 1035 §5.1).
    public var description: String {
        if labels.isEmpty { return "." }
        var out = ""
        for label in labels {
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"): out += "\\" + String(UnicodeScalar(byte))
                case 0x21...0x7E: out.unicodeScalars.append(UnicodeScalar(byte))
                default:
                    let digits = String(byte)
                    out += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            out += "."
        }
        return out
    }

    /// Whether this name is `other` or below it.
    public func isSubdomain(of other: DNSName) -> Bool {
        guard labels.count >= other.labels.count else { return false }
        return zip(labels.suffix(other.labels.count), other.labels).allSatisfy { Self.equal($0, $1) }
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.labels.count == rhs.labels.count && zip(lhs.labels, rhs.labels).allSatisfy { equal($0, $1) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(labels.count)
        for label in labels {
            hasher.combine(label.count)
            for byte in label { hasher.combine(Self.lower(byte)) }
        }
    }

    static func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
    }
}

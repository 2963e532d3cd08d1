/// An IPv4 or IPv6 address.
///
/// The value is kept as a 128-bit integer; an IPv4 address uses its low 32 bits.
/// Parsing is strict (no zone ids, no octal-looking IPv4 parts); `description` is the
/// RFC 5952 text form for IPv6 and the dotted quad for IPv4.
///
/// ```swift
/// let a = IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001")!
/// a.description // "2001:db8::1"
/// ```
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: UInt8, Sendable, Hashable, Comparable {
        case v4 = 4
        case v6 = 6

        public static func < (lhs: Family, rhs: Family) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The number of bits in an address of this family.
        @inlinable public var bitWidth: Int { self == .v4 ? 32 : 128 }
    }

    /// The family of this address.
    public let family: Family
    /// The address as an integer, most significant bit first; IPv4 uses the low 32 bits.
    public let value: UInt128

    /// An IPv4 address from its 32-bit value.
    @inlinable public init(v4 value: UInt32) {
        self.family = .v4
        self.value = UInt128(value)
    }

    /// An IPv6 address from its 128-bit value.
    @inlinable public init(v6 value: UInt128) {
        self.family = .v6
        self.value = value
    }

    /// An address of `family` from an integer (masked to the family's width).
    @inlinable public init(family: Family, value: UInt128) {
        self.family = family
        self.value = family == .v4 ? value & 0xFFFF_FFFF : value
    }

    /// Parses the text form of an IPv4 or IPv6 address; `nil` when it is not one.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        if utf8.contains(UInt8(ascii: ":")) {
            guard let v = IPAddress.parseV6(utf8[...]) else { return nil }
            self.init(v6: v)
        } else {
            guard let v = IPAddress.parseV4(utf8[...]) else { return nil }
            self.init(v4: v)
        }
    }

    /// The IPv4 value, or `nil` for IPv6.
    @inlinable public var v4Value: UInt32? { family == .v4 ? UInt32(truncatingIfNeeded: value) : nil }

    /// The address in network byte order (4 or 16 bytes).
    public var bytes: [UInt8] {
        let count = family == .v4 ? 4 : 16
        return (0..<count).map { i in UInt8(truncatingIfNeeded: value >> UInt128((count - 1 - i) * 8)) }
    }

    /// An address from 4 or 16 bytes in network byte order.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        var v: UInt128 = 0
        for b in bytes { v = (v << 8) | UInt128(b) }
        self.init(family: bytes.count == 4 ? .v4 : .v6, value: v)
    }

    /// If this is an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), the IPv4 address.
    public var unmappedV4: IPAddress? {
        guard family == .v6, value >> 32 == 0xFFFF else { return nil }
        return IPAddress(v4: UInt32(truncatingIfNeeded: value))
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.family != rhs.family ? lhs.family < rhs.family : lhs.value < rhs.value
    }

    public var description: String {
        family == .v4 ? IPAddress.formatV4(UInt32(truncatingIfNeeded: value)) : IPAddress.formatV6(value)
    }

    // MARK: parsing

    static func parseV4(_ s: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var digits = 0
        var part: UInt32 = 0
        var leadingZero = false
        for c in s {
            if c >= 0x30 && c <= 0x39 {
                if digits == 1 && leadingZero { return nil }  // "01" is ambiguous (octal); refuse it
                if digits == 0 { leadingZero = c == 0x30 }
                part = part * 10 + UInt32(c - 0x30)
                digits += 1
                if digits > 3 || part > 255 { return nil }
            } else if c == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                result = (result << 8) | part
                parts += 1
                digits = 0
                part = 0
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return (result << 8) | part
    }

    static func parseV6(_ s: ArraySlice<UInt8>) -> UInt128? {
        guard !s.isEmpty, s.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var i = s.startIndex
        let end = s.endIndex
        // Leading "::"
        if s[i] == UInt8(ascii: ":") {
            guard s.count >= 2, s[i + 1] == UInt8(ascii: ":") else { return nil }
            sawDoubleColon = true
            i += 2
            if i == end { return 0 }
        }
        while i < end {
            // Read one group, or an embedded IPv4 at the end.
            var j = i
            var group: UInt32 = 0
            var digits = 0
            while j < end, let h = hexValue(s[j]) {
                group = group << 4 | UInt32(h)
                digits += 1
                j += 1
            }
            if j < end && s[j] == UInt8(ascii: ".") {
                // Embedded IPv4: must be the last thing.
                guard let v4 = parseV4(s[i..<end]) else { return nil }
                let hi = UInt16(v4 >> 16)
                let lo = UInt16(v4 & 0xFFFF)
                if sawDoubleColon { tail += [hi, lo] } else { head += [hi, lo] }
                i = end
                break
            }
            guard digits >= 1, digits <= 4 else { return nil }
            if sawDoubleColon { tail.append(UInt16(group)) } else { head.append(UInt16(group)) }
            i = j
            if i == end { break }
            guard s[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            if i < end && s[i] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                i += 1
                if i == end { break }
            } else if i == end {
                return nil  // trailing single colon
            }
        }
        let total = head.count + tail.count
        if sawDoubleColon {
            guard total <= 7 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        let groups = head + Array(repeating: 0, count: 8 - total) + tail
        var v: UInt128 = 0
        for g in groups { v = (v << 16) | UInt128(g) }
        return v
    }

    @inline(__always) static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    // MARK: formatting

    static func formatV4(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }

    /// RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::"
    /// (the first when tied), IPv4-mapped addresses with a dotted quad.
    static func formatV6(_ v: UInt128) -> String {
        if v >> 32 == 0xFFFF {
            return "::ffff:" + formatV4(UInt32(truncatingIfNeeded: v))
        }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: v >> UInt128((7 - $0) * 16)) }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                let length = i - runStart
                if length > bestLength && length >= 2 {
                    bestStart = runStart
                    bestLength = length
                }
                runStart = -1
            }
        }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLength
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(groups[i], radix: 16)
            i += 1
        }
        return out
    }
}

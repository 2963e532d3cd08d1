public import TextScanning

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

    /// Parses the text form of an IPv4 or IPv6 address exactly as written; `nil` when it is not one.
    ///
    /// The same parser as ``init(ascii:)``: an IPv4-mapped address (`::ffff:192.0.2.1`) stays
    /// the IPv6 address it is (RFC 4291 §2.5.5.2); see ``ByteParse/ip(_:)`` for how records are read.
    public init?(_ text: some StringProtocol) {
        var string = String(text)
        guard let parsed = string.withUTF8({ IPAddress(ascii: $0) }) else { return nil }
        self = parsed
    }

    /// Parses the text form of an address from UTF-8 bytes, without allocating.
    ///
    /// Strict: a dotted quad without leading zeros (`01` could be octal), or IPv6 text with
    /// 1–4 hex digits a group, at most one `::`, an embedded dotted quad only at the end; no
    /// zone id (`%eth0`), no brackets, no surrounding spaces.
    @inlinable public init?(ascii b: Bytes) {
        if let v4 = IPAddress.parseV4(b) {
            self.init(v4: v4)
        } else if b.count >= 2, b.count <= 45, let v6 = IPAddress.parseV6(b) {
            self.init(v6: v6)
        } else {
            return nil
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
        var out: [UInt8] = []
        out.reserveCapacity(family == .v4 ? 15 : 39)
        appendText(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: parsing

    /// A dotted-quad IPv4 address (no leading zeros).
    @inlinable @inline(__always) static func parseV4(_ b: Bytes) -> UInt32? {
        guard b.count >= 7, b.count <= 15 else { return nil }
        var result: UInt32 = 0
        var parts = 0
        var digits = 0
        var part: UInt32 = 0
        var leadingZero = false
        for c in b {
            let d = c &- ASCII.zero
            if d < 10 {
                if digits == 1 && leadingZero { return nil }  // "01" is ambiguous (octal); refuse it
                if digits == 0 { leadingZero = d == 0 }
                part = part * 10 + UInt32(d)
                digits += 1
                if digits > 3 || part > 255 { return nil }
            } else if c == ASCII.dot {
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

    /// IPv6 text, without allocating.
    @inlinable static func parseV6(_ b: Bytes) -> UInt128? {
        let end = b.count
        guard end > 0, end <= 45 else { return nil }
        var head: UInt128 = 0
        var headCount = 0
        var tail: UInt128 = 0
        var tailCount = 0
        var sawDoubleColon = false
        var i = 0
        if b[0] == ASCII.colon {
            guard end >= 2, b[1] == ASCII.colon else { return nil }
            sawDoubleColon = true
            i = 2
            if i == end { return 0 }
        }
        while i < end {
            var j = i
            var group: UInt32 = 0
            var digits = 0
            while j < end, let h = ASCII.hex(b[j]) {
                group = group &<< 4 | UInt32(h)
                digits += 1
                j += 1
            }
            if j < end && b[j] == ASCII.dot {
                // Embedded IPv4: the last thing.
                guard let v4 = parseV4(b.sub(i..<end)) else { return nil }
                if sawDoubleColon {
                    tail = tail &<< 32 | UInt128(v4)
                    tailCount += 2
                } else {
                    head = head &<< 32 | UInt128(v4)
                    headCount += 2
                }
                guard headCount + tailCount <= 8 else { return nil }
                i = end
                break
            }
            guard digits >= 1, digits <= 4 else { return nil }
            if sawDoubleColon {
                tail = tail &<< 16 | UInt128(group)
                tailCount += 1
            } else {
                head = head &<< 16 | UInt128(group)
                headCount += 1
            }
            guard headCount + tailCount <= 8 else { return nil }
            i = j
            if i == end { break }
            guard b[i] == ASCII.colon else { return nil }
            i += 1
            if i < end && b[i] == ASCII.colon {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                i += 1
                if i == end { break }
            } else if i == end {
                return nil  // trailing single colon
            }
        }
        let total = headCount + tailCount
        if sawDoubleColon {
            guard total <= 7 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        return (headCount == 0 ? 0 : head &<< UInt128(16 * (8 - headCount))) | tail
    }

    // MARK: formatting

    /// Appends the text form (``description``) as ASCII bytes, without a `String` in between:
    /// for writers of many addresses (stored events, keys).
    public func appendText(to out: inout [UInt8]) {
        if family == .v4 {
            IPAddress.appendV4(UInt32(truncatingIfNeeded: value), to: &out)
        } else {
            IPAddress.appendV6(value, to: &out)
        }
    }

    static func appendV4(_ v: UInt32, to out: inout [UInt8]) {
        ByteWrite.decimal(Int64(v >> 24), to: &out)
        out.append(ASCII.dot)
        ByteWrite.decimal(Int64((v >> 16) & 0xFF), to: &out)
        out.append(ASCII.dot)
        ByteWrite.decimal(Int64((v >> 8) & 0xFF), to: &out)
        out.append(ASCII.dot)
        ByteWrite.decimal(Int64(v & 0xFF), to: &out)
    }

    /// RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::"
    /// (the first when tied), IPv4-mapped addresses with a dotted quad.
    static func appendV6(_ v: UInt128, to out: inout [UInt8]) {
        if v >> 32 == 0xFFFF {
            for c in "::ffff:".utf8 { out.append(c) }
            appendV4(UInt32(truncatingIfNeeded: v), to: &out)
            return
        }
        @inline(__always) func group(_ i: Int) -> UInt16 { UInt16(truncatingIfNeeded: v >> UInt128((7 - i) * 16)) }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8 && group(i) == 0 {
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
        var i = 0
        while i < 8 {
            if i == bestStart {
                out.append(ASCII.colon)
                out.append(ASCII.colon)
                i += bestLength
                continue
            }
            if i > 0 && i != bestStart + bestLength { out.append(ASCII.colon) }
            let g = group(i)
            var shift = 12
            while shift > 0 && (g >> UInt16(shift)) & 0xF == 0 { shift -= 4 }
            while shift >= 0 {
                let d = UInt8(truncatingIfNeeded: (g >> UInt16(shift)) & 0xF)
                out.append(d < 10 ? 0x30 + d : 0x57 + d)
                shift -= 4
            }
            i += 1
        }
    }
}

import Addressing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A line, a field or a value: a view of UTF-8 bytes valid for the duration of a call.
typealias Bytes = UnsafeBufferPointer<UInt8>

enum ASCII {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let colon: UInt8 = 0x3A
    static let backslash: UInt8 = 0x5C

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == space || c == tab }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- zero < 10 }
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
    @inline(__always) static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// The bytes in `range` as a buffer of their own (indices from 0).
    @inline(__always) func sub(_ range: Range<Int>) -> Bytes { Bytes(rebasing: self[range]) }

    /// Without leading and trailing spaces and tabs.
    var trimmed: Bytes {
        var s = 0
        var e = count
        while s < e, ASCII.isSpace(self[s]) { s += 1 }
        while e > s, ASCII.isSpace(self[e - 1]) { e -= 1 }
        return sub(s..<e)
    }

    /// Without a trailing CR.
    var withoutCR: Bytes { count > 0 && self[count - 1] == ASCII.cr ? sub(0..<(count - 1)) : self }

    /// Whether the bytes equal the ASCII text `s`.
    @inline(__always) func equals(_ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount else { return false }
        guard count > 0, let base = baseAddress else { return true }
        return memcmp(base, s.utf8Start, count) == 0
    }

    /// Whether the bytes equal `other`.
    @inline(__always) func equals(_ other: Bytes) -> Bool {
        guard count == other.count else { return false }
        guard count > 0, let a = baseAddress, let b = other.baseAddress else { return true }
        return memcmp(a, b, count) == 0
    }

    /// Whether the bytes equal the ASCII text `s`, ignoring letter case.
    func equalsIgnoringCase(_ s: String) -> Bool {
        var i = 0
        for c in s.utf8 {
            guard i < count, ASCII.lower(self[i]) == ASCII.lower(c) else { return false }
            i += 1
        }
        return i == count
    }

    /// Whether `needle` (lower-case ASCII expected) occurs in the bytes, ignoring letter case.
    func containsIgnoringCase(_ needle: [UInt8]) -> Bool {
        let n = needle.count
        guard n > 0 else { return true }
        guard count >= n else { return false }
        var i = 0
        while i + n <= count {
            var j = 0
            while j < n, ASCII.lower(self[i + j]) == needle[j] { j += 1 }
            if j == n { return true }
            i += 1
        }
        return false
    }

    /// The bytes as a String (invalid UTF-8 repaired).
    var string: String { String(decoding: self, as: UTF8.self) }
}

enum ByteParse {
    /// A non-empty string of decimal digits, or nil (also on overflow).
    @inline(__always) static func uint(_ b: Bytes) -> UInt64? {
        guard b.count > 0, b.count <= 19 else { return nil }
        var v: UInt64 = 0
        for c in b {
            let d = c &- ASCII.zero
            guard d < 10 else { return nil }
            v = v &* 10 &+ UInt64(d)
        }
        return v
    }

    /// A port number 0…65535 in decimal.
    @inline(__always) static func port(_ b: Bytes) -> UInt16? {
        guard b.count > 0, b.count <= 5, let v = uint(b), v <= 65_535 else { return nil }
        return UInt16(v)
    }

    /// A dotted-quad IPv4 address (no leading zeros, as `IPAddress` requires).
    @inline(__always) static func ipv4(_ b: Bytes) -> UInt32? {
        guard b.count >= 7, b.count <= 15 else { return nil }
        var result: UInt32 = 0
        var parts = 0
        var digits = 0
        var part: UInt32 = 0
        var leadingZero = false
        for c in b {
            let d = c &- ASCII.zero
            if d < 10 {
                if digits == 1 && leadingZero { return nil }
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

    /// An IPv4 or IPv6 address; an IPv4-mapped IPv6 address becomes the IPv4 address.
    /// Surrounding spaces are not allowed; a zone id (`%eth0`) or brackets are refused.
    static func ip(_ b: Bytes) -> IPAddress? {
        if let v4 = ipv4(b) { return IPAddress(v4: v4) }
        guard b.count >= 2, b.count <= 45 else { return nil }
        var colon = false
        for c in b {
            if c == ASCII.colon {
                colon = true
            } else if ASCII.hex(c) == nil && c != ASCII.dot {
                return nil
            }
        }
        guard colon, let address = IPAddress(b.string) else { return nil }
        return address.unmappedV4 ?? address
    }
}

/// Turns family or signature names into their normal form (trimmed, lower-case) and reuses
/// the String for names already seen, so a million rows of `andromeda` allocate it once.
struct FamilyNames {
    /// The longest name kept, in bytes.
    static let maximumLength = 128

    private struct Entry {
        var raw: [UInt8]
        var name: String
    }

    private var cache: [UInt64: Entry] = [:]

    enum Outcome {
        case none
        case name(String)
        case tooLong
    }

    mutating func normalise(_ raw: Bytes) -> Outcome {
        let b = raw.trimmed
        guard b.count > 0 else { return .none }
        guard b.count <= Self.maximumLength else { return .tooLong }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in b { hash = (hash ^ UInt64(c)) &* 0x100_0000_01b3 }
        if let known = cache[hash], known.raw.withUnsafeBufferPointer({ $0.equals(b) }) { return .name(known.name) }
        let name: String
        if b.allSatisfy({ $0 < 0x80 }) {
            name = String(decoding: b.lazy.map(ASCII.lower), as: UTF8.self)
        } else {
            name = b.string.lowercased()
        }
        if cache.count < 4096 { cache[hash] = Entry(raw: Array(b), name: name) }
        return .name(name)
    }
}

/// Builds `file:line` evidence references without intermediate strings.
struct EvidenceText {
    private let prefix: [UInt8]

    /// For `file` (its name as shown in issues).
    init(file: String) { prefix = Array((file + ":").utf8) }

    /// `file:line`.
    @inline(__always) func at(_ line: Int) -> String {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var n = line < 0 ? 0 : line
            var k = scratch.count
            repeat {
                k -= 1
                scratch[k] = ASCII.zero + UInt8(n % 10)
                n /= 10
            } while n > 0 && k > 0
            let count = prefix.count + scratch.count - k
            return String(unsafeUninitializedCapacity: count) { out in
                var j = 0
                for c in prefix {
                    out[j] = c
                    j += 1
                }
                for d in scratch[k...] {
                    out[j] = d
                    j += 1
                }
                return j
            }
        }
    }
}

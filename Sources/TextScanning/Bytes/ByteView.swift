#if canImport(Glibc)
    public import Glibc
#elseif canImport(Darwin)
    public import Darwin
#endif

/// A line, a field or a value: a view of UTF-8 bytes owned by the caller for the duration of a call.
///
/// Parsers of outside input scan these views in place: no `String` per field, no allocation
/// per record. Text is made only for what is kept.
public typealias Bytes = UnsafeBufferPointer<UInt8>

/// The ASCII bytes the parsers look for, and byte classes.
public enum ASCII {
    public static let tab: UInt8 = 0x09
    public static let newline: UInt8 = 0x0A
    public static let cr: UInt8 = 0x0D
    public static let space: UInt8 = 0x20
    public static let quote: UInt8 = 0x22
    public static let hash: UInt8 = 0x23
    public static let plus: UInt8 = 0x2B
    public static let comma: UInt8 = 0x2C
    public static let minus: UInt8 = 0x2D
    public static let dot: UInt8 = 0x2E
    public static let slash: UInt8 = 0x2F
    public static let zero: UInt8 = 0x30
    public static let colon: UInt8 = 0x3A
    public static let semicolon: UInt8 = 0x3B
    public static let equals: UInt8 = 0x3D
    public static let backslash: UInt8 = 0x5C
    public static let braceOpen: UInt8 = 0x7B
    public static let braceClose: UInt8 = 0x7D

    /// Space or tab.
    @inlinable @inline(__always) public static func isSpace(_ c: UInt8) -> Bool { c == space || c == tab }
    /// `0`…`9`.
    @inlinable @inline(__always) public static func isDigit(_ c: UInt8) -> Bool { c &- zero < 10 }
    /// The lower-case form of an ASCII letter; any other byte unchanged.
    @inlinable @inline(__always) public static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
    /// The value of a hex digit (either case), or nil.
    @inlinable @inline(__always) public static func hex(_ c: UInt8) -> UInt8? {
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
    @inlinable @inline(__always) public func sub(_ range: Range<Int>) -> Bytes { Bytes(rebasing: self[range]) }

    /// The bytes from `start` to the end.
    @inlinable @inline(__always) public func from(_ start: Int) -> Bytes { Bytes(rebasing: self[Swift.min(start, count)...]) }

    /// Without leading and trailing spaces and tabs.
    @inlinable public var trimmed: Bytes {
        var s = 0
        var e = count
        while s < e, ASCII.isSpace(self[s]) { s += 1 }
        while e > s, ASCII.isSpace(self[e - 1]) { e -= 1 }
        return sub(s..<e)
    }

    /// Without a trailing CR.
    @inlinable public var withoutCR: Bytes { count > 0 && self[count - 1] == ASCII.cr ? sub(0..<(count - 1)) : self }

    /// The first index of `byte` at or after `start`.
    @inlinable @inline(__always) public func index(of byte: UInt8, from start: Int = 0) -> Int? {
        var i = start
        while i < count {
            if self[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// Whether the bytes equal the ASCII text `s`.
    @inlinable @inline(__always) public func equals(_ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount else { return false }
        guard count > 0, let base = baseAddress else { return true }
        return memcmp(base, s.utf8Start, count) == 0
    }

    /// Whether the bytes equal `other`.
    @inlinable @inline(__always) public func equals(_ other: Bytes) -> Bool {
        guard count == other.count else { return false }
        guard count > 0, let a = baseAddress, let b = other.baseAddress else { return true }
        return memcmp(a, b, count) == 0
    }

    /// Whether the bytes equal the ASCII text `s`, ignoring letter case.
    @inlinable public func equalsIgnoringCase(_ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for i in 0..<count where ASCII.lower(self[i]) != ASCII.lower(p[i]) { return false }
        return true
    }

    /// Whether the bytes equal the text `s`, ignoring the case of ASCII letters.
    @inlinable public func equalsIgnoringCase(_ s: String) -> Bool {
        var i = 0
        for c in s.utf8 {
            guard i < count, ASCII.lower(self[i]) == ASCII.lower(c) else { return false }
            i += 1
        }
        return i == count
    }

    /// Whether `needle` (lower-case ASCII expected) occurs in the bytes, ignoring letter case.
    @inlinable public func containsIgnoringCase(_ needle: [UInt8]) -> Bool {
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

    /// Whether the bytes start with the ASCII text `s`.
    @inlinable @inline(__always) public func hasPrefix(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard count >= n else { return false }
        guard n > 0, let base = baseAddress else { return true }
        return memcmp(base, s.utf8Start, n) == 0
    }

    /// The bytes as a String (invalid UTF-8 repaired).
    @inlinable public var string: String { String(decoding: self, as: UTF8.self) }

    /// Splits on runs of spaces/tabs into at most `max` fields.
    @inlinable public func words(max: Int = 16) -> [Bytes] {
        var out: [Bytes] = []
        var i = 0
        while i < count, out.count < max {
            while i < count, ASCII.isSpace(self[i]) { i += 1 }
            guard i < count else { break }
            let s = i
            while i < count, !ASCII.isSpace(self[i]) { i += 1 }
            out.append(sub(s..<i))
        }
        return out
    }
}

import Addressing
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A line or a field: a view of UTF-8 bytes owned by the caller for the duration of a call.
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
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let backslash: UInt8 = 0x5C
    static let braceOpen: UInt8 = 0x7B
    static let braceClose: UInt8 = 0x7D

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

    /// The bytes from `start` to the end.
    @inline(__always) func from(_ start: Int) -> Bytes { Bytes(rebasing: self[Swift.min(start, count)...]) }

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

    @inline(__always) func index(of byte: UInt8, from start: Int = 0) -> Int? {
        var i = start
        while i < count {
            if self[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// Whether the bytes equal the ASCII text `s`.
    @inline(__always) func equals(_ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount else { return false }
        guard count > 0, let base = baseAddress else { return true }
        return memcmp(base, s.utf8Start, count) == 0
    }

    /// Whether the bytes equal the ASCII text `s`, ignoring letter case.
    func equalsIgnoringCase(_ s: StaticString) -> Bool {
        guard count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for i in 0..<count where ASCII.lower(self[i]) != ASCII.lower(p[i]) { return false }
        return true
    }

    /// Whether the bytes start with the ASCII text `s`.
    @inline(__always) func hasPrefix(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard count >= n else { return false }
        guard n > 0, let base = baseAddress else { return true }
        return memcmp(base, s.utf8Start, n) == 0
    }

    /// The bytes as a String (invalid UTF-8 repaired).
    var string: String { String(decoding: self, as: UTF8.self) }

    /// Splits on runs of spaces/tabs into at most `max` fields.
    func words(max: Int = 16) -> [Bytes] {
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

enum ByteParse {
    /// A non-empty string of decimal digits, or nil (also on overflow).
    @inline(__always) static func uint(_ b: Bytes) -> UInt64? {
        guard b.count > 0, b.count <= 20 else { return nil }
        var v: UInt64 = 0
        for c in b {
            let d = c &- ASCII.zero
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return nil }
            v = a
        }
        return v
    }

    /// An optionally negative decimal integer.
    static func int(_ b: Bytes) -> Int64? {
        if b.count > 1, b[0] == ASCII.minus {
            guard let v = uint(b.from(1)), v <= UInt64(Int64.max) else { return nil }
            return -Int64(v)
        }
        guard let v = uint(b), v <= UInt64(Int64.max) else { return nil }
        return Int64(v)
    }

    /// A dotted-quad IPv4 address (no leading zeros, as `IPAddress` requires).
    @inline(__always) static func ipv4(_ b: Bytes) -> UInt32? {
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

    /// An IPv4 or IPv6 address.
    static func ip(_ b: Bytes) -> IPAddress? {
        if let v4 = ipv4(b) { return IPAddress(v4: v4) }
        guard b.count <= 45, b.index(of: ASCII.colon) != nil, let v6 = ipv6(b) else { return nil }
        return IPAddress(v6: v6)
    }

    /// An IPv6 address in text form (the rules of `IPAddress(_:)`: 1–4 hex digits a group, at
    /// most one `::`, an embedded dotted quad only at the end, no zone id), without allocating.
    static func ipv6(_ b: Bytes) -> UInt128? {
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
                guard let v4 = ipv4(b.sub(i..<end)) else { return nil }
                if sawDoubleColon {
                    tail = tail &<< 32 | UInt128(v4)
                    tailCount += 2
                } else {
                    head = head &<< 32 | UInt128(v4)
                    headCount += 2
                }
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

    /// `address/length`, or a bare address as a host prefix. Host bits must be zero: a
    /// prefix written with host bits set is refused rather than silently widened.
    static func prefix(_ b: Bytes) -> IPPrefix? {
        guard let slash = b.index(of: ASCII.slash) else {
            return ip(b).map { IPPrefix(host: $0) }
        }
        guard let address = ip(b.sub(0..<slash)), let len = uint(b.from(slash + 1)), len <= 128,
            let p = IPPrefix(address, length: Int(len)), p.network == address
        else { return nil }
        return p
    }

    /// A client identifier normalised to lower-case, two-digit, colon-separated hex
    /// (`A:11:1` → `0a:11:01`). Text that is not colon-separated hex (or plain hex) is
    /// returned lower-cased as it is.
    static func hexIdentifier(_ b: Bytes) -> String {
        var out = [UInt8]()
        out.reserveCapacity(b.count + 4)
        var group = [UInt8]()
        var ok = true
        func flush() {
            if group.count == 1 { out.append(ASCII.zero) }
            if group.count > 2 { ok = false }
            out.append(contentsOf: group)
            group.removeAll(keepingCapacity: true)
        }
        if b.index(of: ASCII.colon) == nil {
            // Plain hex without separators (dhcpd never writes it, Kea may): keep, lower-cased.
            return String(decoding: b.map(ASCII.lower), as: UTF8.self)
        }
        for c in b {
            if c == ASCII.colon {
                if group.isEmpty { ok = false }
                flush()
                out.append(ASCII.colon)
            } else if ASCII.hex(c) != nil {
                group.append(ASCII.lower(c))
            } else {
                ok = false
                break
            }
        }
        if group.isEmpty { ok = false }
        flush()
        guard ok else { return String(decoding: b.map(ASCII.lower), as: UTF8.self) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes as lower-case colon-separated hex.
    static func hexString(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 3)
        for (i, v) in bytes.enumerated() {
            if i > 0 { out.append(ASCII.colon) }
            out.append(digits[Int(v >> 4)])
            out.append(digits[Int(v & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Calendar arithmetic on the proleptic Gregorian calendar, UTC, without Foundation.
enum CivilTime {
    /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
    @inline(__always) static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month, day of a day number since 1970-01-01.
    static func civil(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Seconds since 1970 of a civil UTC time; nil when a field is out of range.
    /// A leap second (`:60`) is accepted and counted as the next minute's first second.
    @inline(__always) static func seconds(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    ) -> Int64? {
        guard year >= 1, year <= 9999, month >= 1, month <= 12, day >= 1,
            day <= daysInMonth(year, month), hour >= 0, hour <= 23, minute >= 0, minute <= 59,
            second >= 0, second <= 60
        else { return nil }
        let d = Int64(days(year: year, month: month, day: day))
        return d * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `Jan`…`Dec` (any case) → 1…12.
    static func month(_ b: Bytes) -> Int? {
        guard b.count == 3 else { return nil }
        let k = (UInt32(ASCII.lower(b[0])) << 16) | (UInt32(ASCII.lower(b[1])) << 8) | UInt32(ASCII.lower(b[2]))
        switch k {
        case 0x6A616E: return 1  // jan
        case 0x666562: return 2  // feb
        case 0x6D6172: return 3  // mar
        case 0x617072: return 4  // apr
        case 0x6D6179: return 5  // may
        case 0x6A756E: return 6  // jun
        case 0x6A756C: return 7  // jul
        case 0x617567: return 8  // aug
        case 0x736570: return 9  // sep
        case 0x6F6374: return 10  // oct
        case 0x6E6F76: return 11  // nov
        case 0x646563: return 12  // dec
        default: return nil
        }
    }

    /// `Sun`…`Sat` (any case).
    static func isWeekday(_ b: Bytes) -> Bool {
        guard b.count == 3 else { return false }
        let k = (UInt32(ASCII.lower(b[0])) << 16) | (UInt32(ASCII.lower(b[1])) << 8) | UInt32(ASCII.lower(b[2]))
        switch k {
        case 0x73756E, 0x6D6F6E, 0x747565, 0x776564, 0x746875, 0x667269, 0x736174: return true  // sun…sat
        default: return false
        }
    }

    /// `HH:MM:SS` → seconds into the day (0…86400, leap second allowed).
    @inline(__always) static func clock(_ b: Bytes) -> (hour: Int, minute: Int, second: Int)? {
        guard b.count == 8, b[2] == ASCII.colon, b[5] == ASCII.colon,
            let h = twoDigits(b, 0), let m = twoDigits(b, 3), let s = twoDigits(b, 6)
        else { return nil }
        return (h, m, s)
    }

    @inline(__always) static func twoDigits(_ b: Bytes, _ i: Int) -> Int? {
        let a = b[i] &- ASCII.zero
        let c = b[i + 1] &- ASCII.zero
        guard a < 10, c < 10 else { return nil }
        return Int(a) * 10 + Int(c)
    }

    @inline(__always) static func digits(_ b: Bytes, _ i: Int, _ n: Int) -> Int? {
        var v = 0
        for k in i..<(i + n) {
            let d = b[k] &- ASCII.zero
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// The UTC seconds of a local civil time in `zone` (for RADIUS header lines only).
    static func utcSeconds(local: Int64, zone: TimeZone) -> Int64 {
        if zone.identifier == "UTC" || zone.identifier == "GMT" { return local }
        let guess = Date(timeIntervalSince1970: TimeInterval(local))
        let first = Int64(zone.secondsFromGMT(for: guess))
        let second = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - first))))
        return local - second
    }
}

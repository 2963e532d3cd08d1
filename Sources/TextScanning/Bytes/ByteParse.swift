/// Numbers and identifiers read from bytes, without allocating (but for the strings returned).
///
/// Addresses are read by `Addressing` (`IPAddress(ascii:)`, `ByteParse.ip`), which builds on these.
public enum ByteParse {
    /// A non-empty string of decimal digits, or nil (also on overflow).
    @inlinable @inline(__always) public static func uint(_ b: Bytes) -> UInt64? {
        guard b.count > 0, b.count <= 20 else { return nil }
        var v: UInt64 = 0
        if b.count <= 19 {  // at most 10^19 − 1 < 2^64: no overflow possible
            for c in b {
                let d = c &- ASCII.zero
                guard d < 10 else { return nil }
                v = v &* 10 &+ UInt64(d)
            }
            return v
        }
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
    @inlinable public static func int(_ b: Bytes) -> Int64? {
        if b.count > 1, b[0] == ASCII.minus {
            guard let v = uint(b.from(1)), v <= UInt64(Int64.max) else { return nil }
            return -Int64(v)
        }
        guard let v = uint(b), v <= UInt64(Int64.max) else { return nil }
        return Int64(v)
    }

    /// A port number 0…65535 in decimal.
    @inlinable @inline(__always) public static func port(_ b: Bytes) -> UInt16? {
        guard b.count > 0, b.count <= 5, let v = uint(b), v <= 65_535 else { return nil }
        return UInt16(v)
    }

    /// A client identifier normalised to lower-case, two-digit, colon-separated hex
    /// (`A:11:1` → `0a:11:01`). Text that is not colon-separated hex (or plain hex) is
    /// returned lower-cased as it is.
    public static func hexIdentifier(_ b: Bytes) -> String {
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
    public static func hexString(_ bytes: [UInt8]) -> String {
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

/// Numbers written as ASCII bytes into a reusable buffer, without a `String` in between: for
/// writers of many records (stored events, their keys, address text).
public enum ByteWrite {
    /// Appends the decimal digits of `v` (the same text as `String(v)`).
    @inlinable public static func decimal(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(ASCII.minus) }
        var m = v.magnitude
        let first = out.count
        repeat {
            out.append(UInt8(truncatingIfNeeded: 0x30 + m % 10))
            m /= 10
        } while m > 0
        out[first...].reverse()
    }
}

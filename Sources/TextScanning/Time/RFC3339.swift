public import Foundation

/// RFC 3339 timestamps (`2026-11-27T10:00:00+09:00`, `2026-11-27T01:00:00.250Z`), strict.
///
/// Parsing requires a zone (`Z` or `±HH:MM`): a zone-less local time cannot be placed on
/// the timeline and is refused with ``ParseError/missingZone``. Accepted: `T`, `t` or a
/// space between date and time (RFC 3339 §5.6 note), `z` for `Z`, 1–9 fraction digits, a
/// leap second `:60` (counted as the next minute's first second). Written by hand over
/// UTF-8 bytes: no `DateFormatter`, no locale.
public enum RFC3339 {
    /// Why a text is not an RFC 3339 timestamp. Descriptions name the problem, not the text.
    public enum ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// Empty text.
        case empty
        /// Not of the form `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
        case malformed
        /// A valid date and time without `Z` or `±HH:MM`.
        case missingZone
        /// A field out of range (month 13, 31 April, hour 24, offset beyond ±23:59).
        case outOfRange

        public var description: String {
            switch self {
            case .empty: "empty time"
            case .malformed: "not an RFC 3339 time (expected YYYY-MM-DDTHH:MM:SS with Z or ±HH:MM)"
            case .missingZone: "time has no zone: RFC 3339 requires Z or ±HH:MM"
            case .outOfRange: "time field out of range"
            }
        }
    }

    /// The instant `text` denotes, or nil when it is not a strict RFC 3339 timestamp.
    public static func parse(_ text: some StringProtocol) -> Date? {
        try? date(from: text)
    }

    /// The instant `text` denotes; throws why not.
    public static func date(from text: some StringProtocol) throws(ParseError) -> Date {
        var s = String(text)
        let r: Result<Double, ParseError> = s.withUTF8 { parse(bytes: $0) }
        return try Date(timeIntervalSince1970: r.get())
    }

    /// `2026-11-27T01:00:00Z` (UTC, whole seconds) or `2026-11-27T01:00:00.250Z` when the
    /// instant has a fraction (milliseconds, truncated).
    public static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        let whole = t.rounded(.down)
        let secs = Int64(whole)
        var ms = Int(((t - whole) * 1000).rounded(.down))
        if ms > 999 { ms = 999 }
        let days = Int(secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400)
        let rem = Int(secs - Int64(days) * 86_400)
        let (y, m, d) = CivilTime.civil(days: days)
        // Written as bytes into one small buffer (this runs once per audited identification).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func pad(_ v: Int, _ n: Int) {
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for any Int's digits
            if v < 0 {  // as `String(v)` padded, like before (years before 0 only)
                let s = String(v)
                for _ in s.utf8.count..<max(s.utf8.count, n) { bytes.append(UInt8(ascii: "0")) }
                bytes.append(contentsOf: s.utf8)
                return
            }
            var rest = v
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                repeat {
                    buffer[count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                    rest /= 10
                    count += 1
                } while rest > 0
                for _ in count..<max(count, n) { bytes.append(UInt8(ascii: "0")) }
                for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[i]) }
            }
        }
        pad(y, 4)
        bytes.append(UInt8(ascii: "-"))
        pad(m, 2)
        bytes.append(UInt8(ascii: "-"))
        pad(d, 2)
        bytes.append(UInt8(ascii: "T"))
        pad(rem / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        pad(rem / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        pad(rem % 60, 2)
        if ms > 0 {
            bytes.append(UInt8(ascii: "."))
            pad(ms, 3)
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Seconds since 1970 (with fraction) of an RFC 3339 timestamp in UTF-8 bytes.
    @inlinable
    public static func parse(bytes b: Bytes) -> Result<Double, ParseError> {
        switch TimeText.iso(b, zoneless: .refuse, strict: true) {
        case .success(let seconds): .success(seconds)
        case .failure(.empty): .failure(.empty)
        case .failure(.malformed): .failure(.malformed)
        case .failure(.missingZone): .failure(.missingZone)
        case .failure(.outOfRange): .failure(.outOfRange)
        }
    }
}

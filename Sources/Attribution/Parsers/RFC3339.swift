import Foundation

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
        var out = ""
        out.reserveCapacity(24)
        func pad(_ v: Int, _ n: Int) {
            let s = String(v)
            if s.count < n { out += String(repeating: "0", count: n - s.count) }
            out += s
        }
        pad(y, 4)
        out += "-"
        pad(m, 2)
        out += "-"
        pad(d, 2)
        out += "T"
        pad(rem / 3600, 2)
        out += ":"
        pad(rem / 60 % 60, 2)
        out += ":"
        pad(rem % 60, 2)
        if ms > 0 {
            out += "."
            pad(ms, 3)
        }
        out += "Z"
        return out
    }

    /// Seconds since 1970 (with fraction) of an RFC 3339 timestamp in UTF-8 bytes.
    static func parse(bytes b: Bytes) -> Result<Double, ParseError> {
        guard b.count > 0 else { return .failure(.empty) }
        guard b.count >= 19 else { return .failure(.malformed) }
        guard b[4] == ASCII.minus, b[7] == ASCII.minus, b[13] == ASCII.colon, b[16] == ASCII.colon,
            b[10] == 0x54 || b[10] == 0x74 || b[10] == ASCII.space,
            let year = CivilTime.digits(b, 0, 4), let month = CivilTime.twoDigits(b, 5),
            let day = CivilTime.twoDigits(b, 8), let hour = CivilTime.twoDigits(b, 11),
            let minute = CivilTime.twoDigits(b, 14), let second = CivilTime.twoDigits(b, 17)
        else { return .failure(.malformed) }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == ASCII.dot {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, ASCII.isDigit(b[i]) {
                fraction += Double(b[i] - ASCII.zero) * scale
                scale /= 10
                i += 1
            }
            guard i > start, i - start <= 9 else { return .failure(.malformed) }
        }
        guard i < b.count else { return .failure(.missingZone) }
        var offset = 0
        if b[i] == 0x5A || b[i] == 0x7A {  // Z z
            i += 1
        } else if b[i] == ASCII.plus || b[i] == ASCII.minus {
            guard b.count - i == 6, b[i + 3] == ASCII.colon, let oh = CivilTime.twoDigits(b, i + 1),
                let om = CivilTime.twoDigits(b, i + 4)
            else { return .failure(.malformed) }
            guard oh <= 23, om <= 59 else { return .failure(.outOfRange) }
            offset = (oh * 3600 + om * 60) * (b[i] == ASCII.minus ? -1 : 1)
            i += 6
        } else {
            return .failure(.malformed)
        }
        guard i == b.count else { return .failure(.malformed) }
        guard
            let secs = CivilTime.seconds(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return .failure(.outOfRange) }
        return .success(Double(secs - Int64(offset)) + fraction)
    }
}

/// Timestamps of logs and feeds, parsed by hand over UTF-8 bytes (no `DateFormatter`, no locale).
///
/// One parser for every timestamp Mamori reads: RFC 3339 (strict, ``RFC3339``), the looser
/// ISO 8601 forms feeds write (`±HHMM`, `±HH`, ` UTC`, zone-less UTC), and epoch seconds.
/// Calendar arithmetic is ``CivilTime``'s.
public enum TimeText {
    /// Why a text is not a time. Descriptions name the problem, never the text.
    public enum Failure: Error, Hashable, Sendable {
        case empty
        case malformed
        case missingZone
        case outOfRange

        /// The reason, for `field: reason` in an issue; `expected` describes the accepted form.
        public func reason(expected: String) -> String {
            switch self {
            case .empty: "empty"
            case .malformed: "not a time (expected \(expected))"
            case .missingZone: "time has no zone (expected Z or ±HH:MM)"
            case .outOfRange: "time field out of range"
            }
        }
    }

    /// How a time without a zone is read.
    public enum Zoneless: Sendable {
        /// Refused (RFC 3339: the zone is required).
        case refuse
        /// Read as UTC (a feed that documents its zone-less times as UTC).
        case utc
    }

    /// `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction][zone]` → seconds since 1970.
    ///
    /// With `strict`, the zone must be `Z`/`z` or `±HH:MM` (RFC 3339) and `zoneless` decides a
    /// missing one. Without `strict`, `±HHMM`, `±HH` and ` UTC` are accepted as zones too
    /// (MongoDB's `+0000`, IntelMQ's ` UTC`). A leap second (`:60`) counts as the next
    /// minute's first second; 1–9 fraction digits.
    @inlinable
    public static func iso(_ b: Bytes, zoneless: Zoneless, strict: Bool) -> Result<Double, Failure> {
        guard b.count > 0 else { return .failure(.empty) }
        guard b.count >= 19 else { return .failure(.malformed) }
        guard b[4] == ASCII.minus, b[7] == ASCII.minus, b[13] == ASCII.colon, b[16] == ASCII.colon,
            b[10] == 0x54 || b[10] == 0x74 || b[10] == ASCII.space,
            let year = CivilTime.digits(b, 0, 4), let month = CivilTime.twoDigits(b, 5), let day = CivilTime.twoDigits(b, 8),
            let hour = CivilTime.twoDigits(b, 11), let minute = CivilTime.twoDigits(b, 14), let second = CivilTime.twoDigits(b, 17)
        else { return .failure(.malformed) }
        var i = 19
        guard let fraction = fractionOfSecond(b, &i) else { return .failure(.malformed) }
        var offset = 0
        if i == b.count {
            guard zoneless == .utc else { return .failure(.missingZone) }
        } else if b[i] == 0x5A || b[i] == 0x7A {  // Z z
            i += 1
        } else if b[i] == ASCII.plus || b[i] == ASCII.minus {
            let sign = b[i] == ASCII.minus ? -1 : 1
            let rest = b.count - i - 1
            var oh = 0
            var om = 0
            if rest == 5, b[i + 3] == ASCII.colon, let h = CivilTime.twoDigits(b, i + 1), let m = CivilTime.twoDigits(b, i + 4) {
                oh = h
                om = m
            } else if !strict, rest == 4, let h = CivilTime.twoDigits(b, i + 1), let m = CivilTime.twoDigits(b, i + 3) {
                oh = h
                om = m
            } else if !strict, rest == 2, let h = CivilTime.twoDigits(b, i + 1) {
                oh = h
            } else {
                return .failure(.malformed)
            }
            guard oh <= 23, om <= 59 else { return .failure(.outOfRange) }
            offset = sign * (oh * 3600 + om * 60)
            i = b.count
        } else if !strict, b.count - i == 4, b[i] == ASCII.space, b.sub(i + 1..<b.count).equals("UTC") {
            i = b.count
        } else {
            return .failure(.malformed)
        }
        guard i == b.count else { return .failure(.malformed) }
        guard let secs = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else {
            return .failure(.outOfRange)
        }
        return .success(Double(secs - Int64(offset)) + fraction)
    }

    /// Seconds since 1970 written in decimal, optionally with a fraction (`1714000000`,
    /// `1714000000.250`); at most year 9999.
    @inlinable
    public static func epochSeconds(_ b: Bytes) -> Result<Double, Failure> {
        guard b.count > 0 else { return .failure(.empty) }
        var i = 0
        var whole: Int64 = 0
        while i < b.count, ASCII.isDigit(b[i]) {
            guard i < 12 else { return .failure(.outOfRange) }
            whole = whole * 10 + Int64(b[i] - ASCII.zero)
            i += 1
        }
        guard i > 0 else { return .failure(.malformed) }
        guard let fraction = fractionOfSecond(b, &i) else { return .failure(.malformed) }
        guard i == b.count else { return .failure(.malformed) }
        guard whole <= 253_402_300_799 else { return .failure(.outOfRange) }  // 9999-12-31T23:59:59Z
        return .success(Double(whole) + fraction)
    }

    /// An optional `.digits` fraction (1 to 9 digits) at `i`, which it moves past; nil when malformed.
    @inlinable @inline(__always)
    public static func fractionOfSecond(_ b: Bytes, _ i: inout Int) -> Double? {
        guard i < b.count, b[i] == ASCII.dot else { return 0 }
        i += 1
        let start = i
        var value = 0
        var scale = 1
        while i < b.count, ASCII.isDigit(b[i]) {
            if i - start < 9 {
                value = value * 10 + Int(b[i] - ASCII.zero)
                scale *= 10
            }
            i += 1
        }
        guard i > start, i - start <= 9 else { return nil }
        return Double(value) / Double(scale)
    }
}

/// Timestamps of the feeds, parsed by hand over UTF-8 bytes (no `DateFormatter`, no locale).
enum TimeText {
    /// Why a text is not a time. Descriptions name the problem, never the text.
    enum Failure: Error, Hashable {
        case empty
        case malformed
        case missingZone
        case outOfRange

        /// The reason, for `field: reason` in an issue; `expected` describes the accepted form.
        func reason(expected: String) -> String {
            switch self {
            case .empty: "empty"
            case .malformed: "not a time (expected \(expected))"
            case .missingZone: "time has no zone (expected Z or ±HH:MM)"
            case .outOfRange: "time field out of range"
            }
        }
    }

    /// How a time without a zone is read.
    enum Zoneless {
        /// Refused (RFC 3339: the zone is required).
        case refuse
        /// Read as UTC (a feed that documents its zone-less times as UTC).
        case utc
    }

    /// `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction][zone]` → seconds since 1970.
    ///
    /// With `strict`, the zone must be `Z`/`z` or `±HH:MM` (RFC 3339) and `zoneless` decides a
    /// missing one. Without `strict`, `±HHMM`, `±HH` and ` UTC` are accepted as zones too
    /// (MongoDB's `+0000`, IntelMQ's ` UTC`).
    static func iso(_ b: Bytes, zoneless: Zoneless, strict: Bool) -> Result<Double, Failure> {
        guard b.count > 0 else { return .failure(.empty) }
        guard b.count >= 19 else { return .failure(.malformed) }
        guard b[4] == ASCII.minus, b[7] == ASCII.minus, b[13] == ASCII.colon, b[16] == ASCII.colon,
            b[10] == 0x54 || b[10] == 0x74 || b[10] == ASCII.space,
            let year = digits(b, 0, 4), let month = digits(b, 5, 2), let day = digits(b, 8, 2),
            let hour = digits(b, 11, 2), let minute = digits(b, 14, 2), let second = digits(b, 17, 2)
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
            if rest == 5, b[i + 3] == ASCII.colon, let h = digits(b, i + 1, 2), let m = digits(b, i + 4, 2) {
                oh = h
                om = m
            } else if !strict, rest == 4, let h = digits(b, i + 1, 2), let m = digits(b, i + 3, 2) {
                oh = h
                om = m
            } else if !strict, rest == 2, let h = digits(b, i + 1, 2) {
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
        guard let secs = seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else {
            return .failure(.outOfRange)
        }
        return .success(Double(secs - Int64(offset)) + fraction)
    }

    /// Seconds since 1970 written in decimal, optionally with a fraction (`1714000000`,
    /// `1714000000.250`); at most year 9999.
    static func epochSeconds(_ b: Bytes) -> Result<Double, Failure> {
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

    @inline(__always) static func digits(_ b: Bytes, _ i: Int, _ n: Int) -> Int? {
        var v = 0
        for k in i..<(i + n) {
            let d = b[k] &- ASCII.zero
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    @inline(__always) static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Seconds since 1970 of a civil UTC time; nil when a field is out of range. A leap second
    /// (`:60`) counts as the next minute's first second.
    @inline(__always) static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= 28 || day <= daysInMonth(year, month),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        return Int64(days(year: year, month: month, day: day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }
}

extension TimeText {
    /// An optional `.digits` fraction (1 to 9 digits) at `i`, which it moves past; nil when malformed.
    @inline(__always) static func fractionOfSecond(_ b: Bytes, _ i: inout Int) -> Double? {
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

public import Foundation

/// Calendar arithmetic on the proleptic Gregorian calendar, UTC, without Foundation.
public enum CivilTime {
    /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
    @inlinable @inline(__always) public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month, day of a day number since 1970-01-01.
    @inlinable public static func civil(days z0: Int) -> (year: Int, month: Int, day: Int) {
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

    @inlinable public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    @inlinable public static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Seconds since 1970 of a civil UTC time; nil when a field is out of range.
    /// A leap second (`:60`) is accepted and counted as the next minute's first second.
    @inlinable @inline(__always) public static func seconds(
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
    @inlinable public static func month(_ b: Bytes) -> Int? {
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
    @inlinable public static func isWeekday(_ b: Bytes) -> Bool {
        guard b.count == 3 else { return false }
        let k = (UInt32(ASCII.lower(b[0])) << 16) | (UInt32(ASCII.lower(b[1])) << 8) | UInt32(ASCII.lower(b[2]))
        switch k {
        case 0x73756E, 0x6D6F6E, 0x747565, 0x776564, 0x746875, 0x667269, 0x736174: return true  // sun…sat
        default: return false
        }
    }

    /// `HH:MM:SS` → seconds into the day (0…86400, leap second allowed).
    @inlinable @inline(__always) public static func clock(_ b: Bytes) -> (hour: Int, minute: Int, second: Int)? {
        guard b.count == 8, b[2] == ASCII.colon, b[5] == ASCII.colon,
            let h = twoDigits(b, 0), let m = twoDigits(b, 3), let s = twoDigits(b, 6)
        else { return nil }
        return (h, m, s)
    }

    @inlinable @inline(__always) public static func twoDigits(_ b: Bytes, _ i: Int) -> Int? {
        let a = b[i] &- ASCII.zero
        let c = b[i + 1] &- ASCII.zero
        guard a < 10, c < 10 else { return nil }
        return Int(a) * 10 + Int(c)
    }

    @inlinable @inline(__always) public static func digits(_ b: Bytes, _ i: Int, _ n: Int) -> Int? {
        var v = 0
        for k in i..<(i + n) {
            let d = b[k] &- ASCII.zero
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// The UTC seconds of a local civil time in `zone` (for RADIUS header lines only).
    public static func utcSeconds(local: Int64, zone: TimeZone) -> Int64 {
        if zone.identifier == "UTC" || zone.identifier == "GMT" { return local }
        let guess = Date(timeIntervalSince1970: TimeInterval(local))
        let first = Int64(zone.secondsFromGMT(for: guess))
        let second = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - first))))
        return local - second
    }
}

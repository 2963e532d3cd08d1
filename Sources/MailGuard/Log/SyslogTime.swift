public import Foundation
public import TextScanning

/// The time at the start of a log line: RFC 3339 (`2026-11-24T03:20:16.123+09:00`, rsyslog's
/// high-precision format) or traditional syslog (`Nov 24 03:20:16`, `Aug  3 15:30:49`), which has
/// no year.
///
/// A year-less time takes the year that puts it no later than one day after ``reference`` (a
/// log read at the start of January still dates December's lines in the old year).
public struct SyslogTime: Sendable {
    /// "Now" for the year of year-less times.
    public var reference: Date {
        didSet { referenceYear = Self.year(of: reference) }
    }
    /// The zone year-less times are in (syslog writes local time). UTC unless told.
    public var zone: TimeZone {
        didSet { isUTC = Self.isUTC(zone) }
    }
    private var referenceYear: Int
    private var isUTC: Bool

    public init(reference: Date, zone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.reference = reference
        self.zone = zone
        referenceYear = Self.year(of: reference)
        isUTC = Self.isUTC(zone)
    }

    private static func year(of date: Date) -> Int {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return CivilTime.civil(days: Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)).year
    }

    private static func isUTC(_ zone: TimeZone) -> Bool { zone.secondsFromGMT() == 0 && zone.nextDaylightSavingTimeTransition == nil }

    /// The time at the start of `line` and the index just past it (before the separating
    /// space), or nil when the line starts with neither form.
    public func parse(_ line: Substring.UTF8View) -> (date: Date, end: String.Index)? {
        if let result = line.withContiguousStorageIfAvailable({ bytes in parse(bytes: bytes).map { ($0.date, $0.end) } }) {
            return result.map { (date: $0.0, end: line.index(line.startIndex, offsetBy: $0.1)) }
        }
        var copy = String(Substring(line))
        return copy.withUTF8 { bytes in parse(bytes: bytes) }.map { (date: $0.date, end: line.index(line.startIndex, offsetBy: $0.end)) }
    }

    /// The time at the start of `b` and the offset just past it (before the separating space),
    /// or nil when the bytes start with neither form. Allocates nothing.
    public func parse(bytes b: Bytes) -> (date: Date, end: Int)? {
        guard let first = b.first else { return nil }
        if ASCII.isDigit(first) {
            let end = b.index(of: ASCII.space) ?? b.count
            if case .success(let seconds) = RFC3339.parse(bytes: b.sub(0..<end)) {
                return (Date(timeIntervalSince1970: seconds), end)
            }
            return localDateTime(b)
        }
        return yearless(b)
    }

    private func utc(_ local: Int64) -> Int64 { isUTC ? local : CivilTime.utcSeconds(local: local, zone: zone) }

    /// `YYYY-MM-DD HH:MM:SS` (local time in ``zone``), as some Dovecot and rsyslog templates write.
    private func localDateTime(_ b: Bytes) -> (date: Date, end: Int)? {
        guard b.count >= 19, b[4] == ASCII.minus, b[7] == ASCII.minus, b[10] == ASCII.space, b.count == 19 || b[19] == ASCII.space else {
            return nil
        }
        guard let year = CivilTime.digits(b, 0, 4), let month = CivilTime.digits(b, 5, 2), let day = CivilTime.digits(b, 8, 2),
            let (hour, minute, second) = CivilTime.clock(b.sub(11..<19)),
            let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return (Date(timeIntervalSince1970: Double(utc(local))), 19)
    }

    /// `Mmm` spaces `D` or `DD` space `HH:MM:SS`.
    private func yearless(_ b: Bytes) -> (date: Date, end: Int)? {
        guard b.count >= 3, let month = CivilTime.month(b.sub(0..<3)) else { return nil }
        var index = 3
        while index < b.count, b[index] == ASCII.space { index += 1 }
        guard index > 3 else { return nil }
        var day = 0
        var dayDigits = 0
        while index < b.count, ASCII.isDigit(b[index]), dayDigits < 2 {
            day = day * 10 + Int(b[index] - ASCII.zero)
            dayDigits += 1
            index += 1
        }
        guard dayDigits > 0, index < b.count, b[index] == ASCII.space, index + 9 <= b.count else { return nil }
        index += 1
        let end = index + 8
        guard end == b.count || b[end] == ASCII.space, let (hour, minute, second) = CivilTime.clock(b.sub(index..<end)) else { return nil }
        let referenceSeconds = Int64(reference.timeIntervalSince1970.rounded(.down))
        // The reference year, or the year before when that puts the time over a day ahead.
        var year = referenceYear
        while year >= referenceYear - 1 {
            defer { year -= 1 }
            guard let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else {
                continue  // e.g. Feb 29 in a year without it
            }
            let seconds = utc(local)
            if seconds <= referenceSeconds + 86_400 { return (Date(timeIntervalSince1970: Double(seconds)), end) }
        }
        return nil
    }
}

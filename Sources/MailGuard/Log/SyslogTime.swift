public import Foundation
import TextScanning

/// The time at the start of a log line: RFC 3339 (`2026-11-24T03:20:16.123+09:00`, rsyslog's
/// high-precision format) or traditional syslog (`Nov 24 03:20:16`, `Aug  3 15:30:49`), which has
/// no year.
///
/// A year-less time takes the year that puts it no later than one day after ``reference`` (a
/// log read at the start of January still dates December's lines in the old year).
public struct SyslogTime: Sendable {
    /// "Now" for the year of year-less times.
    public var reference: Date
    /// The zone year-less times are in (syslog writes local time). UTC unless told.
    public var zone: TimeZone

    public init(reference: Date, zone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.reference = reference
        self.zone = zone
    }

    /// The time at the start of `line` and the index just past it (before the separating
    /// space), or nil when the line starts with neither form.
    public func parse(_ line: Substring.UTF8View) -> (date: Date, end: String.Index)? {
        guard let first = line.first else { return nil }
        if first >= 0x30, first <= 0x39 {
            let end = line.firstIndex(of: 0x20) ?? line.endIndex
            let token = Substring(line[line.startIndex..<end])
            if let date = RFC3339.parse(token) { return (date, end) }
            return localDateTime(line)
        }
        return yearless(line)
    }

    /// `YYYY-MM-DD HH:MM:SS` (local time in ``zone``), as some Dovecot and rsyslog templates write.
    private func localDateTime(_ line: Substring.UTF8View) -> (date: Date, end: String.Index)? {
        let bytes = Array(line.prefix(20))
        guard bytes.count >= 19, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20, bytes.count == 19 || bytes[19] == 0x20 else {
            return nil
        }
        return bytes.withUnsafeBufferPointer { b -> (date: Date, end: String.Index)? in
            guard let year = CivilTime.digits(b, 0, 4), let month = CivilTime.digits(b, 5, 2), let day = CivilTime.digits(b, 8, 2),
                let (hour, minute, second) = CivilTime.clock(UnsafeBufferPointer(rebasing: b[11..<19])),
                let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            else { return nil }
            let utc = CivilTime.utcSeconds(local: local, zone: zone)
            return (Date(timeIntervalSince1970: Double(utc)), line.index(line.startIndex, offsetBy: 19))
        }
    }

    private func yearless(_ line: Substring.UTF8View) -> (date: Date, end: String.Index)? {
        // "Mmm" " "+ "D" or "DD" " " "HH:MM:SS"
        var index = line.startIndex
        var month = 0
        var letters: [UInt8] = []
        while index < line.endIndex, letters.count < 3 {
            letters.append(line[index])
            index = line.index(after: index)
        }
        guard letters.count == 3 else { return nil }
        month = letters.withUnsafeBufferPointer { CivilTime.month($0) } ?? 0
        guard month > 0 else { return nil }
        var spaces = 0
        while index < line.endIndex, line[index] == 0x20 {
            spaces += 1
            index = line.index(after: index)
        }
        guard spaces > 0 else { return nil }
        var day = 0
        var dayDigits = 0
        while index < line.endIndex, line[index] >= 0x30, line[index] <= 0x39, dayDigits < 2 {
            day = day * 10 + Int(line[index] - 0x30)
            dayDigits += 1
            index = line.index(after: index)
        }
        guard dayDigits > 0, index < line.endIndex, line[index] == 0x20 else { return nil }
        index = line.index(after: index)
        var clock: [UInt8] = []
        while index < line.endIndex, clock.count < 8 {
            clock.append(line[index])
            index = line.index(after: index)
        }
        guard clock.count == 8, index == line.endIndex || line[index] == 0x20,
            let (hour, minute, second) = clock.withUnsafeBufferPointer({ CivilTime.clock($0) })
        else { return nil }
        let referenceSeconds = Int64(reference.timeIntervalSince1970.rounded(.down))
        let referenceYear = CivilTime.civil(days: Int(referenceSeconds / 86_400)).year
        for year in [referenceYear, referenceYear - 1] {
            guard let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else {
                continue  // e.g. Feb 29 in a year without it
            }
            let utc = CivilTime.utcSeconds(local: local, zone: zone)
            if utc <= referenceSeconds + 86_400 { return (Date(timeIntervalSince1970: Double(utc)), index) }
        }
        return nil
    }
}

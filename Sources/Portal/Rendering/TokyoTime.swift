import Foundation
import Remediation

/// Times as the pages show them: in Japan time (UTC+9; Japan has no daylight saving time).
///
/// Formatted by hand, not through the locale database, so a page is the same bytes on every
/// machine.
enum TokyoTime {
    /// Japan Standard Time.
    static let offsetSeconds = 9 * 3600

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offsetSeconds) ?? .gmt
        return calendar
    }()

    private struct Parts {
        var year, month, day, hour, minute, second, weekday: Int
    }

    private static func parts(_ date: Date) -> Parts {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        return Parts(
            year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1, hour: c.hour ?? 0, minute: c.minute ?? 0,
            second: c.second ?? 0, weekday: c.weekday ?? 1)
    }

    private static func two(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// The `datetime` attribute value: RFC 3339 with the +09:00 offset.
    static func machine(_ date: Date) -> String {
        let p = parts(date)
        let year = String(p.year).count < 4 ? String(repeating: "0", count: 4 - String(p.year).count) + "\(p.year)" : "\(p.year)"
        return "\(year)-\(two(p.month))-\(two(p.day))T\(two(p.hour)):\(two(p.minute)):\(two(p.second))+09:00"
    }

    private static let japaneseWeekdays = ["日", "月", "火", "水", "木", "金", "土"]
    private static let englishWeekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let englishMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// The human text: `2025年1月2日（木）15:04（日本時間）` or
    /// `Thu 2 January 2025, 15:04 Japan time (UTC+9)`.
    static func human(_ date: Date, in language: Language) -> String {
        let p = parts(date)
        let weekdayIndex = min(max(p.weekday - 1, 0), 6)
        switch language {
        case .ja:
            return "\(p.year)年\(p.month)月\(p.day)日（\(japaneseWeekdays[weekdayIndex])）\(p.hour):\(two(p.minute))（日本時間）"
        case .en:
            let month = englishMonths[min(max(p.month - 1, 0), 11)]
            return "\(englishWeekdays[weekdayIndex]) \(p.day) \(month) \(p.year), \(two(p.hour)):\(two(p.minute)) Japan time (UTC+9)"
        }
    }

    /// A `<time>` element for `date`.
    static func element(_ date: Date, in language: Language) -> HTML {
        "<time datetime=\"\(machine(date))\">\(human(date, in: language))</time>"
    }
}

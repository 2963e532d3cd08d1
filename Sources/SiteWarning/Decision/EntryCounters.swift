public import Foundation
import Synchronization

/// What a decision did with a listed name, for the counters.
public enum CountedOutcome: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The warning server's address was answered.
    case warned = 0
    /// A C&C name was blocked.
    case blocked = 1
    /// An allow entry (or PASSTHRU) let a listed name through.
    case passedThrough = 2
    /// Listed, but the line's choice (or a bypass) meant forwarding.
    case forwarded = 3

    public var description: String {
        switch self {
        case .warned: "warned"
        case .blocked: "blocked"
        case .passedThrough: "passed-through"
        case .forwarded: "forwarded"
        }
    }
}

/// One aggregate count: a list entry, a day, an outcome, how many. No line id, no address.
public struct EntryDayCount: Sendable, Hashable, Codable {
    /// The day, `YYYY-MM-DD` in the configured offset.
    public var day: String
    public var list: String
    public var kind: ListKind
    /// The listed name.
    public var entry: String
    public var outcome: CountedOutcome
    public var count: UInt64

    public init(day: String, list: String, kind: ListKind, entry: String, outcome: CountedOutcome, count: UInt64) {
        self.day = day
        self.list = list
        self.kind = kind
        self.entry = entry
        self.outcome = outcome
        self.count = count
    }
}

/// The guard's only record of what it did: counts per list entry, per day and outcome.
///
/// **No per-line query log is kept**: a count's key is the entry, the day and the outcome, and
/// nothing in it says which line or address asked, or when within the day. The counters belong
/// to one ``Blocklist`` snapshot (entry ids are that snapshot's); ``drain(resolvingWith:)``
/// them when the snapshot is replaced, and periodically, into the store's daily totals.
public final class EntryCounters: Sendable {
    private struct Key: Hashable {
        var day: Int32
        var entry: UInt32
        var outcome: UInt8
    }

    private let counts = Mutex<[Key: UInt64]>([:])
    /// The offset of the day from UTC, in seconds.
    public let dayOffset: Int

    public init(dayOffset: Int = 9 * 3600) {
        self.dayOffset = dayOffset
    }

    /// Counts one outcome for `entry` on the day of `time`. One short lock; no allocation once
    /// the day's key exists.
    public func record(_ entry: BlocklistEntryID, _ outcome: CountedOutcome, at time: Date) {
        let t = time.timeIntervalSince1970
        guard t.isFinite, abs(t) < 1e15 else { return }
        let seconds = Int(t.rounded(.down)) + dayOffset
        let day = Int32(clamping: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let key = Key(day: day, entry: entry.rawValue, outcome: outcome.rawValue)
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// The counts so far, with names from `blocklist` (the snapshot they were counted on), and resets them.
    public func drain(resolvingWith blocklist: Blocklist) -> [EntryDayCount] {
        let taken = counts.withLock { counts in
            let all = counts
            counts.removeAll()
            return all
        }
        return resolve(taken, blocklist)
    }

    /// The counts so far, without resetting.
    public func totals(resolvingWith blocklist: Blocklist) -> [EntryDayCount] {
        resolve(counts.withLock { $0 }, blocklist)
    }

    private func resolve(_ taken: [Key: UInt64], _ blocklist: Blocklist) -> [EntryDayCount] {
        taken.map { key, count in
            let id = BlocklistEntryID(rawValue: key.entry)
            let list = blocklist.lists[Int(blocklist.list(of: id).rawValue)]
            return EntryDayCount(
                day: Self.dayText(Int(key.day)), list: list.name, kind: list.kind, entry: blocklist.name(of: id),
                outcome: CountedOutcome(rawValue: key.outcome) ?? .forwarded, count: count)
        }
        .sorted { ($0.day, $0.list, $0.entry, $0.outcome.rawValue) < ($1.day, $1.list, $1.entry, $1.outcome.rawValue) }
    }

    /// `YYYY-MM-DD` of a day number (days since 1970-01-01), proleptic Gregorian.
    static func dayText(_ day: Int) -> String {
        // Howard Hinnant's civil_from_days.
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))"
    }
}

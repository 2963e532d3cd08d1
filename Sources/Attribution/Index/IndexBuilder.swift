public import Addressing
public import Foundation
import TextScanning

extension AttributionIndex {
    /// Builds an index from ready-made holdings, fast: no session or lease semantics, just
    /// interning, sorting and packing. Use it for bulk loads and benchmarks:
    ///
    /// ```swift
    /// var b = AttributionIndex.Builder()
    /// b.reserveCapacity(10_000_000)
    /// let sub = b.subscriberID("user-1")
    /// let ses = b.sessionID("S1")
    /// b.append(prefix: IPPrefix("198.51.100.7/32")!, from: start, to: stop, subscriberID: sub, sessionID: ses)
    /// let index = b.build()
    /// ```
    ///
    /// Times are stored as whole seconds since 1970 in 32 bits: `from` is rounded down, `to`
    /// up; a holding outside 1970-01-01…2106-02-07 or ending before it starts is dropped and
    /// counted in ``AttributionIndex/BuildReport/outOfRange``. Exact duplicates are dropped.
    public struct Builder: Sendable {
        /// The configuration the index will carry.
        public let config: AttributionConfig
        /// Filled in by ``AttributionIndex/init(events:config:)``; `holdings`, `duplicatesRemoved`
        /// and `outOfRange` are set by ``build()``.
        public var report = BuildReport()
        private var rows: [IndexRow] = []
        private var subscribers = StringInterner()
        private var sessions = StringInterner()

        /// An empty builder.
        public init(config: AttributionConfig = AttributionConfig()) {
            self.config = config
        }

        /// Reserves room for `holdings` holdings (and about as many session strings).
        public mutating func reserveCapacity(_ holdings: Int) {
            rows.reserveCapacity(holdings)
            sessions.reserve(bytes: holdings * 10)
        }

        /// The id of a subscriber string (equal strings share one id).
        public mutating func subscriberID(_ subscriber: String) -> UInt32 {
            subscribers.intern(subscriber) ?? UInt32.max
        }

        /// The id of a session string. Sessions are not deduplicated, except that asking
        /// for the same string twice in a row returns the same id (one session, several prefixes).
        public mutating func sessionID(_ session: String) -> UInt32 {
            guard let id = sessions.appendOrRepeat(session), id < Group.estimatedEnd else { return UInt32.max }
            return id
        }

        /// Adds a holding by ids from ``subscriberID(_:)`` and ``sessionID(_:)``. Returns
        /// false (and counts it) when the times are out of range or the ids invalid.
        @discardableResult
        public mutating func append(
            prefix: IPPrefix, from: Date, to: Date?, subscriberID: UInt32, sessionID: UInt32,
            portRange: ClosedRange<UInt16>? = nil, endIsEstimated: Bool = false
        ) -> Bool {
            let f = from.timeIntervalSince1970.rounded(.down)
            let t = to.map { $0.timeIntervalSince1970.rounded(.up) }
            guard subscriberID != UInt32.max, sessionID != UInt32.max, f >= 0, f < Double(UInt32.max),
                t.map({ $0 >= f && $0 < Double(UInt32.max) }) ?? true
            else {
                report.outOfRange += 1
                return false
            }
            return append(
                prefix: prefix, fromSeconds: UInt32(f), toSeconds: t.map { UInt32($0) } ?? Group.open,
                subscriberID: subscriberID, sessionID: sessionID, portRange: portRange, endIsEstimated: endIsEstimated)
        }

        /// Adds a holding with times as seconds since 1970 (`toSeconds` `UInt32.max` = open).
        @discardableResult
        public mutating func append(
            prefix: IPPrefix, fromSeconds: UInt32, toSeconds: UInt32, subscriberID: UInt32, sessionID: UInt32,
            portRange: ClosedRange<UInt16>? = nil, endIsEstimated: Bool = false
        ) -> Bool {
            guard toSeconds >= fromSeconds, fromSeconds != UInt32.max, subscriberID != UInt32.max,
                sessionID < Group.estimatedEnd
            else {
                report.outOfRange += 1
                return false
            }
            let v = prefix.network.value
            let v6 = prefix.family == .v6
            rows.append(
                IndexRow(
                    hi: v6 ? UInt64(truncatingIfNeeded: v >> 64) : 0, lo: UInt64(truncatingIfNeeded: v),
                    from: fromSeconds, to: toSeconds, subscriber: subscriberID, session: sessionID,
                    ports: portRange.map { UInt32($0.lowerBound) << 16 | UInt32($0.upperBound) } ?? Group.noPorts,
                    flags: endIsEstimated ? 1 : 0, length: UInt8(prefix.length), v6: v6))
            return true
        }

        /// Adds a holding given with strings.
        @discardableResult
        public mutating func append(_ h: Holding) -> Bool {
            let s = subscriberID(h.subscriber)
            let e = sessionID(h.session)
            return append(
                prefix: h.prefix, from: h.from, to: h.to, subscriberID: s, sessionID: e, portRange: h.portRange,
                endIsEstimated: h.endIsEstimated)
        }

        /// The number of holdings appended so far.
        public var count: Int { rows.count }

        /// Sorts, packs and returns the index; the builder is left empty.
        public mutating func build() -> AttributionIndex {
            var rows = self.rows
            self.rows = []
            rows.sort(by: IndexRow.precedes)
            // Drop exact duplicates.
            var kept = 0
            for i in rows.indices {
                if kept > 0 && IndexRow.same(rows[kept - 1], rows[i]) { continue }
                rows[kept] = rows[i]
                kept += 1
            }
            report.duplicatesRemoved += rows.count - kept
            rows.removeLast(rows.count - kept)
            var groups: [Group] = []
            var s = 0
            while s < rows.count {
                var e = s + 1
                while e < rows.count, rows[e].v6 == rows[s].v6, rows[e].length == rows[s].length { e += 1 }
                groups.append(Group(family: rows[s].v6 ? .v6 : .v4, length: Int(rows[s].length), rows: rows[s..<e]))
                s = e
            }
            report.holdings = rows.count
            rows = []
            let index = AttributionIndex(
                config: config, report: report, groups: groups, subscribers: subscribers.finish(),
                sessions: sessions.finish())
            report = BuildReport()
            return index
        }
    }
}

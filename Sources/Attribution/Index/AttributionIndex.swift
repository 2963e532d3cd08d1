public import Addressing
public import Foundation
import TextScanning

/// Who held which address when: an immutable, compact, fast index of holdings.
///
/// Build it from parsed events (``init(events:config:)``, which applies the session and
/// lease semantics described there) or from ready-made holdings (``Builder``,
/// ``init(holdings:config:)``), then ask ``holder(of:at:port:)``.
///
/// ## Answers
/// A holding covers a query when its prefix contains the address and the query time lies
/// in `[from − skew, to + skew]` (and, for a CGN port block, the port lies in its range).
/// - nobody covers it: `.notFound`;
/// - the covering holdings include a CGN port block and no port was given:
///   `.ambiguous(…, .sharedAddressWithoutPort)`;
/// - they belong to two or more subscribers: `.ambiguous(…, .multipleHolders)`, or
///   `.handoverWithinSkew` when at most one of them holds it at the exact time (counting
///   `[from, to)` half-open) and the others only through the closed interval or the skew
///   tolerance. A handover A-until-10:00 / B-from-10:00 is ambiguous for queries within
///   `skew` of 10:00, and at 10:00 itself (intervals are closed: both records claim that
///   second). This is intended: the report's clock cannot settle it;
/// - one subscriber (however many of their records): `.found` with the best of their
///   holdings (holding it at the exact time, then the longest prefix, then the latest start).
///
/// Prefixes of different lengths are all considered (a /32 of one subscriber inside a
/// /24 of another is ambiguous, not "longest match wins"): overlapping records of two
/// subscribers are an inconsistency the index refuses to resolve. An IPv4-mapped IPv6
/// query (`::ffff:192.0.2.1`) is answered as its IPv4 address.
///
/// ## Layout
/// One table per (family, prefix length) present, each sorted by (network, from): the
/// networks in their own array (`UInt32` for IPv4; one `UInt64` for IPv6 up to /64, two
/// beyond) and, in a parallel array, a 24-byte row per holding: `from` and `to` as `UInt32`
/// seconds since 1970-01-01 UTC (1970 to 2106; `UInt32.max` = open), the running maximum of
/// `to` within the network's run, the port range packed in a `UInt32`, and subscriber and
/// session ids (`UInt32` byte offsets into two string tables; the session id's top bit
/// marks an estimated end). That is 28 bytes per IPv4 holding, 32 per IPv6 prefix up to
/// /64, 40 per IPv6 /128, plus the strings (length byte + UTF-8; subscribers stored once).
/// A hash table per table (8-byte slots, load ≤ 3/4) maps each distinct network to its run
/// of rows. A lookup costs, per prefix length present, one hash probe (usually one cache
/// line) and a short binary search on `from` within the network's rows, then a backward scan
/// over its earlier rows that stops as soon as the running maximum of `to` falls before the query.
public struct AttributionIndex: Sendable {
    /// The configuration the index was built with (its `skew` is used by queries).
    public let config: AttributionConfig
    /// What building from events did (all zero for ``Builder``-made indexes except `holdings`).
    public private(set) var report: BuildReport

    var groups: [Group]
    var subscribers: StringTable
    var sessions: StringTable

    /// The number of holdings indexed (one per session or lease and prefix).
    public var sessionCount: Int { groups.reduce(0) { $0 + $1.count } }

    /// The number of distinct subscribers.
    public var subscriberCount: Int { subscribers.count }

    /// Bytes held by the index: every array's capacity × stride, plus the string tables.
    public var approximateMemoryBytes: Int {
        groups.reduce(0) { $0 + $1.memoryBytes } + subscribers.memoryBytes + sessions.memoryBytes
            + MemoryLayout<Self>.size
    }

    /// An empty index.
    public init(config: AttributionConfig = AttributionConfig()) {
        self.config = config
        self.report = BuildReport()
        self.groups = []
        self.subscribers = StringTable()
        self.sessions = StringTable()
    }

    init(config: AttributionConfig, report: BuildReport, groups: [Group], subscribers: StringTable, sessions: StringTable) {
        self.config = config
        self.report = report
        self.groups = groups
        self.subscribers = subscribers
        self.sessions = sessions
    }

    /// An index of ready-made holdings (no session or lease semantics applied; exact
    /// duplicates are dropped).
    public init(holdings: some Sequence<Holding>, config: AttributionConfig = AttributionConfig()) {
        var b = Builder(config: config)
        for h in holdings { b.append(h) }
        self = b.build()
    }

    // MARK: queries

    /// Who held `address` at `time` (and `port`, for CGN-shared addresses), with the
    /// index's skew tolerance. See the type's documentation for the rules.
    ///
    /// No purpose, no audit: production code identifies through ``Attributor``. Only benchmarks
    /// and tests call this, under `@_spi(Unaudited) import Attribution`.
    @_spi(Unaudited) public func holder(of address: IPAddress, at time: Date, port: UInt16? = nil) -> AttributionAnswer {
        holder(of: address, at: time, port: port, skew: config.skew)
    }

    /// Who held `address` at `time`, with an explicit skew tolerance (seconds, ≥ 0). Unaudited, as
    /// ``holder(of:at:port:)``.
    @_spi(Unaudited) public func holder(
        of address: IPAddress, at time: Date, port: UInt16? = nil, skew: TimeInterval
    )
        -> AttributionAnswer
    {
        let address = address.unmappedV4 ?? address
        let t = time.timeIntervalSince1970
        let skew = max(0, skew.isFinite ? skew : 0)
        let exact = Self.clampTime(t.rounded(.down))
        let lo = Self.clampTime((t - skew).rounded(.up))
        let hi = Self.clampTime((t + skew).rounded(.down))
        guard hi >= 0, lo <= Int64(UInt32.max) else { return .notFound }

        var c = Collector()
        for g in groups.indices where groups[g].family == address.family {
            let group = groups[g]
            guard let run = group.run(of: address.value) else { continue }
            group.scan(run: run, lo: lo, hi: hi) { i in
                let row = group.rows[i]
                let packed = row.ports
                if packed != Group.noPorts {
                    if let port {
                        guard port >= UInt16(packed >> 16), port <= UInt16(packed & 0xFFFF) else { return }
                    } else {
                        c.sawPortBlock = true
                    }
                }
                // Held at the exact time, half-open [from, to): at a handover instant only the newcomer.
                let holds = Int64(row.from) <= exact && Int64(row.to) > exact
                c.add(group: g, row: i, subscriber: row.subscriber, exact: holds, length: group.length, from: row.from)
            }
        }
        guard let best = c.best else { return .notFound }
        let distinct = c.distinctSubscribers
        if port == nil && c.sawPortBlock {
            return .ambiguous(candidates: distinct, reason: .sharedAddressWithoutPort)
        }
        if distinct > 1 {
            return .ambiguous(candidates: distinct, reason: c.exactDistinct <= 1 ? .handoverWithinSkew : .multipleHolders)
        }
        return .found(holding(group: best.group, row: best.row))
    }

    /// Every holding whose prefix contains `address`, at any time, oldest first (for
    /// history views; the skew is not applied). Unaudited: names subscribers with no purpose.
    @_spi(Unaudited) public func holdings(containing address: IPAddress) -> [Holding] {
        let address = address.unmappedV4 ?? address
        var out: [Holding] = []
        for g in groups.indices where groups[g].family == address.family {
            guard let run = groups[g].run(of: address.value) else { continue }
            for i in run { out.append(holding(group: g, row: i)) }
        }
        return out.sorted { ($0.from, $0.prefix.length) < ($1.from, $1.prefix.length) }
    }

    func holding(group g: Int, row i: Int) -> Holding {
        let group = groups[g]
        let row = group.rows[i]
        let packed = row.ports
        return Holding(
            subscriber: subscribers, row.subscriber, session: sessions, row.session & ~Group.estimatedEnd,
            prefix: IPPrefix(IPAddress(family: group.family, value: group.network(i)), length: group.length)!,
            from: Date(timeIntervalSince1970: TimeInterval(row.from)),
            to: row.to == Group.open ? nil : Date(timeIntervalSince1970: TimeInterval(row.to)),
            portRange: packed == Group.noPorts ? nil : UInt16(packed >> 16)...UInt16(packed & 0xFFFF),
            endIsEstimated: row.session & Group.estimatedEnd != 0)
    }

    @inline(__always) static func clampTime(_ t: Double) -> Int64 {
        guard t.isFinite else { return t > 0 ? Int64(UInt32.max) + 1 : -1 }
        if t < -1 { return -1 }
        if t > Double(UInt32.max) + 1 { return Int64(UInt32.max) + 1 }
        return Int64(t)
    }

    /// Candidates of one query.
    struct Collector {
        var best: (group: Int, row: Int, exact: Bool, length: Int, from: UInt32)?
        var firstSubscriber: UInt32?
        var otherSubscribers: [UInt32] = []
        var exactFirst: UInt32?
        var exactMulti = false
        var sawPortBlock = false

        var distinctSubscribers: Int { (firstSubscriber == nil ? 0 : 1) + otherSubscribers.count }
        var exactDistinct: Int { exactFirst == nil ? 0 : exactMulti ? 2 : 1 }

        @inline(__always) mutating func add(group: Int, row: Int, subscriber: UInt32, exact: Bool, length: Int, from: UInt32) {
            if let f = firstSubscriber {
                if f != subscriber && !otherSubscribers.contains(subscriber) { otherSubscribers.append(subscriber) }
            } else {
                firstSubscriber = subscriber
            }
            if exact {
                if let e = exactFirst {
                    if e != subscriber { exactMulti = true }
                } else {
                    exactFirst = subscriber
                }
            }
            if let b = best {
                let better =
                    exact != b.exact ? exact : length != b.length ? length > b.length : from > b.from
                if !better { return }
            }
            best = (group, row, exact, length, from)
        }
    }
}

extension AttributionIndex {
    /// What ``AttributionIndex/init(events:config:)`` did with its input.
    public struct BuildReport: Sendable, Hashable, Codable {
        /// Events given.
        public var events = 0
        /// Holdings indexed (after removing exact duplicates).
        public var holdings = 0
        /// RADIUS sessions assembled (Start…Stop instances).
        public var radiusSessions = 0
        /// RADIUS sessions without any address in any of their records: nothing held.
        public var sessionsWithoutAddress = 0
        /// RADIUS sessions with no Stop, held until their last record plus the grace period.
        public var sessionsClosedByGrace = 0
        /// RADIUS sessions placed from an Interim-Update or Stop alone (Start in an earlier file or missing).
        public var sessionsWithoutStart = 0
        /// DHCP leases renewed by the same client (merged into one holding).
        public var leaseRenewals = 0
        /// DHCP leases cut short because the address went to a different client.
        public var leaseReassignments = 0
        /// DHCP releases (Kea lifetime-0 or declined rows) that ended a lease.
        public var releasesApplied = 0
        /// DHCP releases with no lease to end (already ended, or not in the input).
        public var releasesUnmatched = 0
        /// CGN allocation rows merged into an earlier row of the same allocation.
        public var portBlockUpdates = 0
        /// Exact duplicate holdings dropped.
        public var duplicatesRemoved = 0
        /// Holdings dropped because a time lies outside 1970…2106 or ends before it starts.
        public var outOfRange = 0

        /// An empty report.
        public init() {}
    }
}

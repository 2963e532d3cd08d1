import Addressing

/// What the DNS-amplification policy matches in traffic: totals, per pool and per pool and hour.
///
/// Only aggregates: no address, port or time of a single packet is kept. Fed with
/// ``AmplificationView``s, so it never had a source to keep.
public struct AmplificationAnalysis: Sendable {
    /// Packet and byte counts.
    public struct Tally: Sendable, Hashable {
        public var packets: UInt64 = 0
        public var bytes: UInt64 = 0
    }

    /// The pools' matcher.
    public let matcher: PoolMatcher
    /// Packets (flows count their packets) seen.
    public private(set) var packets: UInt64 = 0
    /// Packets and bytes the policy matches: UDP, destination port 53, destination in a pool.
    public private(set) var matched = Tally()
    /// Matched, per pool (indexed like ``PoolMatcher/names``).
    public private(set) var perPool: [Tally]
    /// Matched, per pool and hour (seconds since the epoch, at the start of the hour).
    public private(set) var perPoolHour: [HourKey: Tally] = [:]

    /// A pool and an hour.
    public struct HourKey: Hashable, Sendable, Comparable {
        public let pool: Int
        public let hour: Int64
        public static func < (lhs: HourKey, rhs: HourKey) -> Bool { (lhs.pool, lhs.hour) < (rhs.pool, rhs.hour) }
    }

    public init(pools: Pools) {
        matcher = PoolMatcher(pools)
        perPool = Array(repeating: Tally(), count: matcher.names.count)
    }

    /// Counts one packet or flow.
    public mutating func add(_ view: AmplificationView) {
        packets &+= view.packets
        guard view.transport == 17, view.destinationPort == 53, let pool = matcher.pool(of: view.destination) else { return }
        matched.packets &+= view.packets
        matched.bytes &+= view.bytes
        perPool[pool].packets &+= view.packets
        perPool[pool].bytes &+= view.bytes
        let hour = view.time - ((view.time % 3600) + 3600) % 3600
        Self.count(view, into: &perPoolHour[HourKey(pool: pool, hour: hour), default: Tally()])
    }

    private static func count(_ view: AmplificationView, into tally: inout Tally) {
        tally.packets &+= view.packets
        tally.bytes &+= view.bytes
    }
}

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
    public var perPoolHour: [HourKey: Tally] {
        var all = hours
        for (pool, current) in currentHour.enumerated() where current.counted {
            all[HourKey(pool: pool, hour: current.hour), default: Tally()].add(current.tally)
        }
        return all
    }
    /// Hours no longer current.
    private var hours: [HourKey: Tally] = [:]
    /// Each pool's current hour: traffic comes mostly in time order, so a pool's next packet is
    /// usually in the hour of its last one, counted here without hashing.
    private var currentHour: [CurrentHour]

    struct CurrentHour: Sendable {
        var hour: Int64 = 0
        var tally = Tally()
        var counted = false
    }

    /// A pool and an hour.
    public struct HourKey: Hashable, Sendable, Comparable {
        public let pool: Int
        public let hour: Int64
        public static func < (lhs: HourKey, rhs: HourKey) -> Bool { (lhs.pool, lhs.hour) < (rhs.pool, rhs.hour) }
    }

    public init(pools: Pools) {
        matcher = PoolMatcher(pools)
        perPool = Array(repeating: Tally(), count: matcher.names.count)
        currentHour = Array(repeating: CurrentHour(), count: matcher.names.count)
    }

    /// Counts one packet or flow.
    public mutating func add(_ view: AmplificationView) { count(view) }

    @inline(__always)
    mutating func count(_ view: AmplificationView) {
        packets &+= view.packets
        guard view.transport == 17, view.destinationPort == 53, let pool = matcher.pool(of: view.destination) else { return }
        matched.packets &+= view.packets
        matched.bytes &+= view.bytes
        perPool[pool].packets &+= view.packets
        perPool[pool].bytes &+= view.bytes
        let hour = view.time - ((view.time % 3600) + 3600) % 3600
        if currentHour[pool].hour != hour || !currentHour[pool].counted { start(hour, of: pool) }
        currentHour[pool].tally.packets &+= view.packets
        currentHour[pool].tally.bytes &+= view.bytes
    }

    /// Makes `hour` the pool's current one, the previous one moved to ``hours``.
    @inline(never)
    mutating func start(_ hour: Int64, of pool: Int) {
        if currentHour[pool].counted { hours[HourKey(pool: pool, hour: currentHour[pool].hour), default: Tally()].add(currentHour[pool].tally) }
        currentHour[pool] = CurrentHour(hour: hour, tally: Tally(), counted: true)
    }

    /// Decodes `bytes` with `decoder` and counts each packet or flow: what
    /// `decoder.decodeAmplification(bytes) { add($0) }` does, in one loop specialised for it.
    @discardableResult
    public mutating func add(decoding bytes: [UInt8], with decoder: inout EdgeDecoder) -> InputFormat? {
        bytes.withUnsafeBytes { buffer in decoder.run(buffer, into: &self) }
    }
}

extension AmplificationAnalysis: ViewSink {
    /// Only what the policy can match is read further; the rest counts its packets.
    @inline(__always) func wants(_ destination: IPAddress, transport: UInt8, port: UInt16) -> Bool { transport == 17 && port == 53 }
    @inline(__always) mutating func passes(packets: UInt64) { self.packets &+= packets }
    @inline(__always) mutating func take(_ view: AmplificationView) { count(view) }
}

extension AmplificationAnalysis.Tally {
    mutating func add(_ other: Self) {
        packets &+= other.packets
        bytes &+= other.bytes
    }
}

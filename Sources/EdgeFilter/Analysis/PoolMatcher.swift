public import Addressing

/// Which pool, if any, holds an address: a binary search over the pools' disjoint ranges.
public struct PoolMatcher: Sendable {
    /// Pool names, indexed by the values ``pool(of:)`` returns.
    public let names: [String]
    private var v4Lower: [UInt32] = []
    private var v4Upper: [UInt32] = []
    private var v4Pool: [Int32] = []
    private var v6Lower: [UInt128] = []
    private var v6Upper: [UInt128] = []
    private var v6Pool: [Int32] = []

    /// A matcher of `pools` (exceptions already removed; overlaps belong to the first pool).
    public init(_ pools: Pools) {
        names = pools.pools.map(\.name)
        var all: [(AddressRange, Int32)] = []
        for (index, ranges) in pools.poolRanges.enumerated() {
            for range in ranges { all.append((range, Int32(index))) }
        }
        all.sort { $0.0 < $1.0 }
        for (range, pool) in all {
            if range.family == .v4 {
                v4Lower.append(UInt32(truncatingIfNeeded: range.lower))
                v4Upper.append(UInt32(truncatingIfNeeded: range.upper))
                v4Pool.append(pool)
            } else {
                v6Lower.append(range.lower)
                v6Upper.append(range.upper)
                v6Pool.append(pool)
            }
        }
    }

    /// The index in ``names`` of the pool holding `address`, or `nil`.
    public func pool(of address: IPAddress) -> Int? {
        if address.family == .v4 {
            return Self.search(UInt32(truncatingIfNeeded: address.value), v4Lower, v4Upper, v4Pool)
        }
        return Self.search(address.value, v6Lower, v6Upper, v6Pool)
    }

    static func search<T: FixedWidthInteger>(_ value: T, _ lower: [T], _ upper: [T], _ pool: [Int32]) -> Int? {
        // The last range whose lower bound is <= value.
        var low = 0
        var high = lower.count
        while low < high {
            let mid = (low + high) / 2
            if lower[mid] <= value { low = mid + 1 } else { high = mid }
        }
        guard low > 0, value <= upper[low - 1] else { return nil }
        return Int(pool[low - 1])
    }
}

public import Addressing

/// Which pool, if any, holds an address: a binary search over the pools' disjoint ranges.
///
/// For IPv4 the search starts from the address's /16: a table of 65,536 entries (512 KiB) gives
/// the ranges that meet each /16, so an address in a /16 with no pool is answered by one read,
/// and one in a /16 with pools is searched among those only. A /16 that pools share has a
/// second table of its 256 /24s (1 KiB; at most ``maxSubtables`` of them): a /24 wholly inside
/// one range, or outside all, is answered by it, and only a /24 that ranges share is searched.
public struct PoolMatcher: Sendable {
    /// The most /16s given a /24 table by default (4 MiB in all); the others are searched.
    static let maxSubtables = 4096

    /// Pool names, indexed by the values ``pool(of:)`` returns.
    public let names: [String]
    private var v4Lower: [UInt32] = []
    private var v4Upper: [UInt32] = []
    private var v4Pool: [Int32] = []
    /// Per /16: the first range that meets it and the end of those that do (indices above).
    private var v4First: [UInt32] = []
    private var v4End: [UInt32] = []
    /// Per /16: its /24 table's number, or -1.
    private var v4Subtable: [Int32] = []
    /// The /24 tables, 256 entries each: a pool's index, ``outside`` or ``shared``.
    private var v4Subtables: [Int32] = []
    static let outside: Int32 = -1
    static let shared: Int32 = -2
    private var v6Lower: [UInt128] = []
    private var v6Upper: [UInt128] = []
    private var v6Pool: [Int32] = []

    /// A matcher of `pools` (exceptions already removed; overlaps belong to the first pool).
    public init(_ pools: Pools) { self.init(pools, subtables: Self.maxSubtables) }

    /// A matcher with at most `subtables` /24 tables.
    init(_ pools: Pools, subtables maxSubtables: Int) {
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
        (v4First, v4End) = Self.blockIndex(lower: v4Lower, upper: v4Upper)
        (v4Subtable, v4Subtables) = Self.subtables(
            first: v4First, end: v4End, lower: v4Lower, upper: v4Upper, pool: v4Pool, max: maxSubtables)
    }

    /// The /24 tables of the /16s that are not answered by one read already (more than one range
    /// meets them, or one that does not cover the /16), up to `max` of them.
    static func subtables(
        first: [UInt32], end: [UInt32], lower: [UInt32], upper: [UInt32], pool: [Int32], max: Int
    ) -> (index: [Int32], tables: [Int32]) {
        guard !first.isEmpty else { return ([], []) }
        var index = [Int32](repeating: -1, count: 1 << 16)
        var tables: [Int32] = []
        for block in 0..<(1 << 16) {
            let candidates = Int(first[block])..<Int(end[block])
            let blockLower = UInt32(block) << 16
            guard !candidates.isEmpty,
                candidates.count > 1 || lower[candidates.lowerBound] > blockLower || upper[candidates.lowerBound] < blockLower | 0xFFFF
            else { continue }
            guard tables.count / 256 < max else { break }
            index[block] = Int32(tables.count / 256)
            var i = candidates.lowerBound
            for slash24 in 0..<256 {
                let low = blockLower | UInt32(slash24) << 8
                let high = low | 0xFF
                while i < candidates.upperBound, upper[i] < low { i += 1 }
                var j = i
                while j < candidates.upperBound, lower[j] <= high { j += 1 }
                if i == j {
                    tables.append(outside)
                } else if j == i + 1, lower[i] <= low, upper[i] >= high {
                    tables.append(pool[i])
                } else {
                    tables.append(shared)
                }
            }
        }
        return (index, tables)
    }

    /// The ranges meeting each /16: a sweep over the sorted, disjoint ranges.
    static func blockIndex(lower: [UInt32], upper: [UInt32]) -> (first: [UInt32], end: [UInt32]) {
        guard !lower.isEmpty else { return ([], []) }
        var first = [UInt32](repeating: 0, count: 1 << 16)
        var end = [UInt32](repeating: 0, count: 1 << 16)
        var i = 0
        for block in 0..<(1 << 16) {
            let blockLower = UInt32(block) << 16
            let blockUpper = blockLower | 0xFFFF
            while i < lower.count, upper[i] < blockLower { i += 1 }
            var j = i
            while j < lower.count, lower[j] <= blockUpper { j += 1 }
            first[block] = UInt32(i)
            end[block] = UInt32(j)
        }
        return (first, end)
    }

    /// The index in ``names`` of the pool holding `address`, or `nil`.
    @inline(__always)
    public func pool(of address: IPAddress) -> Int? {
        if address.family == .v4 {
            let value = UInt32(truncatingIfNeeded: address.value)
            guard !v4First.isEmpty else { return nil }
            let block = Int(value &>> 16)
            let subtable = v4Subtable[block]
            if subtable >= 0 {
                let entry = v4Subtables[Int(subtable) &<< 8 | Int(value &>> 8 & 0xFF)]
                if entry >= 0 { return Int(entry) }
                if entry == Self.outside { return nil }
            }
            let first = Int(v4First[block])
            let end = Int(v4End[block])
            guard first < end else { return nil }
            return Self.search(value, v4Lower, v4Upper, v4Pool, in: first..<end)
        }
        return Self.search(address.value, v6Lower, v6Upper, v6Pool)
    }

    /// The pool of the last range in `range` (all by default) whose lower bound is <= `value`,
    /// if `value` is inside it. The halving has no early exit and its step is a mask.
    @inline(__always)
    static func search<T: FixedWidthInteger>(_ value: T, _ lower: [T], _ upper: [T], _ pool: [Int32], in range: Range<Int>? = nil) -> Int? {
        let range = range ?? lower.indices
        guard !range.isEmpty else { return nil }
        let base = lower.withUnsafeBufferPointer { lower -> Int in
            var base = range.lowerBound
            var n = range.count
            while n > 1 {
                let half = n &>> 1
                // A mask, not a branch: all ones when the upper half holds the answer.
                let upperHalf = lower[base &+ half] <= value
                base &+= half & (0 &- Int(unsafeBitCast(upperHalf, to: UInt8.self)))
                n &-= half
            }
            return base
        }
        guard lower[base] <= value, value <= upper[base] else { return nil }
        return Int(pool[base])
    }
}

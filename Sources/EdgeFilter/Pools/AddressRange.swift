public import Addressing

/// An inclusive range of addresses of one family, `lower...upper`.
public struct AddressRange: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The family of both ends.
    public let family: IPAddress.Family
    /// The first address, as an integer (IPv4 in the low 32 bits).
    public let lower: UInt128
    /// The last address, inclusive.
    public let upper: UInt128

    /// A range of `family` from `lower` to `upper` (inclusive); the caller keeps `lower <= upper`.
    public init(family: IPAddress.Family, lower: UInt128, upper: UInt128) {
        self.family = family
        self.lower = lower
        self.upper = upper
    }

    /// The addresses of `prefix`.
    public init(_ prefix: IPPrefix) {
        self.init(family: prefix.family, lower: prefix.network.value, upper: prefix.lastAddress.value)
    }

    /// The largest address of `family`.
    public static func maximum(_ family: IPAddress.Family) -> UInt128 {
        family == .v4 ? UInt128(UInt32.max) : UInt128.max
    }

    public static func < (lhs: AddressRange, rhs: AddressRange) -> Bool {
        if lhs.family != rhs.family { return lhs.family < rhs.family }
        return lhs.lower != rhs.lower ? lhs.lower < rhs.lower : lhs.upper < rhs.upper
    }

    /// Whether the range holds `address`.
    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && address.value >= lower && address.value <= upper
    }

    public var description: String {
        let low = IPAddress(family: family, value: lower)
        return lower == upper ? low.description : "\(low)-\(IPAddress(family: family, value: upper))"
    }

    /// The fewest CIDR prefixes that cover exactly this range, in address order.
    public var prefixes: [IPPrefix] {
        var out: [IPPrefix] = []
        let width = family.bitWidth
        let top = Self.maximum(family)
        var low = lower
        while true {
            // The largest aligned block starting at `low` that stays inside the range.
            var bits = min(width, low.trailingZeroBitCount)
            while bits > 0, low | Self.hostMask(bits) > upper { bits -= 1 }
            let last = low | Self.hostMask(bits)
            if let prefix = IPPrefix(IPAddress(family: family, value: low), length: width - bits) { out.append(prefix) }
            if last >= upper || last == top { break }
            low = last + 1
        }
        return out
    }

    /// `bits` low bits set.
    static func hostMask(_ bits: Int) -> UInt128 {
        bits >= 128 ? UInt128.max : (UInt128(1) << UInt128(bits)) - 1
    }

    /// Sorts and merges overlapping or adjacent ranges (each family apart): the minimal, ordered union.
    public static func union(_ ranges: [AddressRange]) -> [AddressRange] {
        var merged: [AddressRange] = []
        merged.reserveCapacity(ranges.count)
        for range in ranges.sorted() {
            if let last = merged.last, last.family == range.family,
                range.lower <= last.upper || (last.upper != maximum(last.family) && range.lower == last.upper + 1)
            {
                if range.upper > last.upper {
                    merged[merged.count - 1] = AddressRange(family: last.family, lower: last.lower, upper: range.upper)
                }
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// `ranges` less every address of `removed`; both are unions (sorted, disjoint), so is the result.
    public static func subtract(_ ranges: [AddressRange], _ removed: [AddressRange]) -> [AddressRange] {
        var out: [AddressRange] = []
        var index = 0
        for range in ranges {
            var low = range.lower
            var done = false
            // Skip removals wholly before this range.
            while index < removed.count,
                removed[index].family < range.family || (removed[index].family == range.family && removed[index].upper < range.lower)
            {
                index += 1
            }
            var cursor = index
            while cursor < removed.count, removed[cursor].family == range.family, removed[cursor].lower <= range.upper {
                let cut = removed[cursor]
                if cut.upper >= low {
                    if cut.lower > low { out.append(AddressRange(family: range.family, lower: low, upper: cut.lower - 1)) }
                    if cut.upper >= range.upper {
                        done = true
                        break
                    }
                    low = cut.upper + 1
                }
                cursor += 1
            }
            if !done { out.append(AddressRange(family: range.family, lower: low, upper: range.upper)) }
        }
        return out
    }
}

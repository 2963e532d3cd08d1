/// A longest-prefix-match table from prefixes to values.
///
/// Lookups try only the prefix lengths present in the table, longest first, with one hash
/// probe each, so a table of a few distinct lengths (customer pools, ACLs, blocklists)
/// answers in a handful of probes whatever its size.
///
/// ```swift
/// var pools = PrefixTable<String>()
/// pools.insert(IPPrefix("198.51.100.0/24")!, "dynamic-a")
/// pools.longestMatch(IPAddress("198.51.100.9")!)?.value  // "dynamic-a"
/// ```
public struct PrefixTable<Value>: Sendable where Value: Sendable {
    private struct Key: Hashable, Sendable {
        var value: UInt128
        var length: UInt8
    }

    private var v4: [Key: Value] = [:]
    private var v6: [Key: Value] = [:]
    private var v4Lengths: [Int] = []  // descending
    private var v6Lengths: [Int] = []

    public init() {}

    /// The number of prefixes in the table.
    public var count: Int { v4.count + v6.count }

    /// Inserts or replaces the value for `prefix`.
    public mutating func insert(_ prefix: IPPrefix, _ value: Value) {
        let key = Key(value: prefix.network.value, length: UInt8(prefix.length))
        if prefix.family == .v4 {
            v4[key] = value
            if !v4Lengths.contains(prefix.length) {
                v4Lengths.append(prefix.length)
                v4Lengths.sort(by: >)
            }
        } else {
            v6[key] = value
            if !v6Lengths.contains(prefix.length) {
                v6Lengths.append(prefix.length)
                v6Lengths.sort(by: >)
            }
        }
    }

    /// Removes `prefix`; returns its value if it was present.
    @discardableResult
    public mutating func remove(_ prefix: IPPrefix) -> Value? {
        let key = Key(value: prefix.network.value, length: UInt8(prefix.length))
        return prefix.family == .v4 ? v4.removeValue(forKey: key) : v6.removeValue(forKey: key)
    }

    /// The value stored for exactly `prefix`.
    public subscript(exactly prefix: IPPrefix) -> Value? {
        let key = Key(value: prefix.network.value, length: UInt8(prefix.length))
        return prefix.family == .v4 ? v4[key] : v6[key]
    }

    /// The most specific prefix containing `address`, with its value.
    public func longestMatch(_ address: IPAddress) -> (prefix: IPPrefix, value: Value)? {
        let (table, lengths) = address.family == .v4 ? (v4, v4Lengths) : (v6, v6Lengths)
        for length in lengths {
            let network = address.value & IPPrefix.mask(address.family, length)
            if let value = table[Key(value: network, length: UInt8(length))],
                let prefix = IPPrefix(IPAddress(family: address.family, value: network), length: length)
            {
                return (prefix, value)
            }
        }
        return nil
    }

    /// Every prefix containing `address`, most specific first.
    public func allMatches(_ address: IPAddress) -> [(prefix: IPPrefix, value: Value)] {
        let (table, lengths) = address.family == .v4 ? (v4, v4Lengths) : (v6, v6Lengths)
        var out: [(prefix: IPPrefix, value: Value)] = []
        for length in lengths {
            let network = address.value & IPPrefix.mask(address.family, length)
            if let value = table[Key(value: network, length: UInt8(length))],
                let prefix = IPPrefix(IPAddress(family: address.family, value: network), length: length)
            {
                out.append((prefix, value))
            }
        }
        return out
    }
}

public import Addressing

/// What an open-resolver check may probe: addresses of the ISP's own dynamic pools, never an
/// exception (a static customer or business line) and never an address outside the pools.
///
/// IPv4 pools are walked address by address, up to a limit. IPv6 pools cannot be walked (a /64
/// alone holds 2⁶⁴ addresses), so IPv6 addresses are probed only when listed (`--targets`),
/// e.g. the WAN addresses of customers' routers.
public struct ProbeTargets: Sendable, Hashable {
    /// The addresses to probe, in address order.
    public let addresses: [IPAddress]
    /// Whether the pools hold IPv6 ranges that were not walked.
    public let skippedIPv6Pools: Bool

    /// Every IPv4 address of `pools` (less the exceptions); throws when there are more than `limit`.
    public init(pools: Pools, limit: Int) throws(ProbeTargetsError) {
        let v4 = pools.ranges.filter { $0.family == .v4 }
        let count = v4.reduce(UInt128(0)) { $0 + ($1.upper - $1.lower + 1) }
        guard count <= UInt128(limit) else {
            throw ProbeTargetsError(
                "the IPv4 pools hold \(count) addresses, more than --max-addresses \(limit); raise it or list the addresses with --targets")
        }
        var addresses: [IPAddress] = []
        addresses.reserveCapacity(Int(count))
        for range in v4 {
            var value = range.lower
            while value <= range.upper {
                addresses.append(IPAddress(family: .v4, value: value))
                value += 1
            }
        }
        self.addresses = addresses
        self.skippedIPv6Pools = pools.ranges.contains { $0.family == .v6 }
    }

    /// The addresses listed in `text` (one a line, `#` comments), each inside `pools` and outside
    /// their exceptions; every problem is named `file:line`. Duplicates are probed once.
    public init(listed text: String, file: String, pools: Pools, limit: Int) throws(ProbeTargetsError) {
        var seen = Set<IPAddress>()
        var problems: [String] = []
        for (lineNumber, fields) in Pools.lines(of: text) {
            guard fields.count == 1, let address = IPAddress(fields[0]) else {
                problems.append("\(file):\(lineNumber): expected one IPv4 or IPv6 address")
                continue
            }
            guard pools.ranges.contains(where: { $0.contains(address) }) else {
                problems.append("\(file):\(lineNumber): \(address) is not in a dynamic pool (or is an exception); only the pools are probed")
                continue
            }
            seen.insert(address)
        }
        if !problems.isEmpty { throw ProbeTargetsError(problems.joined(separator: "\n")) }
        guard seen.count <= limit else { throw ProbeTargetsError("\(file): \(seen.count) addresses, more than --max-addresses \(limit)") }
        addresses = seen.sorted()
        skippedIPv6Pools = false
    }
}

/// Targets that cannot be probed, and why (naming the file and line where there is one).
public struct ProbeTargetsError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

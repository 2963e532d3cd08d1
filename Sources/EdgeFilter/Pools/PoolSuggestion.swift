public import Addressing

/// Dynamic pools suggested from the addresses seen in AAA records (RADIUS accounting, DHCP
/// leases): the blocks that hold assigned addresses, aggregated, with how many were seen in each.
///
/// Only assigned addresses and delegated prefixes go in; nothing about who held them. A
/// suggestion is shown to an operator, never used as it is: `mamori edge pools suggest` prints it
/// as a pools file and writes it only with `--write FILE --confirm`.
///
/// ```swift
/// var suggestion = PoolSuggestion()
/// suggestion.add(IPPrefix(host: IPAddress("192.0.2.10")!), pool: "radius-detail")
/// suggestion.entries  // [192.0.2.0/24 radius-detail, 1 seen]
/// ```
public struct PoolSuggestion: Sendable {
    /// One suggested prefix.
    public struct Entry: Sendable, Hashable {
        public let prefix: IPPrefix
        public let pool: String
        /// Distinct assigned addresses or delegated prefixes seen inside it.
        public let seen: Int
    }

    /// IPv4 addresses are widened to blocks of this length (an ISP assigns pools in blocks).
    public let blockLengthV4: Int
    /// IPv6 addresses and delegated prefixes longer than this are widened to it.
    public let blockLengthV6: Int
    private var pools: [String] = []
    private var seen: [String: Set<IPPrefix>] = [:]

    public init(blockLengthV4: Int = 24, blockLengthV6: Int = 48) {
        self.blockLengthV4 = min(32, max(8, blockLengthV4))
        self.blockLengthV6 = min(128, max(16, blockLengthV6))
    }

    /// Records one assigned address or delegated prefix under `pool` (a valid pool name).
    public mutating func add(_ assigned: IPPrefix, pool: String) {
        if seen[pool] == nil { pools.append(pool) }
        seen[pool, default: []].insert(assigned)
    }

    /// Distinct addresses and prefixes recorded.
    public var count: Int { seen.values.reduce(0) { $0 + $1.count } }

    /// The suggestion: per pool in the order first seen, the fewest prefixes covering its blocks
    /// (adjacent blocks merged), in address order, each with what was seen inside it.
    public var entries: [Entry] {
        var out: [Entry] = []
        for pool in pools {
            let assigned = seen[pool] ?? []
            var blocks: [AddressRange] = []
            for prefix in assigned {
                let length = min(prefix.length, prefix.family == .v4 ? blockLengthV4 : blockLengthV6)
                guard let block = IPPrefix(prefix.network, length: length) else { continue }
                blocks.append(AddressRange(block))
            }
            // The covering prefixes are disjoint and sorted: each assigned one is counted in the
            // last whose lower bound is not above it.
            let covering = AddressRange.union(blocks).flatMap(\.prefixes)
            let lowers = covering.map { AddressRange($0) }
            var counts = [Int](repeating: 0, count: covering.count)
            for prefix in assigned {
                let key = AddressRange(prefix)
                var low = 0
                var high = lowers.count
                while low < high {
                    let mid = (low + high) / 2
                    if (lowers[mid].family, lowers[mid].lower) <= (key.family, key.lower) { low = mid + 1 } else { high = mid }
                }
                if low > 0 { counts[low - 1] += 1 }
            }
            for (index, prefix) in covering.enumerated() { out.append(Entry(prefix: prefix, pool: pool, seen: counts[index])) }
        }
        return out
    }

    /// A valid pool name from a file name: its stem, characters outside letters, digits, `-`,
    /// `_`, `.` replaced by `-`, at most 64 bytes; `derived` when nothing is left.
    public static func poolName(fromFileName name: String) -> String {
        var stem = Substring(name)
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = stem[..<dot] }
        let cleaned = String(
            stem.unicodeScalars.map { scalar -> Character in
                let ok = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar))
                return ok ? Character(scalar) : "-"
            }
            .prefix(64))
        return Pools.isValidName(cleaned) ? cleaned : "derived"
    }

    /// The suggestion as a pools file (`PREFIX NAME  # N seen`), with a header saying what it is.
    public func poolsFile(sources: [String]) -> String {
        var lines = [
            "# Dynamic pools suggested by `mamori edge pools suggest` from the addresses assigned in:",
            "#   " + sources.joined(separator: ", "),
            "# IPv4 widened to /\(blockLengthV4), IPv6 to /\(blockLengthV6); adjacent blocks merged. Review it, add",
            "# exceptions (!PREFIX) for static customers and business lines, then write it with --write FILE --confirm.",
        ]
        let shown = entries
        let width = shown.map { $0.prefix.description.count + 1 + $0.pool.count }.max() ?? 0
        for entry in shown {
            let text = "\(entry.prefix) \(entry.pool)"
            lines.append(text + String(repeating: " ", count: max(1, width - text.count + 2)) + "# \(entry.seen) seen")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

public import Addressing

/// A problem in a pools file, named by its place (`file:line: reason`), never by the line's text.
public struct PoolsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file's name as given to the parser.
    public let file: String
    /// The 1-based line.
    public let line: Int
    /// What is wrong, as a phrase.
    public let reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(file):\(line): \(reason)" }
}

/// The dynamic (customer) address pools of the DNS-amplification measure, with their exceptions.
///
/// The file holds one prefix a line with an optional name (`PREFIX NAME`), `!PREFIX` for an
/// exception (a static-address customer or business line inside a pool, never blocked) and `#`
/// comments. A prefix without a name belongs to the pool `default`.
///
/// ```text
/// # FTTH dynamic pools
/// 198.51.100.0/24   ftth-east
/// 2001:db8:100::/40 ftth-east
/// !198.51.100.64/28           # business line
/// ```
///
/// ``ranges`` is the minimal, ordered union of the pools less the exceptions: what the rules
/// block. A pool's own ranges (``ranges(of:)``) are its prefixes less the exceptions; where two
/// pools overlap, the address counts for the pool named first in the file.
public struct Pools: Sendable, Hashable {
    /// One named pool as written: its prefixes in file order.
    public struct Pool: Sendable, Hashable {
        public let name: String
        public internal(set) var prefixes: [IPPrefix]
    }

    /// The pools in the order their names first appear.
    public private(set) var pools: [Pool]
    /// The exceptions as written.
    public private(set) var exceptions: [IPPrefix]
    /// The union of all pools less the exceptions: sorted, disjoint, adjacent ranges merged.
    public let ranges: [AddressRange]
    /// Per pool (same order as ``pools``), its addresses less the exceptions and less earlier pools.
    public let poolRanges: [[AddressRange]]

    /// Pools from prefixes; `exceptions` are removed from all of them.
    public init(pools: [Pool], exceptions: [IPPrefix]) {
        self.pools = pools
        self.exceptions = exceptions
        let cut = AddressRange.union(exceptions.map(AddressRange.init))
        var claimed: [AddressRange] = cut
        var perPool: [[AddressRange]] = []
        for pool in pools {
            let own = AddressRange.subtract(AddressRange.union(pool.prefixes.map(AddressRange.init)), claimed)
            perPool.append(own)
            claimed = AddressRange.union(claimed + own)
        }
        self.poolRanges = perPool
        self.ranges = AddressRange.union(perPool.flatMap { $0 })
    }

    /// Parses a pools file's text; every problem is collected (the file is refused if any).
    public static func parse(_ text: String, file: String) throws(PoolsParseFailure) -> Pools {
        var order: [String] = []
        var byName: [String: [IPPrefix]] = [:]
        var exceptions: [IPPrefix] = []
        var problems: [PoolsError] = []
        for (lineNumber, fields) in Self.lines(of: text) {
            let first = fields[0]
            let isException = first.hasPrefix("!")
            let prefixText = isException ? first.dropFirst() : first
            guard let prefix = IPPrefix(prefixText) else {
                problems.append(PoolsError(file: file, line: lineNumber, reason: "not an IPv4 or IPv6 prefix (field 1)"))
                continue
            }
            guard prefix.network.value == IPAddress(prefixText.split(separator: "/").first ?? "")?.value else {
                problems.append(
                    PoolsError(file: file, line: lineNumber, reason: "host bits set in the prefix (field 1; did you mean \(prefix)?)"))
                continue
            }
            if isException {
                guard fields.count == 1 else {
                    problems.append(PoolsError(file: file, line: lineNumber, reason: "an exception takes no name (field 2)"))
                    continue
                }
                exceptions.append(prefix)
                continue
            }
            guard fields.count <= 2 else {
                problems.append(PoolsError(file: file, line: lineNumber, reason: "expected PREFIX [NAME], found \(fields.count) fields"))
                continue
            }
            let name = fields.count == 2 ? String(fields[1]) : "default"
            guard Self.isValidName(name) else {
                problems.append(
                    PoolsError(file: file, line: lineNumber, reason: "pool name must be 1-64 of letters, digits, '-', '_', '.' (field 2)"))
                continue
            }
            if byName[name] == nil { order.append(name) }
            byName[name, default: []].append(prefix)
        }
        if !problems.isEmpty { throw PoolsParseFailure(problems: problems) }
        return Pools(pools: order.map { Pool(name: $0, prefixes: byName[$0] ?? []) }, exceptions: exceptions)
    }

    /// The lines of a pools file (or of a list of addresses in the same form) that hold
    /// fields, with their numbers from 1: `#` starts a comment; fields are separated by blanks.
    public static func lines(of text: String) -> [(number: Int, fields: [Substring])] {
        var lines: [(number: Int, fields: [Substring])] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if !fields.isEmpty { lines.append((index + 1, fields)) }
        }
        return lines
    }

    /// Pool names are used in JSON keys and rule comments: a small, safe alphabet.
    static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
                || byte == 0x5F || byte == 0x2E
        }
    }

    /// The minimal CIDR prefixes of ``ranges`` of `family`, in address order: what the rules list.
    public func prefixes(_ family: IPAddress.Family) -> [IPPrefix] {
        ranges.filter { $0.family == family }.flatMap(\.prefixes)
    }

    /// The ranges of the pool named `name` (empty when there is none).
    public func ranges(of name: String) -> [AddressRange] {
        guard let index = pools.firstIndex(where: { $0.name == name }) else { return [] }
        return poolRanges[index]
    }
}

/// Every problem of a refused pools file.
public struct PoolsParseFailure: Error, Sendable, CustomStringConvertible {
    public let problems: [PoolsError]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

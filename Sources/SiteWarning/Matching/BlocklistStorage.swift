import Addressing
import TextScanning

/// The hash of a name's lower-case text, folded from its **last** byte to its first, so that a
/// lookup walking a query name from its rightmost label extends one running hash and probes
/// each label suffix (`example`, `evil.example`, `a.evil.example`) without rehashing.
/// FNV-1a over the bytes in reverse, 64 bits.
enum SuffixHash {
    static let seed: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    @inline(__always) static func step(_ h: UInt64, _ byte: UInt8) -> UInt64 {
        (h ^ UInt64(ASCII.lower(byte))) &* prime
    }

    /// The hash of all of `b` (already lower case or not).
    static func of(_ b: Bytes) -> UInt64 {
        var h = seed
        var i = b.count
        while i > 0 {
            i -= 1
            h = step(h, b[i])
        }
        return h
    }

    /// A hash's table tag: its high bits, kept beside the node index so most probes that miss
    /// never touch the name arena.
    @inline(__always) static func tag(_ h: UInt64) -> UInt64 { (h >> 32) | 1 }
}

/// One distinct name: where its text is in the arena, and its first rule (12 bytes).
struct NameNode: Sendable {
    var start: UInt32
    var length: UInt16
    var firstRule: UInt32
}

/// One entry of one list on a name (24 bytes).
struct Rule: Sendable {
    /// The next rule on the same name, or `Rule.none`.
    var next: UInt32
    var node: UInt32
    var line: UInt32
    /// The offset of the comment's length byte in the comment arena; 0: no comment.
    var comment: UInt32
    /// The local data's index, or `Rule.none`.
    var data: UInt32
    var list: UInt16
    /// The scope (bits 0–1) and the kind that decides (bits 2–3: the list's, or `allow` for a PASSTHRU entry).
    var flags: UInt8
    var action: UInt8

    init(next: UInt32, node: UInt32, line: UInt32, comment: UInt32, data: UInt32, list: UInt16, scope: UInt8, action: UInt8, kind: UInt8) {
        self.next = next
        self.node = node
        self.line = line
        self.comment = comment
        self.data = data
        self.list = list
        self.flags = scope | kind << 2
        self.action = action
    }

    @inline(__always) var scope: UInt8 { flags & 3 }
    @inline(__always) var kind: UInt8 { flags >> 2 }

    static let none = UInt32.max
}

extension ListKind {
    var code: UInt8 {
        switch self {
        case .malwareSite: 0
        case .cnc: 1
        case .allow: 2
        }
    }

    init(code: UInt8) {
        switch code {
        case 0: self = .malwareSite
        case 1: self = .cnc
        default: self = .allow
        }
    }
}

/// The storage of a ``Blocklist``: names in one contiguous byte arena, an open-addressing table
/// of (tag, node) slots, nodes and rules in flat arrays of trivial structs. No per-entry object,
/// no per-entry `String`.
struct BlocklistStorage: Sendable {
    var arena: [UInt8] = []
    var nodes: [NameNode] = []
    /// `tag << 32 | (node + 1)`; 0 is empty. The count is a power of two.
    var slots: [UInt64] = Array(repeating: 0, count: 1024)
    var rules: [Rule] = []
    /// Comments, each a length byte then its bytes; offset 0 is a placeholder (0 means none).
    var comments: [UInt8] = [0]
    var localData: [[IPAddress]] = []
    var lists: [ListInfo] = []

    init() {}

    /// The node of `name` (lower case, validated), if present.
    func find(_ name: Bytes, hash h: UInt64) -> Int? {
        let mask = slots.count - 1
        let tag = SuffixHash.tag(h)
        var i = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slotsBuffer in
            while true {
                let slot = slotsBuffer[i]
                if slot == 0 { return nil }
                if slot >> 32 == tag {
                    let node = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                    if equalsName(node, name) { return node }
                }
                i = (i + 1) & mask
            }
        }
    }

    /// Whether node `node`'s name equals `name`, ignoring the case of `name`'s letters.
    @inline(__always) func equalsName(_ node: Int, _ name: Bytes) -> Bool {
        let n = nodes[node]
        guard Int(n.length) == name.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            let s = Int(n.start)
            var k = 0
            while k < name.count {
                if a[s + k] != ASCII.lower(name[k]) { return false }
                k += 1
            }
            return true
        }
    }

    /// The node of `name` (lower case, validated), added when new.
    mutating func findOrInsert(_ name: Bytes) -> Int {
        let h = SuffixHash.of(name)
        if let found = find(name, hash: h) { return found }
        if (nodes.count + 1) * 2 > slots.count { grow() }
        let node = nodes.count
        nodes.append(NameNode(start: UInt32(arena.count), length: UInt16(name.count), firstRule: Rule.none))
        arena.append(contentsOf: name)
        place(node: node, hash: h)
        return node
    }

    private mutating func place(node: Int, hash h: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = SuffixHash.tag(h) << 32 | UInt64(node + 1)
    }

    private mutating func grow() { resize(to: slots.count * 2) }

    private mutating func resize(to count: Int) {
        slots = []
        slots = Array(repeating: 0, count: count)
        for node in nodes.indices {
            let n = nodes[node]
            let h = arena.withUnsafeBufferPointer { a in SuffixHash.of(a.sub(Int(n.start)..<(Int(n.start) + Int(n.length)))) }
            place(node: node, hash: h)
        }
    }

    /// The name of a node as bytes (a copy).
    func name(ofNode node: Int) -> [UInt8] {
        let n = nodes[node]
        return Array(arena[Int(n.start)..<(Int(n.start) + Int(n.length))])
    }

    /// Appends `rule` to its node's chain; returns its index.
    mutating func append(_ rule: Rule) -> UInt32 {
        let index = UInt32(rules.count)
        rules.append(rule)
        let node = Int(rule.node)
        var last = nodes[node].firstRule
        if last == Rule.none {
            nodes[node].firstRule = index
        } else {
            while rules[Int(last)].next != Rule.none { last = rules[Int(last)].next }
            rules[Int(last)].next = index
        }
        return index
    }

    /// Reserves room for a list file of `bytes` bytes, so that loading it grows no array by
    /// doubling (each doubling leaves the old buffer behind in the allocator's heap, which the
    /// process keeps). Reserved pages that stay unused are never touched, so an overestimate
    /// costs address space, not memory; the hash table is sized for a denser file (12 bytes an
    /// entry) at a load of at most one half.
    mutating func reserve(forFileBytes size: Int) {
        let bytes = min(size, 1 << 30)  // beyond 1 GiB, grow as needed rather than zero a huge table up front
        let entries = bytes / 12 + 16
        arena.reserveCapacity(arena.count + bytes)
        nodes.reserveCapacity(nodes.count + entries)
        rules.reserveCapacity(rules.count + entries)
        var wanted = slots.count
        while (nodes.count + bytes / 20 + 16) * 2 > wanted { wanted *= 2 }
        if wanted > slots.count { resize(to: wanted) }
    }

    /// The rule of list `list` with `scope` on `node`, if any.
    func rule(onNode node: Int, list: UInt16, scope: UInt8) -> UInt32? {
        var r = nodes[node].firstRule
        while r != Rule.none {
            let rule = rules[Int(r)]
            if rule.list == list && rule.scope == scope { return r }
            r = rule.next
        }
        return nil
    }
}

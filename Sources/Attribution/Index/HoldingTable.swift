import Addressing
import TextScanning

/// The holdings of one (family, prefix length), sorted by (network, from), as parallel
/// arrays in memory allocated once and never changed (hence `@unchecked Sendable`: the
/// buffers are written only in `init` and freed in `deinit`).
final class Group: @unchecked Sendable {
    /// `to` of a holding without end.
    static let open = UInt32.max
    /// `ports` of a holding of the whole address (lower bound 65535 > upper bound 0).
    static let noPorts: UInt32 = 0xFFFF_0000
    /// Bit of `Row.session`: `to` is an estimate (grace period). Session ids stay below 2^31.
    static let estimatedEnd: UInt32 = 1 << 31

    /// One holding's times and ids (24 bytes).
    struct Row {
        var from: UInt32
        var to: UInt32
        /// The largest `to` from the start of this row's network run up to this row.
        var maxTo: UInt32
        /// `lower << 16 | upper`, or `noPorts`.
        var ports: UInt32
        var subscriber: UInt32
        /// Session id, with `estimatedEnd` as its top bit.
        var session: UInt32
    }

    let family: IPAddress.Family
    let length: Int
    let count: Int
    /// Network, IPv4 (empty for IPv6).
    let keys32: UnsafeMutableBufferPointer<UInt32>
    /// Network bits 127…64, IPv6 (empty for IPv4).
    let keysHi: UnsafeMutableBufferPointer<UInt64>
    /// Network bits 63…0, IPv6 longer than /64 (else empty).
    let keysLo: UnsafeMutableBufferPointer<UInt64>
    /// Times, ports and ids of each row, together: one cache line serves a lookup's scan.
    let rows: UnsafeMutableBufferPointer<Row>
    /// The network mask for this length (in the family's value space).
    let mask: UInt128
    /// Open-addressing (linear probing) hash table of the distinct networks, load ≤ 3/4, one
    /// `UInt64` a network: `fingerprint << 32 | (first row + 1)`, 0 = empty. The fingerprint is
    /// the IPv4 network itself (exact), or 32 bits of the IPv6 network's hash (checked against
    /// the keys). A lookup reads one slot (eight to a cache line), then the network's keys and rows.
    let slots: UnsafeMutableBufferPointer<UInt64>
    /// `64 − log2(slots.count)`: a network's first slot is the top bits of its hash.
    let slotShift: UInt64

    /// Builds the table from rows already sorted by (network, from, …) and free of duplicates.
    init(family: IPAddress.Family, length: Int, rows input: ArraySlice<IndexRow>) {
        self.family = family
        self.length = length
        let n = input.count
        count = n
        let v6 = family == .v6
        keys32 = .allocate(capacity: v6 ? 0 : n)
        keysHi = .allocate(capacity: v6 ? n : 0)
        keysLo = .allocate(capacity: v6 && length > 64 ? n : 0)
        self.rows = .allocate(capacity: n)
        mask = IPPrefix.mask(family, length)

        var i = 0
        var runMax: UInt32 = 0
        var prevHi: UInt64 = 0
        var prevLo: UInt64 = 0
        var runs = 0
        for r in input {
            if v6 {
                keysHi[i] = r.hi
                if length > 64 { keysLo[i] = r.lo }
            } else {
                keys32[i] = UInt32(truncatingIfNeeded: r.lo)
            }
            if i == 0 || r.hi != prevHi || r.lo != prevLo {
                runMax = 0
                runs += 1
            }
            runMax = max(runMax, r.to)
            prevHi = r.hi
            prevLo = r.lo
            self.rows[i] = Row(
                from: r.from, to: r.to, maxTo: runMax, ports: r.ports, subscriber: r.subscriber,
                session: r.session | (r.flags & 1 != 0 ? Group.estimatedEnd : 0))
            i += 1
        }

        // Hash table of the runs.
        var slotBits = 1
        while (1 << slotBits) * 3 < runs * 4 { slotBits += 1 }
        slotShift = UInt64(64 - slotBits)
        slots = .allocate(capacity: 1 << slotBits)
        slots.initialize(repeating: 0)
        let slotMask = (1 << slotBits) - 1
        var s = 0
        while s < n {
            var e = s + 1
            if v6 {
                while e < n, keysHi[e] == keysHi[s], length <= 64 || keysLo[e] == keysLo[s] { e += 1 }
            } else {
                while e < n, keys32[e] == keys32[s] { e += 1 }
            }
            let hash =
                v6 ? Group.hash(keysHi[s], length > 64 ? keysLo[s] : 0) : Group.hash(0, UInt64(keys32[s]))
            let fingerprint = v6 ? hash & 0xFFFF_FFFF : UInt64(keys32[s])
            var h = Int(truncatingIfNeeded: hash >> slotShift)
            while slots[h] != 0 { h = (h + 1) & slotMask }
            slots[h] = fingerprint << 32 | UInt64(s + 1)
            s = e
        }
    }

    /// A group read back from a snapshot: the buffers already filled.
    init(
        family: IPAddress.Family, length: Int, count: Int, keys32: UnsafeMutableBufferPointer<UInt32>,
        keysHi: UnsafeMutableBufferPointer<UInt64>, keysLo: UnsafeMutableBufferPointer<UInt64>, rows: UnsafeMutableBufferPointer<Row>,
        slots: UnsafeMutableBufferPointer<UInt64>, slotShift: UInt64
    ) {
        self.family = family
        self.length = length
        self.count = count
        self.keys32 = keys32
        self.keysHi = keysHi
        self.keysLo = keysLo
        self.rows = rows
        self.mask = IPPrefix.mask(family, length)
        self.slots = slots
        self.slotShift = slotShift
    }

    deinit {
        keys32.deallocate()
        keysHi.deallocate()
        keysLo.deallocate()
        rows.deallocate()
        slots.deallocate()
    }

    var memoryBytes: Int {
        keys32.count * 4 + keysHi.count * 8 + keysLo.count * 8 + rows.count * MemoryLayout<Row>.stride
            + slots.count * 8 + MemoryLayout<Group>.size + 64
    }

    /// A 64-bit hash of a network (IPv4 in `lo`; IPv6 bits 127…64 in `hi`, 63…0 in `lo`).
    @inline(__always) static func hash(_ hi: UInt64, _ lo: UInt64) -> UInt64 {
        var z = (hi ^ (lo &* 0xBF58_476D_1CE4_E5B9)) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 31)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }

    /// The network of row `i`.
    func network(_ i: Int) -> UInt128 {
        if family == .v4 { return UInt128(keys32[i]) }
        let lo: UInt64 = length > 64 ? keysLo[i] : 0
        return UInt128(keysHi[i]) << 64 | UInt128(lo)
    }

    /// The rows whose network contains `value` (an address of this family), or nil.
    @inline(__always) func run(of value: UInt128) -> Range<Int>? {
        guard count > 0 else { return nil }
        let net = value & mask
        let slotMask = slots.count - 1
        if family == .v4 {
            let k = UInt32(truncatingIfNeeded: net)
            let want = UInt64(k)
            var h = Int(truncatingIfNeeded: Group.hash(0, want) >> slotShift)
            while true {
                let slot = slots[h]
                if slot == 0 { return nil }
                if slot >> 32 == want {
                    let start = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                    return start..<runEnd(start) { keys32[$0] == k }
                }
                h = (h + 1) & slotMask
            }
        }
        let kh = UInt64(truncatingIfNeeded: net >> 64)
        let wide = length > 64
        let kl = wide ? UInt64(truncatingIfNeeded: net) : 0
        let hash = Group.hash(kh, kl)
        let want = hash & 0xFFFF_FFFF
        var h = Int(truncatingIfNeeded: hash >> slotShift)
        while true {
            let slot = slots[h]
            if slot == 0 { return nil }
            if slot >> 32 == want {
                let start = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                if keysHi[start] == kh && (!wide || keysLo[start] == kl) {
                    if wide { return start..<runEnd(start) { keysHi[$0] == kh && keysLo[$0] == kl } }
                    return start..<runEnd(start) { keysHi[$0] == kh }
                }
            }
            h = (h + 1) & slotMask
        }
    }

    /// The end of the run starting at `start` (`same(start)` holds; `same` holds on a
    /// contiguous range): a short gallop, then a binary search.
    @inline(__always) func runEnd(_ start: Int, _ same: (Int) -> Bool) -> Int {
        var known = start
        var step = 1
        var probe = start + 1
        while probe < count && same(probe) {
            known = probe
            step &<<= 1
            probe = known + step
        }
        var lo = known + 1
        var hi = min(probe, count)
        while lo < hi {
            let m = (lo &+ hi) >> 1
            if same(m) { lo = m + 1 } else { hi = m }
        }
        return lo
    }

    /// Calls `body` for each row of `run` with `from ≤ hi` and `to ≥ lo` (seconds).
    @inline(__always) func scan(run: Range<Int>, lo: Int64, hi: Int64, _ body: (Int) -> Void) {
        var a = run.lowerBound
        var b = run.upperBound
        while a < b {  // first row with from > hi
            let m = (a &+ b) >> 1
            if Int64(rows[m].from) <= hi { a = m + 1 } else { b = m }
        }
        var i = a - 1
        while i >= run.lowerBound {
            let r = rows[i]
            if Int64(r.maxTo) < lo { break }
            if Int64(r.to) >= lo { body(i) }
            i -= 1
        }
    }
}

/// One holding in the builder: network, times and ids, before sorting into a ``Group``.
struct IndexRow {
    /// Network bits 127…64 (IPv6; 0 for IPv4).
    var hi: UInt64
    /// Network bits 63…0 (IPv6), or the IPv4 network.
    var lo: UInt64
    var from: UInt32
    var to: UInt32
    var subscriber: UInt32
    var session: UInt32
    var ports: UInt32
    var flags: UInt8
    var length: UInt8
    var v6: Bool

    /// The network value (IPv4 in the low 32 bits).
    var key: UInt128 { UInt128(hi) << 64 | UInt128(lo) }

    @inline(__always) static func precedes(_ a: IndexRow, _ b: IndexRow) -> Bool {
        if a.v6 != b.v6 { return !a.v6 }
        if a.length != b.length { return a.length > b.length }
        if a.hi != b.hi { return a.hi < b.hi }
        if a.lo != b.lo { return a.lo < b.lo }
        if a.from != b.from { return a.from < b.from }
        if a.to != b.to { return a.to < b.to }
        if a.subscriber != b.subscriber { return a.subscriber < b.subscriber }
        if a.session != b.session { return a.session < b.session }
        if a.ports != b.ports { return a.ports < b.ports }
        return a.flags < b.flags
    }

    @inline(__always) static func same(_ a: IndexRow, _ b: IndexRow) -> Bool {
        a.v6 == b.v6 && a.length == b.length && a.hi == b.hi && a.lo == b.lo && a.from == b.from && a.to == b.to
            && a.subscriber == b.subscriber && a.session == b.session && a.ports == b.ports && a.flags == b.flags
    }
}

import Addressing

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
    /// Leading bits (of the left-aligned 128-bit key) common to every row.
    let common: Int
    let commonValue: UInt128
    /// Radix bits taken after the common prefix; `buckets[b]..<buckets[b + 1]` holds bucket `b`.
    let bucketBits: Int
    let buckets: UnsafeMutableBufferPointer<UInt32>

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
        for r in input {
            if v6 {
                keysHi[i] = r.hi
                if length > 64 { keysLo[i] = r.lo }
            } else {
                keys32[i] = UInt32(truncatingIfNeeded: r.lo)
            }
            if i == 0 || r.hi != prevHi || r.lo != prevLo { runMax = 0 }
            runMax = max(runMax, r.to)
            prevHi = r.hi
            prevLo = r.lo
            self.rows[i] = Row(
                from: r.from, to: r.to, maxTo: runMax, ports: r.ports, subscriber: r.subscriber,
                session: r.session | (r.flags & 1 != 0 ? Group.estimatedEnd : 0))
            i += 1
        }

        // Radix table on the bits after the common prefix.
        let first = n > 0 ? Group.aligned(family, input.first!.key) : 0
        let last = n > 0 ? Group.aligned(family, input.last!.key) : 0
        let c = n > 1 ? min((first ^ last).leadingZeroBitCount, length) : length
        common = c
        commonValue = first
        var bits = 0
        if n >= 64 {
            bits = min(20, max(0, Int.bitWidth - n.leadingZeroBitCount - 1 - 5))
        }
        bits = min(bits, length - c)
        bucketBits = bits
        let bucketCount = 1 << bits
        buckets = .allocate(capacity: bucketCount + 1)
        buckets.initialize(repeating: 0)
        if bits > 0 {
            for r in input {
                let b = Group.bucket(Group.aligned(family, r.key), common: c, bits: bits)
                buckets[b + 1] += 1
            }
            for b in 0..<bucketCount { buckets[b + 1] += buckets[b] }
        } else {
            buckets[1] = UInt32(n)
        }
    }

    deinit {
        keys32.deallocate()
        keysHi.deallocate()
        keysLo.deallocate()
        rows.deallocate()
        buckets.deallocate()
    }

    var memoryBytes: Int {
        keys32.count * 4 + keysHi.count * 8 + keysLo.count * 8 + rows.count * MemoryLayout<Row>.stride + buckets.count * 4
            + MemoryLayout<Group>.size + 64
    }

    /// The key left-aligned in 128 bits (IPv4 in the top 32).
    @inline(__always) static func aligned(_ family: IPAddress.Family, _ value: UInt128) -> UInt128 {
        family == .v4 ? value &<< 96 : value
    }

    @inline(__always) static func bucket(_ alignedKey: UInt128, common: Int, bits: Int) -> Int {
        Int(truncatingIfNeeded: (alignedKey &<< UInt128(common)) &>> UInt128(128 - bits))
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
        let q = Group.aligned(family, net)
        if common > 0 {
            if common >= 128 {
                guard q == commonValue else { return nil }
            } else if (q ^ commonValue) &>> UInt128(128 - common) != 0 {
                return nil
            }
        }
        let b = bucketBits == 0 ? 0 : Group.bucket(q, common: common, bits: bucketBits)
        var lo = Int(buckets[b])
        var hi = Int(buckets[b + 1])
        guard lo < hi else { return nil }
        if family == .v4 {
            let k = UInt32(truncatingIfNeeded: net)
            while lo < hi {  // lower bound
                let m = (lo &+ hi) >> 1
                if keys32[m] < k { lo = m + 1 } else { hi = m }
            }
            guard lo < count, keys32[lo] == k else { return nil }
            var end = lo + 1
            var top = Int(buckets[b + 1])
            while end < top {  // upper bound
                let m = (end &+ top) >> 1
                if keys32[m] <= k { end = m + 1 } else { top = m }
            }
            return lo..<end
        }
        let kh = UInt64(truncatingIfNeeded: net >> 64)
        let kl = UInt64(truncatingIfNeeded: net)
        let wide = length > 64
        @inline(__always) func less(_ m: Int) -> Bool {
            keysHi[m] != kh ? keysHi[m] < kh : wide && keysLo[m] < kl
        }
        @inline(__always) func lessOrEqual(_ m: Int) -> Bool {
            keysHi[m] != kh ? keysHi[m] < kh : !wide || keysLo[m] <= kl
        }
        while lo < hi {
            let m = (lo &+ hi) >> 1
            if less(m) { lo = m + 1 } else { hi = m }
        }
        guard lo < count, keysHi[lo] == kh, !wide || keysLo[lo] == kl else { return nil }
        var end = lo + 1
        var top = Int(buckets[b + 1])
        while end < top {
            let m = (end &+ top) >> 1
            if lessOrEqual(m) { end = m + 1 } else { top = m }
        }
        return lo..<end
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

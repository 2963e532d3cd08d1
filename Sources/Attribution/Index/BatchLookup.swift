public import Addressing
internal import CMamoriPrefetch
public import Foundation

/// One question of a batch: who held `address` at `time` (and `port`, for CGN-shared addresses)?
public struct AttributionQuery: Sendable, Hashable {
    public var address: IPAddress
    public var time: Date
    public var port: UInt16?

    /// A query, as ``AttributionIndex/holder(of:at:port:)`` takes it.
    public init(address: IPAddress, at time: Date, port: UInt16? = nil) {
        self.address = address
        self.time = time
        self.port = port
    }
}

extension AttributionIndex {
    /// Queries resolved together: their cache misses overlap. Sixteen queries touch at most 32
    /// slots (two IPv6 lengths each), about the misses a core keeps in flight.
    public static let batchSize = 16

    /// Who held each queried address at its time: the answers of ``holder(of:at:port:)``, in
    /// order, appended to `answers`. Unaudited, as the single lookup.
    ///
    /// A lookup waits on memory: the network's hash slot, then its keys and rows, each usually a
    /// cache miss. This takes the queries ``batchSize`` at a time and, before answering any of
    /// them, hints the slots of all (first pass), then reads the slots and hints the keys and rows
    /// they point to (second pass), so that the misses of the group are fetched together rather
    /// than one after the other. The third pass answers each query with the single lookup itself,
    /// now on cached lines: the answers are the single lookup's by construction.
    @_spi(Unaudited) public func holders(of queries: [AttributionQuery], into answers: inout [AttributionAnswer]) {
        answers.reserveCapacity(answers.count + queries.count)
        let views = groups.map(GroupView.init)
        let v4 = views.filter { $0.family == .v4 && $0.count > 0 }
        let v6 = views.filter { $0.family == .v6 && $0.count > 0 }
        let width = Self.batchSize
        let perQuery = max(v4.count, v6.count)
        // Per query and group of its family: the slot to start probing at.
        var start = [Int](repeating: 0, count: width * max(1, perQuery))
        let skew = config.skew
        queries.withUnsafeBufferPointer { qs in
            start.withUnsafeMutableBufferPointer { start in
                var base = 0
                while base < qs.count {
                    let end = min(base + width, qs.count)
                    // 1: hash every query against every table of its family; hint the slot.
                    for i in base..<end {
                        let a = qs[i].address.unmappedV4 ?? qs[i].address
                        let tables = a.family == .v4 ? v4 : v6
                        for j in tables.indices {
                            let h = tables[j].firstSlot(a.value)
                            start[(i - base) * perQuery + j] = h
                            mamori_prefetch(tables[j].slots.baseAddress! + h)
                        }
                    }
                    // 2: read the slots; hint the keys and rows of the network found.
                    for i in base..<end {
                        let a = qs[i].address.unmappedV4 ?? qs[i].address
                        let tables = a.family == .v4 ? v4 : v6
                        for j in tables.indices {
                            tables[j].prefetchRun(a.value, slot: start[(i - base) * perQuery + j])
                        }
                    }
                    // 3: answer, one query at a time.
                    for i in base..<end {
                        answers.append(holder(of: qs[i].address, at: qs[i].time, port: qs[i].port, skew: skew))
                    }
                    base = end
                }
            }
        }
    }

    /// The answers of ``holders(of:into:)``, as an array.
    @_spi(Unaudited) public func holders(of queries: [AttributionQuery]) -> [AttributionAnswer] {
        var answers: [AttributionAnswer] = []
        holders(of: queries, into: &answers)
        return answers
    }
}

/// The buffers of a ``Group``, without the class: plain values a batch's passes read with no
/// reference counting. Valid while the index holding the group lives.
struct GroupView {
    let family: IPAddress.Family
    let count: Int
    let wide: Bool
    let mask: UInt128
    let slots: UnsafeMutableBufferPointer<UInt64>
    let slotShift: UInt64
    let keys32: UnsafeMutableBufferPointer<UInt32>
    let keysHi: UnsafeMutableBufferPointer<UInt64>
    let keysLo: UnsafeMutableBufferPointer<UInt64>
    let rows: UnsafeMutableBufferPointer<Group.Row>

    init(_ g: Group) {
        family = g.family
        count = g.count
        wide = g.family == .v6 && g.length > 64
        mask = g.mask
        slots = g.slots
        slotShift = g.slotShift
        keys32 = g.keys32
        keysHi = g.keysHi
        keysLo = g.keysLo
        rows = g.rows
    }

    /// The network of `value` in this table: `(hi, lo)` as ``Group/hash(_:_:)`` takes them.
    @inline(__always) func key(_ value: UInt128) -> (hi: UInt64, lo: UInt64) {
        let net = value & mask
        if family == .v4 { return (0, UInt64(UInt32(truncatingIfNeeded: net))) }
        return (UInt64(truncatingIfNeeded: net >> 64), wide ? UInt64(truncatingIfNeeded: net) : 0)
    }

    /// The slot where ``Group/run(of:)`` starts probing for `value`.
    @inline(__always) func firstSlot(_ value: UInt128) -> Int {
        let k = key(value)
        return Int(truncatingIfNeeded: Group.hash(k.hi, k.lo) >> slotShift)
    }

    /// Probes from `slot` as ``Group/run(of:)`` does and hints the first row (key and times) of
    /// the network whose fingerprint matches; nothing when the network is absent.
    @inline(__always) func prefetchRun(_ value: UInt128, slot first: Int) {
        let k = key(value)
        let want = family == .v4 ? k.lo : Group.hash(k.hi, k.lo) & 0xFFFF_FFFF
        let slotMask = slots.count - 1
        var h = first
        while true {
            let slot = slots[h]
            if slot == 0 { return }
            if slot >> 32 == want {
                let row = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                if family == .v4 {
                    mamori_prefetch(keys32.baseAddress! + row)
                } else {
                    mamori_prefetch(keysHi.baseAddress! + row)
                    if wide { mamori_prefetch(keysLo.baseAddress! + row) }
                }
                let r = rows.baseAddress! + row
                mamori_prefetch(r)
                // A run's rows usually span two lines (24 bytes each).
                mamori_prefetch(UnsafeRawPointer(r) + 64)
                return
            }
            h = (h + 1) & slotMask
        }
    }
}

import Addressing
import Foundation
import MamoriTesting
import Runtime
import TextScanning

/// One synthetic holding of the attribution benchmark (kept compact: 10 million of them are
/// generated in memory and handed to both Mamori's index and PostgreSQL).
struct BenchSession {
    enum Kind: UInt8 {
        /// A RADIUS session's Framed-IP-Address (/32) from the subscriber pools.
        case v4
        /// A Delegated-IPv6-Prefix (/56).
        case v6Delegated
        /// A Framed-IPv6-Prefix (/64).
        case v6Framed
        /// A CGN port block on a shared public address (/32 and a port range).
        case cgn
    }

    /// The IPv4 address (low 32 bits) or the IPv6 network's bits 127…64.
    var value: UInt64
    var from: UInt32
    /// `UInt32.max` while open.
    var to: UInt32
    var subscriber: UInt32
    var session: UInt32
    var portLo: UInt16
    var portHi: UInt16
    var kind: Kind

    static let open = UInt32.max

    var isOpen: Bool { to == Self.open }
    var isV6: Bool { kind == .v6Delegated || kind == .v6Framed }
    var prefixLength: Int {
        switch kind {
        case .v4, .cgn: 32
        case .v6Delegated: 56
        case .v6Framed: 64
        }
    }

    var prefix: IPPrefix {
        isV6
            ? IPPrefix(IPAddress(v6: UInt128(value) << 64), length: prefixLength)!
            : IPPrefix(host: IPAddress(v4: UInt32(truncatingIfNeeded: value)))
    }

    var portRange: ClosedRange<UInt16>? { kind == .cgn ? portLo...portHi : nil }

    /// Whether `other` is the next holding of the same lane (address, or CGN block).
    func sameLane(_ other: BenchSession) -> Bool {
        kind == other.kind && value == other.value && portLo == other.portLo
    }

    /// The subscriber's user name (`u01234567@isp.example`).
    static func subscriberName(_ id: UInt32) -> String {
        String(unsafeUninitializedCapacity: 21) { b in
            b[0] = UInt8(ascii: "u")
            var v = id
            for i in stride(from: 8, through: 1, by: -1) {
                b[i] = UInt8(0x30 + v % 10)
                v /= 10
            }
            for (i, c) in "@isp.example".utf8.enumerated() { b[9 + i] = c }
            return 21
        }
    }

    /// The session's Acct-Unique-Session-Id (16 hex digits derived from its number).
    static func sessionName(_ id: UInt32) -> String {
        var z = UInt64(id) &* 0x9E37_79B9_7F4A_7C15 &+ 0x6A09_E667_F3BC_C908
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return String(unsafeUninitializedCapacity: 16) { b in
            for i in 0..<16 {
                let d = UInt8((z >> UInt64(60 - 4 * i)) & 0xF)
                b[i] = d < 10 ? 0x30 + d : 0x57 + d
            }
            return 16
        }
    }
}

/// Generates a realistic, deterministic mix of holdings from a seed.
///
/// Holdings come in *lanes*: one address (or CGN port block, or IPv6 prefix) held by a
/// sequence of subscribers one after another, with gaps between them (5 % of the gaps are
/// shorter than the 60 s clock-skew tolerance, so queries near those handovers are ambiguous).
/// Mix by holdings: 65 % IPv4 /32 (100.64.0.0/10 and 10.0.0.0/9, about 8 holdings per
/// address), 15 % IPv6 /56 delegated and 12 % /64 framed (2001:db8::/32), 8 % CGN port
/// blocks (64 blocks of 1,008 ports on public addresses in 10.128.0.0/9). The last holding of a
/// lane is left open often enough that about 10 % of all holdings are open. There are a
/// third as many subscribers as holdings. Times lie in 2026 (from 2026-01-01T00:00:00Z).
///
/// The holdings of a seed are a prefix of those of the same seed with a larger count, so a
/// smaller peer run sees the same data as the start of the larger one.
struct SessionGenerator {
    /// 2026-01-01T00:00:00Z.
    static let epoch: UInt32 = 1_767_225_600
    static let cgnBlocks = 64
    static let cgnBlockSize = 1008
    static let cgnFirstPort = 1024

    let seed: UInt64

    /// The address of IPv4 lane `k` (scattered over the pools; distinct for distinct `k`).
    static func v4Address(lane k: Int) -> UInt32 {
        if k < 1 << 22 { return 0x6440_0000 | scatter(UInt32(k), bits: 22) }  // 100.64.0.0/10
        return 0x0A00_0000 | scatter(UInt32(truncatingIfNeeded: k - (1 << 22)), bits: 23)  // 10.0.0.0/9
    }

    static func cgnAddress(group c: Int) -> UInt32 { 0x0A80_0000 | scatter(UInt32(truncatingIfNeeded: c), bits: 23) }  // 10.128.0.0/9

    static func delegatedPrefix(lane k: Int) -> UInt64 {
        0x2001_0DB8 << 32 | UInt64(scatter(UInt32(truncatingIfNeeded: k), bits: 23)) << 8
    }

    static func framedPrefix(lane k: Int) -> UInt64 {
        0x2001_0DB8 << 32 | 1 << 31 | UInt64(scatter(UInt32(truncatingIfNeeded: k), bits: 31))
    }

    /// A bijection of `0..<2^bits` (odd multiplier modulo a power of two).
    static func scatter(_ k: UInt32, bits: Int) -> UInt32 {
        (k &* 0x9E37_79B1) & ((1 << UInt32(bits)) - 1)
    }

    /// Lanes used, per kind (the next index of each kind is unused: a guaranteed miss).
    struct Lanes {
        var v4 = 0
        var delegated = 0
        var framed = 0
        var cgn = 0
    }

    func generate(count: Int) -> (sessions: [BenchSession], subscribers: Int, lanes: Lanes) {
        var rng = BenchRandom(seed: seed)
        let subscriberCount = max(2, count / 3)
        var out: [BenchSession] = []
        out.reserveCapacity(count)
        var lanes = Lanes()
        var sessionNumber: UInt32 = 0

        // Lane kind weights = share of holdings / mean holdings per lane.
        let weights: [Double] = [0.65 / 8, 0.15 / 3, 0.12 / 4, 0.08 / Double(Self.cgnBlocks * 4)]
        let total = weights.reduce(0, +)
        let cumulative = weights.indices.map { weights[0...$0].reduce(0, +) / total }

        func lane(
            _ kind: BenchSession.Kind, value: UInt64, ports: (UInt16, UInt16), sessions k: Int, scale: UInt32,
            rng: inout BenchRandom
        ) {
            var t = Self.epoch + UInt32(rng.below(2 * 86_400))
            var previous: UInt32 = .max
            let openLast = rng.chance(min(1, 0.1 * Double(k)))
            for j in 0..<k where out.count < count {
                let duration: UInt32
                let r = rng.below(10)
                if r < 4 {
                    duration = UInt32(rng.within(300...21_600))
                } else if r < 8 {
                    duration = UInt32(rng.within(21_600...259_200))
                } else {
                    duration = UInt32(rng.within(259_200...1_728_000))
                }
                var subscriber = UInt32(rng.below(subscriberCount))
                if subscriber == previous && rng.chance(0.9) { subscriber = (subscriber + 1) % UInt32(subscriberCount) }
                previous = subscriber
                let from = t
                let to = j == k - 1 && openLast ? BenchSession.open : from + duration * scale
                out.append(
                    BenchSession(
                        value: value, from: from, to: to, subscriber: subscriber, session: sessionNumber,
                        portLo: ports.0, portHi: ports.1, kind: kind))
                sessionNumber &+= 1
                guard to != BenchSession.open else { break }
                let gap = rng.chance(0.05) ? UInt32(rng.below(60)) : UInt32(rng.within(121...14_400))
                t = to + gap
            }
        }

        while out.count < count {
            let x = Double(rng.next() >> 11) * 0x1p-53
            if x < cumulative[0] {
                lane(.v4, value: UInt64(Self.v4Address(lane: lanes.v4)), ports: (0, 0), sessions: rng.within(1...15), scale: 1, rng: &rng)
                lanes.v4 += 1
            } else if x < cumulative[1] {
                lane(
                    .v6Delegated, value: Self.delegatedPrefix(lane: lanes.delegated), ports: (0, 0), sessions: rng.within(1...5), scale: 3, rng: &rng)
                lanes.delegated += 1
            } else if x < cumulative[2] {
                lane(.v6Framed, value: Self.framedPrefix(lane: lanes.framed), ports: (0, 0), sessions: rng.within(1...7), scale: 1, rng: &rng)
                lanes.framed += 1
            } else {
                let address = UInt64(Self.cgnAddress(group: lanes.cgn))
                for b in 0..<Self.cgnBlocks where out.count < count {
                    let lo = UInt16(Self.cgnFirstPort + b * Self.cgnBlockSize)
                    lane(.cgn, value: address, ports: (lo, lo + UInt16(Self.cgnBlockSize - 1)), sessions: rng.within(1...7), scale: 1, rng: &rng)
                }
                lanes.cgn += 1
            }
        }
        return (out, subscriberCount, lanes)
    }
}

/// One benchmark query.
struct BenchQuery {
    enum Category: Int, CaseIterable {
        case middle, middleV6, missAddress, missTime, gap, boundaryStart, boundaryEnd, nearHandover, cgnNoPort, cgnOtherPort

        var name: String {
            switch self {
            case .middle: "middle of a holding"
            case .middleV6: "inside an IPv6 prefix"
            case .missAddress: "address never held"
            case .missTime: "before any holding"
            case .gap: "between two holdings"
            case .boundaryStart: "at a start"
            case .boundaryEnd: "at an end"
            case .nearHandover: "30 s after an end"
            case .cgnNoPort: "CGN address, no port"
            case .cgnOtherPort: "CGN address, port 80"
            }
        }
    }

    var address: IPAddress
    /// Seconds since 1970.
    var seconds: UInt32
    var port: UInt16?
    var category: Category

    var time: Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
}

extension SessionGenerator {
    /// `count` queries over `sessions` (deterministic from the seed): 50 % in the middle of a
    /// holding, 15 % inside an IPv6 prefix, 8 % an address nobody held, 7 % before any holding,
    /// 5 % in the gap between two holdings of a lane, 12 % at or just after a boundary (start,
    /// end, 30 s after an end: within the skew of a handover), 2 % a CGN address without a
    /// port and 1 % a CGN address with a port outside every block.
    static func queries(over sessions: ArraySlice<BenchSession>, lanes: Lanes, count: Int, seed: UInt64) -> [BenchQuery] {
        var rng = BenchRandom(seed: seed ^ 0x5155_4552_5953_4554)
        var out: [BenchQuery] = []
        out.reserveCapacity(count)
        let base = sessions.startIndex
        let n = sessions.count
        guard n > 0 else { return [] }
        let hasV6 = sessions.contains { $0.isV6 }
        let hasCGN = sessions.contains { $0.kind == .cgn }

        func address(in s: BenchSession, rng: inout BenchRandom) -> IPAddress {
            switch s.kind {
            case .v4, .cgn: return IPAddress(v4: UInt32(truncatingIfNeeded: s.value))
            case .v6Delegated:
                return IPAddress(v6: UInt128(s.value | UInt64(rng.below(256))) << 64 | UInt128(rng.next()))
            case .v6Framed:
                return IPAddress(v6: UInt128(s.value) << 64 | UInt128(rng.next()))
            }
        }
        func middle(of s: BenchSession, rng: inout BenchRandom) -> UInt32 {
            s.isOpen ? s.from + UInt32(rng.below(86_400)) : s.from + (s.to - s.from) / 2
        }
        func port(in s: BenchSession, rng: inout BenchRandom) -> UInt16? {
            s.kind == .cgn ? s.portLo + UInt16(rng.below(Int(s.portHi - s.portLo) + 1)) : nil
        }
        func pick(_ rng: inout BenchRandom, where ok: (BenchSession) -> Bool) -> Int? {
            for _ in 0..<64 {
                let i = base + rng.below(n)
                if ok(sessions[i]) { return i }
            }
            return nil
        }

        while out.count < count {
            let r = rng.below(100)
            var category: BenchQuery.Category
            switch r {
            case 0..<50: category = .middle
            case 50..<65: category = hasV6 ? .middleV6 : .middle
            case 65..<73: category = .missAddress
            case 73..<80: category = .missTime
            case 80..<85: category = .gap
            case 85..<89: category = .boundaryStart
            case 89..<93: category = .boundaryEnd
            case 93..<97: category = .nearHandover
            case 97..<99: category = hasCGN ? .cgnNoPort : .middle
            default: category = hasCGN ? .cgnOtherPort : .middle
            }
            switch category {
            case .middle:
                let s = sessions[base + rng.below(n)]
                out.append(
                    BenchQuery(
                        address: address(in: s, rng: &rng), seconds: middle(of: s, rng: &rng), port: port(in: s, rng: &rng), category: category))
            case .middleV6:
                guard let i = pick(&rng, where: { $0.isV6 }) else { continue }
                let s = sessions[i]
                out.append(BenchQuery(address: address(in: s, rng: &rng), seconds: middle(of: s, rng: &rng), port: nil, category: category))
            case .missAddress:
                let t = epoch + UInt32(rng.below(60 * 86_400))
                let a: IPAddress
                switch rng.below(3) {
                case 0: a = IPAddress(v4: v4Address(lane: lanes.v4 + rng.below(1 << 20)))
                case 1: a = IPAddress(v6: UInt128(delegatedPrefix(lane: lanes.delegated + rng.below(1 << 20))) << 64 | 1)
                default: a = IPAddress(v6: UInt128(framedPrefix(lane: lanes.framed + rng.below(1 << 20))) << 64 | UInt128(rng.next()))
                }
                out.append(BenchQuery(address: a, seconds: t, port: nil, category: category))
            case .missTime:
                let s = sessions[base + rng.below(n)]
                out.append(
                    BenchQuery(
                        address: address(in: s, rng: &rng), seconds: epoch - UInt32(rng.within(3_600...30 * 86_400)), port: port(in: s, rng: &rng),
                        category: category))
            case .gap:
                guard
                    let i = pick(&rng, where: { _ in true }).flatMap({ i -> Int? in
                        let s = sessions[i]
                        guard i + 1 < sessions.endIndex, !s.isOpen else { return nil }
                        let next = sessions[i + 1]
                        guard s.sameLane(next), next.from > s.to + 240 else { return nil }
                        return i
                    })
                else { continue }
                let s = sessions[i]
                let next = sessions[i + 1]
                out.append(
                    BenchQuery(
                        address: address(in: s, rng: &rng), seconds: s.to + (next.from - s.to) / 2, port: port(in: s, rng: &rng), category: category))
            case .boundaryStart:
                let s = sessions[base + rng.below(n)]
                out.append(BenchQuery(address: address(in: s, rng: &rng), seconds: s.from, port: port(in: s, rng: &rng), category: category))
            case .boundaryEnd, .nearHandover:
                guard let i = pick(&rng, where: { !$0.isOpen }) else { continue }
                let s = sessions[i]
                out.append(
                    BenchQuery(
                        address: address(in: s, rng: &rng), seconds: s.to + (category == .nearHandover ? 30 : 0), port: port(in: s, rng: &rng),
                        category: category))
            case .cgnNoPort, .cgnOtherPort:
                guard let i = pick(&rng, where: { $0.kind == .cgn }) else { continue }
                let s = sessions[i]
                out.append(
                    BenchQuery(
                        address: address(in: s, rng: &rng), seconds: middle(of: s, rng: &rng), port: category == .cgnNoPort ? nil : 80,
                        category: category))
            }
        }
        return out
    }
}

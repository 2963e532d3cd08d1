import Addressing
import Foundation
import TextScanning

extension AttributionIndex {
    /// Builds the index from parsed events of any formats, in any order, applying:
    ///
    /// **RADIUS** (`.start`, `.interim`, `.stop`), per (subscriber, session), in time order:
    /// - a session is held from its Start to its Stop, for every prefix any of its records
    ///   carries (a Start without an address is completed by an Interim-Update's);
    /// - an Interim-Update or Stop with `Acct-Session-Time` places the session's start at
    ///   `eventTime − Acct-Session-Time` (the Start may be in an earlier, rotated file);
    ///   without it, a lone Stop holds only its instant (widened by the skew);
    /// - a session with no Stop is held until its last Start/Interim-Update plus the grace:
    ///   `graceMultiplier` × the largest `Acct-Interim-Interval` of the session, else × the
    ///   largest gap observed between its records, else `defaultGrace` (the holding's
    ///   `endIsEstimated` is set);
    /// - a record whose derived start lies after the session was last seen (more than 60 s)
    ///   begins a new instance of the same session id (ids reused after a NAS restart).
    ///
    /// **DHCP** (`.lease`, `.release`), per address or delegated prefix, in start order (ties
    /// in input order), as a journal where a later record supersedes an earlier one:
    /// - the same client again while its lease runs (renewal, repeated dhcpd block, Kea
    ///   reclaim row): the lease continues, its end becomes the newer record's end;
    /// - a different client from time T while a lease runs: reassignment, the earlier lease
    ///   ends at T (the server cannot have given the address to two clients);
    /// - a `.release` at T ends the lease running at T (whoever's);
    /// - a lease with no end (`ends never`, infinite Kea lifetime) stays open.
    ///
    /// **CGN** (`.portBlock`), per allocation (public address, ports, start, subscriber): held
    /// from start to end, open while no row of the allocation gives an end; the latest end
    /// seen wins.
    public init(events: some Sequence<AssignmentEvent>, config: AttributionConfig = AttributionConfig()) {
        var builder = Builder(config: config)
        var assembly = EventAssembly(config: config)
        assembly.run(Array(events), into: &builder)
        self = builder.build()
    }
}

/// The session and lease semantics, turning events into holdings.
struct EventAssembly {
    let config: AttributionConfig

    /// A derived start more than this after the session was last seen begins a new instance.
    static let reuseTolerance: Int64 = 60

    init(config: AttributionConfig) {
        self.config = config
    }

    private struct SessionKey: Hashable {
        let subscriber: String
        let session: String
    }

    mutating func run(_ events: [AssignmentEvent], into b: inout AttributionIndex.Builder) {
        b.report.events += events.count
        var radius: [SessionKey: [Int]] = [:]
        var leases: [IPPrefix: [Int]] = [:]
        var blocks: [SessionKey: [Int]] = [:]
        for (i, e) in events.enumerated() {
            switch e.kind {
            case .start, .interim, .stop:
                radius[SessionKey(subscriber: e.subscriber, session: e.session), default: []].append(i)
            case .lease, .release:
                for p in e.prefixes { leases[p, default: []].append(i) }
            case .portBlock:
                blocks[SessionKey(subscriber: e.subscriber, session: e.session), default: []].append(i)
            }
        }
        // Deterministic output order (the builder sorts anyway; ids follow insertion).
        for key in radius.keys.sorted(by: { ($0.subscriber, $0.session) < ($1.subscriber, $1.session) }) {
            radiusSessions(key, radius[key]!, events, &b)
        }
        for prefix in leases.keys.sorted() {
            dhcp(prefix, leases[prefix]!, events, &b)
        }
        for key in blocks.keys.sorted(by: { ($0.subscriber, $0.session) < ($1.subscriber, $1.session) }) {
            portBlock(key, blocks[key]!, events, &b)
        }
    }

    @inline(__always) static func seconds(_ d: Date) -> Int64 { Int64(d.timeIntervalSince1970.rounded(.down)) }
    @inline(__always) static func secondsUp(_ d: Date) -> Int64 { Int64(d.timeIntervalSince1970.rounded(.up)) }

    // MARK: RADIUS

    private struct Instance {
        var from: Int64
        var lastSeen: Int64
        var prefixes: [IPPrefix] = []
        var interval: Int64 = 0  // largest Acct-Interim-Interval
        var gap: Int64 = 0  // largest gap between Start/Interim records
        var sawStart: Bool

        mutating func add(_ ps: [IPPrefix]) {
            for p in ps where !prefixes.contains(p) { prefixes.append(p) }
        }
    }

    private static func rank(_ k: AssignmentEvent.Kind) -> Int {
        switch k {
        case .start: 0
        case .interim: 1
        default: 2
        }
    }

    private func radiusSessions(_ key: SessionKey, _ idx: [Int], _ events: [AssignmentEvent], _ b: inout AttributionIndex.Builder) {
        let order = idx.sorted { x, y in
            let a = events[x]
            let c = events[y]
            if a.eventTime != c.eventTime { return a.eventTime < c.eventTime }
            if Self.rank(a.kind) != Self.rank(c.kind) { return Self.rank(a.kind) < Self.rank(c.kind) }
            return x < y
        }
        var current: Instance?
        var emitted: [(Instance, Int64, Bool)] = []  // instance, to, estimated

        func closeOpen(_ inst: Instance) {
            let base = inst.interval > 0 ? inst.interval : inst.gap
            let grace = base > 0 ? config.graceMultiplier * Double(base) : config.defaultGrace
            let g = Int64(max(0, grace.isFinite ? grace : config.defaultGrace).rounded(.up))
            emitted.append((inst, inst.lastSeen + g, true))
        }

        for i in order {
            let e = events[i]
            let t = Self.seconds(e.eventTime)
            let derived = e.sessionStart.map(Self.seconds)
            switch e.kind {
            case .start:
                if var c = current {
                    if c.from == t || (c.sawStart == false && abs(c.from - t) <= Self.reuseTolerance) {
                        c.sawStart = true
                        c.from = min(c.from, t)
                        c.add(e.prefixes)
                        if let iv = e.interimInterval { c.interval = max(c.interval, Int64(iv)) }
                        current = c
                        continue
                    }
                    closeOpen(c)
                }
                var c = Instance(from: t, lastSeen: t, sawStart: true)
                c.add(e.prefixes)
                if let iv = e.interimInterval { c.interval = Int64(iv) }
                current = c
            case .interim:
                if var c = current, derived.map({ $0 <= c.lastSeen + Self.reuseTolerance }) ?? true {
                    if let d = derived { c.from = min(c.from, d) }
                    c.gap = max(c.gap, t - c.lastSeen)
                    c.lastSeen = max(c.lastSeen, t)
                    c.add(e.prefixes)
                    if let iv = e.interimInterval { c.interval = max(c.interval, Int64(iv)) }
                    current = c
                } else {
                    if let c = current { closeOpen(c) }
                    var c = Instance(from: min(derived ?? t, t), lastSeen: t, sawStart: false)
                    c.add(e.prefixes)
                    if let iv = e.interimInterval { c.interval = Int64(iv) }
                    current = c
                }
            case .stop:
                if var c = current, derived.map({ $0 <= c.lastSeen + Self.reuseTolerance }) ?? true {
                    if let d = derived { c.from = min(c.from, d) }
                    c.add(e.prefixes)
                    emitted.append((c, max(t, c.from), false))
                } else {
                    if let c = current { closeOpen(c) }
                    var c = Instance(from: min(derived ?? t, t), lastSeen: t, sawStart: false)
                    c.add(e.prefixes)
                    emitted.append((c, t, false))
                }
                current = nil
            default:
                break
            }
        }
        if let c = current { closeOpen(c) }

        for (inst, to, estimated) in emitted {
            b.report.radiusSessions += 1
            if estimated { b.report.sessionsClosedByGrace += 1 }
            if !inst.sawStart { b.report.sessionsWithoutStart += 1 }
            guard !inst.prefixes.isEmpty else {
                b.report.sessionsWithoutAddress += 1
                continue
            }
            let sub = b.subscriberID(key.subscriber)
            let ses = b.sessionID(key.session)
            for p in inst.prefixes {
                append(&b, p, inst.from, to, sub, ses, nil, estimated)
            }
        }
    }

    private func append(
        _ b: inout AttributionIndex.Builder, _ p: IPPrefix, _ from: Int64, _ to: Int64?, _ sub: UInt32, _ ses: UInt32,
        _ ports: ClosedRange<UInt16>?, _ estimated: Bool
    ) {
        let limit = Int64(UInt32.max)
        guard from >= 0, from < limit, to.map({ $0 >= from }) ?? true else {
            b.report.outOfRange += 1
            return
        }
        b.append(
            prefix: p, fromSeconds: UInt32(from), toSeconds: to.map { UInt32(min($0, limit - 1)) } ?? Group.open,
            subscriberID: sub, sessionID: ses, portRange: ports, endIsEstimated: estimated)
    }

    // MARK: DHCP

    private struct Lease {
        var subscriber: String
        var session: String
        var from: Int64
        var to: Int64?  // nil = open
    }

    private func dhcp(_ prefix: IPPrefix, _ idx: [Int], _ events: [AssignmentEvent], _ b: inout AttributionIndex.Builder) {
        func time(_ e: AssignmentEvent) -> Int64 {
            e.kind == .release ? Self.seconds(e.end ?? e.eventTime) : Self.seconds(e.sessionStart ?? e.eventTime)
        }
        let order = idx.sorted { x, y in
            let tx = time(events[x])
            let ty = time(events[y])
            if tx != ty { return tx < ty }
            let rx = events[x].kind == .release ? 1 : 0
            let ry = events[y].kind == .release ? 1 : 0
            if rx != ry { return rx < ry }
            return x < y
        }
        var current: Lease?
        var done: [Lease] = []
        for i in order {
            let e = events[i]
            let t = time(e)
            if e.kind == .release {
                if var c = current, c.from <= t, c.to.map({ t <= $0 }) ?? true {
                    c.to = t
                    done.append(c)
                    current = nil
                    b.report.releasesApplied += 1
                } else {
                    b.report.releasesUnmatched += 1
                }
                continue
            }
            let end = e.end.map(Self.secondsUp)
            if var c = current, c.to.map({ t <= $0 }) ?? true {
                if c.subscriber == e.subscriber {
                    c.to = end  // the newer record of the same lease supersedes
                    if let to = c.to, to < c.from { c.to = c.from }
                    current = c
                    b.report.leaseRenewals += 1
                    continue
                }
                c.to = t  // reassignment: the address went to another client at t
                done.append(c)
                b.report.leaseReassignments += 1
            } else if let c = current {
                done.append(c)
            }
            current = Lease(subscriber: e.subscriber, session: e.session, from: t, to: end)
        }
        if let c = current { done.append(c) }
        for l in done {
            let sub = b.subscriberID(l.subscriber)
            let ses = b.sessionID(l.session)
            append(&b, prefix, l.from, l.to, sub, ses, nil, false)
        }
    }

    // MARK: CGN

    private func portBlock(_ key: SessionKey, _ idx: [Int], _ events: [AssignmentEvent], _ b: inout AttributionIndex.Builder) {
        b.report.portBlockUpdates += idx.count - 1
        let first = events[idx[0]]
        var from = Int64.max
        var to: Int64? = nil
        for i in idx {
            let e = events[i]
            from = min(from, Self.seconds(e.sessionStart ?? e.eventTime))
            if let end = e.end.map(Self.secondsUp) { to = max(to ?? end, end) }
        }
        let sub = b.subscriberID(key.subscriber)
        let ses = b.sessionID(key.session)
        for p in first.prefixes {
            append(&b, p, from, to, sub, ses, first.portRange, false)
        }
    }
}

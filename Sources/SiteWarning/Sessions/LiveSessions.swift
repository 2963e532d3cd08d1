public import Addressing
public import Foundation
import Synchronization

/// The live table of address → line that the DNS guard needs to find a query's line: nothing else.
///
/// An entry is a prefix (a subscriber's IPv4 address as a /32, a CGN inside address in RFC 6598
/// `100.64.0.0/10` as a /32, a delegated IPv6 prefix such as a /56 or /48) with the line id and
/// the time it was last confirmed. A lookup finds the longest prefix holding the address.
/// Accounting Start adds, Interim refreshes (and adds, after a restart), Stop removes; an
/// entry not refreshed within ``expiry`` is gone for lookups at once and removed by ``purge(now:)``.
///
/// Writers are public (the RADIUS accounting listener, a detail-file follower); the lookup is
/// internal to this module (see `line(for:now:)`).
///
/// One short lock per lookup (readers and writers share a `Mutex`); the DNS guard looks up
/// only when the queried name is listed, so most queries never touch the table.
public final class LiveSessions: Sendable {
    /// A session's line and when it was last confirmed.
    public struct Session: Sendable, Hashable {
        public var line: LineID
        public var lastSeen: Date
    }

    /// How long an entry lives without an update.
    public let expiry: TimeInterval
    private struct State {
        var table = PrefixTable<Session>()
        var prefixes: Set<IPPrefix> = []
    }

    private let state = Mutex(State())

    /// A table whose entries expire after `expiry` seconds without an update (e.g. twice the
    /// RADIUS interim interval, plus a margin).
    public init(expiry: TimeInterval) {
        self.expiry = expiry
    }

    /// Accounting Start: `prefixes` (the session's IPv4 address, delegated prefix …) now belong to `line`.
    public func start(line: LineID, prefixes: [IPPrefix], at time: Date) {
        state.withLock { state in
            for prefix in prefixes {
                state.table.insert(prefix, Session(line: line, lastSeen: time))
                state.prefixes.insert(prefix)
            }
        }
    }

    /// Accounting Interim-Update: refreshes the entries (adding those missing).
    public func interim(line: LineID, prefixes: [IPPrefix], at time: Date) {
        start(line: line, prefixes: prefixes, at: time)
    }

    /// Accounting Stop: removes the entries, only where they still belong to `line` (an address
    /// handed to another line meanwhile stays with it).
    public func stop(line: LineID, prefixes: [IPPrefix]) {
        state.withLock { state in
            for prefix in prefixes where state.table[exactly: prefix]?.line == line {
                state.table.remove(prefix)
                state.prefixes.remove(prefix)
            }
        }
    }

    /// The line holding `address` now, if a live (not expired) entry covers it. An IPv4-mapped
    /// IPv6 address is looked up as its IPv4 address.
    ///
    /// Internal on purpose: only ``SiteWarningDecision`` reads the table, to find a listed
    /// name's line choice. No other module can map an address to a line through it (the
    /// purpose limitation of both declarations, by construction); attribution for other
    /// purposes goes through the `Attribution` module and its audited identifications. The
    /// warning page (same measure) and tests reach it as `@_spi(LineLookup) import SiteWarning`,
    /// so `grep -rn "_spi(LineLookup)"` lists every user.
    @_spi(LineLookup) public func line(for address: IPAddress, now: Date) -> LineID? {
        let key = address.unmappedV4 ?? address
        return state.withLock { state -> LineID? in
            guard let found = state.table.longestMatch(key) else { return nil }
            return now.timeIntervalSince(found.value.lastSeen) <= expiry ? found.value.line : nil
        }
    }

    /// Applies one accounting event (what a RADIUS listener or a detail-file follower produces).
    public func apply(_ event: SessionEvent) {
        switch event {
        case .start(let line, let prefixes, let time): start(line: line, prefixes: prefixes, at: time)
        case .interim(let line, let prefixes, let time): interim(line: line, prefixes: prefixes, at: time)
        case .stop(let line, let prefixes): stop(line: line, prefixes: prefixes)
        }
    }

    /// Removes expired entries; returns how many.
    @discardableResult
    public func purge(now: Date) -> Int {
        state.withLock { state in
            let expired = state.prefixes.filter { prefix in
                state.table[exactly: prefix].map { now.timeIntervalSince($0.lastSeen) > expiry } ?? true
            }
            for prefix in expired {
                state.table.remove(prefix)
                state.prefixes.remove(prefix)
            }
            return expired.count
        }
    }

    /// The number of entries (expired ones not yet purged included).
    public var count: Int { state.withLock { $0.table.count } }
}

/// An accounting event for ``LiveSessions``: a line's session started, was confirmed, or stopped,
/// with the session's addresses and prefixes (Framed-IP-Address as a /32, Delegated-IPv6-Prefix,
/// Framed-IPv6-Prefix). Nothing else of the accounting record is carried.
public enum SessionEvent: Sendable, Hashable {
    case start(line: LineID, prefixes: [IPPrefix], at: Date)
    case interim(line: LineID, prefixes: [IPPrefix], at: Date)
    case stop(line: LineID, prefixes: [IPPrefix])
}

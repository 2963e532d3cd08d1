public import Addressing
public import DNS
public import Foundation
import TextScanning

/// How a blocked C&C name is answered.
public enum BlockAction: Sendable, Hashable {
    case nxdomain
    case nodata
    /// No answer at all.
    case drop
    /// A truncated answer over UDP, so the client retries over TCP.
    case tcpOnly
    /// These addresses (RPZ local data, or the configured sinkhole); answer the query type's
    /// family only (NODATA when none is of it).
    case answer([IPAddress])

    /// The addresses of an `answer` for a query of `type` (A → IPv4, AAAA → IPv6, else none).
    public func addresses(for type: DNSType) -> [IPAddress] {
        guard case .answer(let all) = self else { return [] }
        switch type {
        case .a: return all.filter { $0.family == .v4 }
        case .aaaa: return all.filter { $0.family == .v6 }
        default: return []
        }
    }
}

/// The answer to one query, decided from its name, its source, the line's choice and the lists.
public enum SiteWarningVerdict: Sendable, Hashable {
    /// Not listed, or the measure does not apply: resolve as usual.
    case forward
    /// Listed, but an allow entry (or an RPZ PASSTHRU) wins: resolve as usual.
    case passthru
    /// A listed malware site for a line whose choice is on: answer with the warning server's
    /// A/AAAA (``SiteWarningDecision/warningAddresses(for:)``), TTL ``SiteWarningConfiguration/warningTTL``.
    case warn(list: ListID, entry: BlocklistEntryID)
    /// A listed C&C name for a line that has not opted out: answer silently with `action`.
    case block(list: ListID, entry: BlocklistEntryID, action: BlockAction)
}

/// The guard's decision for one query: the query's source → line → choice for the listed
/// name's measure → answer, or forward.
///
/// 1. The name is matched against the blocklist first; an unlisted name is forwarded without
///    looking at the source at all.
/// 2. An allow entry wins: ``SiteWarningVerdict/passthru``.
/// 3. A `cnc` entry: blocked unless the line opted out of `cnc-dns-block`. A source not in the
///    live sessions has not opted out, so the default (on) applies and it is blocked.
/// 4. A `malware-site` entry: warned when the line's choice for `malware-site-warning` is on
///    and no "continue anyway" bypass covers the name; a source not in the live sessions gets
///    the configured default (on under the terms, off under opt-in).
///
/// **No per-line query log is kept.** The decision reads the query name, the source address
/// and, for a listed name only, the line id and its choice; it writes nothing but an
/// aggregate count per list entry and day (``EntryCounters``), which holds no line id and no
/// address. The decision is allocation-free but for ``BlockAction/answer(_:)``'s array, which
/// is shared, not copied.
public struct SiteWarningDecision: Sendable {
    public let configuration: SiteWarningConfiguration

    public init(configuration: SiteWarningConfiguration) {
        self.configuration = configuration
    }

    /// Decides the answer to a query for `name` of `type` from `client`.
    ///
    /// The verdict does not depend on `type` (a policy applies to every type of a listed name,
    /// as RPZ does); the records to answer with are chosen per type by
    /// ``warningAddresses(for:)`` and ``BlockAction/addresses(for:)``.
    public func decide(
        name: DNSName, type: DNSType, client: IPAddress, now: Date, sessions: LiveSessions, consent: ConsentSnapshot,
        blocklist: Blocklist, bypass: BypassSet, counters: EntryCounters? = nil
    ) -> SiteWarningVerdict {
        QueryText.with(name) { text, whole in
            decide(
                text: text, whole: whole, client: client, now: now, sessions: sessions, consent: consent, blocklist: blocklist, bypass: bypass,
                counters: counters)
        }
    }

    /// As ``decide(name:type:client:now:sessions:consent:blocklist:bypass:counters:)`` for a
    /// question name in wire format, without building a ``DNSName``; nil when the bytes do not
    /// start with an uncompressed name (see ``Blocklist/match(wireName:)``).
    public func decide(
        wireName: UnsafeRawBufferPointer, type: DNSType, client: IPAddress, now: Date, sessions: LiveSessions, consent: ConsentSnapshot,
        blocklist: Blocklist, bypass: BypassSet, counters: EntryCounters? = nil
    ) -> SiteWarningVerdict? {
        QueryText.with(wireName: wireName) { text, whole in
            decide(
                text: text, whole: whole, client: client, now: now, sessions: sessions, consent: consent, blocklist: blocklist, bypass: bypass,
                counters: counters)
        }
    }

    private func decide(
        text: Bytes, whole: Bool, client: IPAddress, now: Date, sessions: LiveSessions, consent: ConsentSnapshot, blocklist: Blocklist,
        bypass: BypassSet, counters: EntryCounters?
    ) -> SiteWarningVerdict {
        guard text.count > 0 else { return .forward }
        let match = blocklist.match(text: text, isWholeName: whole)
        if match.isEmpty { return .forward }
        if let allow = match.allow {
            counters?.record(allow, .passedThrough, at: now)
            return .passthru
        }
        let line = sessions.line(for: client, now: now)
        if let entry = match.cnc, configuration.cncBlockEnabled {
            let choice = line.map { consent.choice(line: $0, measure: .cncDNSBlock) } ?? consent.defaults.cncDNSBlock
            if choice == .on {
                counters?.record(entry, .blocked, at: now)
                return .block(list: blocklist.list(of: entry), entry: entry, action: blockAction(entry, blocklist))
            }
            if match.malwareSite == nil {
                counters?.record(entry, .forwarded, at: now)
                return .forward
            }
        }
        if let entry = match.malwareSite, configuration.warningEnabled {
            let choice: ConsentChoice
            if let line {
                if bypass.allows(line: line, name: text, now: now) {
                    counters?.record(entry, .forwarded, at: now)
                    return .forward
                }
                choice = consent.choice(line: line, measure: .malwareSiteWarning)
            } else {
                choice = consent.defaults.malwareSiteWarning
            }
            if choice == .on {
                counters?.record(entry, .warned, at: now)
                return .warn(list: blocklist.list(of: entry), entry: entry)
            }
            counters?.record(entry, .forwarded, at: now)
        }
        return .forward
    }

    private func blockAction(_ entry: BlocklistEntryID, _ blocklist: Blocklist) -> BlockAction {
        switch blocklist.action(of: entry) {
        case .nxdomain: .nxdomain
        case .nodata: .nodata
        case .drop: .drop
        case .tcpOnly: .tcpOnly
        case .localData: .answer(blocklist.localData(of: entry))
        case .listed, .passthru:
            switch configuration.cncAnswer {
            case .nxdomain: .nxdomain
            case .sinkhole(let addresses): .answer(addresses)
            }
        }
    }

    /// The warning server's addresses for a query of `type`: A → IPv4, AAAA → IPv6; other
    /// types get none (answer NODATA, so a client falls back to A/AAAA).
    public func warningAddresses(for type: DNSType) -> [IPAddress] {
        switch type {
        case .a: configuration.warningIPv4.map { [$0] } ?? []
        case .aaaa: configuration.warningIPv6.map { [$0] } ?? []
        default: []
        }
    }
}

public import Addressing
public import DNS
public import DNSServer
import Foundation
public import NIOCore
public import SiteWarning
import Synchronization

/// The DNS guard: the site-warning decision as the DNS server's policy.
///
/// Per query it reads the current lists and choices (immutable snapshots, swapped in whole by
/// ``SiteWarningFollower``), the live sessions and the bypasses, and answers a listed name
/// itself: the warning server's A/AAAA for a malware site (line's choice on), NXDOMAIN (or the
/// configured answer) for a C&C name (line not opted out). Everything else is forwarded.
///
/// It keeps no per-line query log: the only thing written per query is an aggregate count per
/// list entry and day (``EntryCounters``), with no line and no address in it.
public final class SiteWarningGuard: DNSPolicy, Sendable {
    public let decision: SiteWarningDecision
    public let sessions: LiveSessions
    public let bypass: BypassSet
    public let counters: EntryCounters

    private struct Snapshot: Sendable {
        var blocklist: Blocklist
        var consent: ConsentSnapshot
        var listsVersion: Int64
    }

    private let snapshot: Mutex<Snapshot>

    public init(configuration: SiteWarningConfiguration, sessions: LiveSessions, bypass: BypassSet = BypassSet()) {
        decision = SiteWarningDecision(configuration: configuration)
        self.sessions = sessions
        self.bypass = bypass
        counters = EntryCounters(dayOffset: configuration.counterDayOffset)
        snapshot = Mutex(Snapshot(blocklist: Blocklist(), consent: ConsentSnapshot(defaults: configuration.defaults), listsVersion: -1))
    }

    /// The lists in force.
    public var blocklist: Blocklist { snapshot.withLock { $0.blocklist } }
    /// The choices in force.
    public var consent: ConsentSnapshot { snapshot.withLock { $0.consent } }
    /// The store's lists version the lists in force were compiled from (-1 before the first load).
    public var listsVersion: Int64 { snapshot.withLock { $0.listsVersion } }

    /// Swaps in new lists (queries in flight finish on the old ones).
    public func replace(blocklist: Blocklist, version: Int64) {
        snapshot.withLock {
            $0.blocklist = blocklist
            $0.listsVersion = version
        }
    }

    /// Applies choice changes read from the registry, up to `cursor`.
    public func apply(_ changes: [ConsentChange], cursor: ConsentCursor) {
        snapshot.withLock { $0.consent.apply(changes, cursor: cursor) }
    }

    public func decide(_ query: DNSMessage, client: SocketAddress) async -> DNSPolicyDecision {
        guard let question = query.questions.first, question.recordClass == 1, let address = client.ipAddress else { return .forward }
        let (blocklist, consent) = snapshot.withLock { ($0.blocklist, $0.consent) }
        let now = Date()
        let verdict = decision.decide(
            name: question.name, type: question.type, client: address, now: now, sessions: sessions, consent: consent, blocklist: blocklist,
            bypass: bypass, counters: counters)
        switch verdict {
        case .forward, .passthru:
            return .forward
        case .warn:
            return .answer(
                Self.addressAnswer(to: query, addresses: decision.warningAddresses(for: question.type), ttl: decision.configuration.warningTTL))
        case .block(_, _, let action):
            switch action {
            case .nxdomain:
                return .answer(Self.negativeAnswer(to: query, rcode: 3, ttl: decision.configuration.blockTTL))
            case .nodata:
                return .answer(Self.negativeAnswer(to: query, rcode: 0, ttl: decision.configuration.blockTTL))
            case .drop:
                return .drop
            case .tcpOnly:
                return .tcpOnly
            case .answer:
                return .answer(
                    Self.addressAnswer(to: query, addresses: action.addresses(for: question.type), ttl: decision.configuration.blockTTL))
            }
        }
    }

    /// An answer holding `addresses` (NODATA when none is of the query's type).
    static func addressAnswer(to query: DNSMessage, addresses: [IPAddress], ttl: UInt32) -> DNSMessage {
        var answer = DNSForwarding.errorResponse(to: query, rcode: 0)
        answer.header.authoritative = false
        guard let question = query.questions.first else { return answer }
        for address in addresses {
            let data: DNSRData = address.family == .v4 ? .a(address.bytes) : .aaaa(address.bytes)
            answer.answers.append(DNSRecord(name: question.name, type: question.type, ttl: ttl, data: data))
        }
        if answer.answers.isEmpty { answer.authority.append(soa(for: question.name, ttl: ttl)) }
        return answer
    }

    /// NXDOMAIN (`rcode` 3) or NODATA (0), with an SOA so resolvers cache it for `ttl` (RFC 2308).
    static func negativeAnswer(to query: DNSMessage, rcode: UInt8, ttl: UInt32) -> DNSMessage {
        var answer = DNSForwarding.errorResponse(to: query, rcode: rcode)
        if let question = query.questions.first { answer.authority.append(soa(for: question.name, ttl: ttl)) }
        return answer
    }

    /// The synthetic SOA of a guard answer, owned by the queried name's last label's zone.
    static func soa(for name: DNSName, ttl: UInt32) -> DNSRecord {
        let owner = (try? DNSName(labels: Array(name.labels.suffix(1)))) ?? name
        let mname = (try? DNSName("guard.mamori.invalid")) ?? owner
        let rname = (try? DNSName("hostmaster.mamori.invalid")) ?? owner
        return DNSRecord(
            name: owner, type: .soa, ttl: ttl,
            data: .soa(mname: mname, rname: rname, serial: 1, refresh: 3600, retry: 600, expire: 86_400, minimum: ttl))
    }
}

extension SocketAddress {
    /// The address part as an ``IPAddress`` (nil for a Unix socket).
    public var ipAddress: IPAddress? {
        switch self {
        case .v4(let v4):
            return IPAddress(v4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            // An IPv4 client on a dual-stack socket arrives IPv4-mapped (::ffff:a.b.c.d).
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return IPAddress(bytes: bytes[12..<16])
            }
            return IPAddress(bytes: bytes)
        case .unixDomainSocket:
            return nil
        }
    }
}

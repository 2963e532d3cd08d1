public import Addressing
public import Foundation
import TextScanning

/// One parsed address-assignment record, normalised across formats.
///
/// An event keeps only what attribution needs: who (``subscriber``), which session
/// (``session``), which addresses (``prefixes``, ``portRange``) and when. Everything else
/// in the source record — octet counters, NAS ports, calling-station ids, host names,
/// user contexts — is dropped by the parsers and never stored (data minimisation).
///
/// Field meaning per format:
///
/// | field | `radius-detail` | `kea-csv` | `dhcpd-leases` | `cgn-csv` |
/// |---|---|---|---|---|
/// | `subscriber` | `User-Name` | `client_id` if present, else `hwaddr` (v4); `duid` (v6) | `uid` if present, else `hardware ethernet` | `subscriber` column, else `private_ip` |
/// | `session` | `Acct-Unique-Session-Id`, else `Acct-Session-Id` | `address@start` | `address@start` | `public_ip:port_start-port_end@start` |
/// | `prefixes` | `Framed-IP-Address` (/32), `Framed-IPv6-Address` (/128), `Framed-IPv6-Prefix`, `Delegated-IPv6-Prefix` | the address (/32, /128) or the IA_PD prefix | the address (/32) | the public address (/32 or /128) |
/// | `eventTime` | when the event happened at the NAS (see ``RadiusDetailParser``) | `cltt` = `expire − valid_lifetime` | `starts` | `start` |
/// | `sessionStart` | Start: `eventTime`; Interim/Stop: `eventTime − Acct-Session-Time` when given | `cltt` | `starts` | `start` |
/// | `end` | Stop: `eventTime` | `expire` (lease), `cltt` (release) | `ends`, else `tstp` | `end` |
///
/// DHCP client identifiers (client id, DUID, uid, hardware address) are normalised to
/// lower-case hex bytes separated by colons (`01:00:06:5b:eb:6d:4e`); a quoted dhcpd
/// `uid "foo"` becomes the hex of its bytes (`66:6f:6f`), so both spellings of one
/// identifier compare equal.
public struct AssignmentEvent: Sendable, Hashable, Codable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// RADIUS `Acct-Status-Type = Start`.
        case start
        /// RADIUS `Acct-Status-Type = Interim-Update` (or its old name `Alive`).
        case interim
        /// RADIUS `Acct-Status-Type = Stop`.
        case stop
        /// A DHCP lease (new, renewed, or a historical lease now free/expired) from `sessionStart` to `end`.
        case lease
        /// A DHCP lease ended at `end` without a known next holder (Kea lifetime-0 deletion row,
        /// Kea declined lease). It ends whatever DHCP lease held the address at that time.
        case release
        /// A CGN port-block allocation from `sessionStart` to `end` (nil while still allocated).
        case portBlock
    }

    /// The source format.
    public var format: AssignmentFormat
    /// What happened.
    public var kind: Kind
    /// The subscriber identity as the source names it (see the table above).
    public var subscriber: String
    /// The session identity (see the table above).
    public var session: String
    /// The addresses held: host prefixes for single addresses, shorter prefixes for delegated ones.
    public var prefixes: [IPPrefix]
    /// The CGN port range on the public address, for `.portBlock`.
    public var portRange: ClosedRange<UInt16>?
    /// When the event happened.
    public var eventTime: Date
    /// When the session or lease began, if known.
    public var sessionStart: Date?
    /// When the session or lease ended (Stop, lease expiry or end, release); nil when open or unknown.
    public var end: Date?
    /// RADIUS `Acct-Interim-Interval`, seconds, when the record carries it.
    public var interimInterval: TimeInterval?

    /// Creates an event.
    public init(
        format: AssignmentFormat, kind: Kind, subscriber: String, session: String,
        prefixes: [IPPrefix], portRange: ClosedRange<UInt16>? = nil, eventTime: Date,
        sessionStart: Date? = nil, end: Date? = nil, interimInterval: TimeInterval? = nil
    ) {
        self.format = format
        self.kind = kind
        self.subscriber = subscriber
        self.session = session
        self.prefixes = prefixes
        self.portRange = portRange
        self.eventTime = eventTime
        self.sessionStart = sessionStart
        self.end = end
        self.interimInterval = interimInterval
    }

    /// A deterministic fingerprint of every normalised field, for idempotent ingest.
    ///
    /// It is a canonical text, not a hash (`v1|format|kind|subscriber|session|prefixes|ports|
    /// eventTime|sessionStart|end|interim`, prefixes sorted, times as seconds since 1970,
    /// `%`, `|` and `,` inside identifiers percent-escaped). Two events are the same record
    /// exactly when their keys are equal. The key contains the subscriber identity: treat
    /// it with the same care as the event (hash it with a keyed hash before storing it as
    /// an index key if the store needs that).
    public var stableKey: String {
        var out: [UInt8] = []
        appendStableKey(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the UTF-8 bytes of ``stableKey`` to `out` (for a writer of many events: no
    /// `String` per field, one reusable buffer).
    public func appendStableKey(to out: inout [UInt8]) {
        @inline(__always) func text(_ s: String) { out.append(contentsOf: s.utf8) }
        @inline(__always) func bar() { out.append(0x7C) }
        text("v1|")
        text(format.rawValue)
        bar()
        text(kind.rawValue)
        bar()
        Self.appendEscaped(subscriber, to: &out)
        bar()
        Self.appendEscaped(session, to: &out)
        bar()
        if prefixes.count == 1 {
            prefixes[0].appendText(to: &out)
        } else if prefixes.count > 1 {
            for (i, p) in prefixes.sorted().enumerated() {
                if i > 0 { out.append(0x2C) }
                p.appendText(to: &out)
            }
        }
        bar()
        if let p = portRange {
            ByteWrite.decimal(Int64(p.lowerBound), to: &out)
            out.append(0x2D)
            ByteWrite.decimal(Int64(p.upperBound), to: &out)
        }
        bar()
        Self.appendNumber(eventTime.timeIntervalSince1970, to: &out)
        bar()
        if let s = sessionStart { Self.appendNumber(s.timeIntervalSince1970, to: &out) }
        bar()
        if let e = end { Self.appendNumber(e.timeIntervalSince1970, to: &out) }
        bar()
        if let i = interimInterval { Self.appendNumber(i, to: &out) }
    }

    static func appendEscaped(_ s: String, to out: inout [UInt8]) {
        if s.utf8.contains(where: { $0 == 0x25 || $0 == 0x7C || $0 == 0x2C }) {
            out.append(contentsOf: escape(s).utf8)
        } else {
            out.append(contentsOf: s.utf8)
        }
    }

    /// ``number(_:)`` as bytes: integral values without a `String`.
    static func appendNumber(_ v: Double, to out: inout [UInt8]) {
        guard v == v.rounded(), abs(v) < 1e15 else {
            out.append(contentsOf: v.description.utf8)
            return
        }
        ByteWrite.decimal(Int64(v), to: &out)
    }

    static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x25 || $0 == 0x7C || $0 == 0x2C }) else { return s }
        var out = ""
        for ch in s {
            switch ch {
            case "%": out += "%25"
            case "|": out += "%7C"
            case ",": out += "%2C"
            default: out.append(ch)
            }
        }
        return out
    }

    static func seconds(_ d: Date) -> String { number(d.timeIntervalSince1970) }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return v.description
    }

    // MARK: Codable (IPPrefix is not Codable; prefixes are coded as their text form)

    private enum CodingKeys: String, CodingKey {
        case format, kind, subscriber, session, prefixes, portStart, portEnd
        case eventTime, sessionStart, end, interimInterval
    }

    /// Decodes an event; prefixes are decoded from their text form (`192.0.2.1/32`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(AssignmentFormat.self, forKey: .format)
        kind = try c.decode(Kind.self, forKey: .kind)
        subscriber = try c.decode(String.self, forKey: .subscriber)
        session = try c.decode(String.self, forKey: .session)
        let texts = try c.decode([String].self, forKey: .prefixes)
        prefixes = try texts.map { text in
            guard let p = IPPrefix(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .prefixes, in: c, debugDescription: "prefixes: not an IP prefix")
            }
            return p
        }
        let ps = try c.decodeIfPresent(UInt16.self, forKey: .portStart)
        let pe = try c.decodeIfPresent(UInt16.self, forKey: .portEnd)
        if let ps, let pe {
            guard ps <= pe else {
                throw DecodingError.dataCorruptedError(
                    forKey: .portEnd, in: c, debugDescription: "portEnd: before portStart")
            }
            portRange = ps...pe
        } else {
            portRange = nil
        }
        eventTime = try c.decode(Date.self, forKey: .eventTime)
        sessionStart = try c.decodeIfPresent(Date.self, forKey: .sessionStart)
        end = try c.decodeIfPresent(Date.self, forKey: .end)
        interimInterval = try c.decodeIfPresent(TimeInterval.self, forKey: .interimInterval)
    }

    /// Encodes an event; prefixes are encoded as their text form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(kind, forKey: .kind)
        try c.encode(subscriber, forKey: .subscriber)
        try c.encode(session, forKey: .session)
        try c.encode(prefixes.map(\.description), forKey: .prefixes)
        try c.encodeIfPresent(portRange?.lowerBound, forKey: .portStart)
        try c.encodeIfPresent(portRange?.upperBound, forKey: .portEnd)
        try c.encode(eventTime, forKey: .eventTime)
        try c.encodeIfPresent(sessionStart, forKey: .sessionStart)
        try c.encodeIfPresent(end, forKey: .end)
        try c.encodeIfPresent(interimInterval, forKey: .interimInterval)
    }
}

import Addressing
public import Foundation
import TextScanning

/// Parser for FreeRADIUS / Livingston accounting `detail` files.
///
/// The format: a header line in column 0 (ctime, e.g. `Tue Sep 13 16:24:27 2011`), then one
/// tab-indented `Attr = value` line per attribute (values may be double-quoted, with `\"`,
/// `\\` and `\ooo` escapes), and a blank line between records (the last record may end at
/// end of file without one).
///
/// Records with `Acct-Status-Type` `Start`, `Interim-Update` (or `Alive`) and `Stop` (or
/// the numbers 1, 3, 2) become events. `Accounting-On`/`-Off`, the tunnel types and
/// `Failed` are counted in ``ParseResult/recordsSkipped``, not reported. A record without
/// any address attribute still becomes an event (with no prefixes): an Interim or Stop of
/// the same session may carry the address; if none does, the index counts the session in
/// ``AttributionIndex/BuildReport/sessionsWithoutAddress`` and holds nothing for it.
///
/// Kept attributes (all others are ignored, never stored): `User-Name` (subscriber),
/// `Acct-Unique-Session-Id` or else `Acct-Session-Id` (session; keep the server's
/// configuration stable across rotated files: records of one session that differ in which
/// id they carry become two sessions of the same subscriber — never ambiguous, but the
/// Start-to-Stop pairing is lost), `Acct-Status-Type`,
/// `Acct-Session-Time`, `Acct-Delay-Time`, `Acct-Interim-Interval`, `Event-Timestamp`,
/// `Timestamp`, `Framed-IP-Address` (/32; the RFC 2865 special values 0.0.0.0,
/// 255.255.255.254 and 255.255.255.255 are not addresses and are ignored),
/// `Framed-IPv6-Address` (/128), `Framed-IPv6-Prefix`, `Delegated-IPv6-Prefix`.
///
/// The event time, in order of preference:
/// 1. `Event-Timestamp` — the time the event happened at the NAS (RFC 2869 §5.3), taken as
///    is: epoch seconds, RFC 3339, or FreeRADIUS's `Mon DD YYYY HH:MM:SS ZONE` with a
///    numeric offset (`+0900`, `+09:00`) or an unambiguous zone abbreviation (`JST`, `UTC`,
///    `CEST`…; ambiguous ones such as `CST`, `IST`, `BST` are refused);
/// 2. `Timestamp` (the server's arrival time, Unix epoch) minus `Acct-Delay-Time`
///    (RFC 2866 §5.2: the delay is subtracted from the arrival time);
/// 3. last resort, the header line minus `Acct-Delay-Time`. The header is the RADIUS
///    server's *local* time with no zone: it is read in ``headerTimeZone`` (default UTC),
///    which must be configured to the server's zone when files lack `Timestamp`.
///
/// A present but unreadable time attribute makes the record bad (an issue), it is not
/// silently replaced by the next source.
public struct RadiusDetailParser: AssignmentParser {
    /// `.radiusDetail`.
    public var format: AssignmentFormat { .radiusDetail }
    /// The file name used in issues.
    public let fileName: String
    /// The zone of header lines (used only when a record has no `Event-Timestamp`/`Timestamp`).
    public let headerTimeZone: TimeZone

    private typealias Status = RadiusAccountingFields.Status
    private enum State { case outside, inRecord, orphan }

    private var state = State.outside
    private var recordLine = 0
    private var bad = false
    private var headerLocal: Int64?
    /// The kept attributes of the record being read; mapped to an event by the code the
    /// RFC 2866 codec shares (``RadiusAccountingFields/outcome(headerLocal:headerTimeZone:)``).
    private var fields = RadiusAccountingFields()

    /// A parser for one file. `headerTimeZone` is the RADIUS server's zone (see above).
    public init(fileName: String, headerTimeZone: TimeZone = .gmt) {
        self.fileName = fileName
        self.headerTimeZone = headerTimeZone
    }

    public mutating func feed(line: UnsafeBufferPointer<UInt8>, number: Int, into result: inout ParseResult) {
        var first = 0
        while first < line.count, ASCII.isSpace(line[first]) { first += 1 }
        if first == line.count {  // blank line: end of record
            if state == .inRecord { finishRecord(into: &result) }
            state = .outside
            return
        }
        if first == 0 {
            if let local = Self.headerSeconds(line) {
                if state == .inRecord { finishRecord(into: &result) }
                startRecord(at: number, headerLocal: local)
            } else if line.index(of: ASCII.equals) != nil {
                switch state {
                case .inRecord:
                    if !bad { fail(&result, number, "attribute line not indented") }
                case .outside:
                    result.report(file: fileName, line: number, "attribute line outside a record (no header line)")
                    state = .orphan
                case .orphan:
                    break
                }
            } else {
                // A header we cannot read: the record still starts here; its time must then
                // come from Event-Timestamp or Timestamp.
                if state == .inRecord { finishRecord(into: &result) }
                startRecord(at: number, headerLocal: nil)
            }
            return
        }
        switch state {
        case .outside:
            result.report(file: fileName, line: number, "attribute line outside a record (no header line)")
            state = .orphan
        case .orphan:
            return
        case .inRecord:
            if !bad { attribute(line.from(first), number, &result) }
        }
    }

    public mutating func finish(into result: inout ParseResult) {
        if state == .inRecord { finishRecord(into: &result) }
        state = .outside
    }

    // MARK: records

    private mutating func startRecord(at line: Int, headerLocal: Int64?) {
        state = .inRecord
        recordLine = line
        bad = false
        self.headerLocal = headerLocal
        fields.reset()
    }

    private mutating func fail(_ result: inout ParseResult, _ line: Int, _ reason: String) {
        result.report(file: fileName, line: line, reason)
        bad = true
    }

    private mutating func finishRecord(into result: inout ParseResult) {
        state = .outside
        result.recordsSeen += 1
        if bad { return }
        switch fields.outcome(headerLocal: headerLocal, headerTimeZone: headerTimeZone) {
        case .event(let event): result.events.append(event)
        case .skipped: result.recordsSkipped += 1
        case .problem(let reason): result.report(file: fileName, line: recordLine, reason)
        }
    }

    // MARK: attributes

    private enum Attribute {
        case userName, sessionID, uniqueSessionID, statusType, sessionTime, delayTime, interimInterval
        case eventTimestamp, timestamp, framedIP, framedIPv6Address, framedIPv6Prefix, delegatedIPv6Prefix
    }

    @inline(__always) private static func identify(_ n: Bytes) -> Attribute? {
        switch n.count {
        case 9:
            if n.equals("User-Name") { return .userName }
            if n.equals("Timestamp") { return .timestamp }
        case 15:
            if n.equals("Acct-Session-Id") { return .sessionID }
            if n.equals("Acct-Delay-Time") { return .delayTime }
            if n.equals("Event-Timestamp") { return .eventTimestamp }
        case 16:
            if n.equals("Acct-Status-Type") { return .statusType }
        case 17:
            if n.equals("Acct-Session-Time") { return .sessionTime }
            if n.equals("Framed-IP-Address") { return .framedIP }
        case 18:
            if n.equals("Framed-IPv6-Prefix") { return .framedIPv6Prefix }
        case 19:
            if n.equals("Framed-IPv6-Address") { return .framedIPv6Address }
        case 21:
            if n.equals("Delegated-IPv6-Prefix") { return .delegatedIPv6Prefix }
            if n.equals("Acct-Interim-Interval") { return .interimInterval }
        case 22:
            if n.equals("Acct-Unique-Session-Id") { return .uniqueSessionID }
        default:
            break
        }
        return nil
    }

    private static func name(_ a: Attribute) -> String {
        switch a {
        case .userName: "User-Name"
        case .sessionID: "Acct-Session-Id"
        case .uniqueSessionID: "Acct-Unique-Session-Id"
        case .statusType: "Acct-Status-Type"
        case .sessionTime: "Acct-Session-Time"
        case .delayTime: "Acct-Delay-Time"
        case .interimInterval: "Acct-Interim-Interval"
        case .eventTimestamp: "Event-Timestamp"
        case .timestamp: "Timestamp"
        case .framedIP: "Framed-IP-Address"
        case .framedIPv6Address: "Framed-IPv6-Address"
        case .framedIPv6Prefix: "Framed-IPv6-Prefix"
        case .delegatedIPv6Prefix: "Delegated-IPv6-Prefix"
        }
    }

    private mutating func attribute(_ line: Bytes, _ number: Int, _ result: inout ParseResult) {
        var i = Self.nameEnd(line)
        let n = line.count
        let nameBytes = line.sub(0..<i)
        while i < n, ASCII.isSpace(line[i]) { i += 1 }
        guard i < n, line[i] == ASCII.equals else {
            fail(&result, number, "missing '=' in attribute line")
            return
        }
        guard nameBytes.count > 0 else {
            fail(&result, number, "attribute line without a name")
            return
        }
        guard let attr = Self.identify(nameBytes) else { return }  // not kept
        var raw = line.from(i + 1).trimmed
        var unescaped: [UInt8]? = nil
        if raw.count > 0, raw[0] == ASCII.quote {
            guard Self.isQuotedWhole(raw) else {
                fail(&result, number, "\(Self.name(attr)): unterminated quoted value")
                return
            }
            raw = raw.sub(1..<(raw.count - 1))
            if raw.index(of: ASCII.backslash) != nil { unescaped = Self.unescape(raw) }
        }
        if let unescaped {
            unescaped.withUnsafeBufferPointer { value($0, attr, number, &result) }
        } else {
            value(raw, attr, number, &result)
        }
    }

    /// The index of the first `=`, space or tab (or the count): eight bytes at a time.
    @inline(__always) static func nameEnd(_ line: Bytes) -> Int {
        let n = line.count
        var i = 0
        if let base = line.baseAddress {
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
            while i + 8 <= n {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                // The lowest flagged byte is exact (borrows only flag bytes above a true match).
                let m = zeroBytes(w ^ (ones &* 0x3D)) | zeroBytes(w ^ (ones &* 0x20)) | zeroBytes(w ^ (ones &* 0x09))
                if m != 0 { return i + m.trailingZeroBitCount >> 3 }
                i += 8
            }
        }
        while i < n, line[i] != ASCII.equals, !ASCII.isSpace(line[i]) { i += 1 }
        return i
    }

    private mutating func value(_ v: Bytes, _ attr: Attribute, _ number: Int, _ result: inout ParseResult) {
        switch attr {
        case .userName:
            guard v.count > 0 else { return fail(&result, number, "User-Name: empty") }
            fields.userName = v.string
        case .sessionID:
            guard v.count > 0 else { return fail(&result, number, "Acct-Session-Id: empty") }
            fields.sessionID = v.string
        case .uniqueSessionID:
            guard v.count > 0 else { return fail(&result, number, "Acct-Unique-Session-Id: empty") }
            fields.uniqueSessionID = v.string
        case .statusType:
            guard let s = Self.status(v) else { return fail(&result, number, "Acct-Status-Type: unknown value") }
            fields.status = s
        case .sessionTime, .delayTime, .interimInterval, .timestamp:
            guard let x = ByteParse.uint(v), x < 1 << 40 else {
                return fail(&result, number, "\(Self.name(attr)): not a number of seconds")
            }
            switch attr {
            case .sessionTime: fields.sessionTime = Int64(x)
            case .delayTime: fields.delay = Int64(x)
            case .interimInterval: fields.interimInterval = Int64(x)
            default: fields.timestamp = Int64(x)
            }
        case .eventTimestamp:
            switch Self.eventTimestamp(v) {
            case .success(let t): fields.eventTimestamp = t
            case .failure(let why): fail(&result, number, "Event-Timestamp: \(why.text)")
            }
        case .framedIP:
            guard let a = ByteParse.ipv4(v) else { return fail(&result, number, "Framed-IP-Address: not an IPv4 address") }
            fields.addFramedIPv4(a)  // RFC 2865 §5.8 special values: no address
        case .framedIPv6Address:
            guard let a = ByteParse.ip(v), a.family == .v6 else {
                return fail(&result, number, "Framed-IPv6-Address: not an IPv6 address")
            }
            fields.addPrefix(IPPrefix(host: a))
        case .framedIPv6Prefix, .delegatedIPv6Prefix:
            guard v.index(of: ASCII.slash) != nil, let p = ByteParse.prefix(v), p.family == .v6 else {
                return fail(&result, number, "\(Self.name(attr)): not an IPv6 prefix (address/length, host bits zero)")
            }
            fields.addPrefix(p)
        }
    }

    private static func status(_ v: Bytes) -> Status? {
        if v.equals("Start") { return .start }
        if v.equals("Stop") { return .stop }
        if v.equals("Interim-Update") || v.equals("Alive") { return .interim }
        for s in [
            "Accounting-On", "Accounting-Off", "Tunnel-Start", "Tunnel-Stop", "Tunnel-Reject", "Tunnel-Link-Start",
            "Tunnel-Link-Stop", "Tunnel-Link-Reject", "Failed",
        ] as [StaticString] where v.equals(s) {
            return .other
        }
        if let n = ByteParse.uint(v) { return RadiusAccountingFields.status(number: n) }
        return nil
    }

    /// Whether `v` starts with a quote and its first unescaped closing quote is its last byte.
    private static func isQuotedWhole(_ v: Bytes) -> Bool {
        var i = 1
        while i < v.count {
            if v[i] == ASCII.backslash {
                i += 2
                continue
            }
            if v[i] == ASCII.quote { return i == v.count - 1 }
            i += 1
        }
        return false
    }

    private static func unescape(_ v: Bytes) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(v.count)
        var i = 0
        while i < v.count {
            let c = v[i]
            guard c == ASCII.backslash, i + 1 < v.count else {
                out.append(c)
                i += 1
                continue
            }
            let d = v[i + 1]
            switch d {
            case 0x6E:
                out.append(0x0A)
                i += 2  // \n
            case 0x72:
                out.append(0x0D)
                i += 2  // \r
            case 0x74:
                out.append(0x09)
                i += 2  // \t
            case 0x30...0x37 where i + 3 < v.count && (0x30...0x37).contains(v[i + 2]) && (0x30...0x37).contains(v[i + 3]):
                let o = (Int(d - 0x30) << 6) | (Int(v[i + 2] - 0x30) << 3) | Int(v[i + 3] - 0x30)
                out.append(UInt8(truncatingIfNeeded: o))
                i += 4
            default:
                out.append(d)
                i += 2  // \" \\ and anything else: the character itself
            }
        }
        return out
    }

    // MARK: times

    struct TimeProblem: Error {
        let text: String
    }

    /// Seconds since 1970 of an `Event-Timestamp` value.
    static func eventTimestamp(_ v: Bytes) -> Result<Int64, TimeProblem> {
        guard v.count > 0 else { return .failure(TimeProblem(text: "empty")) }
        if let epoch = ByteParse.uint(v) {
            guard epoch < 1 << 40 else { return .failure(TimeProblem(text: "out of range")) }
            return .success(Int64(epoch))
        }
        if v.count >= 19, v[4] == ASCII.minus, v[7] == ASCII.minus {
            switch RFC3339.parse(bytes: v) {
            case .success(let t): return .success(Int64(t.rounded(.down)))
            case .failure(let e): return .failure(TimeProblem(text: e.description))
            }
        }
        // FreeRADIUS: "Mon DD YYYY HH:MM:SS ZONE" (%b %e %Y %H:%M:%S %Z).
        var scanner = WordScanner(v)
        guard let mw = scanner.next(), let month = CivilTime.month(mw), let dw = scanner.next(),
            let day = ByteParse.uint(dw), let yw = scanner.next(), yw.count == 4, let year = ByteParse.uint(yw),
            let cw = scanner.next(), let clock = CivilTime.clock(cw)
        else { return .failure(TimeProblem(text: "not a time (expected Mon DD YYYY HH:MM:SS ZONE)")) }
        guard let zw = scanner.next() else {
            return .failure(TimeProblem(text: "no time zone (a zone-less local time cannot be placed)"))
        }
        guard scanner.next() == nil else { return .failure(TimeProblem(text: "unexpected text after the zone")) }
        guard let offset = zoneOffset(zw) else {
            return .failure(TimeProblem(text: "unknown or ambiguous time-zone abbreviation"))
        }
        guard
            let local = CivilTime.seconds(
                year: Int(year), month: month, day: Int(min(day, 99)), hour: clock.hour, minute: clock.minute,
                second: clock.second)
        else { return .failure(TimeProblem(text: "field out of range")) }
        return .success(local - Int64(offset))
    }

    /// Seconds east of UTC of a zone word: `+0900`, `-05:00`, or an unambiguous abbreviation.
    static func zoneOffset(_ z: Bytes) -> Int? {
        if z.count > 0, z[0] == ASCII.plus || z[0] == ASCII.minus {
            let sign = z[0] == ASCII.minus ? -1 : 1
            var h: Int?
            var m: Int?
            if z.count == 5 {
                h = CivilTime.twoDigits(z, 1)
                m = CivilTime.twoDigits(z, 3)
            } else if z.count == 6, z[3] == ASCII.colon {
                h = CivilTime.twoDigits(z, 1)
                m = CivilTime.twoDigits(z, 4)
            } else if z.count == 3 {
                h = CivilTime.twoDigits(z, 1)
                m = 0
            }
            guard let h, let m, h <= 23, m <= 59 else { return nil }
            return sign * (h * 3600 + m * 60)
        }
        guard z.count >= 1, z.count <= 5 else { return nil }
        var key: UInt64 = 0
        for c in z {
            let u = c >= 0x61 && c <= 0x7A ? c - 0x20 : c
            guard u >= 0x41, u <= 0x5A else { return nil }
            key = key << 8 | UInt64(u)
        }
        return zone(key)
    }

    /// Unambiguous zone abbreviations (upper-case ASCII packed big-endian in a `UInt64`). CST,
    /// IST, BST, AST and the like name several zones and are refused.
    @inline(__always) private static func zone(_ key: UInt64) -> Int? {
        switch key {
        case 0x555443: return 0  // UTC
        case 0x5554: return 0  // UT
        case 0x474D54: return 0  // GMT
        case 0x5A: return 0  // Z
        case 0x574554: return 0  // WET
        case 0x57455354: return 3600  // WEST
        case 0x434554: return 3600  // CET
        case 0x43455354: return 7200  // CEST
        case 0x4D4554: return 3600  // MET
        case 0x4D455354: return 7200  // MEST
        case 0x454554: return 7200  // EET
        case 0x45455354: return 10800  // EEST
        case 0x4D534B: return 10800  // MSK
        case 0x4A5354: return 32400  // JST
        case 0x4B5354: return 32400  // KST
        case 0x484B54: return 28800  // HKT
        case 0x534754: return 28800  // SGT
        case 0x41575354: return 28800  // AWST
        case 0x41435354: return 34200  // ACST
        case 0x41434454: return 37800  // ACDT
        case 0x41455354: return 36000  // AEST
        case 0x41454454: return 39600  // AEDT
        case 0x4E5A5354: return 43200  // NZST
        case 0x4E5A4454: return 46800  // NZDT
        case 0x485354: return -36000  // HST
        case 0x414B5354: return -32400  // AKST
        case 0x414B4454: return -28800  // AKDT
        case 0x505354: return -28800  // PST
        case 0x504454: return -25200  // PDT
        case 0x4D5354: return -25200  // MST
        case 0x4D4454: return -21600  // MDT
        case 0x434454: return -18000  // CDT
        case 0x455354: return -18000  // EST
        case 0x454454: return -14400  // EDT
        default: return nil
        }
    }

    /// The local seconds (as if UTC) of a ctime header line `Www Mmm dd hh:mm:ss yyyy`, or nil.
    static func headerSeconds(_ line: Bytes) -> Int64? {
        var s = WordScanner(line)
        guard let w = s.next(), CivilTime.isWeekday(w), let mw = s.next(), let month = CivilTime.month(mw),
            let dw = s.next(), dw.count <= 2, let day = ByteParse.uint(dw), let cw = s.next(),
            let clock = CivilTime.clock(cw), let yw = s.next(), yw.count == 4, let year = ByteParse.uint(yw),
            s.next() == nil
        else { return nil }
        return CivilTime.seconds(
            year: Int(year), month: month, day: Int(day), hour: clock.hour, minute: clock.minute, second: clock.second)
    }

    /// Whether a line looks like a detail header (used by format detection).
    static func looksLikeHeader(_ line: Substring) -> Bool {
        var s = String(line)
        return s.withUTF8 { headerSeconds($0) != nil }
    }
}

/// Yields space/tab-separated words of a line without allocating.
struct WordScanner {
    private let bytes: Bytes
    private var i = 0

    init(_ bytes: Bytes) { self.bytes = bytes }

    mutating func next() -> Bytes? {
        while i < bytes.count, ASCII.isSpace(bytes[i]) { i += 1 }
        guard i < bytes.count else { return nil }
        let s = i
        while i < bytes.count, !ASCII.isSpace(bytes[i]) { i += 1 }
        return bytes.sub(s..<i)
    }
}

import Addressing
import Foundation
import TextScanning

/// Parser for ISC dhcpd `dhcpd.leases` (DHCPv4 `lease` blocks).
///
/// ```text
/// lease 10.0.1.3 {
///   starts 5 2015/05/15 02:16:01;
///   ends 5 2015/05/15 02:26:01;
///   tstp 5 2015/05/15 02:26:01;
///   binding state free;
///   hardware ethernet 00:11:22:33:44:57;
///   uid "baz-1";
/// }
/// ```
///
/// Times are UTC (`W YYYY/MM/DD HH:MM:SS`, the weekday digit is ignored), `epoch N` (with
/// `db-time-format local`) or `never`. Per block:
/// - no `binding state` (dhcpd 3) or `binding state active`: a `.lease` from `starts` to
///   `ends` (`ends never`: no end);
/// - `binding state free`, `released`, `expired` or `reset`: a past lease, ended at `ends`
///   (or `tstp` when `ends` is `never`);
/// - `abandoned;` or `binding state abandoned`/`backup`: nobody holds the address; the
///   block is counted in ``ParseResult/recordsSkipped``.
///
/// The subscriber is the `uid` (client identifier) when present, else the `hardware`
/// address, both as lower-case colon hex (a quoted `uid "foo"` becomes `66:6f:6f`). The
/// session is `address@starts` (RFC 3339). `client-hostname`, `cltt`, `set`, `option`,
/// `on … { }` blocks and everything else are ignored, never stored. Blocks may repeat (the
/// file is a journal: a later block for an address supersedes an earlier one;
/// ``AttributionIndex`` applies that while keeping history). Other top-level blocks
/// (`failover peer`, `host`, `class`) are skipped.
///
/// DHCPv6 (`dhcpd -6`) writes identity associations instead:
///
/// ```text
/// ia-na "\001\000\000\000\000\001\000\001\035\230\276\207RT\000\022\064\126" {
///   cltt 4 2021/01/07 15:34:29;
///   iaaddr 2001:db8:1::6 {
///     binding state active;
///     preferred-life 27000;
///     max-life 43200;
///     ends 5 2021/01/08 03:34:29;
///   }
/// }
/// ia-pd "…" { cltt …; iaprefix 2001:db8:100::/56 { binding state active; max-life 4000; ends …; } }
/// ```
///
/// Each `iaaddr` (an `ia-na` or `ia-ta` address, held as a /128) and each `iaprefix` (an
/// `ia-pd` delegated prefix) is one record and one holding. The subscriber is the client's
/// DUID: the IA's identifier without its first four bytes (the IAID), as lower-case colon hex,
/// as Kea's `duid` column. The holding starts at `starts` when written, else `ends − max-life`
/// (the lease's lifetime, as Kea's `expire − valid_lifetime`), else the IA's `cltt`; it ends at
/// `ends`; binding states read as for DHCPv4.
public struct DhcpdLeasesParser: AssignmentParser {
    /// `.dhcpdLeases`.
    public var format: AssignmentFormat { .dhcpdLeases }
    /// The file name used in issues.
    public let fileName: String

    private enum Mode { case top, lease, skip, ia, iaEntry }
    private enum Binding { case active, ended, vacant }

    private var mode = Mode.top
    private var depth = 0
    private var leaseLine = 0
    private var address: IPAddress?
    private var bad = false
    private var starts: Int64?
    private var ends: Int64?
    private var endsNever = false
    private var tstp: Int64?
    private var binding = Binding.active
    private var hardware: String?
    private var uid: String?
    // DHCPv6: the open identity association and the address or prefix in it.
    private var iaDUID: String?
    private var iaBad = false
    private var iaEntries = 0
    private var cltt: Int64?
    private var entryPrefix: IPPrefix?
    private var maxLife: Int64?

    /// A parser for one file.
    public init(fileName: String) {
        self.fileName = fileName
    }

    public mutating func feed(line: UnsafeBufferPointer<UInt8>, number: Int, into result: inout ParseResult) {
        let content = Self.stripComment(line).trimmed
        guard content.count > 0 else { return }
        let opens = content[content.count - 1] == ASCII.braceOpen
        switch mode {
        case .skip:
            depth += Self.braceDelta(content)
            if depth <= 0 {
                depth = 0
                mode = .top
            }
        case .top:
            if opens {
                if content.hasPrefix("lease ") || content.hasPrefix("lease\t") {
                    beginLease(content, number, &result)
                } else if content.hasPrefix("ia-na") || content.hasPrefix("ia-ta") || content.hasPrefix("ia-pd") {
                    beginIA(content, number, &result)
                } else {
                    mode = .skip
                    depth = Self.braceDelta(content)
                    if depth <= 0 { mode = .top }
                }
            } else if content[0] == ASCII.braceClose {
                result.report(file: fileName, line: number, "unbalanced '}'")
            }
        // else: a top-level statement (server-duid, authoring-byte-order, …): nothing to keep
        case .lease:
            if skipNested(content) { return }
            if content.count == 1 && content[0] == ASCII.braceClose {
                finishLease(into: &result)
                mode = .top
                return
            }
            if opens {
                if content.hasPrefix("lease ") || content.hasPrefix("lease\t") {
                    result.report(file: fileName, line: leaseLine, "lease: block not closed before the next lease")
                    result.recordsSeen += 1
                    beginLease(content, number, &result)
                } else {
                    depth = Self.braceDelta(content)  // on commit { … } and the like
                }
                return
            }
            if !bad { statement(content, number, &result) }
        case .ia:
            if skipNested(content) { return }
            if content.count == 1 && content[0] == ASCII.braceClose {
                if iaEntries == 0 {
                    result.recordsSeen += 1
                    result.recordsSkipped += 1  // an association without an address or prefix holds nothing
                }
                mode = .top
                return
            }
            if opens {
                if content.hasPrefix("iaaddr") || content.hasPrefix("iaprefix") {
                    beginEntry(content, number, &result)
                } else {
                    depth = Self.braceDelta(content)
                }
                return
            }
            if content.hasPrefix("cltt"), content.count > 5, content[content.count - 1] == ASCII.semicolon {
                cltt = Self.time(content.sub(4..<(content.count - 1)).trimmed)
            }
        case .iaEntry:
            if skipNested(content) { return }
            if content.count == 1 && content[0] == ASCII.braceClose {
                finishEntry(into: &result)
                mode = .ia
                return
            }
            if opens {
                depth = Self.braceDelta(content)
                return
            }
            if !bad { statement(content, number, &result) }
        }
    }

    public mutating func finish(into result: inout ParseResult) {
        if mode == .lease {
            result.recordsSeen += 1
            result.report(file: fileName, line: leaseLine, "lease: block not closed at end of file (truncated)")
        } else if mode == .ia || mode == .iaEntry {
            result.recordsSeen += 1
            result.report(file: fileName, line: leaseLine, "ia: block not closed at end of file (truncated)")
        }
        mode = .top
        depth = 0
    }

    // MARK: blocks

    /// Inside a nested block (`on commit { … }` and the like): consumes the line and says so.
    private mutating func skipNested(_ content: Bytes) -> Bool {
        guard depth > 0 else { return false }
        depth += Self.braceDelta(content)
        if depth < 0 { depth = 0 }
        return true
    }

    private mutating func beginLease(_ content: Bytes, _ number: Int, _ result: inout ParseResult) {
        var scanner = WordScanner(content)
        _ = scanner.next()
        leaseLine = number
        bad = false
        starts = nil
        ends = nil
        endsNever = false
        tstp = nil
        binding = .active
        hardware = nil
        uid = nil
        depth = 0
        mode = .lease
        guard let word = scanner.next(), let a = ByteParse.ip(word), a.family == .v4 else {
            address = nil
            bad = true
            result.report(file: fileName, line: number, "lease: not an IPv4 address")
            return
        }
        address = a
    }

    /// `ia-na "IAID+DUID" {` (or `ia-ta`, `ia-pd`).
    private mutating func beginIA(_ content: Bytes, _ number: Int, _ result: inout ParseResult) {
        mode = .ia
        depth = 0
        leaseLine = number
        iaEntries = 0
        cltt = nil
        iaDUID = nil
        iaBad = false
        // The identifier: between the keyword and the opening brace.
        let inner = content.sub(5..<(content.count - 1)).trimmed
        var raw: [UInt8]?
        if inner.count > 0, inner[0] == ASCII.quote {
            raw = Self.quoted(inner)
        } else if inner.count > 0 {
            let hex = ByteParse.hexIdentifier(inner)
            raw = Self.hexBytes(hex)
        }
        guard let raw, raw.count > 4 else {
            iaBad = true
            result.report(file: fileName, line: number, "ia: identifier is not an IAID followed by a DUID")
            return
        }
        iaDUID = ByteParse.hexString(Array(raw.dropFirst(4)))
    }

    /// `iaaddr ADDRESS {` or `iaprefix PREFIX/LEN {` inside an identity association.
    private mutating func beginEntry(_ content: Bytes, _ number: Int, _ result: inout ParseResult) {
        mode = .iaEntry
        depth = 0
        iaEntries += 1
        leaseLine = number
        bad = iaBad
        starts = nil
        ends = nil
        endsNever = false
        tstp = nil
        maxLife = nil
        binding = .active
        entryPrefix = nil
        var scanner = WordScanner(content)
        let keyword = scanner.next()
        let isPrefix = keyword?.equals("iaprefix") ?? false
        guard let word = scanner.next() else {
            bad = true
            return result.report(file: fileName, line: number, isPrefix ? "iaprefix: missing prefix" : "iaaddr: missing address")
        }
        if isPrefix {
            guard let p = ByteParse.prefix(word), p.network.family == .v6, word.index(of: ASCII.slash) != nil else {
                bad = true
                return result.report(file: fileName, line: number, "iaprefix: not an IPv6 prefix")
            }
            entryPrefix = p
        } else {
            guard let a = ByteParse.ip(word), a.family == .v6 else {
                bad = true
                return result.report(file: fileName, line: number, "iaaddr: not an IPv6 address")
            }
            entryPrefix = IPPrefix(host: a)
        }
    }

    private mutating func finishEntry(into result: inout ParseResult) {
        result.recordsSeen += 1
        guard !bad, let prefix = entryPrefix, let subscriber = iaDUID else { return }
        if binding == .vacant {
            result.recordsSkipped += 1
            return
        }
        func issue(_ reason: String) { result.report(file: fileName, line: leaseLine, reason) }
        guard ends != nil || endsNever else { return issue("ends: missing") }
        let start: Int64
        if let starts {
            start = starts
        } else if let ends, let maxLife, maxLife <= ends {
            start = ends - maxLife
        } else if let cltt {
            start = cltt
        } else {
            return issue("starts: cannot be known (no starts, no ends with max-life, no cltt)")
        }
        var end: Int64? = ends
        if binding == .ended && end == nil {
            guard let tstp else { return issue("ends: never, for a lease no longer active and without tstp") }
            end = tstp
        }
        if let e = end, e < start { return issue("ends: before the lease's start") }
        let startDate = Date(timeIntervalSince1970: TimeInterval(start))
        let shown = prefix.length == 128 ? prefix.network.description : prefix.description
        result.events.append(
            AssignmentEvent(
                format: .dhcpdLeases, kind: .lease, subscriber: subscriber, session: "\(shown)@\(RFC3339.format(startDate))",
                prefixes: [prefix], eventTime: startDate, sessionStart: startDate,
                end: end.map { Date(timeIntervalSince1970: TimeInterval($0)) }))
    }

    /// Colon hex (`01:00:…`) as bytes; nil when it is not.
    static func hexBytes(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard part.count == 2, let v = UInt8(part, radix: 16) else { return nil }
            out.append(v)
        }
        return out.isEmpty ? nil : out
    }

    private mutating func finishLease(into result: inout ParseResult) {
        result.recordsSeen += 1
        guard !bad, let address else { return }
        if binding == .vacant {
            result.recordsSkipped += 1
            return
        }
        func issue(_ reason: String) { result.report(file: fileName, line: leaseLine, reason) }
        guard let starts else { return issue("starts: missing") }
        guard ends != nil || endsNever else { return issue("ends: missing") }
        var end: Int64? = ends
        if binding == .ended && end == nil {
            guard let tstp else { return issue("ends: never, for a lease no longer active and without tstp") }
            end = tstp
        }
        if let e = end, e < starts { return issue("ends: before starts") }
        guard let subscriber = uid ?? hardware else { return issue("hardware: missing (no uid or hardware address)") }
        let start = Date(timeIntervalSince1970: TimeInterval(starts))
        result.events.append(
            AssignmentEvent(
                format: .dhcpdLeases, kind: .lease, subscriber: subscriber,
                session: "\(address)@\(RFC3339.format(start))", prefixes: [IPPrefix(host: address)],
                eventTime: start, sessionStart: start, end: end.map { Date(timeIntervalSince1970: TimeInterval($0)) }))
    }

    // MARK: statements

    private mutating func statement(_ content: Bytes, _ number: Int, _ result: inout ParseResult) {
        guard content[content.count - 1] == ASCII.semicolon else {
            bad = true
            result.report(file: fileName, line: number, "missing ';' at end of statement")
            return
        }
        let body = content.sub(0..<(content.count - 1)).trimmed
        var scanner = WordScanner(body)
        guard let keyword = scanner.next() else { return }
        func fail(_ reason: String) {
            bad = true
            result.report(file: fileName, line: number, reason)
        }
        if keyword.equals("starts") || keyword.equals("ends") || keyword.equals("tstp") {
            let rest = body.from(keyword.count).trimmed
            let name = keyword.string
            if rest.equals("never") {
                if keyword.equals("ends") { endsNever = true } else if keyword.equals("starts") { fail("starts: never") }
                return
            }
            guard let t = Self.time(rest) else { return fail("\(name): not a time (W YYYY/MM/DD HH:MM:SS or epoch N)") }
            if keyword.equals("starts") { starts = t } else if keyword.equals("ends") { ends = t } else { tstp = t }
        } else if keyword.equals("binding") {
            guard let w = scanner.next(), w.equals("state"), let s = scanner.next() else {
                return fail("binding state: malformed")
            }
            if s.equals("active") {
                binding = .active
            } else if s.equals("free") || s.equals("released") || s.equals("expired") || s.equals("reset") {
                binding = .ended
            } else if s.equals("abandoned") || s.equals("backup") {
                binding = .vacant
            } else {
                fail("binding state: unknown value")
            }
        } else if keyword.equals("abandoned") {
            binding = .vacant
        } else if keyword.equals("max-life") {
            guard let w = scanner.next(), let v = ByteParse.uint(w), v < 1 << 40 else { return fail("max-life: not a number of seconds") }
            maxLife = Int64(v)
        } else if keyword.equals("hardware") {
            guard scanner.next() != nil, let hw = scanner.next(), hw.count > 0 else {
                return fail("hardware: malformed")
            }
            hardware = ByteParse.hexIdentifier(hw)
        } else if keyword.equals("uid") {
            let rest = body.from(keyword.count).trimmed
            guard rest.count > 0 else { return fail("uid: empty") }
            if rest[0] == ASCII.quote {
                guard let bytes = Self.quoted(rest) else { return fail("uid: unterminated quoted value") }
                uid = ByteParse.hexString(bytes)
            } else {
                uid = ByteParse.hexIdentifier(rest)
            }
        }
        // next binding state, rewind binding state, cltt, tsfp, atsfp, client-hostname, set, option…: not kept
    }

    /// `W YYYY/MM/DD HH:MM:SS` (UTC) or `epoch N`.
    static func time(_ b: Bytes) -> Int64? {
        var s = WordScanner(b)
        guard let first = s.next() else { return nil }
        if first.equals("epoch") {
            guard let n = s.next(), let v = ByteParse.uint(n), v < 1 << 40, s.next() == nil else { return nil }
            return Int64(v)
        }
        guard first.count == 1, ASCII.isDigit(first[0]), let date = s.next(), date.count == 10,
            date[4] == ASCII.slash, date[7] == ASCII.slash, let y = CivilTime.digits(date, 0, 4),
            let m = CivilTime.twoDigits(date, 5), let d = CivilTime.twoDigits(date, 8), let c = s.next(),
            let clock = CivilTime.clock(c), s.next() == nil
        else { return nil }
        return CivilTime.seconds(year: y, month: m, day: d, hour: clock.hour, minute: clock.minute, second: clock.second)
    }

    /// The bytes of a quoted dhcpd string (`\ooo` octal, `\"`, `\\`, `\t`…); nil if unterminated.
    static func quoted(_ b: Bytes) -> [UInt8]? {
        var out = [UInt8]()
        var i = 1
        while i < b.count {
            let c = b[i]
            if c == ASCII.quote { return i == b.count - 1 ? out : nil }
            if c == ASCII.backslash, i + 1 < b.count {
                let d = b[i + 1]
                if (0x30...0x37).contains(d), i + 3 < b.count, (0x30...0x37).contains(b[i + 2]),
                    (0x30...0x37).contains(b[i + 3])
                {
                    out.append(UInt8(truncatingIfNeeded: (Int(d - 0x30) << 6) | (Int(b[i + 2] - 0x30) << 3) | Int(b[i + 3] - 0x30)))
                    i += 4
                    continue
                }
                switch d {
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                default: out.append(d)
                }
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        return nil
    }

    /// The line without a `#` comment (a `#` inside quotes is text).
    static func stripComment(_ b: Bytes) -> Bytes {
        var inQuote = false
        var i = 0
        while i < b.count {
            let c = b[i]
            if inQuote {
                if c == ASCII.backslash {
                    i += 2
                    continue
                }
                if c == ASCII.quote { inQuote = false }
            } else if c == ASCII.quote {
                inQuote = true
            } else if c == ASCII.hash {
                return b.sub(0..<i)
            }
            i += 1
        }
        return b
    }

    /// `{` count minus `}` count outside quotes.
    static func braceDelta(_ b: Bytes) -> Int {
        var inQuote = false
        var delta = 0
        var i = 0
        while i < b.count {
            let c = b[i]
            if inQuote {
                if c == ASCII.backslash {
                    i += 2
                    continue
                }
                if c == ASCII.quote { inQuote = false }
            } else if c == ASCII.quote {
                inQuote = true
            } else if c == ASCII.braceOpen {
                delta += 1
            } else if c == ASCII.braceClose {
                delta -= 1
            }
            i += 1
        }
        return delta
    }
}

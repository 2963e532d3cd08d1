import Addressing
import Foundation
import TextScanning

/// Parser for Kea memfile lease files (`kea-leases4.csv`, `kea-leases6.csv`) and
/// `kea-admin lease-dump` output.
///
/// The first line is a header naming the columns; the parser finds them by name, so the
/// 9-, 11- and 12-column DHCPv4 layouts and the DHCPv6 layouts (12 to 18 columns) all
/// work, and a header line repeated mid-stream (concatenated or LFC-rotated files) starts
/// a new layout. Every row must have exactly as many fields as its header. Commas inside
/// host names and user contexts are written `&#x2c`, so splitting on `,` is exact; those
/// columns are not kept anyway.
///
/// Required columns: `address`, `valid_lifetime`, `expire`, and `hwaddr` (v4) or `duid`
/// (v6); optional: `client_id`, `state` (absent = 0), `lease_type` and `prefix_len` (v6).
/// Per row:
/// - start (`cltt`, the client's last transmission) = `expire − valid_lifetime`;
///   `valid_lifetime` 4294967295 is Kea's infinite lifetime: the lease has no end.
/// - `valid_lifetime` 0 (or `state` 3, released): Kea appends a lease with lifetime 0 when
///   it deletes it. Kea keeps the lease's last `cltt` in that row — the deletion time itself
///   is not recorded — so the row becomes a `.release` at `cltt`: the lease is held until its
///   last renewal and *not* beyond (conservative: the time between the last renewal and the
///   deletion is left unattributed rather than guessed).
/// - `state` 1 (declined): the client declined the address (conflict). Kea clears the
///   client identifiers and sets `cltt` to the decline time: a `.release` at `cltt` that ends
///   any lease on the address then; nobody holds it during the probation period.
/// - `state` 2 (expired-reclaimed): the lease ran its course; a normal `.lease` from `cltt`
///   to `expire` (history is kept).
/// - `state` 0 (default): a `.lease` from `cltt` to `expire`.
///
/// The subscriber is `client_id` when present, else `hwaddr` (v4); the `duid` (v6). Kea's
/// own reader rejects a v4 row without `hwaddr` (and a v6 row without `duid`) unless the
/// lease is declined: so does this parser (an issue naming the line). The session is
/// `address@start` (RFC 3339). For DHCPv6, `lease_type` 2 (IA_PD) holds `address/prefix_len`;
/// 0 (IA_NA) and 1 (IA_TA) hold the address as a /128 whatever `prefix_len` says.
///
/// Later rows for an address supersede earlier ones (memfile semantics); the parser emits
/// every row and ``AttributionIndex`` applies the supersession while keeping history
/// (renewal extends, a different client later is a reassignment, see there).
public struct KeaLeaseParser: AssignmentParser {
    /// `.keaCSV`.
    public var format: AssignmentFormat { .keaCSV }
    /// The file name used in issues.
    public let fileName: String

    private struct Layout {
        var count = 0
        var v6 = false
        var address = -1
        var hwaddr = -1
        var clientID = -1
        var duid = -1
        var validLifetime = -1
        var expire = -1
        var state = -1
        var leaseType = -1
        var prefixLen = -1
    }

    private var layout: Layout?
    private var missingHeaderReported = false
    private var fields: [Range<Int>] = []

    /// A parser for one file.
    public init(fileName: String) {
        self.fileName = fileName
        fields.reserveCapacity(24)
    }

    public mutating func feed(line: UnsafeBufferPointer<UInt8>, number: Int, into result: inout ParseResult) {
        let trimmed = line.trimmed
        guard trimmed.count > 0 else { return }
        split(line)
        if line.hasPrefix("address,") {
            header(line, number, &result)
            return
        }
        guard let layout else {
            result.recordsSeen += 1
            result.report(file: fileName, line: number, "no header line before this row (expected address,…)")
            return
        }
        result.recordsSeen += 1
        row(line, layout, number, &result)
    }

    public mutating func finish(into result: inout ParseResult) {}

    private mutating func split(_ line: Bytes) {
        fields.removeAll(keepingCapacity: true)
        var s = 0
        for i in 0..<line.count where line[i] == ASCII.comma {
            fields.append(s..<i)
            s = i + 1
        }
        fields.append(s..<line.count)
    }

    private mutating func header(_ line: Bytes, _ number: Int, _ result: inout ParseResult) {
        var l = Layout()
        l.count = fields.count
        for (i, r) in fields.enumerated() {
            let name = line.sub(r).trimmed
            if name.equals("address") {
                l.address = i
            } else if name.equals("hwaddr") {
                l.hwaddr = i
            } else if name.equals("client_id") {
                l.clientID = i
            } else if name.equals("duid") {
                l.duid = i
            } else if name.equals("valid_lifetime") {
                l.validLifetime = i
            } else if name.equals("expire") {
                l.expire = i
            } else if name.equals("state") {
                l.state = i
            } else if name.equals("lease_type") {
                l.leaseType = i
            } else if name.equals("prefix_len") {
                l.prefixLen = i
            }
        }
        l.v6 = l.duid >= 0
        var missing: [String] = []
        if l.address < 0 { missing.append("address") }
        if l.validLifetime < 0 { missing.append("valid_lifetime") }
        if l.expire < 0 { missing.append("expire") }
        if !l.v6 && l.hwaddr < 0 { missing.append("hwaddr or duid") }
        if l.v6 && l.leaseType < 0 { missing.append("lease_type") }
        guard missing.isEmpty else {
            layout = nil
            result.report(file: fileName, line: number, "header: missing column \(missing.joined(separator: ", "))")
            return
        }
        layout = l
    }

    private func field(_ line: Bytes, _ i: Int) -> Bytes {
        i >= 0 && i < fields.count ? line.sub(fields[i]) : Bytes(start: nil, count: 0)
    }

    private func row(_ line: Bytes, _ l: Layout, _ number: Int, _ result: inout ParseResult) {
        func bad(_ reason: String) { result.report(file: fileName, line: number, reason) }
        guard fields.count == l.count else {
            return bad("expected \(l.count) columns, found \(fields.count)")
        }
        guard let address = ByteParse.ip(field(line, l.address)), (address.family == .v6) == l.v6 else {
            return bad(l.v6 ? "address: not an IPv6 address" : "address: not an IPv4 address")
        }
        guard let lifetime = ByteParse.uint(field(line, l.validLifetime)), lifetime <= UInt64(UInt32.max) else {
            return bad("valid_lifetime: not a number")
        }
        // Kea writes `expire` as an unsigned time_t; a negative or absurd one (past year 36812)
        // is refused here, before `expire - valid_lifetime` could overflow.
        guard let expire = ByteParse.int(field(line, l.expire)) else { return bad("expire: not a number") }
        guard expire >= 0, expire < 1 << 40 else { return bad("expire: out of range") }
        var state: UInt64 = 0
        if l.state >= 0, field(line, l.state).count > 0 {
            guard let s = ByteParse.uint(field(line, l.state)) else { return bad("state: not a number") }
            state = s
        }
        guard state <= 3 else { return bad("state: unknown value") }
        let infinite = lifetime == UInt64(UInt32.max)
        let cltt = infinite ? expire : expire - Int64(lifetime)
        guard cltt >= 0 else { return bad("expire: earlier than valid_lifetime after 1970") }

        var prefix = IPPrefix(host: address)
        if l.v6 {
            guard let type = ByteParse.uint(field(line, l.leaseType)), type <= 2 else {
                return bad("lease_type: not 0, 1 or 2")
            }
            if type == 2 {
                guard let len = ByteParse.uint(field(line, l.prefixLen)), len >= 1, len <= 128,
                    let p = IPPrefix(address, length: Int(len)), p.network == address
                else { return bad("prefix_len: not a prefix length for this address") }
                prefix = p
            }
        }

        let subscriber: String
        if l.v6 {
            let duid = field(line, l.duid).trimmed
            if duid.count == 0 {
                guard state == 1 else { return bad("duid: empty (Kea requires a DUID unless the lease is declined)") }
                subscriber = ""
            } else {
                subscriber = ByteParse.hexIdentifier(duid)
            }
        } else {
            let hw = field(line, l.hwaddr).trimmed
            let client = field(line, l.clientID).trimmed
            if hw.count == 0 && state != 1 {
                return bad("hwaddr: empty (Kea requires a hardware address unless the lease is declined)")
            }
            subscriber = client.count > 0 ? ByteParse.hexIdentifier(client) : hw.count > 0 ? ByteParse.hexIdentifier(hw) : ""
        }

        let start = Date(timeIntervalSince1970: TimeInterval(cltt))
        let session = "\(prefix.length == address.family.bitWidth ? address.description : prefix.description)@\(RFC3339.format(start))"
        if lifetime == 0 || state == 1 || state == 3 {
            result.events.append(
                AssignmentEvent(
                    format: .keaCSV, kind: .release, subscriber: subscriber, session: session, prefixes: [prefix],
                    eventTime: start, sessionStart: nil, end: start))
        } else {
            result.events.append(
                AssignmentEvent(
                    format: .keaCSV, kind: .lease, subscriber: subscriber, session: session, prefixes: [prefix],
                    eventTime: start, sessionStart: start,
                    end: infinite ? nil : Date(timeIntervalSince1970: TimeInterval(expire))))
        }
    }
}

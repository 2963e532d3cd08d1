import Addressing
import TextScanning

/// The state of an RPZ zone file being read (draft-vixie-dnsop-dns-rpz): the origin, the
/// zone apex, the previous owner, and a record spanning lines in parentheses.
///
/// Only QNAME triggers are used: `name` (that name) and `*.name` (names below it). Actions:
/// `CNAME .` NXDOMAIN, `CNAME *.` NODATA, `CNAME rpz-passthru.` (or a CNAME to the trigger
/// itself) PASSTHRU, `CNAME rpz-drop.` DROP, `CNAME rpz-tcp-only.` TCP-only, and A/AAAA local
/// data (several records on one trigger are one answer). Refused, each with `file:line:
/// reason`, while the rest loads: `rpz-ip`, `rpz-client-ip`, `rpz-nsdname` and `rpz-nsip`
/// triggers, CNAME local data (walled gardens), other local data (TXT …), `$INCLUDE`, and a
/// second action for a trigger (the first is kept, as feeds with duplicates must still load).
///
/// The origin starts as the configured zone name (the root without one). The zone apex is the
/// configured zone name, else the owner of the first record if it is
/// the SOA, else the first `$ORIGIN`, else the root; owners below it become triggers relative
/// to it. An owner outside the apex is taken as written (as Knot Resolver does), and SOA and
/// NS records at the apex are the zone's own.
struct RPZParser {
    let configuredZone: [UInt8]?
    var origin: [UInt8] = []
    var firstOrigin: [UInt8]?
    var apex: [UInt8]?
    var previousOwner: [UInt8]?
    var owner: [UInt8] = []
    var scratch: [UInt8] = []
    var tokenBytes: [UInt8] = []
    var tokens: [Range<Int>] = []
    var comment: [UInt8] = []
    var depth = 0
    var recordLine = 0
    var recordStartsBlank = false

    init(zone: String?) {
        if let zone {
            var z = Array(zone.utf8).map(ASCII.lower)
            if z.last == ASCII.dot { z.removeLast() }
            configuredZone = z
            origin = z  // a zone file's origin starts as the zone's name
        } else {
            configuredZone = nil
        }
    }

    /// Writes `token` as an absolute lower-case name without the trailing dot into `out`
    /// (`@` is the origin; a name without a trailing dot is relative to the origin).
    func resolve(_ token: Bytes, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        if token.equals("@") {
            out.append(contentsOf: origin)
            return
        }
        if token.count > 0 && token[token.count - 1] == ASCII.dot {
            for c in token.sub(0..<(token.count - 1)) { out.append(ASCII.lower(c)) }
            return
        }
        for c in token { out.append(ASCII.lower(c)) }
        if !origin.isEmpty {
            out.append(ASCII.dot)
            out.append(contentsOf: origin)
        }
    }
}

private func isTTL(_ b: Bytes) -> Bool {
    guard b.count > 0, ASCII.isDigit(b[0]) else { return false }
    for c in b {
        let l = ASCII.lower(c)
        guard ASCII.isDigit(c) || l == 0x73 || l == 0x6D || l == 0x68 || l == 0x64 || l == 0x77 else { return false }  // s m h d w
    }
    return true
}

private func isClass(_ b: Bytes) -> Bool {
    b.equalsIgnoringCase("IN") || b.equalsIgnoringCase("CH") || b.equalsIgnoringCase("HS") || b.equalsIgnoringCase("CS")
}

/// The RPZ trigger labels that are not QNAME triggers.
private let otherTriggers: [[UInt8]] = ["rpz-ip", "rpz-client-ip", "rpz-nsdname", "rpz-nsip"].map { Array($0.utf8) }

extension ListLoader {
    mutating func rpzLine(_ line: Bytes, _ number: Int) {
        if rpz.depth == 0 {
            rpz.tokens.removeAll(keepingCapacity: true)
            rpz.tokenBytes.removeAll(keepingCapacity: true)
            rpz.comment.removeAll(keepingCapacity: true)
            rpz.recordLine = number
            rpz.recordStartsBlank = line.count > 0 && ASCII.isSpace(line[0])
        }
        let n = line.count
        var i = 0
        while i < n {
            let c = line[i]
            if ASCII.isSpace(c) {
                i += 1
                continue
            }
            if c == ASCII.semicolon {
                let text = line.from(i + 1).trimmed
                if text.count > 0 {
                    if !rpz.comment.isEmpty { rpz.comment.append(ASCII.space) }
                    rpz.comment.append(contentsOf: text)
                }
                break
            }
            if c == 0x28 {  // (
                rpz.depth += 1
                i += 1
                continue
            }
            if c == 0x29 {  // )
                if rpz.depth == 0 { report.issue(line: number, "a ')' without its '('") } else { rpz.depth -= 1 }
                i += 1
                continue
            }
            let start = i
            if c == ASCII.quote {
                i += 1
                while i < n && line[i] != ASCII.quote {
                    if line[i] == ASCII.backslash { i += 1 }
                    i += 1
                }
                i = min(i + 1, n)
            } else {
                while i < n {
                    let d = line[i]
                    if ASCII.isSpace(d) || d == ASCII.semicolon || d == 0x28 || d == 0x29 || d == ASCII.quote { break }
                    if d == ASCII.backslash { i += 1 }
                    i += 1
                }
                i = min(i, n)
            }
            let from = rpz.tokenBytes.count
            rpz.tokenBytes.append(contentsOf: line.sub(start..<i))
            rpz.tokens.append(from..<rpz.tokenBytes.count)
        }
        if rpz.depth == 0 { rpzRecord() }
    }

    mutating func rpzFinish() {
        if rpz.depth > 0 {
            report.issue(line: rpz.recordLine, "a '(' not closed before the end of the file")
            rpz.depth = 0
            rpzRecord()
        }
    }

    private mutating func rpzRecord() {
        guard !rpz.tokens.isEmpty else { return }
        let bytes = rpz.tokenBytes
        let ranges = rpz.tokens
        let comment = rpz.comment
        let number = rpz.recordLine
        bytes.withUnsafeBufferPointer { all in
            comment.withUnsafeBufferPointer { commentBytes in
                let tokens = ranges.map { all.sub($0) }
                rpzRecord(tokens, number, comment: commentBytes.count > 0 ? commentBytes : nil)
            }
        }
    }

    private mutating func rpzRecord(_ tokens: [Bytes], _ number: Int, comment: Bytes?) {
        var index = 0
        if !rpz.recordStartsBlank {
            let first = tokens[0]
            if first.count > 0 && first[0] == 0x24 {  // $
                rpzDirective(tokens, number)
                return
            }
            rpz.resolve(first, into: &rpz.owner)
            rpz.previousOwner = rpz.owner
            index = 1
        } else {
            guard let previous = rpz.previousOwner else {
                report.issue(line: number, "a record without an owner name")
                return
            }
            rpz.owner = previous
        }
        while index < tokens.count && (isTTL(tokens[index]) || isClass(tokens[index])) { index += 1 }
        guard index < tokens.count else {
            report.issue(line: number, "a record without a type")
            return
        }
        let type = tokens[index]
        let rdata = Array(tokens[(index + 1)...])
        if rpz.apex == nil {
            rpz.apex = rpz.configuredZone ?? (type.equalsIgnoringCase("SOA") ? rpz.owner : (rpz.firstOrigin ?? []))
        }
        let apex = rpz.apex ?? []
        let atApex = rpz.owner == apex
        if type.equalsIgnoringCase("SOA") || type.equalsIgnoringCase("NS") {
            if !atApex { report.issue(line: number, "an \(type.equalsIgnoringCase("SOA") ? "SOA" : "NS") record below the zone apex") }
            return
        }
        if atApex {
            report.issue(line: number, "a record at the zone apex is not a trigger")
            return
        }
        // The trigger: the owner relative to the apex (or as written when outside it).
        var trigger = rpz.owner[...]
        if !apex.isEmpty, rpz.owner.count > apex.count + 1, rpz.owner.suffix(apex.count).elementsEqual(apex),
            rpz.owner[rpz.owner.count - apex.count - 1] == ASCII.dot
        {
            trigger = rpz.owner[..<(rpz.owner.count - apex.count - 1)]
        }
        let lastLabel = trigger.lastIndex(of: ASCII.dot).map { trigger[trigger.index(after: $0)...] } ?? trigger
        if let other = otherTriggers.first(where: { lastLabel.elementsEqual($0) }) {
            report.issue(line: number, "\(String(decoding: other, as: UTF8.self)) trigger: not supported (QNAME triggers only)")
            return
        }
        if lastLabel.starts(with: "rpz-".utf8) {
            report.issue(line: number, "an unknown rpz- trigger")
            return
        }
        var scope = MatchScope.exact
        if trigger.starts(with: "*.".utf8) {
            scope = .subdomains
            trigger = trigger.dropFirst(2)
        } else if trigger.elementsEqual("*".utf8) {
            report.issue(line: number, "a wildcard over the whole zone: not supported")
            return
        }
        let triggerBytes = Array(trigger)
        let problem = triggerBytes.withUnsafeBufferPointer { HostName.normalize($0, into: &name) }
        if let problem {
            report.issue(line: number, "owner: \(problem)")
            return
        }
        if type.equalsIgnoringCase("CNAME") {
            guard rdata.count == 1 else {
                report.issue(line: number, "CNAME: expected one target")
                return
            }
            rpzCNAME(rdata[0], scope: scope, number, comment: comment)
        } else if type.equalsIgnoringCase("A") || type.equalsIgnoringCase("AAAA") {
            let v6 = type.count == 4
            guard rdata.count == 1, let address = IPAddress(ascii: rdata[0]), (address.family == .v6) == v6 else {
                report.issue(line: number, v6 ? "AAAA: not an IPv6 address" : "A: not an IPv4 address")
                return
            }
            switch add(scope: scope, action: .localData, line: number, comment: comment, data: [address]) {
            case .duplicate(let existing):
                let rule = storage.rules[Int(existing)]
                if rule.data != Rule.none {
                    report.duplicates -= 1
                    if !storage.localData[Int(rule.data)].contains(address) { storage.localData[Int(rule.data)].append(address) }
                } else {
                    report.issue(line: number, "a second action for this trigger: the first is kept")
                }
            case .added, nil: break
            }
        } else {
            let known = ["TXT", "MX", "DNAME", "PTR", "SRV", "HTTPS", "SVCB", "CAA", "NAPTR"]
            let shown = known.first { type.equalsIgnoringCase($0) }
            report.issue(line: number, "\(shown.map { "\($0) local data" } ?? "local data of another type"): not supported (A/AAAA only)")
        }
    }

    private mutating func rpzCNAME(_ target: Bytes, scope: MatchScope, _ number: Int, comment: Bytes?) {
        let action: ListAction
        if target.equals(".") {
            action = .nxdomain
        } else if target.equals("*.") {
            action = .nodata
        } else if target.equalsIgnoringCase("rpz-passthru.") {
            action = .passthru
        } else if target.equalsIgnoringCase("rpz-drop.") {
            action = .drop
        } else if target.equalsIgnoringCase("rpz-tcp-only.") {
            action = .tcpOnly
        } else if target.hasPrefix("*.") {
            report.issue(line: number, "CNAME to a wildcard name (local data): not supported (A/AAAA local data only)")
            return
        } else {
            rpz.resolve(target, into: &rpz.scratch)
            let selfTarget = scope == .exact && rpz.scratch == name
            guard selfTarget else {
                report.issue(line: number, "CNAME to another name (local data): not supported (A/AAAA local data only)")
                return
            }
            action = .passthru
        }
        if case .duplicate = add(scope: scope, action: action, line: number, comment: comment) {
            report.issue(line: number, "a second action for this trigger: the first is kept")
        }
    }

    private mutating func rpzDirective(_ tokens: [Bytes], _ number: Int) {
        let directive = tokens[0]
        if directive.equalsIgnoringCase("$ORIGIN") {
            guard tokens.count >= 2 else {
                report.issue(line: number, "$ORIGIN without a name")
                return
            }
            rpz.resolve(tokens[1], into: &rpz.scratch)
            rpz.origin = rpz.scratch
            if rpz.firstOrigin == nil { rpz.firstOrigin = rpz.origin }
        } else if directive.equalsIgnoringCase("$TTL") {
            return
        } else if directive.equalsIgnoringCase("$INCLUDE") {
            report.issue(line: number, "$INCLUDE: not supported (one file a list)")
        } else {
            report.issue(line: number, "an unknown directive")
        }
    }
}

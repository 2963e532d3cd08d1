import Addressing
import Foundation
import MamoriTesting
import SiteWarning
import Testing
import TextScanning

@Suite struct DomainListTests {
    @Test func namesCommentsAndHostsLines() throws {
        var builder = BlocklistBuilder()
        let report = try builder.load(
            text: """
                # a malware list
                evil.example   # dropper host
                EVIL2.Example.
                0.0.0.0 hosts-one.example hosts-two.example
                127.0.0.1 localhost
                *.wild.example
                ||adblock.example^

                not a name
                bad_label!.example
                192.0.2.1
                evil.example
                """, file: "mal.txt", list: "mal", kind: .malwareSite, format: .domains)
        #expect(report.entries == 6)
        #expect(report.duplicates == 1)
        #expect(report.skipped == ["a hosts-file system name": 1, "an IP address, not a name": 1])
        #expect(
            report.issues.map(\.description) == [
                "mal.txt:9: more than one field: expected one name, or an address and names (hosts file)",
                "mal.txt:10: name: a character not allowed in a host name",
            ])
        let blocklist = builder.build()
        #expect(blocklist.hit("evil.example", .malwareSite)?.name == "evil.example")
        #expect(blocklist.hit("a.b.evil2.example", .malwareSite)?.name == "evil2.example")
        #expect(blocklist.hit("hosts-two.example", .malwareSite) != nil)
        #expect(blocklist.hit("wild.example", .malwareSite) == nil)
        #expect(blocklist.hit("x.wild.example", .malwareSite)?.name == "wild.example")
        #expect(blocklist.hit("adblock.example", .malwareSite) != nil)
        let entry = try #require(blocklist.matching("evil.example").malwareSite.map { blocklist.entry($0) })
        #expect(entry.comment == "dropper host")
        #expect(entry.line == 2)
        #expect(entry.list.name == "mal" && entry.list.kind == .malwareSite && entry.list.file == "mal.txt")
        #expect(entry.scope == .nameAndSubdomains && entry.action == .listed)
        // The report travels as JSON (`mamori lists import --json`).
        let decoded = try JSONDecoder().decode(ListLoadReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }

    @Test func issuesNameTheProblemNotTheContent() throws {
        var builder = BlocklistBuilder()
        let secretish = "pass" + String(repeating: "w", count: 70) + ".example"
        let report = try builder.load(text: secretish, file: "l.txt", list: "l", kind: .cnc, format: .domains)
        #expect(report.issues.count == 1)
        #expect(report.issues[0].description == "l.txt:1: name: a label over 63 octets")
        #expect(!report.issues[0].description.contains("pass"))
    }
}

@Suite struct ListFileTests {
    @Test func aMissingFileIsAnErrorNamingItAndLoadsNothing() throws {
        var builder = BlocklistBuilder()
        #expect(throws: FileReadError(file: "absent.rpz", reason: "cannot open")) {
            try builder.load(path: "/nonexistent/dir/absent.rpz", list: "x", kind: .cnc, format: .rpz)
        }
        #expect(builder.build().lists.isEmpty && builder.reports.isEmpty)
    }
}

@Suite struct URLListTests {
    @Test func wholeHostsOnly() throws {
        var builder = BlocklistBuilder()
        let report = try builder.load(
            text: """
                # urlhaus-style
                http://whole.example/
                https://user@port.example:8443
                http://path.example/malware.exe
                http://query.example/?id=1
                http://192.0.2.7/
                http://[2001:db8::1]/
                bare.example/
                """, file: "urls.txt", list: "urls", kind: .malwareSite, format: .urls)
        #expect(report.entries == 3)
        #expect(report.skipped == ["a URL with a path (only a URL of the whole host lists it)": 2, "an IP address host (names only)": 2])
        #expect(report.issueCount == 0)
        let blocklist = builder.build()
        #expect(blocklist.hit("whole.example", .malwareSite) != nil)
        #expect(blocklist.hit("port.example", .malwareSite) != nil)
        #expect(blocklist.hit("bare.example", .malwareSite) != nil)
        // A URL list's host is that host only.
        #expect(blocklist.hit("sub.whole.example", .malwareSite) == nil)
        #expect(blocklist.hit("path.example", .malwareSite) == nil)
    }
}

@Suite struct RPZTests {
    @Test func actionsAndRefusals() throws {
        var builder = BlocklistBuilder()
        let report = try builder.load(
            text: """
                $TTL 300
                $ORIGIN rpz.isp.example.
                @ SOA ns.isp.example. hostmaster.isp.example. (
                      1 3600 600 86400 300 )
                  NS ns.isp.example.
                nx.example      CNAME .   ; C2 panel
                *.nx.example    CNAME .
                nodata.example  CNAME *.
                ok.example      CNAME rpz-passthru.
                self.example    CNAME self.example.
                drop.example    CNAME rpz-drop.
                tcp.example     CNAME rpz-tcp-only.
                sink.example    A     192.0.2.53
                sink.example    AAAA  2001:db8::53
                garden.example  CNAME walled.isp.example.
                txt.example     TXT   "x"
                32.1.2.0.192.rpz-ip CNAME .
                ns.evil.rpz-nsdname CNAME .
                nx.example      CNAME *.
                $INCLUDE other.rpz
                """, file: "feed.rpz", list: "feed", kind: .cnc, format: .rpz)
        #expect(report.entries == 8)
        #expect(
            report.issues.map(\.description) == [
                "feed.rpz:15: CNAME to another name (local data): not supported (A/AAAA local data only)",
                "feed.rpz:16: TXT local data: not supported (A/AAAA only)",
                "feed.rpz:17: rpz-ip trigger: not supported (QNAME triggers only)",
                "feed.rpz:18: rpz-nsdname trigger: not supported (QNAME triggers only)",
                "feed.rpz:19: a second action for this trigger: the first is kept",
                "feed.rpz:20: $INCLUDE: not supported (one file a list)",
            ])
        let b = builder.build()
        #expect(b.hit("nx.example", .cnc)?.action == .nxdomain)
        #expect(b.hit("a.nx.example", .cnc)?.action == .nxdomain)
        #expect(b.hit("nodata.example", .cnc)?.action == .nodata)
        #expect(b.hit("a.nodata.example", .cnc) == nil)  // exact trigger: the name only
        #expect(b.hit("ok.example", .allow)?.action == .passthru)
        #expect(b.hit("self.example", .allow)?.action == .passthru)
        #expect(b.hit("drop.example", .cnc)?.action == .drop)
        #expect(b.hit("tcp.example", .cnc)?.action == .tcpOnly)
        let sink = try #require(b.matching("SINK.example.").cnc)
        #expect(b.action(of: sink) == .localData)
        #expect(b.localData(of: sink).map(\.description) == ["192.0.2.53", "2001:db8::53"])
        #expect(b.entry(sink).line == 13)
        #expect(b.entry(try #require(b.matching("nx.example").cnc)).comment == "C2 panel")
    }
}

extension RPZTests {
    @Test func theConfiguredZoneIsTheFirstOrigin() throws {
        var builder = BlocklistBuilder()
        let report = try builder.load(
            text:
                "@ SOA ns.isp.example. h.isp.example. 1 3600 600 86400 300\n  NS ns.isp.example.\nfoo.example CNAME .\nbar.example.rpz.isp.example. CNAME *.\n",
            file: "z.rpz", list: "z", kind: .cnc, format: .rpz, zone: "RPZ.isp.example.")
        #expect(report.issueCount == 0, "\(report.issues)")
        let b = builder.build()
        #expect(b.hit("foo.example", .cnc)?.action == .nxdomain)
        #expect(b.hit("bar.example", .cnc)?.action == .nodata)
    }
}

extension RPZTests {
    @Test(arguments: ActionOverride.allCases)
    func anOverrideReplacesEveryAction(override: ActionOverride) throws {
        var builder = BlocklistBuilder()
        let report = try builder.load(
            text: "$ORIGIN rpz.\na.example CNAME .\nb.example A 192.0.2.1\nc.example CNAME *.\nb.example AAAA 2001:db8::1\n", file: "o.rpz",
            list: "o", kind: .cnc, format: .rpz, override: override)
        #expect(report.issueCount == 0)
        #expect(report.entries == 3)
        let b = builder.build()
        for name in ["a.example", "b.example", "c.example"] {
            let m = b.matching(name)
            let entry = try #require(override == .passthru ? m.allow : m.cnc)
            #expect(b.action(of: entry).description == override.rawValue)
        }
        let local = try #require(b.entries(named: "b.example").first)
        #expect(local.localData.count == 2)  // what the list said, kept for operators
    }
}

@Suite struct CorpusPresenceTests {
    @Test func dnsCorpusIsPresent() {
        #expect(DNSCorpus.isPresent, Comment(rawValue: DNSCorpus.missingMessage))
    }
}

@Suite(.enabled(if: DNSCorpus.isPresent, "needs the shared DNS corpus")) struct RPZCorpusTests {
    @Test func pdnsBasic() throws {
        var builder = BlocklistBuilder()
        let report = try builder.load(path: DNSCorpus.path("pdns-basic.rpz"), list: "pdns", kind: .cnc, format: .rpz)
        #expect(report.entries == 9)
        #expect(report.issueCount == 8)
        let issueLines = Dictionary(grouping: report.issues, by: \.reason).mapValues { $0.map(\.line) }
        #expect(issueLines["rpz-client-ip trigger: not supported (QNAME triggers only)"]?.count == 2)
        #expect(issueLines["rpz-nsdname trigger: not supported (QNAME triggers only)"]?.count == 3)
        #expect(
            issueLines["rpz-ip trigger: not supported (QNAME triggers only)"]
                == [try #require(try DNSCorpus.line(of: "rpz-ip CNAME", in: "pdns-basic.rpz"))])
        #expect(
            issueLines["CNAME to another name (local data): not supported (A/AAAA local data only)"]
                == [try #require(try DNSCorpus.line(of: "local.org        CNAME", in: "pdns-basic.rpz")), 32])
        #expect(report.issues.allSatisfy { $0.file == "pdns-basic.rpz" })
        let b = builder.build()
        #expect(b.hit("nxdomain.org", .cnc)?.action == .nxdomain)
        #expect(b.hit("www.nxdomain.org", .cnc) == nil)
        #expect(b.hit("a.nxdomain-apex.org", .cnc)?.action == .nxdomain)
        #expect(b.hit("nxdomain-apex.org", .cnc) == nil)
        #expect(b.hit("mail.nxdomain-apix.org", .allow)?.action == .passthru)
        #expect(b.hit("example.net", .cnc)?.action == .drop)
        #expect(b.hit("x.example.net", .cnc)?.action == .drop)
        #expect(b.hit("truncate.org", .cnc)?.action == .tcpOnly)
        #expect(b.hit("a.truncate-apex.org", .cnc)?.action == .tcpOnly)
        #expect(b.hit("local.org", .cnc) == nil)
        let local = try #require(b.matching("local-a.org").cnc)
        #expect(b.localData(of: local).map(\.description) == ["192.168.2.5"])
        #expect(b.hit("x.local-a-apex.org", .cnc)?.action == .localData)
        #expect(b.hit("domain.example.com", .cnc) == nil)
    }

    @Test func knotResolverPolicy() throws {
        var builder = BlocklistBuilder()
        let report = try builder.load(path: DNSCorpus.path("knot-resolver-policy.test.rpz"), list: "knot", kind: .malwareSite, format: .rpz)
        #expect(report.issueCount == 0, "\(report.issues)")
        #expect(report.entries == 9)
        let b = builder.build()
        #expect(b.hit("nxdomain", .malwareSite)?.action == .nxdomain)
        #expect(b.hit("nodata", .malwareSite)?.action == .nodata)
        #expect(b.hit("a.nxdomain", .malwareSite)?.action == .nodata)
        #expect(b.hit("rpzdrop", .malwareSite)?.action == .drop)
        #expect(b.hit("rpzpassthru", .allow) != nil)
        #expect(b.hit("rra", .malwareSite)?.action == .localData)
        #expect(b.hit("rra-zonename-suffix", .malwareSite)?.action == .localData)
        #expect(b.hit("testdomain.rra", .malwareSite)?.action == .localData)
        #expect(b.hit("case.sensitive", .malwareSite)?.action == .localData)
        #expect(b.hit("CASE.SENSITIVE", .malwareSite)?.name == "case.sensitive")
    }

    @Test func bind9() throws {
        var builder = BlocklistBuilder()
        let base = try builder.load(path: DNSCorpus.path("bind9-rpz-base.db"), list: "base", kind: .cnc, format: .rpz)
        #expect(base.issues.filter { $0.reason.hasPrefix("rpz-ip trigger") }.count == 8)
        #expect(base.issueCount == 9)  // and the CNAME to google.com
        #expect(base.entries == 3)
        let ns9 = try builder.load(path: DNSCorpus.path("bind9-rpz-ns9.db"), list: "ns9", kind: .cnc, format: .rpz)
        #expect(ns9.issueCount == 0)
        #expect(ns9.entries == 3)
        let b = builder.build()
        #expect(b.hit("x.redirect", .cnc)?.action == .localData)
        #expect(b.hit("a-only.example", .cnc)?.action == .nodata)
        #expect(b.lists.map(\.name) == ["base", "ns9"])
    }

    @Test func unboundQnameZones() throws {
        let zones = try DNSCorpus.unboundZones("unbound-rpz_qname.rpl")
        #expect(zones.map(\.zone) == ["rpz.example.com", "rpz2.example.com"])
        var builder = BlocklistBuilder()
        let first = try builder.load(text: zones[0].text, file: "rpz_qname", list: "one", kind: .cnc, format: .rpz, zone: zones[0].zone)
        let second = try builder.load(text: zones[1].text, file: "rpz_qname", list: "two", kind: .cnc, format: .rpz, zone: zones[1].zone)
        #expect(first.entries == 4)
        #expect(first.issues.map(\.reason) == ["a second action for this trigger: the first is kept", "TXT local data: not supported (A/AAAA only)"])
        #expect(second.entries == 3)
        #expect(second.issueCount == 4)
        let b = builder.build()
        #expect(b.hit("a", .cnc)?.action == .nxdomain)
        #expect(b.hit("b.a", .cnc)?.action == .nodata)
        #expect(b.hit("c.a", .allow) != nil)
        #expect(b.hit("drop", .cnc)?.action == .drop)
        #expect(b.hit("tcp", .cnc)?.action == .tcpOnly)
        // c.g: PASSTHRU in the first zone, NXDOMAIN in the second; the allow entry wins.
        let cg = b.matching("c.g")
        #expect(cg.allow != nil && cg.cnc != nil)
    }

    @Test(arguments: [
        "unbound-rpz_axfr.rpl", "unbound-rpz_clientip.rpl", "unbound-rpz_clientip_override.rpl", "unbound-rpz_cname_tag.rpl",
        "unbound-rpz_ixfr.rpl", "unbound-rpz_nsdname.rpl", "unbound-rpz_nsip.rpl", "unbound-rpz_passthru.rpl", "unbound-rpz_qname.rpl",
        "unbound-rpz_qname_override.rpl", "unbound-rpz_qname_tcponly.rpl", "unbound-rpz_respip.rpl",
    ])
    func unboundZonesLoadAndRefuseOnlyWhatIsUnsupported(file: String) throws {
        let zones = try DNSCorpus.unboundZones(file)
        #expect(!zones.isEmpty)
        var builder = BlocklistBuilder()
        for (index, zone) in zones.enumerated() {
            let report = try builder.load(text: zone.text, file: file, list: "\(file)#\(index)", kind: .cnc, format: .rpz, zone: zone.zone)
            for issue in report.issues {
                let known =
                    issue.reason.hasSuffix("trigger: not supported (QNAME triggers only)")
                    || issue.reason.hasSuffix("not supported (A/AAAA only)")
                    || issue.reason.hasSuffix("not supported (A/AAAA local data only)")
                    || issue.reason == "a second action for this trigger: the first is kept"
                #expect(known, "\(issue)")
            }
        }
        // rpz-client-ip only: nothing to match, every line refused.
        if file == "unbound-rpz_clientip.rpl" {
            #expect(builder.build().entryCount == 0)
            #expect(builder.reports.first?.issueCount == 7)
        }
        if file == "unbound-rpz_qname_tcponly.rpl" {
            #expect(builder.build().hit("b.a", .cnc)?.action == .tcpOnly)
            #expect(builder.build().hit("a.a", .allow) != nil)
        }
    }
}

/// Parsers of outside input never trap: random lines over the bytes that matter to each format.
@Suite struct ListParserRobustnessTests {
    @Test(arguments: ListFormat.allCases)
    func randomLinesNeverTrap(format: ListFormat) throws {
        var random = SplitMix64(seed: 0x5EED + UInt64(format.rawValue.utf8.count))
        let alphabet = Array("abcXYZ019-_.*@$;()\"\\ \t/:?#[]|^\u{00}\u{FF}é\r".utf8)
        let words = [
            "$ORIGIN", "$TTL", "$INCLUDE", "@", "IN", "3600", "CNAME", "A", "AAAA", "TXT", "SOA", "NS", ".", "*.", "rpz-drop.",
            "rpz-passthru.", "rpz-ip", "http://", "0.0.0.0", "192.0.2.1", "2001:db8::1", "(", ")", "x.example", "*.y.example",
        ]
        var text = ""
        for _ in 0..<3000 {
            var line = ""
            for _ in 0..<random.within(0...8) {
                if random.chance(0.5) {
                    line += words[random.below(words.count)]
                } else {
                    line += String(decoding: (0..<random.within(1...70)).map { _ in alphabet[random.below(alphabet.count)] }, as: UTF8.self)
                }
                line += random.chance(0.8) ? " " : ""
            }
            text += line + "\n"
        }
        var builder = BlocklistBuilder()
        let report = try builder.load(text: text, file: "random", list: "random", kind: .cnc, format: format, zone: random.chance(0.5) ? "rpz." : nil)
        #expect(report.entries + report.issueCount + report.duplicates + report.skipped.values.reduce(0, +) <= 3000 * 8)
        let blocklist = builder.build()
        // And the matcher, on random text and on every listed name.
        for _ in 0..<2000 {
            let bytes = (0..<random.within(0...80)).map { _ in alphabet[random.below(alphabet.count)] }
            _ = bytes.withUnsafeBufferPointer { blocklist.match(text: $0) }
        }
        for line in text.split(separator: "\n") {
            for word in line.split(separator: " ") {
                _ = Array(word.utf8).withUnsafeBufferPointer { blocklist.match(text: $0) }
            }
        }
    }
}

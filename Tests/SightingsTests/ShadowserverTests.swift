import Addressing
import Foundation
import MamoriTesting
import Testing
import TextScanning

@testable import Sightings

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct ShadowserverTests {
    // MARK: meaning from the mappings

    @Test func infectedReportRowsAreSightingsWithTheirSourcePort() throws {
        let result = try SightingReader().parse(contentsOf: Paths.corpus("shadowserver/event4_sinkhole_http.csv"))
        let first = try #require(result.sightings.first)
        #expect(first.source == IPAddress("103.196.1.2"))
        #expect(first.sourcePort == 60902)
        #expect(first.time == instant("2021-03-04T00:00:00Z"))
        #expect(first.kind == .sinkholeContact)
        #expect(first.family == "andromeda")
        #expect(first.feed == "shadowserver:event4_sinkhole_http")
        #expect(first.evidence == "event4_sinkhole_http.csv:2")
        #expect(result.sightings.map(\.sourcePort) == [60902, 55002, 31350, 28063, 45335])
    }

    @Test func notInfectedReportRowsAreCountedAndNeverRead() throws {
        // Line 6 of the DDoS-amplification report has a broken src_ip (`37.120.178.9.10`): its
        // rows name reflection victims, so they are dropped without reading a field, and the
        // broken address is no issue.
        let amp = try SightingReader().parse(contentsOf: Paths.corpus("shadowserver/event4_honeypot_ddos_amp.csv"))
        #expect(amp.sightings.isEmpty)
        #expect(amp.summary.notInfected == 5)
        #expect(amp.summary.rejected == 0)
        let resolvers = try SightingReader().parse(contentsOf: Paths.corpus("shadowserver/scan_dns.csv"))
        #expect(resolvers.sightings.isEmpty && resolvers.summary.notInfected == 100)
    }

    @Test func sameRowsMeanWhatTheMappingSays() throws {
        // One file, two mappings: the meaning is data, not code.
        let bytes = try Data(contentsOf: Paths.corpus("shadowserver/event4_sinkhole.csv"))
        let infected = try SightingReader().parse(bytes: bytes, fileName: "event4_sinkhole.csv")
        #expect(infected.summary.sightings == 3)
        let flipped = try ShadowserverMappings(reports: [
            ShadowserverReport(type: "event4_sinkhole", title: "t", meaning: .notInfected, why: "test")
        ])
        let dropped = try SightingReader(mappings: flipped).parse(bytes: bytes, fileName: "event4_sinkhole.csv")
        #expect(dropped.summary.sightings == 0 && dropped.summary.notInfected == 3)
    }

    @Test func sinkholeDNSResolversNeverOpenCases() throws {
        let csv = """
            "timestamp","protocol","src_ip","src_port","infection","family","tag","query"
            "2026-11-27 00:00:00","udp","192.0.2.53",53,"necurs","necurs",,"x.example"
            """
        let result = try SightingReader().parse(bytes: Array(csv.utf8), fileName: "2026-11-27-event4_sinkhole_dns-jp-asn.csv")
        #expect(result.summary.feed == "shadowserver:event4_sinkhole_dns")
        #expect(result.sightings.isEmpty && result.summary.notInfected == 1)
    }

    @Test func rowRulesDecideMeaningPerRow() throws {
        let csv = """
            "timestamp","ip","port","tag","version"
            "2026-11-27 01:00:00","192.0.2.1",443,"exchange;cve-2021-26855","15.1"
            "2026-11-27 01:00:01","192.0.2.2",443,"exchange;webshell","15.1"
            "2026-11-27 01:00:02","192.0.2.3",443,"EXCHANGE;WEBSHELL;cve-2021-26855","15.1"
            """
        let result = try SightingReader().parse(bytes: Array(csv.utf8), fileName: "2026-11-27-scan_exchange-jp-asn.csv")
        #expect(result.summary.notInfected == 1)
        #expect(result.sightings.map(\.source) == [IPAddress("192.0.2.2"), IPAddress("192.0.2.3")].compactMap { $0 })
        #expect(result.sightings.allSatisfy { $0.family == "exchange-webshell" && $0.kind == .thirdPartyReport })
    }

    @Test func bruteForceContentColumnsAreNeverKept() throws {
        let csv = """
            "timestamp","protocol","src_ip","src_port","infection","family","tag","service","start_time","end_time","client_version","username","password","payload_url","payload_md5"
            "2026-11-27 00:00:00","tcp","192.0.2.22",50022,"ssh-brute-force",,,"ssh",,,,"admin","Sup3rSecret!","http://192.0.2.99/bins.sh","d41d8cd98f00b204e9800998ecf8427e"
            """
        let result = try SightingReader().parse(
            bytes: Array(csv.utf8), fileName: "2026-11-27-event4_honeypot_brute_force-jp-asn.csv")
        let s = try #require(result.sightings.first)
        let encoded = String(decoding: try JSONEncoder().encode(result.sightings), as: UTF8.self)
        for secret in ["admin", "Sup3rSecret!", "bins.sh", "d41d8cd98f00b204e9800998ecf8427e"] {
            #expect(!encoded.contains(secret))
        }
        #expect(s.family == "ssh-brute-force" && s.sourcePort == 50022)
    }

    // MARK: bad rows

    @Test func badRowsNameFileAndLineAndTheRestParse() throws {
        let result = try SightingReader().parse(contentsOf: Paths.fixture("2026-11-27-event4_sinkhole_http-hand-made-asn.csv"))
        let s = result.summary
        #expect(Counts(s) == Counts(records: 13, sightings: 6, rejected: 7))
        #expect(s.balances)
        let file = "2026-11-27-event4_sinkhole_http-hand-made-asn.csv"
        #expect(
            s.issues.map(\.description) == [
                "\(file):5: src_ip: not an IP address",
                "\(file):6: timestamp: time field out of range",
                "\(file):7: src_port: not a port number",
                "\(file):8: row has 13 fields, the header 12",
                "\(file):9: http_agent: text after the closing quote",
                "\(file):13: src_ip: empty",
                "\(file):14: timestamp: text after the closing quote",
            ])
        #expect(
            result.sightings.map(\.evidence) == [2, 3, 10, 11, 12, 15].map { "\(file):\($0)" })
        // A quoted field with commas, doubled quotes and a line break does not disturb the row.
        #expect(result.sightings[1].family == "gozi")
        // IPv6, an empty port, the family from `infection`; an IPv4-mapped address as IPv4.
        #expect(result.sightings[3].source == IPAddress("2001:db8::9") && result.sightings[3].sourcePort == nil)
        #expect(result.sightings[3].family == "ramnit")
        #expect(result.sightings[4].source == IPAddress("192.0.2.10") && result.sightings[4].family == nil)
        #expect(result.sightings[5].time == instant("2026-11-27T00:00:13Z"))
        // No issue repeats a value of the row it names.
        for issue in s.issues {
            for value in ["192.0.2.300", "70000", "25:00", "unclosed", "extra"] { #expect(!issue.reason.contains(value)) }
        }
    }

    @Test func malformedDestinationIsNotReadSoTheRowIsKept() throws {
        // The 2021-05 sinkhole file's last row has dst_ip `148.81.111.11.12`. The destination
        // (the sinkhole) is not a data item of the notification, so it is never parsed: the row
        // is a good sighting of its source.
        let result = try SightingReader().parse(
            contentsOf: Paths.corpus("shadowserver/event4_sinkhole_2021-05_malformed-row.csv"))
        let last = try #require(result.sightings.last)
        #expect(last.source == IPAddress("35.197.11.12") && last.sourcePort == 36968)
        #expect(last.evidence == "event4_sinkhole_2021-05_malformed-row.csv:7")
        #expect(
            result.sightings.map { $0.family ?? "-" } == [
                "victorygate.b", "b68-zeroaccess-2-32bit", "b68-zeroaccess-2-32bit", "b68-zeroaccess-1-32bit", "virut", "virut",
            ])
    }

    @Test func shortRowReadsMissingTrailingFieldsAsEmpty() throws {
        // The Microsoft sinkhole file's JP row lacks its last field (event_id).
        let result = try SightingReader().parse(contentsOf: Paths.corpus("shadowserver/event4_microsoft_sinkhole.csv"))
        let jp = try #require(result.sightings.last)
        #expect(jp.source == IPAddress("124.101.11.12") && jp.sourcePort == 50386 && jp.family == "zeroaccess")
    }

    @Test func unclosedQuoteAtTheEndIsAnIssue() throws {
        let csv = "\"timestamp\",\"src_ip\",\"src_port\"\n\"2026-11-27 00:00:00\",\"192.0.2.1\",1\n\"2026-11-27 00:00:01\",\"192.0.2.2"
        let result = try SightingReader().parse(bytes: Array(csv.utf8), fileName: "event4_sinkhole.csv")
        #expect(Counts(result.summary) == Counts(records: 2, sightings: 1, rejected: 1))
        #expect(result.summary.issues.map(\.description) == ["event4_sinkhole.csv:3: src_ip: quoted field not closed"])
    }

    @Test func crlfLineEndsAndByteOrderMark() throws {
        let csv =
            "\u{FEFF}\"timestamp\",\"src_ip\",\"src_port\",\"family\"\r\n\"2026-11-27 00:00:00\",\"192.0.2.1\",1,\"Virut\"\r\n\r\n\"2026-11-27 00:00:01\",\"192.0.2.2\",2,\"virut\"\r\n"
        let result = try SightingReader().parse(bytes: Array(csv.utf8), fileName: "event4_sinkhole.csv")
        #expect(result.sightings.map(\.evidence) == ["event4_sinkhole.csv:2", "event4_sinkhole.csv:4"])
        #expect(result.sightings.allSatisfy { $0.family == "virut" })
    }

    @Test func overlongRowIsSkippedAndReadingGoesOn() throws {
        let url = Paths.temporary("event4_sinkhole.csv")
        defer { Paths.remove(url) }
        var text = "\"timestamp\",\"src_ip\",\"src_port\",\"family\"\n"
        text += "\"2026-11-27 00:00:00\",\"192.0.2.1\",1,\"" + String(repeating: "x", count: 2 * SightingReader.maximumRecordLength) + "\"\n"
        text += "\"2026-11-27 00:00:01\",\"192.0.2.2\",2,\"virut\"\n"
        try Data(text.utf8).write(to: url)
        let result = try SightingReader(chunkSize: 1 << 16).parse(contentsOf: url)
        #expect(Counts(result.summary) == Counts(records: 2, sightings: 1, rejected: 1))
        #expect(result.summary.issues.first?.line == 2)
        #expect(result.sightings.first?.evidence.hasSuffix(":3") == true)
        // Longer than the limit but within one buffer: skipped the same way.
        var shorter = "\"timestamp\",\"src_ip\",\"src_port\",\"family\"\n"
        shorter += "\"2026-11-27 00:00:00\",\"192.0.2.1\",1,\"" + String(repeating: "y", count: SightingReader.maximumRecordLength) + "\"\n"
        let inMemory = try SightingReader().parse(bytes: Array(shorter.utf8), fileName: "event4_sinkhole.csv")
        #expect(inMemory.summary.issues.map(\.reason) == ["record longer than \(SightingReader.maximumRecordLength) bytes, skipped"])
    }

    @Test func issueLimitKeepsCountingBeyondIt() throws {
        var csv = "\"timestamp\",\"src_ip\",\"src_port\"\n"
        for i in 0..<50 { csv += "\"2026-11-27 00:00:00\",\"bad\(i)\",1\n" }
        let result = try SightingReader(issueLimit: 10).parse(bytes: Array(csv.utf8), fileName: "event4_sinkhole.csv")
        #expect(result.summary.issues.count == 10 && result.summary.issuesSuppressed == 40 && result.summary.rejected == 50)
    }

    // MARK: report type

    @Test func reportTypeFromFileNames() throws {
        let m = try ShadowserverMappings.bundled()
        #expect(m.reportType(fromFileName: "2026-11-27-event4_sinkhole_http-jp-geo_as.csv") == .known("event4_sinkhole_http"))
        #expect(m.reportType(fromFileName: "/in/2020-08-02-scan_smb-anarres-geo.csv") == .known("scan_smb"))
        #expect(m.reportType(fromFileName: "event4_sinkhole_2021-05_malformed-row.csv") == .known("event4_sinkhole"))
        #expect(m.reportType(fromFileName: "event4_sinkhole_http.csv") == .known("event4_sinkhole_http"))
        #expect(m.reportType(fromFileName: "botnet_drone.csv") == .known("botnet_drone"))
        #expect(m.reportType(fromFileName: "2026-11-27-event4_new_thing-jp.csv") == .unknown("event4_new_thing"))
        #expect(m.reportType(fromFileName: "event4_sinkhole_foo.csv") == .unknown("event4_sinkhole_foo"))
        #expect(m.reportType(fromFileName: "report.csv") == .none)
        #expect(m.reportType(fromFileName: "2026-11-27-event4_sinkhole-jp.json") == .none)
    }

    @Test func everyNameInTheReportsListIsKnown() throws {
        let data = try Data(contentsOf: Paths.corpus("shadowserver/reports-list.json"))
        let list = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let m = try ShadowserverMappings.bundled()
        #expect(list.count == 5)
        for entry in list {
            let file = try #require(entry["file"] as? String)
            let type = try #require(entry["type"] as? String)
            #expect(m.reportType(fromFileName: file) == .known(type))
            #expect(m.report(named: type)?.meaning == .notInfected)  // scans: vulnerability notices, not infections
        }
    }

    @Test func attachmentNamesOfTheShadowserverMailsAreKnown() throws {
        // The report mails carry the CSV zipped; its name tells the report type.
        for (mail, type, meaning) in [
            ("abuse/shadowserver-sinkhole_http_drone-sample.eml", "sinkhole_http_drone", ShadowserverReport.Meaning.infected),
            ("abuse/shadowserver-dns_openresolver-sample.eml", "dns_openresolver", .notInfected),
        ] {
            let text = try String(contentsOf: Paths.corpus(mail), encoding: .utf8)
            let range = try #require(text.range(of: #"filename=[^\s;]+\.csv"#, options: .regularExpression))
            let name = String(text[range].dropFirst("filename=".count))
            let m = try ShadowserverMappings.bundled()
            #expect(m.reportType(fromFileName: name) == .known(type))
            #expect(m.report(named: type)?.meaning == meaning)
        }
    }

    @Test func reportTypeFromTheHeaderWhenTheNameSaysNothing() throws {
        let bytes = try Data(contentsOf: Paths.corpus("shadowserver/botnet_drone.csv"))
        let result = try SightingReader().parse(bytes: bytes, fileName: "upload.csv", feed: .shadowserver(report: nil))
        #expect(result.summary.feed == "shadowserver:botnet_drone" && result.summary.sightings == 102)
        // event4_sinkhole and event4_microsoft_sinkhole share a header: no guess.
        let sinkhole = try Data(contentsOf: Paths.corpus("shadowserver/event4_sinkhole.csv"))
        #expect(throws: SightingError.self) {
            try SightingReader().parse(bytes: sinkhole, fileName: "upload.csv", feed: .shadowserver(report: nil))
        }
        // Naming the type works.
        let named = try SightingReader().parse(
            bytes: sinkhole, fileName: "upload.csv", feed: .shadowserver(report: "event4_microsoft_sinkhole"))
        #expect(named.summary.feed == "shadowserver:event4_microsoft_sinkhole" && named.summary.sightings == 3)
    }

    @Test func unknownReportTypeAndMissingColumnsStopTheFile() throws {
        let csv = Array("\"timestamp\",\"src_ip\"\n\"2026-11-27 00:00:00\",\"192.0.2.1\"\n".utf8)
        #expect(throws: SightingError.unknownReportType(file: "2026-11-27-event4_new_thing-jp.csv", type: "event4_new_thing")) {
            try SightingReader().parse(bytes: csv, fileName: "2026-11-27-event4_new_thing-jp.csv")
        }
        let noIP = Array("\"timestamp\",\"dst_ip\"\n\"2026-11-27 00:00:00\",\"192.0.2.1\"\n".utf8)
        #expect(
            throws: SightingError.missingColumn(file: "event4_sinkhole.csv", role: "source IP", candidates: ["src_ip", "ip"])
        ) {
            try SightingReader().parse(bytes: noIP, fileName: "event4_sinkhole.csv")
        }
        #expect(throws: SightingError.badHeader(file: "event4_sinkhole.csv", reason: "no header row")) {
            try SightingReader().parse(bytes: [], fileName: "event4_sinkhole.csv", feed: .shadowserver(report: nil))
        }
    }

    // MARK: the mappings file

    @Test func bundledMappingsLoadAndAreConsistent() throws {
        let m = try ShadowserverMappings.bundled()
        #expect(m.reports.count > 20)
        for report in m.reports {
            #expect(!report.why.isEmpty)
            if report.canBeInfected { #expect(report.kind != nil) }
        }
        #expect(m.report(named: "event6_sinkhole_http")?.type == "event4_sinkhole_http")
        #expect(m.report(named: "event4_sinkhole_dns")?.meaning == .notInfected)
        #expect(m.report(named: "event4_honeypot_ddos_amp")?.meaning == .notInfected)
        #expect(m.report(named: "scan_dns")?.meaning == .notInfected)
        #expect(m.report(named: "event4_sinkhole")?.kind == .sinkholeContact)
    }

    @Test(arguments: [
        (#"{"version":2,"reports":[]}"#, "(file): version"),
        (#"{"version":1}"#, "(file): reports"),
        (#"{"version":1,"reports":[{"type":"x","title":"t","meaning":"maybe","why":"w","time":["t"],"ip":["i"]}]}"#, "x: meaning"),
        (#"{"version":1,"reports":[{"type":"x","title":"t","meaning":"infected","why":"w","time":["t"],"ip":["i"]}]}"#, "x: kind"),
        (#"{"version":1,"reports":[{"type":"x","title":"t","meaning":"infected","kind":"sinkholeContact","time":["t"],"ip":["i"]}]}"#, "x: why"),
        (
            #"{"version":1,"reports":[{"type":"x","title":"t","meaning":"not-infected","why":"w","colour":"red","time":["t"],"ip":["i"]}]}"#,
            "x: colour"
        ),
        (
            #"{"version":1,"reports":[{"type":"x","title":"t","meaning":"not-infected","why":"w","time":["t"],"ip":["i"],"rules":[{"column":"tag","meaning":"infected","kind":"thirdPartyReport"}]}]}"#,
            "x: rules[0]"
        ),
        (
            #"{"version":1,"reports":[{"type":"x","title":"t","meaning":"not-infected","why":"w","time":["t"],"ip":["i"]},{"type":"y","aliases":["x"],"title":"t","meaning":"not-infected","why":"w","time":["t"],"ip":["i"]}]}"#,
            "x: type"
        ),
        (#"{"version":1,"reports":[{"type":"x","title":"t","meaning":"not-infected","why":"w","ip":["i"]}]}"#, "x: time"),
    ])
    func invalidMappingsNameEntryAndField(_ json: String, _ place: String) {
        do {
            _ = try ShadowserverMappings(json: Data(json.utf8))
            Issue.record("accepted invalid mappings")
        } catch {
            #expect(error.description.hasPrefix("shadowserver mappings: " + place), "\(error)")
        }
    }

    @Test func mappingsFromAFile() throws {
        let url = Paths.temporary("mappings.json")
        defer { Paths.remove(url) }
        let json = #"""
            {"version":1,"defaults":{"time":["timestamp"],"ip":["src_ip"]},
             "reports":[{"type":"event4_new_thing","title":"New","meaning":"infected","kind":"thirdPartyReport","why":"test","family":["tag"]}]}
            """#
        try Data(json.utf8).write(to: url)
        let m = try ShadowserverMappings(contentsOf: url)
        let csv = Array("\"timestamp\",\"src_ip\",\"src_port\",\"tag\"\n\"2026-11-27 00:00:00\",\"192.0.2.1\",7,\"Qbot\"\n".utf8)
        let result = try SightingReader(mappings: m).parse(bytes: csv, fileName: "2026-11-27-event4_new_thing-jp.csv")
        let s = try #require(result.sightings.first)
        #expect(s.family == "qbot" && s.sourcePort == nil)  // no port column in this mapping
    }

    // MARK: synthetic reports

    @Test func synthesisedReportParsesBack() throws {
        let url = Paths.temporary("2026-11-27-event4_sinkhole_http-bench-asn.csv")
        defer { Paths.remove(url) }
        let prefix = try #require(IPPrefix("203.0.113.0/24"))
        try ShadowserverSynth.write(rows: 5000, to: url, sources: [prefix])
        let result = try SightingReader(chunkSize: 8192).parse(contentsOf: url)
        #expect(Counts(result.summary) == Counts(records: 5000, sightings: 5000))
        #expect(result.sightings.allSatisfy { prefix.contains($0.source) && $0.sourcePort != nil && $0.family != nil })
        #expect(zip(result.sightings, result.sightings.dropFirst()).allSatisfy { $0.time <= $1.time })
        let header = try String(contentsOf: Paths.corpus("shadowserver/event4_sinkhole_http.csv"), encoding: .utf8)
            .split(separator: "\n").first.map(String.init)
        #expect(header == ShadowserverSynth.header)
    }
}

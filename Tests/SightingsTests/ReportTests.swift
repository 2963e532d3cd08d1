import Addressing
import Foundation
import MamoriTesting
import Testing
import TextScanning

@testable import Sightings

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct CnCTakedownTests {
    static let csvLayout: CnCLogLayout = {
        (try? CnCLogLayout(
            format: .csv, ipColumn: "client_ip", portColumn: "client_port", timeColumn: "first_seen", familyColumn: "botnet",
            timeFormat: .rfc3339, family: "Emotet")) ?? .default
    }()

    @Test func csvWithConfiguredColumnsAndRFC3339() throws {
        let result = try SightingReader().parse(
            contentsOf: Paths.fixture("cnc-takedown-botnet-2026-11.csv"), feed: .cncTakedown(Self.csvLayout))
        let file = "cnc-takedown-botnet-2026-11.csv"
        #expect(result.summary.feed == "cnc-takedown")
        #expect(Counts(result.summary) == Counts(records: 7, sightings: 3, rejected: 4))
        #expect(
            result.summary.issues.map(\.description) == [
                "\(file):4: first_seen: time has no zone (expected Z or ±HH:MM)",
                "\(file):5: client_ip: not an IP address",
                "\(file):6: client_port: not a port number",
                "\(file):9: row has 5 fields, the header 6",
            ])
        let s = result.sightings
        #expect(s.map(\.source) == ["192.0.2.10", "2001:db8::1:5", "203.0.113.10"].compactMap { IPAddress($0) })
        #expect(s.map(\.sourcePort) == [49152, nil, 443])
        #expect(s[0].time == instant("2026-11-20T01:00:00Z"))  // +09:00 normalised
        #expect(s[1].time == Date(timeIntervalSince1970: instant("2026-11-20T01:05:30Z").timeIntervalSince1970 + 0.25))
        #expect(s.allSatisfy { $0.kind == .cncLogEntry && $0.family == "emotet" && $0.feed == "cnc-takedown" })
        #expect(s.map(\.evidence) == ["\(file):2", "\(file):3", "\(file):7"])
        // The command column is never read, so its content is nowhere.
        let encoded = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        #expect(!encoded.contains("download") && !encoded.contains("example.invalid") && !encoded.contains("b-0001"))
    }

    @Test func jsonLinesWithEpochSeconds() throws {
        let layout = try CnCLogLayout(
            format: .jsonLines, ipColumn: "peer", portColumn: "peer_port", timeColumn: "ts", familyColumn: "botnet",
            timeFormat: .epochSeconds)
        let result = try SightingReader().parse(
            contentsOf: Paths.fixture("cnc-takedown-panel-2026-11.jsonl"), feed: .cncTakedown(layout))
        let file = "cnc-takedown-panel-2026-11.jsonl"
        #expect(Counts(result.summary) == Counts(records: 7, sightings: 4, rejected: 3))
        #expect(
            result.summary.issues.map(\.description) == [
                "\(file):3: ts: not a time (expected seconds since 1970)",
                "\(file):4: peer: not an IP address",
                "\(file):6: not a JSON object",
            ])
        let s = result.sightings
        #expect(s.map(\.time) == [1_795_741_200, 1_795_741_260.5, 1_795_741_380, 1_795_741_440].map { Date(timeIntervalSince1970: $0) })
        #expect(s.map(\.sourcePort) == [50000, 50001, nil, nil])
        #expect(s.map(\.family) == [nil, nil, nil, "mirai"])
        let encoded = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        #expect(!encoded.contains("hunter2") && !encoded.contains("203.0.113.99"))
    }

    @Test func theSameLogReadAsRFC3339OrEpoch() throws {
        let rfc = Array("ip,port,time,family\n192.0.2.1,,2026-11-27T00:00:00Z,\n192.0.2.2,,1795737600,\n".utf8)
        let asRFC = try SightingReader().parse(bytes: rfc, fileName: "cnc.csv", feed: .cncTakedown(.default))
        #expect(asRFC.sightings.count == 1 && asRFC.summary.rejected == 1)
        let epochLayout = try CnCLogLayout(ipColumn: "ip", portColumn: "port", timeColumn: "time", timeFormat: .epochSeconds)
        let asEpoch = try SightingReader().parse(bytes: rfc, fileName: "cnc.csv", feed: .cncTakedown(epochLayout))
        #expect(asEpoch.sightings.count == 1 && asEpoch.summary.rejected == 1)
        #expect(asRFC.sightings[0].time == asEpoch.sightings[0].time)  // 1795737600 = 2026-11-27T00:00:00Z
    }

    @Test func zonelessTimesAreRefused() throws {
        for text in ["2026-11-27T00:00:00", "2026-11-27 00:00:00", "2026-11-27T00:00:00+0900", "2026-11-27T00:00:00 UTC"] {
            let csv = Array("ip,port,time,family\n192.0.2.1,1,\(text),x\n".utf8)
            let result = try SightingReader().parse(bytes: csv, fileName: "cnc.csv", feed: .cncTakedown(.default))
            #expect(result.sightings.isEmpty && result.summary.rejected == 1, "accepted \(text)")
        }
    }

    @Test func layoutsAreValidatedAndMissingColumnsStopTheFile() throws {
        #expect(throws: SightingError.invalidLayout(field: "ipColumn", reason: "empty column name")) {
            try CnCLogLayout(ipColumn: "", timeColumn: "t")
        }
        #expect(throws: SightingError.invalidLayout(field: "timeColumn", reason: "column named twice in the layout")) {
            try CnCLogLayout(ipColumn: "x", timeColumn: "x")
        }
        let csv = Array("addr,port,time,family\n192.0.2.1,,2026-11-27T00:00:00Z,\n".utf8)
        #expect(throws: SightingError.missingColumn(file: "cnc.csv", role: "IP address", candidates: ["ip"])) {
            try SightingReader().parse(bytes: csv, fileName: "cnc.csv", feed: .cncTakedown(.default))
        }
    }

    @Test func layoutRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(Self.csvLayout)
        #expect(try JSONDecoder().decode(CnCLogLayout.self, from: data) == Self.csvLayout)
        let bad = Data(#"{"format":"csv","ipColumn":"","timeColumn":"t","timeFormat":"rfc3339"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CnCLogLayout.self, from: bad) }
    }
}

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct IoTReportTests {
    @Test func infectedRowsAreSightingsVulnerableOnesAreNot() throws {
        let result = try SightingReader().parse(contentsOf: Paths.fixture("iot-report-2026-11-27.csv"))
        let file = "iot-report-2026-11-27.csv"
        #expect(result.summary.feed == "iot-report")
        #expect(Counts(result.summary) == Counts(records: 6, sightings: 2, notInfected: 1, rejected: 3))
        #expect(
            result.summary.issues.map(\.description) == [
                "\(file):5: observed_at: time has no zone (expected Z or ±HH:MM)",
                "\(file):6: status: not infected or vulnerable",
                "\(file):7: port: not a port number",
            ])
        let s = result.sightings
        #expect(s.map(\.source) == ["192.0.2.50", "2001:db8:0:1::51"].compactMap { IPAddress($0) })
        #expect(s.map(\.sourcePort) == [23, nil])
        #expect(s.map(\.family) == ["mirai", nil])
        #expect(s.allSatisfy { $0.kind == .thirdPartyReport && $0.feed == "iot-report" })
        #expect(s[0].time == instant("2026-11-27T03:00:00Z"))
    }

    @Test func columnsAreFoundByNameAndOthersAreNotRead() throws {
        let csv = Array("reporter_note,status,ip,observed_at\n\"owner: 山田, tel 03-0000\",INFECTED,192.0.2.9,2026-11-27T00:00:00Z\n".utf8)
        let result = try SightingReader().parse(bytes: csv, fileName: "notice.csv", feed: .iotReport)
        #expect(result.sightings.count == 1 && result.sightings[0].family == nil && result.sightings[0].sourcePort == nil)
        let missing = Array("ip,status\n192.0.2.9,infected\n".utf8)
        #expect(throws: SightingError.missingColumn(file: "notice.csv", role: "observed_at", candidates: ["observed_at"])) {
            try SightingReader().parse(bytes: missing, fileName: "notice.csv", feed: .iotReport)
        }
    }
}

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct FeedDetectionTests {
    static func head(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Paths.corpus(path)).prefix(8192))
    }

    @Test func corpusFilesAreRecognised() throws {
        let cases: [(String, SightingFeed)] = [
            ("cowrie/cowrie.json.2018-05-06", .cowrie),
            ("abuse/cowrie-2019-telnet-ssh-head.json", .cowrie),
            ("dionaea/dionaea.json", .dionaea),
            ("abuse/dionaea-mhn-session-2017-head.json", .dionaea),
            ("shadowserver/botnet_drone.csv", .shadowserver(report: nil)),
            ("shadowserver/scan_dns.csv", .shadowserver(report: nil)),
            ("shadowserver/event4_sinkhole_2021-05_malformed-row.csv", .shadowserver(report: nil)),
        ]
        for (path, feed) in cases {
            let name = Paths.corpus(path).lastPathComponent
            #expect(SightingFeed.detect(fileName: name, firstBytes: try Self.head(path)) == feed, "\(path)")
            // The content alone is enough too.
            #expect(SightingFeed.detect(fileName: "upload", firstBytes: try Self.head(path)) == feed, "\(path) by content")
        }
    }

    @Test func fixturesAndNonFeeds() throws {
        let iot = Array(try Data(contentsOf: Paths.fixture("iot-report-2026-11-27.csv")))
        #expect(SightingFeed.detect(fileName: "x.csv", firstBytes: iot) == .iotReport)
        #expect(SightingFeed.detect(fileName: "x.csv", firstBytes: Array("ip,port,time,family\n".utf8)) == .cncTakedown(.default))
        #expect(SightingFeed.detect(fileName: "x.csv", firstBytes: Array("ip,time\n".utf8)) == nil)
        // A layout's port or family column missing from the header is a misconfiguration, not a guess.
        #expect(throws: SightingError.missingColumn(file: "cnc.csv", role: "port", candidates: ["port"])) {
            try SightingReader().parse(bytes: Array("ip,time\n".utf8), fileName: "cnc.csv", feed: .cncTakedown(.default))
        }
        #expect(
            SightingFeed.detect(fileName: "x.jsonl", firstBytes: Array(#"{"ip":"192.0.2.1","time":"2026-11-27T00:00:00Z"}"#.utf8))
                == .cncTakedown(.defaultJSONLines))
        // A custom C&C layout is never guessed.
        let custom = Array(try Data(contentsOf: Paths.fixture("cnc-takedown-botnet-2026-11.csv")))
        #expect(SightingFeed.detect(fileName: "cnc-takedown-botnet-2026-11.csv", firstBytes: custom) == nil)
        #expect(
            SightingFeed.detect(fileName: "intelmq_schema.json.test.json", firstBytes: try Self.head("shadowserver/intelmq_schema.json.test.json"))
                == nil)
        #expect(SightingFeed.detect(fileName: "empty", firstBytes: []) == nil)
        #expect(throws: SightingError.unknownFeed(file: "intelmq_schema.json.test.json")) {
            try SightingReader().parse(contentsOf: Paths.corpus("shadowserver/intelmq_schema.json.test.json"))
        }
    }

    @Test func unreadableFileIsAnError() {
        #expect(throws: SightingError.unreadable(file: "missing.csv", reason: "cannot open")) {
            try SightingReader().parse(contentsOf: URL(fileURLWithPath: "/nonexistent/missing.csv"), feed: .iotReport)
        }
    }

    @Test func feedNames() {
        #expect(SightingFeed.cowrie.name == "cowrie")
        #expect(SightingFeed.shadowserver(report: "event4_sinkhole").name == "shadowserver:event4_sinkhole")
        #expect(SightingFeed.cncTakedown(.default).name == "cnc-takedown")
        #expect(SightingFeed.iotReport.name == "iot-report")
    }
}

@Suite struct SightingValueTests {
    @Test func codableWritesTheAddressAsText() throws {
        let s = Sighting(
            source: try #require(IPAddress("::ffff:192.0.2.1")), sourcePort: 4444, time: Date(timeIntervalSince1970: 0),
            kind: .sinkholeContact, family: "andromeda", feed: "shadowserver:event4_sinkhole", evidence: "x.csv:2")
        #expect(s.source == IPAddress("192.0.2.1"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(s), as: UTF8.self)
        #expect(json.contains(#""source":"192.0.2.1""#) && json.contains(#""kind":"sinkholeContact""#))
        #expect(try JSONDecoder().decode(Sighting.self, from: Data(json.utf8)) == s)
        let bad = json.replacingOccurrences(of: "192.0.2.1", with: "192.0.2.999")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Sighting.self, from: Data(bad.utf8)) }
    }

    @Test func issuesPrintAsFileLineReason() {
        #expect(SightingParseIssue(file: "a.csv", line: 7, reason: "src_ip: empty").description == "a.csv:7: src_ip: empty")
    }
}

@Suite struct FeedNameTests {
    @Test func namesRoundTrip() {
        for feed: SightingFeed in [
            .cowrie, .dionaea, .shadowserver(report: nil), .shadowserver(report: "event4_sinkhole"), .iotReport, .cncTakedown(.default),
        ] {
            #expect(SightingFeed(name: feed.name) == feed)
        }
        #expect(SightingFeed(name: "cnc-takedown:json-lines") == .cncTakedown(.defaultJSONLines))
        #expect(SightingFeed(name: "shadowserver:") == nil)
        #expect(SightingFeed(name: "honeyd") == nil)
    }
}

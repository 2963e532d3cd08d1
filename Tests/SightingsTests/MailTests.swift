import Addressing
import Foundation
import MamoriTesting
import Testing
import TextScanning

@testable import Sightings

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct ReportMailTests {
    @Test func shadowserverMailsFromTheCorpus() throws {
        let drone = try SightingReader().parse(mail: Paths.corpus("abuse/shadowserver-sinkhole_http_drone-sample.eml"))
        #expect(drone.count == 1)
        let d = try #require(drone.first)
        #expect(d.summary.feed == "shadowserver:sinkhole_http_drone")
        #expect(Counts(d.summary) == Counts(records: 8, sightings: 8))
        #expect(d.sightings.first?.source == IPAddress("202.86.21.11") && d.sightings.first?.sourcePort == 8726)
        #expect(d.sightings.first?.family == "downadup" && d.sightings.first?.kind == .sinkholeContact)
        #expect(d.sightings.first?.evidence == "2015-01-01-sinkhole_http_drone-sample-asn.csv:2")
        #expect(Set(d.sightings.compactMap(\.family)) == ["downadup", "sality"])

        let resolvers = try SightingReader().parse(mail: Paths.corpus("abuse/shadowserver-dns_openresolver-sample.eml"))
        let r = try #require(resolvers.first)
        #expect(r.summary.feed == "shadowserver:dns_openresolver")
        #expect(Counts(r.summary) == Counts(records: 5, sightings: 0, notInfected: 5))
    }

    @Test func nestedPartsStoredAndDeflatedEntriesAndPlainAttachments() throws {
        let url = Paths.fixture("report-mail-hand-made.eml")
        let attachments = try ReportMail.csvAttachments(in: try Data(contentsOf: url), file: url.lastPathComponent)
        #expect(
            attachments.map(\.name) == [
                "2026-11-27-event4_sinkhole-mamori_test-asn.csv", "iot-report-2026-11-27.csv",
                "2026-11-27-scan_dns-mamori_test-asn.csv",
            ])
        let results = try SightingReader().parse(mail: url)
        #expect(results.map(\.summary.feed) == ["shadowserver:event4_sinkhole", "iot-report", "shadowserver:scan_dns"])
        #expect(
            results.map { Counts($0.summary) } == [
                Counts(records: 300, sightings: 300), Counts(records: 2, sightings: 1, notInfected: 1),
                Counts(records: 1, sightings: 0, notInfected: 1),
            ])
        #expect(results[0].sightings.last?.sourcePort == 40299)
    }

    @Test func damagedMailsAreErrorsNamingTheMail() throws {
        let good = try String(contentsOf: Paths.corpus("abuse/shadowserver-sinkhole_http_drone-sample.eml"), encoding: .utf8)
        // Flip bytes inside the base64 zip: the CRC (or the deflate stream) no longer matches.
        let damaged = good.replacingOccurrences(
            of: "b25lLXNhbXBsZS1hc24uY3N2VVQJAANicQhVYnEIVXV4CwABBAAAAAAEAAAAAL2TbWvbMBDH3+9T",
            with: "b25lLXNhbXBsZS1hc24uY3N2VVQJAANicQhVYnEIVXV4CwABBAAAAAAEAAAAAL2TbWvbMBDH3+9A")
        #expect(damaged != good)
        #expect(throws: SightingError.self) {
            try ReportMail.csvAttachments(in: Array(damaged.utf8), file: "x.eml")
        }
        let noBoundary = "Content-Type: multipart/mixed\r\n\r\nbody\r\n"
        #expect(throws: SightingError.malformedMail(file: "x.eml", reason: "multipart without boundary")) {
            try ReportMail.csvAttachments(in: Array(noBoundary.utf8), file: "x.eml")
        }
        let notZip = "Content-Type: application/zip; name=\"a.csv.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
        #expect(throws: SightingError.malformedMail(file: "x.eml", reason: "attachment a.csv.zip: not a zip archive")) {
            try ReportMail.csvAttachments(in: Array(notZip.utf8), file: "x.eml")
        }
        // A message without attachments has no reports (its text is not read).
        #expect(try ReportMail.csvAttachments(in: Array("Subject: hi\r\n\r\nno reports\r\n".utf8), file: "x.eml").isEmpty)
    }

    @Test func inflaterRefusesGarbageWithoutTrapping() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let junk = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? Inflater.inflate(junk, limit: 1 << 16)
        }
        // A stored block: BFINAL=1, BTYPE=00, LEN=3, NLEN=~3, "abc".
        #expect(try Inflater.inflate([0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63], limit: 16) == Array("abc".utf8))
        #expect(throws: Inflater.Failure.tooLarge) { try Inflater.inflate([0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63], limit: 2) }
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    /// Central-directory entries may all point at one local entry (a zip bomb without nesting):
    /// the limit holds for all entries of an archive together, not for each.
    @Test func overlappingZipEntriesShareOneLimit() throws {
        let data = Array(String(repeating: "ip,timestamp\n", count: 80).utf8)  // 1040 bytes
        let name = Array("a.csv".utf8)
        func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let crc = Int(CRC32.checksum(data))
        let sizes = le(crc, 4) + le(data.count, 4) + le(data.count, 4)
        let local = le(0x0403_4B50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + sizes + le(name.count, 2) + le(0, 2) + name + data
        let central =
            le(0x0201_4B50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + sizes
            + le(name.count, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) + name
        let entries = 3
        let directory = Array([[UInt8]](repeating: central, count: entries).joined())
        let zip =
            local + directory + le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(entries, 2) + le(entries, 2)
            + le(directory.count, 4) + le(local.count, 4) + le(0, 2)
        #expect(try ZipArchive.entries(zip, file: "x.eml", attachment: "z.zip", limit: 3 * data.count).count == 3)
        #expect(throws: SightingError.malformedMail(file: "x.eml", reason: "attachment z.zip: entries larger than the limit")) {
            try ZipArchive.entries(zip, file: "x.eml", attachment: "z.zip", limit: 3 * data.count - 1)
        }
    }
}

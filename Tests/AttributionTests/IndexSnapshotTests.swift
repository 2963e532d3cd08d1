import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import MamoriTesting
import Testing

/// The persisted index answers exactly as the one it was written from, and is refused when it
/// is of other records, another configuration, or damaged.
@Suite struct IndexSnapshotTests {
    func index() throws -> AttributionIndex {
        var b = AttributionIndex.Builder(config: AttributionConfig(skew: 30))
        var random = SplitMix64(seed: 11)
        let day = Date(timeIntervalSince1970: 1_795_737_600)
        for i in 0..<5000 {
            let v4 = IPPrefix(host: IPAddress(v4: 0xC633_6400 | UInt32(i % 256)))
            let v6 = try #require(IPPrefix(IPAddress(v6: (0x2001_0DB8_0000 << 80) | (UInt128(i) << 72)), length: 56))
            let from = day.addingTimeInterval(Double(random.below(86_400)))
            let to = from.addingTimeInterval(Double(60 + random.below(7200)))
            let who = b.subscriberID("sub-\(i % 700)")
            let session = b.sessionID("s\(i)")
            b.append(prefix: i % 2 == 0 ? v4 : v6, from: from, to: i % 17 == 0 ? nil : to, subscriberID: who, sessionID: session)
        }
        return b.build()
    }

    @Test func roundTripAnswersAlike() throws {
        let original = try index()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try original.writeSnapshot(to: path, stamp: "events=5000")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let loaded = try AttributionIndex(snapshotAt: path, stamp: "events=5000", config: AttributionConfig(skew: 30))
        #expect(loaded.sessionCount == original.sessionCount)
        #expect(loaded.subscriberCount == original.subscriberCount)
        #expect(loaded.report == original.report)
        var random = SplitMix64(seed: 99)
        let day = 1_795_737_600.0
        var differing = 0
        for _ in 0..<2000 {
            let address =
                random.chance(0.5)
                ? IPAddress(v4: 0xC633_6400 | UInt32(random.below(300)))
                : IPAddress(v6: (0x2001_0DB8_0000 << 80) | (UInt128(random.below(6000)) << 72) | UInt128(random.below(1000)))
            let time = Date(timeIntervalSince1970: day + Double(random.below(100_000)))
            if loaded.holder(of: address, at: time) != original.holder(of: address, at: time) { differing += 1 }
        }
        #expect(differing == 0)
    }

    @Test func staleOrDamagedSnapshotsAreRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: IndexSnapshotError.missing(path: path)) {
            try AttributionIndex(snapshotAt: path, stamp: "x", config: AttributionConfig())
        }
        try index().writeSnapshot(to: path, stamp: "events=5000")
        #expect(throws: IndexSnapshotError.stale(path: path)) {
            try AttributionIndex(snapshotAt: path, stamp: "events=5001", config: AttributionConfig())
        }
        #expect(throws: IndexSnapshotError.stale(path: path)) {
            try AttributionIndex(snapshotAt: path, stamp: "events=5000", config: AttributionConfig(graceMultiplier: 3))
        }
        // Cut anywhere (in a header, a string, between and inside a group's buffers): refused,
        // never half-read; buffers read before the cut are freed (ASan in the fuzz build).
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in stride(from: 1, to: data.count, by: max(1, data.count / 37)) {
            try data.prefix(cut).write(to: URL(fileURLWithPath: path))
            #expect(throws: IndexSnapshotError.self, "cut at \(cut) of \(data.count)") {
                try AttributionIndex(snapshotAt: path, stamp: "events=5000", config: AttributionConfig())
            }
        }
    }
}

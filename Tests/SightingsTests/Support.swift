import Foundation
import MamoriTesting
import Testing
import TextScanning

@testable import Sightings

/// Where the shared corpus and this target's fixtures are, found from this file's path.
enum Paths {
    /// The package root: the nearest directory above this file that holds Package.swift.
    static let packageRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    }()

    /// `../shared/corpus/<relative>` next to the package root.
    static func corpus(_ relative: String) -> URL {
        Corpus.file(relative)
    }

    /// `Tests/SightingsTests/Fixtures/<name>`.
    static func fixture(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// A path named `name` in a fresh temporary directory (the name matters for detection).
    static func temporary(_ name: String) -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sightings-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }

    /// Removes a file made by ``temporary(_:)`` and its directory.
    static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url.deletingLastPathComponent())
    }
}

/// The counts a test expects of one file.
struct Counts: Hashable, CustomStringConvertible {
    var records: Int
    var sightings: Int
    var notInfected: Int = 0
    var ignored: Int = 0
    var rejected: Int = 0

    init(records: Int, sightings: Int, notInfected: Int = 0, ignored: Int = 0, rejected: Int = 0) {
        self.records = records
        self.sightings = sightings
        self.notInfected = notInfected
        self.ignored = ignored
        self.rejected = rejected
    }

    init(_ s: SightingSummary) {
        self.init(
            records: s.recordsSeen, sightings: s.sightings, notInfected: s.notInfected, ignored: s.ignored, rejected: s.rejected)
    }

    var description: String {
        "records \(records), sightings \(sightings), not-infected \(notInfected), ignored \(ignored), rejected \(rejected)"
    }
}

extension SightingSummary {
    /// Every record is accounted for exactly once.
    var balances: Bool { recordsSeen == sightings + notInfected + ignored + rejected }
}

/// An instant from RFC 3339 text (tests only).
func instant(_ text: String) -> Date {
    ISO8601DateFormatter().date(from: text) ?? Date(timeIntervalSince1970: -1)
}

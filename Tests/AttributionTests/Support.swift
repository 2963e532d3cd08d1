import Addressing
import Attribution
import Foundation
import MamoriTesting
import TextScanning

/// Paths to the shared corpus (read in place, never copied) and to this target's fixtures.
enum Paths {
    /// The directory of this file, symlinks resolved.
    static let testsDirectory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()

    /// The package root: the nearest directory upwards holding Package.swift.
    static let packageRoot: URL = {
        var dir = testsDirectory
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return testsDirectory
    }()

    /// A file of the shared corpus, `../shared/corpus/<relative>` from the package root.
    static func corpus(_ relative: String) -> URL {
        Corpus.file(relative)
    }

    /// A hand-made fixture in `Tests/AttributionTests/Fixtures/`.
    static func fixture(_ name: String) -> URL {
        testsDirectory.appendingPathComponent("Fixtures/\(name)")
    }
}

/// `2026-11-27T00:00:00Z`, the base time of the hand-made fixtures.
let t0 = Date(timeIntervalSince1970: 1_795_737_600)

func at(_ text: String) -> Date {
    guard let d = RFC3339.parse(text) else { fatalError("bad test time") }
    return d
}

func ip(_ text: String) -> IPAddress {
    guard let a = IPAddress(text) else { fatalError("bad test address") }
    return a
}

func prefix(_ text: String) -> IPPrefix {
    guard let p = IPPrefix(text) else { fatalError("bad test prefix") }
    return p
}

func parse(_ url: URL, _ format: AssignmentFormat? = nil) throws -> ParseResult {
    try AssignmentReader.parse(contentsOf: url, format: format)
}

extension AttributionAnswer {
    /// The subscriber when found.
    var subscriber: String? { holding?.subscriber }

    var isNotFound: Bool { self == .notFound }

    var ambiguityReason: AmbiguityReason? {
        if case .ambiguous(_, let r) = self { return r }
        return nil
    }
}

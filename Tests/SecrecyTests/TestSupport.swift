import Foundation
import MamoriTesting
import Testing

/// Paths for tests: the package root (found from this file) and the shared corpus beside it.
enum TestPaths {
    /// The directory holding Package.swift, walking up from this file.
    static let packageRoot: URL? = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory }
            directory.deleteLastPathComponent()
        }
        return nil
    }()

    /// `../shared/corpus/privacy/<name>` from the package root; never copied into the project.
    static func privacyCorpus(_ name: String) -> URL? {
        Corpus.file("privacy/\(name)")
    }

    /// The contents of a corpus file, recording an issue when it is missing.
    static func readCorpus(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        guard let url = privacyCorpus(name), let text = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("corpus file privacy/\(name) not found: \(Corpus.missingMessage)", sourceLocation: sourceLocation)
            return nil
        }
        return text
    }
}

public import Foundation

/// The shared sample corpus the tests read in place (never copied into the project):
/// `../shared/corpus` from the repository root, or `$MAMORI_CORPUS`.
///
/// When it is missing, the suites that need it are skipped with ``missingMessage`` and one test
/// (`MamoriCLITests.CorpusPresenceTests`) fails with it: one clear message, not dozens of file errors.
public enum Corpus {
    /// The repository root: the nearest directory above this file holding Package.swift.
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// Where the corpus is looked for.
    public static let root: URL = {
        if let path = ProcessInfo.processInfo.environment["MAMORI_CORPUS"], !path.isEmpty {
            return URL(fileURLWithPath: path).standardizedFileURL
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus").standardizedFileURL
    }()

    /// Whether the corpus is there (its directory exists and holds the RADIUS samples).
    public static let isPresent: Bool = FileManager.default.fileExists(atPath: root.appendingPathComponent("radius").path)

    /// The one message tests give when it is not.
    public static var missingMessage: String {
        "the shared sample corpus is missing at \(root.path): tests that read real samples need it "
            + "(the repository expects ../shared/corpus beside it; set MAMORI_CORPUS=/path/to/corpus to point elsewhere)"
    }

    /// A file of the corpus, `<root>/<relative>`.
    public static func file(_ relative: String) -> URL {
        root.appendingPathComponent(relative)
    }
}

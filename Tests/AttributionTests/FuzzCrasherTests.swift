import Attribution
import Foundation
import Testing
import TextScanning

/// Inputs that crashed a fuzz target (`Fuzz/`, docs/fuzzing.md), kept in
/// `Fixtures/fuzz-crashers/<target>/`: each must now give a result or throw, never trap. Every
/// file is read both from memory and from disk (chunked streaming), as `mamori attribute` does.
@Suite struct FuzzCrasherTests {
    /// The format each fuzz target parses.
    static let formats: [String: AssignmentFormat] = [
        "FuzzRadiusDetail": .radiusDetail, "FuzzKeaLeases": .keaCSV, "FuzzDhcpdLeases": .dhcpdLeases,
        "FuzzCGNPortBlocks": .cgnCSV,
    ]

    /// `target/file` for every kept crasher.
    static let crashers: [String] = {
        let root = Paths.fixture("fuzz-crashers")
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).sorted().flatMap { target in
            ((try? fm.contentsOfDirectory(atPath: root.appendingPathComponent(target).path)) ?? []).sorted().map {
                "\(target)/\($0)"
            }
        }
    }()

    @Test func everyCrasherFolderIsAFuzzTarget() {
        #expect(!Self.crashers.isEmpty)
        for path in Self.crashers { #expect(Self.formats[String(path.prefix { $0 != "/" })] != nil, "\(path)") }
    }

    @Test(arguments: crashers) func crasherParsesWithoutTrapping(_ path: String) throws {
        let url = Paths.fixture("fuzz-crashers/\(path)")
        let format = try #require(Self.formats[String(path.prefix { $0 != "/" })])
        let bytes = try Data(contentsOf: url)
        if let result = try? AssignmentReader.parse(bytes: bytes, fileName: url.lastPathComponent, format: format) {
            #expect(result.recordsSeen >= result.recordsSkipped)
        }
        if let result = try? AssignmentReader.parse(contentsOf: url, format: format) {
            #expect(result.recordsSeen >= result.recordsSkipped)
        }
    }

    /// Kea: `expire` of -9223372036854775807 made `expire - valid_lifetime` overflow (a trap).
    @Test func keaNegativeExpireIsAnIssue() throws {
        let url = Paths.fixture("fuzz-crashers/FuzzKeaLeases/expire-minus-lifetime-overflow.csv")
        let result = try AssignmentReader.parse(contentsOf: url, format: .keaCSV)
        #expect(result.events.isEmpty)
        #expect(result.issues.map(\.reason) == ["expire: out of range"])
    }
}

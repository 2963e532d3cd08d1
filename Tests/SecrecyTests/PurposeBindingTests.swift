import Foundation
import Secrecy
import Testing

/// A purpose declared in this test module; its capability's initialiser is internal here.
enum TestNotice: Purpose {
    static let countermeasure = CountermeasureID.infectedHostNotification
    struct Capability: Sendable {
        init() {}
    }
}

/// A second purpose, to show the two do not mix.
enum TestStatistics: Purpose {
    static let countermeasure = CountermeasureID.networkObservation
    struct Capability: Sendable {
        init() {}
    }
}

@Suite struct PurposeBindingTests {
    @Test func holderOfTheCapabilityCanOpen() {
        let bound = PurposeBound("C-000123", for: TestNotice.self, capability: .init())
        #expect(bound.open(.init()) == "C-000123")
        #expect(bound.countermeasure == .infectedHostNotification)
    }

    @Test func mapKeepsThePurposeAndNeedsTheCapability() throws {
        let bound = PurposeBound("C-000123", for: TestNotice.self, capability: .init())
        let length: PurposeBound<TestNotice, Int> = bound.map(.init()) { $0.count }
        #expect(length.open(.init()) == 8)
        struct Refused: Error {}
        #expect(throws: Refused.self) { _ = try bound.map(TestNotice.Capability()) { _ throws(Refused) -> Int in throw Refused() } }
    }

    @Test func printingNeverShowsTheValue() {
        let bound = PurposeBound("C-000123", for: TestNotice.self, capability: .init())
        var dumped = ""
        dump(bound, to: &dumped)
        for shown in ["\(bound)", String(describing: bound), String(reflecting: bound), dumped] {
            #expect(!shown.contains("C-000123"), "\(shown)")
        }
        #expect("\(bound)" == "PurposeBound(infected-host-notification, redacted)")
    }

    @Test func valuesCrossTasks() async {
        let bound = PurposeBound(42, for: TestStatistics.self, capability: .init())
        let opened = await Task.detached { bound.open(TestStatistics.Capability()) }.value
        #expect(opened == 42)
    }

    /// Type-checks `CompileFail/misuse.swift.txt` with the toolchain's `swiftc` against the
    /// package's built `Secrecy` and `Attribution` modules: each MISUSE line must fail with the
    /// expected diagnostic, and the same file without those lines must compile.
    @Test func misuseFromAnotherModuleDoesNotCompile() throws {
        guard let toolchain = CompileCheck.locate() else { return }
        let fixtures = try #require(TestPaths.packageRoot?.appendingPathComponent("Tests/SecrecyTests/CompileFail"))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-compile-fail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        // 1. The module that declares the purpose.
        let purposes = work.appendingPathComponent("PurposeFixtures.swift")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("purposes.swift.txt"), to: purposes)
        let module = try toolchain.run([
            "-emit-module", "-module-name", "PurposeFixtures", "-parse-as-library", "-swift-version", "6",
            "-emit-module-path", work.appendingPathComponent("PurposeFixtures.swiftmodule").path, purposes.path,
        ])
        try #require(module.status == 0, "the fixture module must build: \(module.output)")

        // 2. The misusing module.
        let source = try String(contentsOf: fixtures.appendingPathComponent("misuse.swift.txt"), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let misuseLines = Set(lines.indices.filter { lines[$0].hasSuffix("// MISUSE") }.map { $0 + 1 })
        #expect(misuseLines.count == 12)
        let misuse = work.appendingPathComponent("misuse.swift")
        try source.write(to: misuse, atomically: true, encoding: .utf8)
        let failing = try toolchain.run([
            "-typecheck", "-module-name", "Misuse", "-parse-as-library", "-swift-version", "6", "-I", work.path, misuse.path,
        ])
        #expect(failing.status != 0)
        // Every error is on a MISUSE line, and every MISUSE line has one.
        let errorLines = Set(CompileCheck.errorLines(in: failing.output, file: "misuse.swift"))
        #expect(errorLines == misuseLines, "\(failing.output)")
        for diagnostic in [
            "'Notice.Capability' initializer is inaccessible due to 'internal' protection level",
            "cannot convert value of type 'Marketing.Capability' to expected argument type 'Notice.Capability'",
            "'value' is inaccessible due to 'private' protection level",
            "cannot convert value of type 'PurposeBound<Notice, String>' to expected argument type 'PurposeBound<Marketing, String>'",
            "cannot convert value of type 'PurposeBound<Notice, String>' to type 'PurposeBound<Marketing, String>' in coercion",
            "'index' is inaccessible due to 'internal' protection level",
            "'unauditedIndex' is inaccessible due to '@_spi' protection level",
            "'holder' is inaccessible due to '@_spi' protection level",
            "'holdings' is inaccessible due to '@_spi' protection level",
        ] {
            #expect(failing.output.contains(diagnostic), "missing diagnostic: \(diagnostic)\n\(failing.output)")
        }

        // 3. The positive control: the same file without the MISUSE lines compiles.
        let control = work.appendingPathComponent("control.swift")
        let controlSource = lines.map { $0.hasSuffix("// MISUSE") ? "" : String($0) }.joined(separator: "\n")
        try controlSource.write(to: control, atomically: true, encoding: .utf8)
        let passing = try toolchain.run([
            "-typecheck", "-module-name", "Misuse", "-parse-as-library", "-swift-version", "6", "-I", work.path, control.path,
        ])
        #expect(passing.status == 0, "the control must type-check: \(passing.output)")
    }
}

/// Finds `swiftc` and the package's built modules for the compile-failure test.
struct CompileCheck {
    let swiftc: URL
    /// `-I`/`-Xcc` arguments that make the package's modules importable.
    let searchArguments: [String]

    /// The toolchain and the build directory of the running test bundle, or `nil` after
    /// recording an issue (never a silent pass).
    static func locate(sourceLocation: SourceLocation = #_sourceLocation) -> CompileCheck? {
        guard let swiftc = findSwiftc() else {
            Issue.record("skipped: no swiftc found on PATH or beside the running toolchain", sourceLocation: sourceLocation)
            return nil
        }
        guard let modules = findModules() else {
            Issue.record(
                "skipped: Secrecy.swiftmodule not found near the test bundle (\(CommandLine.arguments.first ?? "?"))",
                sourceLocation: sourceLocation)
            return nil
        }
        var arguments = ["-I", modules.path]
        // C targets' module maps (CMamoriCrypto), which importing Secrecy loads.
        let buildDirectory = modules.deletingLastPathComponent()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: buildDirectory.path)) ?? []
        for entry in entries.sorted() where entry.hasSuffix(".build") {
            let map = buildDirectory.appendingPathComponent(entry).appendingPathComponent("module.modulemap")
            if FileManager.default.fileExists(atPath: map.path) { arguments += ["-Xcc", "-fmodule-map-file=\(map.path)"] }
        }
        return CompileCheck(swiftc: swiftc, searchArguments: arguments)
    }

    private static func findSwiftc() -> URL? {
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment["PATH"] {
            candidates += path.split(separator: ":").map { "\($0)/swiftc" }
        }
        candidates += ["/usr/bin/swiftc", "/opt/swift/usr/bin/swiftc"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }

    /// The directory holding `Secrecy.swiftmodule`: `Modules/` beside the test bundle, or the
    /// bundle's directory itself (older layouts).
    private static func findModules() -> URL? {
        var starts: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL { starts.append(executable.deletingLastPathComponent()) }
        if let first = CommandLine.arguments.first { starts.append(URL(fileURLWithPath: first).deletingLastPathComponent()) }
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<4 {
                for candidate in [directory.appendingPathComponent("Modules"), directory] {
                    if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("Secrecy.swiftmodule").path) {
                        return candidate
                    }
                }
                directory.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// Runs `swiftc` with the search arguments; returns the exit status and the combined output.
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = swiftc
        process.arguments = searchArguments + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The line numbers of `file:LINE:COLUMN: error:` diagnostics.
    static func errorLines(in output: String, file: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "\(file):") else { return nil }
            let rest = line[range.upperBound...].split(separator: ":", maxSplits: 3)
            guard rest.count >= 3, rest[2].trimmingCharacters(in: .whitespaces) == "error" else { return nil }
            return Int(rest[0])
        }
    }
}

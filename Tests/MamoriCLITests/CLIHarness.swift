import Foundation
import MamoriTesting
import Testing

/// Runs the built `mamori` executable and real peers (sqlite3) for end-to-end tests.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// The repository root (the directory holding Package.swift).
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// `../shared/corpus` from the repository root.
    static let corpus = Corpus.root

    /// The `mamori` binary next to the test bundle (SwiftPM builds it with the tests).
    static let binary: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ]
        for directory in candidates {
            var dir = directory
            for _ in 0..<4 {
                let candidate = dir.appendingPathComponent("mamori")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    return candidate
                }
                dir.deleteLastPathComponent()
            }
        }
        return root.appendingPathComponent(".build/debug/mamori")
    }()

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `mamori` with `arguments`, optionally feeding `stdin`.
    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        try exec(binary, arguments, stdin: stdin, environment: environment)
    }

    /// Runs any program (absolute path, or looked up through /usr/bin/env).
    static func exec(_ program: URL, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["MAMORI_STORE"] = nil
        env["MAMORI_KEY_FILE"] = nil
        env["MAMORI_CHECKPOINTS"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Runs the real `sqlite3` shell on a store file.
    @discardableResult
    static func sqlite(_ store: URL, _ sql: String) throws -> Result {
        let result = try exec(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", store.path], stdin: sql)
        #expect(result.status == 0, "sqlite3 failed: \(result.stderr)")
        return result
    }

    /// Parses a JSON line into a dictionary.
    static func object(_ line: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }
}

final class DataBox: @unchecked Sendable {
    var data = Data()
}

extension CLI {
    /// A store holding a demo run's audit records (the run ends with a signed checkpoint);
    /// returns its path and the record count.
    static func demoStore() throws -> (URL, Int) {
        let dir = try temporaryDirectory()
        let store = dir.appendingPathComponent("audit.sqlite")
        let demo = try run(["demo", "--no-serve", "--store", store.path, "--notices-out", dir.appendingPathComponent("notices").path])
        try #require(demo.status == 0, "\(demo.stderr)")
        let count = Int(try sqlite(store, "SELECT COUNT(*) FROM audit;").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        try #require(count >= 10)
        return (store, count)
    }

    /// `mamori audit verify --json`: the exit status and the JSON line.
    static func verifyAudit(_ store: URL) throws -> (Int32, [String: Any]) {
        let result = try run(["audit", "verify", "--store", store.path, "--json"])
        return (result.status, object(result.lines.last ?? ""))
    }
}

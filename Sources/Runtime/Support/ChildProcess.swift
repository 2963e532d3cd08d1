import Foundation

/// Runs a command of the ISP's system (`postmap`, `postqueue`, `postcat`, `postsuper`) without
/// holding a thread of the cooperative pool while it runs: its input, output and errors go
/// through temporary files, and the end is awaited through the process's termination handler.
enum ChildProcess {
    /// What a finished command left.
    struct Result: Sendable {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `path` with `arguments`, `input` on its standard input; throws ``ChildProcessError``
    /// naming the command (and its first error line) when it cannot start or, with `check`,
    /// exits with a status other than 0.
    static func run(_ path: String, _ arguments: [String], input: String? = nil, check: Bool = true) async throws -> Result {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputURL = directory.appendingPathComponent("in")
        let outputURL = directory.appendingPathComponent("out")
        let errorsURL = directory.appendingPathComponent("err")
        try Data((input ?? "").utf8).write(to: inputURL)
        for url in [outputURL, errorsURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let stdin = try FileHandle(forReadingFrom: inputURL)
        let stdout = try FileHandle(forWritingTo: outputURL)
        let stderr = try FileHandle(forWritingTo: errorsURL)
        defer {
            try? stdin.close()
            try? stdout.close()
            try? stderr.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: ChildProcessError(command: name, reason: "cannot start \(path): \(error.localizedDescription)"))
            }
        }
        let result = Result(
            status: status, output: String(decoding: (try? Data(contentsOf: outputURL)) ?? Data(), as: UTF8.self),
            errors: String(decoding: (try? Data(contentsOf: errorsURL)) ?? Data(), as: UTF8.self))
        if check, status != 0 {
            let first = result.errors.split(separator: "\n").first.map { ": \($0)" } ?? ""
            throw ChildProcessError(command: name, reason: "\(arguments.first ?? "") exited with \(status)\(first)")
        }
        return result
    }
}

/// A command that could not start or failed: its name and why.
struct ChildProcessError: Error, CustomStringConvertible {
    let command: String
    let reason: String

    var description: String { "\(command): \(reason)" }
}

import Foundation

/// Headless Chromium (Debian package `chromium`), run as a child process on loopback URLs.
enum Chromium {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "headless Chromium is required for the portal's browser tests and was not found: "
                + "install the Debian package `chromium` (and `fonts-noto-cjk` for Japanese glyphs), "
                + "or set CHROMIUM to its path"
        }
    }

    struct Failed: Error, CustomStringConvertible {
        var arguments: [String]
        var status: Int32
        var standardError: String
        var description: String {
            "chromium \(arguments.joined(separator: " ")) exited with \(status): \(standardError.suffix(2000))"
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "chromium did not finish in time" }
    }

    /// The executable: `$CHROMIUM`, else `chromium` or `chromium-browser` on `PATH`.
    static func executable() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["CHROMIUM"], FileManager.default.isExecutableFile(atPath: path) { return path }
        let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser"] {
            for directory in directories {
                let path = directory + "/" + name
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }

    /// The flags every run gets: headless, no sandbox (tests may run as root), no GPU, no profile.
    static func commonFlags(profile: URL) -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
            "--disable-dev-shm-usage", "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--force-device-scale-factor=1", "--user-data-dir=\(profile.path)",
        ]
    }

    /// Takes a screenshot of `url` at `width`×`height` into `file`.
    static func screenshot(_ url: String, width: Int, height: Int, to file: URL) async throws {
        try? FileManager.default.removeItem(at: file)
        _ = try await run(["--screenshot=\(file.path)", "--window-size=\(width),\(height)", url])
    }

    /// The DOM of `url` after it loaded, serialised.
    static func dumpDOM(_ url: String) async throws -> String {
        try await run(["--dump-dom", url])
    }

    /// Runs Chromium with `arguments` after the common flags; its standard output.
    static func run(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> String {
        guard let executable = executable() else { throw Missing() }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stdoutFile = scratch.appendingPathComponent("stdout")
        let stderrFile = scratch.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: stdoutFile.path, contents: nil),
            FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        else { throw CocoaError(.fileWriteUnknown) }
        let stdout = try FileHandle(forWritingTo: stdoutFile)
        let stderr = try FileHandle(forWritingTo: stderrFile)
        defer {
            try? stdout.close()
            try? stderr.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        let all = commonFlags(profile: scratch.appendingPathComponent("profile")) + arguments
        process.arguments = all
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice

        let status = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32?, any Error>) in
                    process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
                    do { try process.run() } catch { continuation.resume(throwing: error) }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let status = first else {
                // The time is up: stop the child we started, by its PID.
                if process.isRunning { process.terminate() }
                throw TimedOut()
            }
            return status
        }
        let output = (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failed(arguments: all, status: status, standardError: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")
        }
        return output
    }
}

/// The facts of a PNG file the browser tests check.
struct PNGFile {
    var byteCount: Int
    var width: Int
    var height: Int

    /// Reads the signature and the IHDR chunk; nil when `url` is not a PNG.
    init?(_ url: URL) {
        guard let data = try? Data(contentsOf: url), data.count > 24 else { return nil }
        let bytes = [UInt8](data.prefix(24))
        guard bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else {
            return nil
        }
        func bigEndian(_ slice: ArraySlice<UInt8>) -> Int { slice.reduce(0) { $0 << 8 | Int($1) } }
        byteCount = data.count
        width = bigEndian(bytes[16..<20])
        height = bigEndian(bytes[20..<24])
    }
}

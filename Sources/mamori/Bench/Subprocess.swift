import Foundation

/// Runs a program to completion and returns its exit status and output (used by `mamori bench`
/// to drive peers such as PostgreSQL and Python; never by the services).
struct Subprocess {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let stderr: String
        var description: String { "\(command) exited with status \(status): \(stderr.prefix(2000))" }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `arguments[0]` (looked up in PATH when not absolute) with the rest as its arguments.
    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil, check: Bool = true, environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            let handle = input.fileHandleForWriting
            // Write from a separate thread so a large stdin cannot deadlock against a full stdout pipe.
            let data = Data(stdin.utf8)
            Thread.detachNewThread {
                try? handle.write(contentsOf: data)
                try? handle.close()
            }
        }
        // Read both pipes to the end (stderr on another thread, so neither fills up).
        let errBox = DataBox()
        let errHandle = err.fileHandleForReading
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errBox.data = errHandle.readDataToEndOfFile()
            done.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        let errData = errBox.data
        let result = Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
        if check && result.status != 0 {
            throw Failure(command: arguments.joined(separator: " "), status: result.status, stderr: result.stderr)
        }
        return result
    }
}

/// Data handed from a reader thread to the waiting thread (the semaphore orders the accesses).
private final class DataBox: @unchecked Sendable {
    var data = Data()
}

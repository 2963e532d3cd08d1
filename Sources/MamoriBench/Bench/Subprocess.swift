import Foundation
import MamoriTesting
import Runtime
import TextScanning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a program to completion and returns its exit status and output (used by `mamori bench`
/// to drive peers such as PostgreSQL and Python; never by the services).
///
/// `posix_spawn` with stdin, stdout and stderr redirected to temporary files and every other
/// descriptor closed in the child. (Foundation's `Process` leaves a descriptor open in the child
/// that it watches to learn of the exit: a daemon the child starts, such as the PostgreSQL
/// server `pg_ctl start` leaves running, inherits it and `Process` waits forever.)
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
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-subprocess-\(UUID().uuidString.prefix(12))")
        let inPath = base.path + ".in"
        let outPath = base.path + ".out"
        let errPath = base.path + ".err"
        defer {
            for path in [inPath, outPath, errPath] { unlink(path) }
        }
        if let stdin {
            guard FileManager.default.createFile(atPath: inPath, contents: Data(stdin.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw Failure(command: arguments.joined(separator: " "), status: -1, stderr: "cannot write the standard input file")
            }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin == nil ? "/dev/null" : inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Close every other descriptor in the child (glibc ignores a close of one that is gone).
        for fd in openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }

        var env = ProcessInfo.processInfo.environment
        if let environment { env.merge(environment) { $1 } }
        let argv = ["/usr/bin/env"] + arguments
        let envp = env.map { "\($0.key)=\($0.value)" }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = envp.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, &cArgs, &cEnv)
        guard spawned == 0 else {
            throw Failure(command: arguments.joined(separator: " "), status: -1, stderr: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { break }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG (macros not imported into Swift).
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let result = Result(
            status: code,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        if check && result.status != 0 {
            throw Failure(command: arguments.joined(separator: " "), status: result.status, stderr: result.stderr)
        }
        return result
    }

    /// The descriptors open in this process (Linux `/proc/self/fd`; else 3…255).
    private static func openDescriptors() -> [Int32] {
        if let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            return names.compactMap { Int32($0) }
        }
        return Array(3...255)
    }
}

import Foundation
import MamoriTesting
import Testing

/// A long-lived child started by a test inherits nothing of the test process but stdin, stdout
/// and stderr: a pipe another test reads to its end (a `mamori` run's stdout) must not stay
/// open in it, or that reader waits until the child exits (the suite stalled that way).
@Suite struct CleanChildTests {
    @Test func inheritsOnlyTheStandardDescriptors() throws {
        let pipe = Pipe()
        defer {
            try? pipe.fileHandleForWriting.close()
            try? pipe.fileHandleForReading.close()
        }
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try CleanChild(
            executable: URL(fileURLWithPath: "/bin/sleep"), arguments: ["30"], output: directory.appendingPathComponent("out.log"))
        defer {
            child.signal(SIGKILL)
            _ = child.wait(timeout: 10)
        }
        // The child's descriptors, once it runs `sleep` (exec done: /proc shows sleep's own).
        var descriptors: [String] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            usleep(20_000)
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/exe")) ?? ""
            if exe.hasSuffix("sleep") {
                descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd")) ?? []
                break
            }
        } while Date() < deadline
        #expect(descriptors.sorted() == ["0", "1", "2"], "the child holds \(descriptors.sorted())")
    }
}

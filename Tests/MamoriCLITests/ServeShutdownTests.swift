import Foundation
import MamoriTesting
import Testing

/// `mamori serve` under a service manager: SIGTERM drains the ServiceGroup and the process exits 0.
@Suite struct ServeShutdownTests {
    @Test(arguments: [SIGTERM, SIGINT])
    func serveDrainsAndExitsZeroOnSignal(signal: Int32) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = try Loopback.freePort()
        let log = dir.appendingPathComponent("serve.log")
        var environment = ProcessInfo.processInfo.environment
        environment["MAMORI_STORE"] = nil
        let child = try CleanChild(
            executable: CLI.binary,
            arguments: ["serve", "--store", dir.appendingPathComponent("s.sqlite").path, "--port", "\(port)", "--metrics-port", "0"],
            output: log, environment: environment)
        // Hang guard only: the portal comes up well within it.
        try Loopback.waitUntilListening(port: port, timeout: 120)
        child.signal(signal)
        let status = child.wait(timeout: 120)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(status == 0, "serve ended with \(status.map(String.init) ?? "no exit status (killed or hung)"): \(output)")
        // It no longer listens.
        #expect(throws: (any Error).self) { try Loopback.waitUntilListening(port: port, timeout: 0) }
    }
}

import Foundation
import MamoriTesting
import Testing

/// The portal over the real store: `mamori serve` on a free loopback port, personal links made by
/// the real flow, pages fetched by curl and rendered by headless Chromium.
@Suite(.serialized) struct PortalEndToEndTests {
    let samples = CLI.root.appendingPathComponent("Sources/mamori/Samples")

    struct Served {
        var store: URL
        var port: Int
        var links: [String]
        var process: Process

        func stop() {
            if process.isRunning {
                // SIGKILL: a child started from a Swift concurrency thread inherits a mask that blocks SIGTERM.
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
    }

    /// A demo store whose dry-run notices carry links to this port, and `mamori serve` on it.
    func serve(tokenDays: String = "30") throws -> Served {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("portal.sqlite")
        let port = try Loopback.freePort()
        let base = "http://127.0.0.1:\(port)"
        let demo = try CLI.run([
            "demo", "--no-serve", "--store", store.path, "--base-url", base, "--notices-out", dir.appendingPathComponent("n").path,
            "--token-days", tokenDays,
        ])
        try #require(demo.status == 0, "\(demo.stderr)")
        // Every dry-run notice's link: read them back from the audit-free source, the .eml files.
        let emls = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("n").path)
        try #require(emls.count == 3)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--store", store.path, "--port", "\(port)", "--metrics-port", "0", "--base-url", base]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try Loopback.waitUntilListening(port: port)
        let links = demo.lines.compactMap { line -> String? in
            guard let range = line.range(of: base + "/r/[A-Za-z0-9_-]{22}", options: .regularExpression) else { return nil }
            return String(line[range])
        }
        return Served(store: store, port: port, links: links, process: process)
    }

    func curl(_ arguments: [String]) throws -> CLI.Result {
        try CLI.exec(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}"] + arguments)
    }

    func chromium(_ arguments: [String]) throws -> CLI.Result {
        let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { throw MissingPeer("chromium not found: install the Debian package chromium") }
        return try CLI.exec(
            URL(fileURLWithPath: path), ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] + arguments)
    }

    @Test func remediationPageWorksEndToEnd() throws {
        let served = try serve()
        defer { served.stop() }
        let link = try #require(served.links.first)

        // Headless Chromium renders the Japanese page with the form.
        let dom = try chromium(["--dump-dom", link])
        #expect(dom.stdout.contains("lang=\"ja\""))
        #expect(dom.stdout.contains("mirai"))
        #expect(dom.stdout.contains("<form"))
        let shot = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-e2e-\(served.port).png")
        _ = try chromium(["--screenshot=\(shot.path)", "--window-size=390,844", link])
        let size = (try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
        #expect(size > 10_000)
        let english = try chromium(["--dump-dom", link + "?lang=en"])
        #expect(english.stdout.contains("lang=\"en\""))

        // A wrong token gets the refusal page, identical to an unknown one of another shape.
        let wrong = try curl(["http://127.0.0.1:\(served.port)/r/AAAAAAAAAAAAAAAAAAAAAA"])
        let garbage = try curl(["http://127.0.0.1:\(served.port)/r/nonsense"])
        #expect(wrong.lines.last == "404")
        #expect(wrong.stdout == garbage.stdout)

        // "I have cleaned": the form's field, posted, marks the case remediated.
        let page = try curl([link])
        let check = try #require(
            page.stdout.range(of: #"name="check" value="[^"]+""#, options: .regularExpression).map {
                String(page.stdout[$0]).replacingOccurrences(of: #"name="check" value=""#, with: "").dropLast()
            })
        // A token for another case: case A's form field posted to case B's link is refused.
        let other = try #require(served.links.dropFirst().first)
        let crossed = try curl(["-X", "POST", "--data-urlencode", "check=\(check)", other + "/remediated"])
        #expect(crossed.lines.last == "403")
        let posted = try curl(["-X", "POST", "--data-urlencode", "check=\(check)", link + "/remediated"])
        #expect(posted.lines.last == "303")
        let remediated = try CLI.run(["cases", "--store", served.store.path, "--status", "remediated", "--json"])
        #expect(remediated.lines.count == 1)
        let show = try CLI.run(["audit", "show", "--store", served.store.path])
        #expect(show.stdout.contains("\tpage-view\t"))
        #expect(show.stdout.contains("\tremediated\t"))
        #expect(show.stdout.contains("\ttoken-refused\t"))
        #expect(!show.stdout.contains(link.components(separatedBy: "/r/").last ?? "x"))
        #expect(try CLI.run(["audit", "verify", "--store", served.store.path]).status == 0)
    }

    @Test func expiredLinksAreRefusedLikeUnknownOnes() async throws {
        let served = try serve(tokenDays: "0.00002")  // about 1.7 s
        defer { served.stop() }
        let link = try #require(served.links.first)
        try await Task.sleep(for: .seconds(3))
        let expired = try curl([link])
        let unknown = try curl(["http://127.0.0.1:\(served.port)/r/BBBBBBBBBBBBBBBBBBBBBB"])
        #expect(expired.lines.last == "404")
        #expect(expired.stdout == unknown.stdout)
    }
}

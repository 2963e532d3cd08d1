import Foundation
import Hummingbird
import HummingbirdTesting
import Portal
import Testing

/// The warning page in headless Chromium, reached as a subscriber's browser reaches it: the
/// listed name resolves to the warning server (`--host-resolver-rules` plays the DNS guard's
/// answer), so `Host` is the listed name and the peer is 127.0.0.1, a line in the live sessions.
///
/// Screenshots go to `$MAMORI_PORTAL_SCREENSHOTS`, else `$TMPDIR/mamori-portal-screenshots`: a
/// test run leaves the tree as it was. The committed ones in `docs/screenshots/` are refreshed
/// with `MAMORI_PORTAL_SCREENSHOTS=docs/screenshots swift test --filter WarningBrowserTests`.
@Suite("The warning page in headless Chromium", .serialized)
struct WarningBrowserTests {
    static let screenshots: URL = {
        if let path = ProcessInfo.processInfo.environment["MAMORI_PORTAL_SCREENSHOTS"] { return URL(fileURLWithPath: path) }
        return FileManager.default.temporaryDirectory.appendingPathComponent("mamori-portal-screenshots")
    }()

    struct Shot: Sendable, CustomStringConvertible {
        var name: String
        var path: String
        var acceptLanguage: String
        var width: Int
        var height: Int
        var description: String { name }
    }

    static let shots: [Shot] = [
        Shot(name: "warning-ja-desktop", path: "/download/setup.exe", acceptLanguage: "ja", width: 1280, height: 1400),
        Shot(name: "warning-ja-mobile", path: "/download/setup.exe", acceptLanguage: "ja", width: 390, height: 844),
        Shot(name: "warning-ja-mobile-full", path: "/download/setup.exe", acceptLanguage: "ja", width: 390, height: 2600),
        Shot(name: "warning-en-desktop", path: "/download/setup.exe", acceptLanguage: "en-US,en", width: 1280, height: 1400),
    ]

    /// Chromium with the listed name mapped to the warning server on `port`.
    static func browse(port: Int, acceptLanguage: String, _ arguments: [String]) async throws -> String {
        try await Chromium.run(
            [
                "--host-resolver-rules=MAP \(WarningFixtures.listedHost) 127.0.0.1:\(port)", "--accept-lang=\(acceptLanguage)",
                // Let the page finish painting before the screenshot (without it the lower part can come out blank).
                "--virtual-time-budget=3000",
                "--lang=\(acceptLanguage.split(separator: ",").first ?? "ja")",
            ] + arguments)
    }

    @Test("the browser shows the warning for the listed name, in its language, with the choice link and the form")
    func renderedDOM() async throws {
        try #require(Chromium.executable() != nil, "\(Chromium.Missing())")
        try await WarningFixtures.app().test(.live) { live in
            let port = try #require(live.port)
            let url = "http://\(WarningFixtures.listedHost)/download/setup.exe"
            let japanese = try await Self.browse(port: port, acceptLanguage: "ja", ["--dump-dom", url])
            #expect(japanese.contains("<html lang=\"ja\">"))
            #expect(japanese.contains("<span class=\"site-name\">malware-dist.example</span>"))
            #expect(japanese.contains("href=\"/choice/"))
            #expect(japanese.contains("action=\"/continue\""))
            let english = try await Self.browse(port: port, acceptLanguage: "en-US,en", ["--dump-dom", url])
            #expect(english.contains("<html lang=\"en\">"))
            #expect(english.contains("You can turn this warning off at any time"))
        }
    }

    @Test("screenshots: Japanese desktop and mobile, English desktop, the confirmation page")
    func screenshotsAreTaken() async throws {
        try #require(Chromium.executable() != nil, "\(Chromium.Missing())")
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        try await WarningFixtures.app().test(.live) { live in
            let port = try #require(live.port)
            var shots = Self.shots
            // The confirmation page: its link is signed for the line on 127.0.0.1, as the browser is.
            let link = try #require(try await WarningClient(port: port).get("/").link(startingWith: "/choice/"))
            shots.append(Shot(name: "warning-confirm-ja-mobile", path: link, acceptLanguage: "ja", width: 390, height: 844))
            for shot in shots {
                let file = Self.screenshots.appendingPathComponent("\(shot.name).png")
                try? FileManager.default.removeItem(at: file)
                _ = try await Self.browse(
                    port: port, acceptLanguage: shot.acceptLanguage,
                    ["--screenshot=\(file.path)", "--window-size=\(shot.width),\(shot.height)", "http://\(WarningFixtures.listedHost)\(shot.path)"])
                let png = try #require(PNGFile(file), "\(shot.name): no PNG at \(file.path)")
                #expect(png.width == shot.width && png.height == shot.height, "\(shot.name): \(png.width)x\(png.height)")
                #expect(png.byteCount > 15_000, "\(shot.name): \(png.byteCount) bytes")
            }
        }
    }
}

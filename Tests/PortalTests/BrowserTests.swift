import Foundation
import Hummingbird
import HummingbirdTesting
import Portal
import Remediation
import Testing

/// The pages in a real browser: headless Chromium against the portal on a free loopback port.
///
/// Chromium is required: without it these tests fail (they never skip). Screenshots go to
/// `$MAMORI_PORTAL_SCREENSHOTS`, else `$TMPDIR/mamori-portal-screenshots`.
@Suite("The pages in headless Chromium", .serialized)
struct BrowserTests {
    static let screenshots: URL = {
        if let path = ProcessInfo.processInfo.environment["MAMORI_PORTAL_SCREENSHOTS"] { return URL(fileURLWithPath: path) }
        return FileManager.default.temporaryDirectory.appendingPathComponent("mamori-portal-screenshots")
    }()

    @Test("Chromium and a Japanese font are installed")
    func toolsArePresent() throws {
        let chromium = Chromium.executable()
        #expect(chromium != nil, "\(Chromium.Missing())")
        // Without a CJK font Japanese renders as boxes: fc-list must know a font for Japanese.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/fc-list")
        process.arguments = [":lang=ja", "family"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(!output.isEmpty, "no font for Japanese: install the Debian package fonts-noto-cjk")
    }

    @Test("the rendered DOM has the Japanese text and the form; the English and refusal pages too")
    func renderedDOM() async throws {
        try #require(Chromium.executable() != nil, "\(Chromium.Missing())")
        try await Fixtures.app(desk: Fixtures.desk()).test(.live) { client in
            let base = "http://localhost:\(try #require(client.port))"

            let japanese = try await Chromium.dumpDOM("\(base)/r/\(Fixtures.japaneseToken)")
            #expect(japanese.contains("<html lang=\"ja\">"))
            #expect(japanese.contains("<h1>お使いの機器がウイルスに感染しているおそれがあります</h1>"))
            #expect(japanese.contains("2025年1月2日（木）15:04（日本時間）"))
            #expect(japanese.contains("ウイルス対策ソフトを最新の状態にして"))
            #expect(japanese.contains("<form method=\"post\" action=\"/r/\(Fixtures.japaneseToken)/remediated\" aria-labelledby=\"done\">"))
            #expect(japanese.contains(">対処が完了しました</button>"))

            let english = try await Chromium.dumpDOM("\(base)/r/\(Fixtures.japaneseToken)?lang=en")
            #expect(english.contains("<html lang=\"en\">"))
            #expect(english.contains("Thu 2 January 2025, 15:04 Japan time (UTC+9)"))
            #expect(english.contains(">I have cleaned my device</button>"))

            let refused = try await Chromium.dumpDOM("\(base)/r/\(Fixtures.expiredToken)")
            #expect(refused.contains("<h1>このリンクはご利用いただけません</h1>"))
            #expect(refused.contains("This link cannot be used"))
            #expect(!refused.contains("<form"))
        }
    }

    struct Shot: Sendable, CustomStringConvertible {
        var name: String
        var path: String
        var width: Int
        var height: Int
        var description: String { name }
    }

    static let shots: [Shot] = [
        Shot(name: "remediation-ja-mobile", path: "/r/\(Fixtures.japaneseToken)", width: 390, height: 844),
        Shot(name: "remediation-ja-desktop", path: "/r/\(Fixtures.japaneseToken)", width: 1280, height: 900),
        Shot(name: "remediation-en-mobile", path: "/r/\(Fixtures.japaneseToken)?lang=en", width: 390, height: 844),
        Shot(name: "remediation-en-desktop", path: "/r/\(Fixtures.japaneseToken)?lang=en", width: 1280, height: 900),
        Shot(name: "refused-mobile", path: "/r/\(Fixtures.expiredToken)", width: 390, height: 844),
        Shot(name: "refused-desktop", path: "/r/\(Fixtures.expiredToken)", width: 1280, height: 900),
        Shot(name: "thanks-ja-mobile", path: "/r/\(Fixtures.remediatedToken)", width: 390, height: 844),
        Shot(name: "landing-mobile", path: "/", width: 390, height: 844),
        Shot(name: "remediation-ja-mobile-full", path: "/r/\(Fixtures.japaneseToken)", width: 390, height: 2400),
    ]

    @Test("screenshots at phone and desktop sizes are real PNGs of the window's size")
    func screenshotsAreTaken() async throws {
        try #require(Chromium.executable() != nil, "\(Chromium.Missing())")
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        try await Fixtures.app(desk: Fixtures.desk()).test(.live) { client in
            let base = "http://localhost:\(try #require(client.port))"
            for shot in Self.shots {
                let file = Self.screenshots.appendingPathComponent("\(shot.name).png")
                try await Chromium.screenshot(base + shot.path, width: shot.width, height: shot.height, to: file)
                let png = try #require(PNGFile(file), "\(shot.name): no PNG at \(file.path)")
                #expect(png.width == shot.width && png.height == shot.height, "\(shot.name): \(png.width)x\(png.height)")
                // A blank page of these sizes compresses to a few kilobytes; text and colour make more.
                #expect(png.byteCount > 15_000, "\(shot.name): \(png.byteCount) bytes")
            }
        }
    }
}

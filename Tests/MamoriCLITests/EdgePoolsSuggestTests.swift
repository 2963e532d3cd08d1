import Foundation
import MamoriTesting
import Testing

/// `mamori edge pools suggest`: dynamic pools derived from the bundled AAA samples, shown for
/// review and written only once confirmed.
@Suite struct EdgePoolsSuggestTests {
    static let samples = CLI.root.appendingPathComponent("Sources/mamori/Samples")
    static let inputs = ["radius-detail.txt", "kea-leases4.csv", "dhcpd.leases"].map { samples.appendingPathComponent($0).path }

    /// The pools lines of a suggestion without their comments and padding, and the counts seen.
    static func entries(_ text: String) -> [String] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let parts = line.split(separator: "#", maxSplits: 1)
            let pool = parts[0].split(separator: " ").joined(separator: " ")
            return pool + " (" + (parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "") + ")"
        }
    }

    @Test func poolsSuggestedFromAAARecordsAreWrittenOnlyOnceConfirmed() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shown = try CLI.run(["edge", "pools", "suggest", "--header-time-zone", "Asia/Tokyo"] + Self.inputs)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(
            Self.entries(shown.stdout) == [
                "192.0.2.0/24 radius-detail (2 seen)", "2001:db8:1000::/48 radius-detail (2 seen)", "192.0.2.0/24 kea-leases4 (2 seen)",
                "192.0.2.0/24 dhcpd (2 seen)",
            ])
        #expect(shown.stderr.contains("not used: review it, then run again with --write FILE --confirm"))
        // Nothing about subscribers: no user names, hardware addresses, client ids or host names.
        for secret in ["sub-0001", "isp.example", "02:00:5e", "printer"] { #expect(!shown.stdout.contains(secret)) }

        // Narrower blocks: the three files' addresses fall in different /26s.
        let narrow = try CLI.run(["edge", "pools", "suggest", "--v4-length", "26", "--header-time-zone", "Asia/Tokyo"] + Self.inputs)
        #expect(narrow.status == 0, "\(narrow.stderr)")
        #expect(
            Self.entries(narrow.stdout) == [
                "192.0.2.0/26 radius-detail (2 seen)", "2001:db8:1000::/48 radius-detail (2 seen)", "192.0.2.0/26 kea-leases4 (2 seen)",
                "192.0.2.64/26 dhcpd (2 seen)",
            ])

        // --write without --confirm is refused and writes nothing.
        let pools = dir.appendingPathComponent("pools.txt")
        let unconfirmed = try CLI.run(["edge", "pools", "suggest", "--write", pools.path] + Self.inputs)
        #expect(unconfirmed.status != 0)
        #expect(unconfirmed.stderr.contains("--write needs --confirm"))
        #expect(!FileManager.default.fileExists(atPath: pools.path))

        // Confirmed: the reviewed suggestion is written, and it is a pools file the renderer takes.
        let written = try CLI.run(["edge", "pools", "suggest", "--header-time-zone", "Asia/Tokyo", "--write", pools.path, "--confirm"] + Self.inputs)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("wrote pools.txt: 4 prefixes from 8 assigned"))
        #expect(try String(contentsOf: pools, encoding: .utf8) == shown.stdout)
        let render = try CLI.run(["edge", "render", "--pools", pools.path, "--target", "nftables"])
        #expect(render.status == 0, "\(render.stderr)")
        #expect(render.stdout.contains("192.0.2.0/24"))
        #expect(render.stdout.contains("2001:db8:1000::/48"))
    }
}

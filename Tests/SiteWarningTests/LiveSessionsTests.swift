import Addressing
import Foundation
import Testing

@_spi(LineLookup) @testable import SiteWarning

@Suite struct LiveSessionsTests {
    private let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    private func p(_ text: String) -> IPPrefix { IPPrefix(text)! }
    private func a(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test func ipv4CGNAndDelegatedPrefixes() {
        let sessions = LiveSessions(expiry: 600)
        sessions.start(line: LineID("line-a"), prefixes: [p("198.51.100.7"), p("2001:db8:1200::/56")], at: t0)
        sessions.start(line: LineID("line-b"), prefixes: [p("100.64.3.9")], at: t0)
        sessions.start(line: LineID("line-c"), prefixes: [p("2001:db8:1200:ff00::/64")], at: t0)
        #expect(sessions.line(for: a("198.51.100.7"), now: t0) == LineID("line-a"))
        #expect(sessions.line(for: a("::ffff:198.51.100.7"), now: t0) == LineID("line-a"))
        #expect(sessions.line(for: a("198.51.100.8"), now: t0) == nil)
        #expect(sessions.line(for: a("100.64.3.9"), now: t0) == LineID("line-b"))
        #expect(sessions.line(for: a("2001:db8:1200:42::1"), now: t0) == LineID("line-a"))
        // Longest prefix: a /64 inside the /56 is another line's.
        #expect(sessions.line(for: a("2001:db8:1200:ff00::9"), now: t0) == LineID("line-c"))
        #expect(sessions.line(for: a("2001:db8:1300::1"), now: t0) == nil)
        #expect(sessions.count == 4)
    }

    @Test func stopRemovesOnlyTheLinesOwnEntries() {
        let sessions = LiveSessions(expiry: 600)
        sessions.start(line: LineID("old"), prefixes: [p("192.0.2.1")], at: t0)
        sessions.start(line: LineID("new"), prefixes: [p("192.0.2.1")], at: t0 + 5)
        sessions.stop(line: LineID("old"), prefixes: [p("192.0.2.1")])
        #expect(sessions.line(for: a("192.0.2.1"), now: t0 + 6) == LineID("new"))
        sessions.stop(line: LineID("new"), prefixes: [p("192.0.2.1")])
        #expect(sessions.line(for: a("192.0.2.1"), now: t0 + 7) == nil)
    }

    @Test func interimRefreshesAndSilenceExpires() {
        let sessions = LiveSessions(expiry: 600)
        sessions.start(line: LineID("l"), prefixes: [p("192.0.2.1")], at: t0)
        sessions.interim(line: LineID("l"), prefixes: [p("192.0.2.1")], at: t0 + 500)
        #expect(sessions.line(for: a("192.0.2.1"), now: t0 + 1000) == LineID("l"))
        #expect(sessions.line(for: a("192.0.2.1"), now: t0 + 1101) == nil)
        sessions.start(line: LineID("m"), prefixes: [p("192.0.2.2")], at: t0 + 1000)
        #expect(sessions.purge(now: t0 + 1101) == 1)
        #expect(sessions.count == 1)
        // An Interim for a session the table does not know (after a restart) adds it.
        sessions.interim(line: LineID("l"), prefixes: [p("192.0.2.1")], at: t0 + 1200)
        #expect(sessions.line(for: a("192.0.2.1"), now: t0 + 1200) == LineID("l"))
    }

    @Test func eventsApplyAndConcurrentReadersSeeWholeUpdates() async {
        let sessions = LiveSessions(expiry: 600)
        sessions.apply(.start(line: LineID("e"), prefixes: [p("192.0.2.50"), p("2001:db8:50::/48")], at: t0))
        #expect(sessions.line(for: a("2001:db8:50:1::1"), now: t0) == LineID("e"))
        sessions.apply(.interim(line: LineID("e"), prefixes: [p("192.0.2.50")], at: t0 + 500))
        sessions.apply(.stop(line: LineID("e"), prefixes: [p("2001:db8:50::/48")]))
        #expect(sessions.line(for: a("2001:db8:50:1::1"), now: t0) == nil)
        #expect(sessions.line(for: a("192.0.2.50"), now: t0 + 1000) == LineID("e"))

        // Writers and readers at once: every lookup sees a whole entry (its own line, or none).
        let start = t0
        await withTaskGroup(of: Bool.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for i in 0..<2000 {
                        let address = IPAddress(v4: 0x0A00_0000 | UInt32(writer << 16 | i))
                        sessions.start(line: LineID("w\(writer)-\(i)"), prefixes: [IPPrefix(host: address)], at: start)
                        if i % 3 == 0 { sessions.stop(line: LineID("w\(writer)-\(i)"), prefixes: [IPPrefix(host: address)]) }
                    }
                    return true
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    var consistent = true
                    for i in 0..<2000 {
                        let writer = i % 4
                        let address = IPAddress(v4: 0x0A00_0000 | UInt32(writer << 16 | i))
                        if let line = sessions.line(for: address, now: start), line != LineID("w\(writer)-\(i)") { consistent = false }
                    }
                    return consistent
                }
            }
            for await ok in group { #expect(ok) }
        }
        #expect(sessions.count == 1 + 4 * (2000 - 667))
    }
}

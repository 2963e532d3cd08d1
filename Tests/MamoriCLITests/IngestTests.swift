import Foundation
import MamoriTesting
import Testing

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct IngestTests {
    let samples = CLI.root.appendingPathComponent("Sources/mamori/Samples")

    /// The stored events as a sorted list of their JSON bodies (independent of store keys and row ids).
    func eventBodies(_ store: URL) throws -> [String] {
        try CLI.sqlite(store, "SELECT hex(body) FROM aaa_event ORDER BY hex(body);").stdout.split(separator: "\n").map(String.init)
    }

    @Test func corpusFilesIngestWithCounts() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("c.sqlite").path
        let files = [
            "radius/freeradius-detail-one.txt", "abuse/radius-detail-livingston-2stop.txt", "dhcp/kea-leases4.csv",
            "dhcp/dhcpd.leases", "abuse/dhcpd-4x-binding-free.leases", "abuse/kea-lease4-dump-reference.csv",
        ].map { CLI.corpus.appendingPathComponent($0).path }
        let run = try CLI.run(["ingest", "aaa", "--store", store, "--json"] + files)
        let totals = CLI.object(run.lines.last ?? "")
        #expect(totals["files"] as? Int == 6)
        #expect((totals["added"] as? Int ?? 0) > 10)
        #expect((totals["records"] as? Int ?? 0) >= (totals["added"] as? Int ?? 0))
        #expect(run.status == 0 || run.status == 65)
    }

    @Test func ingestIsIdempotent() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("i.sqlite")
        let file = samples.appendingPathComponent("radius-detail.txt").path
        let first = try CLI.run(["ingest", "aaa", "--store", store.path, "--json", file])
        #expect(first.status == 0, "\(first.stderr)")
        let added = CLI.object(first.lines.last ?? "")["added"] as? Int ?? 0
        #expect(added == 6)
        let before = try eventBodies(store)
        // The same file again: recognised by content.
        let second = try CLI.run(["ingest", "aaa", "--store", store.path, "--json", file])
        #expect(CLI.object(second.lines.last ?? "")["added"] as? Int == 0)
        #expect(CLI.object(second.lines.last ?? "")["files_already_ingested"] as? Int == 1)
        // The same records in a different file (a copy with an extra blank line): no new events.
        let copy = dir.appendingPathComponent("copy.txt")
        try (String(contentsOfFile: file, encoding: .utf8) + "\n").write(to: copy, atomically: true, encoding: .utf8)
        let third = try CLI.run(["ingest", "aaa", "--store", store.path, "--json", copy.path])
        #expect(CLI.object(third.lines.last ?? "")["added"] as? Int == 0)
        #expect(CLI.object(third.lines.last ?? "")["duplicates"] as? Int == 6)
        #expect(try eventBodies(store) == before)
    }

    @Test func malformedRecordsAreNamedSkippedAndCounted() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("m.sqlite").path
        let bad = dir.appendingPathComponent("bad-detail.txt")
        try """
        Fri Nov 27 09:00:00 2026
        \tAcct-Status-Type = Start
        \tUser-Name = "good-1"
        \tAcct-Session-Id = "S1"
        \tFramed-IP-Address = 192.0.2.1
        \tTimestamp = 1795737600

        Fri Nov 27 09:00:00 2026
        \tAcct-Status-Type = Start
        \tUser-Name = "bad-ip"
        \tAcct-Session-Id = "S2"
        \tFramed-IP-Address = 192.0.2.300
        \tTimestamp = 1795737600

        Fri Nov 27 09:00:00 2026
        \tAcct-Status-Type = Start
        \tUser-Name = "good-2"
        \tAcct-Session-Id = "S3"
        \tFramed-IP-Address = 192.0.2.3
        \tTimestamp = 1795737600

        """.write(to: bad, atomically: true, encoding: .utf8)
        let run = try CLI.run(["ingest", "aaa", "--store", store, "--json", bad.path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("bad-detail.txt:12:"))
        #expect(run.stderr.contains("Framed-IP-Address"))
        #expect(!run.stderr.contains("bad-ip"), "the error must not echo record content")
        let totals = CLI.object(run.lines.last ?? "")
        #expect(totals["added"] as? Int == 2)
        #expect(totals["rejected"] as? Int == 1)

        let missing = try CLI.run(["ingest", "aaa", "--store", store, dir.appendingPathComponent("nope.txt").path])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("nope.txt"))
    }

    /// kill -9 during ingest, run again: the same state as one clean run.
    @Test func killedIngestRecovers() async throws {
        let dir = try CLI.temporaryDirectory()
        let big = dir.appendingPathComponent("big-detail.txt")
        let total = 400_000
        var text = ""
        text.reserveCapacity(total * 140)
        for i in 0..<total {
            let ip = "10.\((i >> 16) & 255).\((i >> 8) & 255).\(i & 255)"
            text += "Fri Nov 27 09:00:00 2026\n\tAcct-Status-Type = Start\n\tUser-Name = \"user-\(i)\"\n\tAcct-Session-Id = \"S\(i)\"\n"
            text += "\tFramed-IP-Address = \(ip)\n\tTimestamp = \(1_795_737_600 + i)\n\n"
        }
        try text.write(to: big, atomically: true, encoding: .utf8)

        let clean = dir.appendingPathComponent("clean.sqlite")
        let cleanRun = try CLI.run(["ingest", "aaa", "--store", clean.path, big.path])
        #expect(cleanRun.status == 0, "\(cleanRun.stderr)")

        // Start the ingest and kill it as soon as its first batch is committed (events are stored
        // in transactions of 50,000), so the kill lands in the middle of the file.
        let killed = dir.appendingPathComponent("killed.sqlite")
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["ingest", "aaa", "--store", killed.path, big.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The watch runs on a thread of its own, not on the test pool: beside hundreds of tests a
        // pooled task may wake too late and find the ingest already finished.
        let path = killed.path
        let stillRunning = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            Thread.detachNewThread {
                let deadline = Date().addingTimeInterval(120)
                while process.isRunning, Date() < deadline {
                    usleep(5_000)
                    guard FileManager.default.fileExists(atPath: path),
                        let count = try? CLI.exec(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", path], stdin: "SELECT COUNT(*) FROM aaa_event;"),
                        (Int(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0
                    else { continue }
                    break
                }
                let running = process.isRunning
                kill(process.processIdentifier, SIGKILL)
                done.resume(returning: running)
            }
        }
        process.waitUntilExit()
        #expect(stillRunning && process.terminationReason == .uncaughtSignal, "the ingest finished before it could be killed")
        let partial = Int(try CLI.sqlite(killed, "SELECT COUNT(*) FROM aaa_event;").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(partial > 0 && partial < total, "killed with \(partial) of \(total) events stored")
        let rerun = try CLI.run(["ingest", "aaa", "--store", killed.path, big.path])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try eventBodies(killed) == eventBodies(clean))
        #expect(try CLI.run(["audit", "verify", "--store", killed.path]).status == 0)
        // And a third run adds nothing.
        let third = try CLI.run(["ingest", "aaa", "--store", killed.path, "--json", big.path])
        #expect(CLI.object(third.lines.last ?? "")["added"] as? Int == 0)
    }

    @Test func purgeDeletesExpiredRecordsAndIsAudited() throws {
        let dir = try CLI.temporaryDirectory()
        let store = dir.appendingPathComponent("p.sqlite")
        let ingest = try CLI.run(
            ["ingest", "aaa", "--store", store.path] + ["radius-detail.txt", "cgn-blocks.csv"].map { samples.appendingPathComponent($0).path })
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let total = try eventBodies(store).count
        // The attribution index snapshot beside the store, as private as the store's records.
        let snapshot = store.path + ".index"
        let mode = try FileManager.default.attributesOfItem(atPath: snapshot)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        // Within retention: nothing goes.
        let early = try CLI.run(["purge", "--store", store.path, "--now", "2026-12-01T00:00:00Z"])
        #expect(early.status == 0, "\(early.stderr)")
        #expect(try eventBodies(store).count == total)
        // Long after: every record whose holding ended goes; the chain still verifies.
        let late = try CLI.run(["purge", "--store", store.path, "--now", "2036-12-01T00:00:00Z"])
        #expect(late.status == 0)
        #expect(try eventBodies(store).count == 0)
        #expect(!FileManager.default.fileExists(atPath: snapshot))  // it held the purged records too
        let show = try CLI.run(["audit", "show", "--store", store.path])
        #expect(show.stdout.contains("purge"))
        #expect(try CLI.run(["audit", "verify", "--store", store.path]).status == 0)
    }

    @Test func badDeclarationsFileNamesDeclarationAndField() throws {
        let dir = try CLI.temporaryDirectory()
        let bundled = CLI.root.appendingPathComponent("Sources/Secrecy/Resources/declarations.json")
        var text = try String(contentsOf: bundled, encoding: .utf8)
        // Remove the one "necessity" justification of a legitimate-business-act declaration.
        guard let range = text.range(of: "\"necessity\"") else {
            Issue.record("no necessity justification in the bundled file")
            return
        }
        text.replaceSubrange(range, with: "\"necessity-typo\"")
        let file = dir.appendingPathComponent("declarations.json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let run = try CLI.run(["declarations", "--declarations", file.path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("declarations.json"))
        #expect(run.stderr.contains("necessity"))
        let ok = try CLI.run(["declarations"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("9 declarations valid"))
    }
}

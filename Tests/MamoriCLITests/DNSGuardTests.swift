import Foundation
import MamoriTesting
import Testing

/// The DNS guard through the command line, with the real peers: lists imported with
/// `mamori lists import`, `mamori serve --dns-listen` in front of a real Unbound, queried with
/// dig and kdig over UDP and TCP.
@Suite struct DNSGuardTests {
    static let guardFile = """
        {"warningConsent": "terms",
         "terms": {"version": "2026-04", "termsURL": "https://isp.example/terms", "publishedOn": "2026-04-01",
                   "choicePageURL": "https://my.isp.example/security",
                   "sameConditionsStatement": {"ja": "選択にかかわらず他の提供条件は同じです。", "en": "All other conditions are the same whichever you choose."},
                   "pageExplanation": {"ja": "マルウェア配布サイトへの接続前に注意喚起します。", "en": "We warn you before you reach a malware-distribution site."},
                   "pageOptOutInstructions": {"ja": "会員ページからいつでも停止できます。", "en": "Turn it off at any time on the member page."}}}
        """

    struct Guard {
        let directory: URL
        let store: [String]
        let unbound: Unbound
        let child: CleanChild
        let port: Int
        let log: URL

        init(extra: [String] = [], metricsPort: Int = 0) throws {
            directory = try CLI.temporaryDirectory()
            store = ["--store", directory.appendingPathComponent("s.sqlite").path]
            unbound = try Unbound(localData: [
                "www.example.test. 300 IN A 198.51.100.10", "c2.example.test. 300 IN A 198.51.100.66",
                "evil.example.test. 300 IN A 198.51.100.99", "later.example.test. 300 IN A 198.51.100.77",
            ])
            try Self.importList(store, directory, name: "cnc.txt", text: "c2.example.test\n", list: "cnc-feed", kind: "cnc")
            try Self.importList(
                store, directory, name: "malware.rpz", text: "$ORIGIN rpz.isp.example.\nevil.example.test CNAME .\n", list: "malware",
                kind: "malware-site")
            let config = directory.appendingPathComponent("guard.json")
            try DNSGuardTests.guardFile.write(to: config, atomically: true, encoding: .utf8)
            port = try Loopback.freePort()
            log = directory.appendingPathComponent("serve.log")
            var environment = ProcessInfo.processInfo.environment
            environment["MAMORI_STORE"] = nil
            child = try CleanChild(
                executable: CLI.binary,
                arguments: ["serve"] + store + [
                    "--port", "0", "--metrics-port", "\(metricsPort)", "--dns-listen", "127.0.0.1:\(port)", "--dns-upstream",
                    "127.0.0.1:\(unbound.port)",
                    "--warning-ipv4", "192.0.2.80", "--warning-ipv6", "2001:db8::80", "--guard-config", config.path,
                ] + extra,
                output: log, environment: environment)
            try Loopback.waitUntilListening(port: port, timeout: 120)
        }

        static func importList(_ store: [String], _ directory: URL, name: String, text: String, list: String, kind: String) throws {
            let file = directory.appendingPathComponent(name)
            try text.write(to: file, atomically: true, encoding: .utf8)
            let run = try CLI.run(["lists", "import", file.path, "--list", list, "--kind", kind, "--json"] + store)
            try #require(run.status == 0, "\(run.stderr)")
            let object = CLI.object(run.lines.last ?? "")
            #expect(object["entries"] as? Int == 1)
        }

        func dig(_ arguments: [String]) async throws -> String {
            let result = try await Command.run("/usr/bin/dig", ["@127.0.0.1", "-p", "\(port)", "+tries=1", "+time=5"] + arguments)
            return result.output
        }

        func stop() {
            child.signal(SIGTERM)
            _ = child.wait(timeout: 60)
            unbound.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func listedNamesAreAnsweredByTheGuardAndTheRestByUnbound() async throws {
        let g = try Guard()
        defer { g.stop() }
        // A listed malware site (choice on by the terms' default): the warning address, short TTL.
        let warned = try await g.dig(["evil.example.test", "A", "+noall", "+answer", "+comments"])
        #expect(warned.contains("status: NOERROR"))
        #expect(warned.contains("evil.example.test.\t60\tIN\tA\t192.0.2.80"), "\(warned)")
        let warned6 = try await g.dig(["evil.example.test", "AAAA", "+tcp", "+noall", "+answer"])
        #expect(warned6.contains("2001:db8::80"), "\(warned6)")
        // HTTPS and SVCB records of a warned name: no data (with the SOA), so a browser gets no
        // QUIC or ECH hint pointing at the real site.
        for type in ["TYPE65", "TYPE64"] {
            let none = try await g.dig(["evil.example.test", type, "+noall", "+comments", "+answer", "+authority"])
            #expect(none.contains("status: NOERROR") && none.contains("ANSWER: 0"), "\(none)")
            #expect(none.contains("SOA"), "\(none)")
        }
        // A listed C&C name: NXDOMAIN, silently, over UDP and TCP, EDNS kept.
        let blocked = try await g.dig(["c2.example.test", "A", "+bufsize=1232"])
        #expect(blocked.contains("status: NXDOMAIN"), "\(blocked)")
        #expect(blocked.contains("EDNS: version: 0"), "\(blocked)")
        let kdig = try await Command.run("/usr/bin/kdig", ["@127.0.0.1", "-p", "\(g.port)", "+tcp", "+edns", "sub.c2.example.test", "A"])
        #expect(kdig.output.contains("NXDOMAIN"), "\(kdig.output)")
        #expect(kdig.output.contains("EDNS PSEUDOSECTION"), "\(kdig.output)")
        // Not listed: Unbound's real answer, EDNS kept.
        let real = try await g.dig(["www.example.test", "A", "+bufsize=1400"])
        #expect(real.contains("198.51.100.10"), "\(real)")
        #expect(real.contains("udp: "), "\(real)")
        let realTCP = try await Command.run("/usr/bin/kdig", ["@127.0.0.1", "-p", "\(g.port)", "+tcp", "www.example.test", "A"])
        #expect(realTCP.output.contains("198.51.100.10"), "\(realTCP.output)")
    }

    /// A list imported by another process while the guard runs: in force within a second, no
    /// restart; removing it, likewise.
    @Test func listChangesReachTheRunningGuard() async throws {
        let g = try Guard()
        defer { g.stop() }
        let before = try await g.dig(["later.example.test", "A"])
        #expect(before.contains("198.51.100.77"), "\(before)")
        let clock = ContinuousClock()
        let start = clock.now
        try Guard.importList(g.store, g.directory, name: "more.txt", text: "later.example.test\n", list: "more", kind: "cnc")
        var answer = ""
        while clock.now - start < .seconds(30) {
            answer = try await g.dig(["later.example.test", "A"])
            if answer.contains("NXDOMAIN") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The poll of a SQLite store is 250 ms; no time is asserted (30 s only guards against a hang).
        #expect(answer.contains("status: NXDOMAIN"), "\(answer)")
        let removed = try CLI.run(["lists", "remove", "--list", "more"] + g.store)
        #expect(removed.status == 0)
        var after = ""
        for _ in 0..<200 {
            after = try await g.dig(["later.example.test", "A"])
            if after.contains("198.51.100.77") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(after.contains("198.51.100.77"), "\(after)")
    }

    /// Under the terms default, a missing (ア)(イ)(ウ) field stops the guard from starting, named.
    @Test func missingComplianceFieldsAreNamed() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("g.json")
        try
            #"{"warningConsent": "terms", "terms": {"version": "1", "termsURL": "https://isp.example/t", "publishedOn": "2026-04-01", "choicePageURL": ""}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let run = try CLI.run([
            "serve", "--store", dir.appendingPathComponent("s.sqlite").path, "--port", "0", "--dns-listen", "127.0.0.1:0",
            "--dns-upstream", "127.0.0.1:53", "--warning-ipv4", "192.0.2.80", "--guard-config", config.path,
        ])
        #expect(run.status != 0)
        #expect(run.stderr.contains("terms.choicePageURL"), "\(run.stderr)")
        #expect(run.stderr.contains("terms.sameConditionsStatement"), "\(run.stderr)")
        #expect(run.stderr.contains("terms.pageExplanation"), "\(run.stderr)")
        #expect(run.stderr.contains("terms.pageOptOutInstructions"), "\(run.stderr)")
    }

    /// Choices through the command line keep their history.
    @Test func consentThroughTheCommandLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ["--store", dir.appendingPathComponent("s.sqlite").path]
        #expect(try CLI.run(["consent", "set", "--measure", "cnc-dns-block", "--line", "user1@isp", "off"] + store).status == 0)
        #expect(
            try CLI.run(["consent", "set", "--measure", "malware-site-warning", "--line", "user1@isp", "on", "--terms-version", "2026-04"] + store)
                .status == 0)
        let show = CLI.object(try CLI.run(["consent", "show", "--line", "user1@isp", "--json"] + store).lines.last ?? "")
        #expect(show["cnc-dns-block"] as? String == "off")
        #expect(show["malware-site-warning"] as? String == "on")
        let other = CLI.object(try CLI.run(["consent", "show", "--line", "user2@isp", "--json"] + store).lines.last ?? "")
        #expect(other["cnc-dns-block"] as? String == "default")
        let history = CLI.object(try CLI.run(["consent", "history", "--line", "user1@isp", "--json"] + store).lines.last ?? "")
        let changes = history["changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["measure"] as? String } == ["cnc-dns-block", "malware-site-warning"])
        #expect(changes.map { $0["channel"] as? String } == ["cli", "cli"])
        #expect(changes.last?["terms_version"] as? String == "2026-04")
        #expect(try CLI.run(["consent", "set", "--measure", "nope", "--line", "x", "off"] + store).status != 0)
    }

    /// The member site's consent API: a bearer token, a change recorded with channel `api`.
    @Test func consentAPIWithABearerToken() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ["--store", dir.appendingPathComponent("s.sqlite").path]
        let tokenFile = dir.appendingPathComponent("api.token")
        try "s3cret-token-0123456789\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let apiPort = try Loopback.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["MAMORI_STORE"] = nil
        let child = try CleanChild(
            executable: CLI.binary,
            arguments: ["serve"] + store + [
                "--port", "0", "--metrics-port", "0", "--api-token-file", tokenFile.path, "--api-listen", "127.0.0.1:\(apiPort)",
            ],
            output: dir.appendingPathComponent("serve.log"), environment: environment)
        defer {
            child.signal(SIGTERM)
            _ = child.wait(timeout: 60)
        }
        try Loopback.waitUntilListening(port: apiPort, timeout: 120)
        let base = "http://127.0.0.1:\(apiPort)/api/v1/lines/user9%40isp/consent"
        func curl(_ arguments: [String]) throws -> String {
            try CLI.exec(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-sS", "-w", "\n%{http_code}"] + arguments).stdout
        }
        #expect(try curl([base]).hasSuffix("401"))
        #expect(try curl(["-H", "Authorization: Bearer wrong-token-0123456789", base]).hasSuffix("401"))
        let auth = ["-H", "Authorization: Bearer s3cret-token-0123456789"]
        let put = try curl(
            auth + [
                "-X", "PUT", "-H", "Content-Type: application/json", "-d", #"{"choice":"off","terms_version":"2026-04"}"#, base + "/cnc-dns-block",
            ])
        #expect(put.hasSuffix("200"), "\(put)")
        #expect(try curl(auth + ["-X", "PUT", "-d", #"{"choice":"maybe"}"#, base + "/cnc-dns-block"]).hasSuffix("400"))
        #expect(try curl(auth + ["-X", "PUT", "-d", #"{"choice":"on"}"#, base + "/no-such-measure"]).hasSuffix("404"))
        let got = try curl(auth + [base])
        #expect(got.hasSuffix("200"), "\(got)")
        let object = CLI.object(String(got.split(separator: "\n").first ?? ""))
        #expect(object["cnc-dns-block"] as? String == "off")
        #expect(object["malware-site-warning"] as? String == "default")
        // The same history through the command line (another process).
        let history = CLI.object(try CLI.run(["consent", "history", "--line", "user9@isp", "--json"] + store).lines.last ?? "")
        let changes = history["changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["channel"] as? String } == ["api"])
        #expect(changes.first?["terms_version"] as? String == "2026-04")
    }

    /// RADIUS accounting from Debian's radclient maps 127.0.0.1 to a line; that line's choices,
    /// changed by another process, switch its answers (the guard reads them each second); Stop returns it to the
    /// defaults; a wrong shared secret is refused and counted.
    @Test func radiusSessionsAndChoicesSwitchTheAnswers() async throws {
        let secrets = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: secrets) }
        let secretFile = secrets.appendingPathComponent("radius.secret")
        try "testing123\n".write(to: secretFile, atomically: true, encoding: .utf8)
        let radiusPort = try Loopback.freePort()
        let metricsPort = try Loopback.freePort()
        let g = try Guard(
            extra: ["--radius-listen", "127.0.0.1:\(radiusPort)", "--radius-secret-file", secretFile.path], metricsPort: metricsPort)
        defer { g.stop() }

        func radclient(_ status: String, secret: String = "testing123") async throws -> Int32 {
            let attributes = """
                Acct-Status-Type = \(status)
                User-Name = "line-a@isp"
                Acct-Session-Id = "S-1"
                Framed-IP-Address = 127.0.0.1
                NAS-IP-Address = 127.0.0.1
                """
            let file = secrets.appendingPathComponent("acct-\(status).txt")
            try attributes.write(to: file, atomically: true, encoding: .utf8)
            return try await Command.run("/usr/bin/radclient", ["-f", file.path, "-r", "2", "-t", "10", "127.0.0.1:\(radiusPort)", "acct", secret])
                .status
        }
        func answer(_ name: String) async throws -> String { try await g.dig([name, "A", "+short"]) }
        func waitFor(_ name: String, _ expected: String, within limit: Duration) async throws -> Duration? {
            let clock = ContinuousClock()
            let start = clock.now
            while clock.now - start < limit {
                let text = try await g.dig([name, "A"])
                if text.contains(expected) { return clock.now - start }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }

        // A C&C name for a client that is no line's: blocked (the default).
        #expect(try await g.dig(["c2.example.test", "A"]).contains("NXDOMAIN"))
        #expect(try await radclient("Start") == 0)
        // The line's own choice: off, recorded by another process; the guard follows.
        let store = g.store
        #expect(try CLI.run(["consent", "set", "--measure", "cnc-dns-block", "--line", "line-a@isp", "off"] + store).status == 0)
        // No time is asserted: the guard reads the store each second, but a loaded machine may
        // take longer (5.8 s once in a CI simulation); 30 s only guards against a hang.
        #expect(try await waitFor("c2.example.test", "198.51.100.66", within: .seconds(30)) != nil)
        // The malware-site warning is still on for it (terms default), until it turns that off too.
        #expect(try await answer("evil.example.test").contains("192.0.2.80"))
        #expect(try CLI.run(["consent", "set", "--measure", "malware-site-warning", "--line", "line-a@isp", "off"] + store).status == 0)
        #expect(try await waitFor("evil.example.test", "198.51.100.99", within: .seconds(30)) != nil)
        // Stop: the address is no line's any more, the defaults apply again at once.
        #expect(try await radclient("Stop") == 0)
        #expect(try await waitFor("c2.example.test", "NXDOMAIN", within: .seconds(30)) != nil)
        // A wrong shared secret: no answer (radclient fails), counted, nothing changes.
        #expect(try await radclient("Start", secret: "wrong-secret") != 0)
        #expect(try await g.dig(["c2.example.test", "A"]).contains("NXDOMAIN"))
        let scrape = try CLI.exec(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"]).stdout
        let bad = scrape.split(separator: "\n").first { $0.hasPrefix("mamori_radius_requests_total") && $0.contains("bad-authenticator") }
        #expect(bad.map { Double($0.split(separator: " ").last ?? "") ?? 0 } ?? 0 >= 1, "\(scrape.prefix(2000))")
        #expect(!scrape.contains("line-a"))
        #expect(!scrape.contains("127.0.0.1"))
    }

    /// `serve --radius-detail`: a FreeRADIUS detail file written as a NAS's accounting arrives
    /// (a Start, then a Stop in a rotated file) switches the client's answers.
    @Test func radiusDetailFileFeedsTheLiveSessions() async throws {
        let spool = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: spool) }
        let detail = spool.appendingPathComponent("detail")
        _ = FileManager.default.createFile(atPath: detail.path, contents: nil)
        let g = try Guard(extra: ["--radius-detail", detail.path])
        defer { g.stop() }
        func record(_ status: String) -> String {
            let now = Int(Date().timeIntervalSince1970)
            return "Fri Dec  4 10:00:00 2026\n\tAcct-Status-Type = \(status)\n\tUser-Name = \"line-d@isp\"\n"
                + "\tAcct-Session-Id = \"D-1\"\n\tFramed-IP-Address = 127.0.0.1\n\tNAS-IP-Address = 127.0.0.1\n\tTimestamp = \(now)\n\n"
        }
        func append(_ text: String, to url: URL) throws {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        }
        func waitFor(_ name: String, _ expected: String) async throws -> Bool {
            // Ends as soon as the answer comes; long only because a loaded two-core machine (the
            // whole suite beside it) can starve the serve process for tens of seconds.
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                if try await g.dig([name, "A"]).contains(expected) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }
        // The line opted out of the C&C block; until its session is known, 127.0.0.1 is no line's.
        #expect(try CLI.run(["consent", "set", "--measure", "cnc-dns-block", "--line", "line-d@isp", "off"] + g.store).status == 0)
        #expect(try await g.dig(["c2.example.test", "A"]).contains("NXDOMAIN"))
        try append(record("Start"), to: detail)
        #expect(try await waitFor("c2.example.test", "198.51.100.66"))
        // Rotation as logrotate does it: the file renamed, a new one created; the Stop is in the new one.
        try FileManager.default.moveItem(at: detail, to: spool.appendingPathComponent("detail.1"))
        _ = FileManager.default.createFile(atPath: detail.path, contents: nil)
        try append(record("Stop"), to: detail)
        #expect(try await waitFor("c2.example.test", "NXDOMAIN"))
    }

    /// `mamori lists report`: site-owner notices for a list's sites reach a real SMTP server as
    /// RFC 5965 reports carrying the X-ARF JSON, once per site and recipient, audited; the
    /// feed's contact wins over the configured one.
    @Test func siteOwnersAreToldThroughTheOutbox() async throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = ["--store", directory.appendingPathComponent("s.sqlite").path]
        let file = directory.appendingPathComponent("feed.txt")
        try "evil.example.test # dropper contact=webmaster@evil.example.test\nbad.example.test # exploit kit\n"
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["lists", "import", file.path, "--list", "jpcert", "--kind", "malware-site"] + store).status == 0)
        let sink = try SMTPSink()
        defer { sink.stop() }
        let smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)", "--smtp-starttls", "off", "--from", "abuse@isp.example"]
        let run = try CLI.run(["lists", "report", "--list", "jpcert", "--contact", "abuse@hosting.example", "--json"] + store + smtp)
        #expect(run.status == 0, "\(run.stderr)")
        let counts = CLI.object(run.lines.last ?? "")
        #expect(counts["queued"] as? Int == 2)
        #expect(counts["sent"] as? Int == 2)
        let messages = try sink.messages()
        #expect(messages.count == 2)
        let toEvil = try #require(messages.first { $0.contains("webmaster@evil.example.test") })
        let toHost = try #require(messages.first { $0.contains("abuse@hosting.example") })
        #expect(toHost.contains("bad.example.test"))
        for message in [toEvil, toHost] {
            #expect(message.contains("Content-Type: multipart/report; report-type=feedback-report;"))
            #expect(message.contains("Content-Type: message/feedback-report"))
            #expect(message.contains("Feedback-Type: other"))
            #expect(message.contains("Content-Disposition: inline; filename=\"xarf.json\""))
            #expect(message.contains("\"category\" : \"content\""))
        }
        // Once per site and recipient: a second run queues and sends nothing.
        let again = try CLI.run(["lists", "report", "--list", "jpcert", "--contact", "abuse@hosting.example", "--json"] + store + smtp)
        #expect(CLI.object(again.lines.last ?? "")["already_queued"] as? Int == 2)
        #expect(CLI.object(again.lines.last ?? "")["sent"] as? Int == 0)
        #expect(try sink.messages().count == 2)
        // Audited under site-owner-notice: queued and sent, two each; the chain verifies.
        let show = try CLI.run(["audit", "show", "--json"] + store)
        let entries = show.lines.map(CLI.object).filter { $0["countermeasure"] as? String == "site-owner-notice" }
        #expect(entries.filter { $0["action"] as? String == "notice-queued" }.count == 2, "\(show.stdout.suffix(2000))")
        #expect(entries.filter { $0["action"] as? String == "notice-sent" }.count == 2)
        #expect(try CLI.run(["audit", "verify"] + store).status == 0)
    }
}

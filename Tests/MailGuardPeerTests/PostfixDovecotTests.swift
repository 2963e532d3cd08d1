import Addressing
import Foundation
import Logging
import MailGuard
import MamoriTesting
import Runtime
import Secrecy
import ServiceLifecycle
import StoreSQLite
import Testing

/// Postfix 3.7 and Dovecot 2.3 (SASL) on loopback with the project's configuration
/// (docs/mail-guard.md), driven by swaks from many 127.0.0.x sources, against the mail guard
/// served in process from a real SQLite store. Loopback is not exempt from limits (empty
/// `smtpd_client_event_limit_exceptions`, no `permit_mynetworks`). Timing-sensitive: its own
/// pass in scripts/test.sh.
@Suite(.serialized) struct PostfixDovecotTests {
    static var peersPresent: Bool {
        ["/usr/sbin/postfix", "/usr/sbin/dovecot", "/usr/bin/swaks"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
            && getuid() == 0
    }

    /// One Postfix + Dovecot pair in a directory of its own, stopped by its masters' PIDs.
    final class MailPeers: @unchecked Sendable {
        let directory: URL
        let submissionPort: Int
        let policyPort: Int
        let socketmapPort: Int

        init(policyPort: Int, socketmapPort: Int, withSocketmap: Bool, extraMain: String = "") throws {
            directory = try Loopback.temporaryDirectory()
            submissionPort = try Loopback.freePort()
            self.policyPort = policyPort
            self.socketmapPort = socketmapPort
            let d = directory.path
            let fm = FileManager.default
            for sub in ["conf", "queue", "data", "dovecot-run"] {
                try fm.createDirectory(atPath: "\(d)/\(sub)", withIntermediateDirectories: true)
            }
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: d)
            try run("/bin/chown", ["postfix", "\(d)/data"])
            var main = """
                compatibility_level = 3.6
                queue_directory = \(d)/queue
                data_directory = \(d)/data
                mail_owner = postfix
                setgid_group = postdrop
                inet_interfaces = loopback-only
                inet_protocols = ipv4
                myhostname = mx.mamori.test
                mydestination =
                maillog_file_prefixes = \(d)
                maillog_file = \(d)/maillog
                default_transport = discard
                relay_transport = discard
                smtpd_sasl_auth_enable = yes
                smtpd_sasl_type = dovecot
                smtpd_sasl_path = private/auth
                smtpd_tls_security_level = none
                smtpd_client_event_limit_exceptions =
                smtpd_relay_restrictions = permit_sasl_authenticated, reject
                smtpd_recipient_restrictions = check_policy_service { inet:127.0.0.1:\(policyPort), timeout=2s, default_action=DUNNO }
                smtpd_end_of_data_restrictions = check_policy_service { inet:127.0.0.1:\(policyPort), timeout=2s, default_action=DUNNO }

                """
            main += extraMain
            if withSocketmap {
                main += "smtpd_sasl_exceptions_networks = socketmap:inet:127.0.0.1:\(socketmapPort):sasl_exceptions\n"
            }
            try main.write(toFile: "\(d)/conf/main.cf", atomically: true, encoding: .utf8)
            let services = [
                "127.0.0.1:\(submissionPort) inet n - n - - smtpd", "pickup unix n - n 60 1 pickup", "cleanup unix n - n - 0 cleanup",
                "qmgr unix n - n 300 1 qmgr", "rewrite unix - - n - - trivial-rewrite", "bounce unix - - n - 0 bounce",
                "defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify", "flush unix n - n 1000? 0 flush",
                "proxymap unix - - n - - proxymap", "showq unix n - n - - showq", "error unix - - n - - error", "retry unix - - n - - error",
                "discard unix - - n - - discard", "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache",
                "postlog unix-dgram n - n - 1 postlogd",
            ]
            try (services.joined(separator: "\n") + "\n").write(toFile: "\(d)/conf/master.cf", atomically: true, encoding: .utf8)
            let dovecot = """
                base_dir = \(d)/dovecot-run
                state_dir = \(d)/dovecot-run
                protocols =
                log_path = \(d)/dovecot.log
                ssl = no
                disable_plaintext_auth = no
                auth_failure_delay = 0
                auth_mechanisms = plain login
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN username_format=%u \(d)/users
                }
                userdb {
                  driver = static
                  args = uid=nobody gid=nogroup home=/tmp
                }
                service auth {
                  unix_listener \(d)/queue/private/auth {
                    mode = 0660
                    user = postfix
                    group = postfix
                  }
                }
                service anvil {
                  chroot =
                }
                service stats {
                  chroot =
                }

                """
            try dovecot.write(toFile: "\(d)/dovecot.conf", atomically: true, encoding: .utf8)
            let users = ["alice", "victim", "bob"].map { "\($0)@mamori.test:{PLAIN}\($0)pw" }.joined(separator: "\n") + "\n"
            try users.write(toFile: "\(d)/users", atomically: true, encoding: .utf8)
            // Postfix first (it makes queue/private, where Dovecot's auth listener goes).
            do {
                try run("/usr/sbin/postfix", ["-c", "\(d)/conf", "start"])
                try run("/usr/sbin/dovecot", ["-c", "\(d)/dovecot.conf"])
                try Loopback.waitUntilListening(port: submissionPort, timeout: 20)
            } catch {
                stop()
                throw error
            }
        }

        var maillog: String { directory.appendingPathComponent("maillog").path }

        /// Stops both masters by their PIDs, waits (up to 10 s) until they are gone, removes the directory.
        func stop() {
            var pids: [Int32] = []
            for file in ["queue/pid/master.pid", "dovecot-run/master.pid"] {
                guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8),
                    let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
                else { continue }
                kill(pid, SIGTERM)
                pids.append(pid)
            }
            let deadline = Date().addingTimeInterval(10)
            while pids.contains(where: { kill($0, 0) == 0 }), Date() < deadline { usleep(50_000) }
            try? FileManager.default.removeItem(at: directory)
        }

        /// swaks from `source` (127.0.0.x); its transcript.
        func swaks(from source: String, login: String?, password: String? = nil, quitAfter: String? = nil) throws -> String {
            var arguments = [
                "--server", "127.0.0.1:\(submissionPort)", "--li", source, "--to", "rcpt@example.com", "--from", login ?? "nobody@mamori.test",
                "--timeout", "10",
            ]
            if let login { arguments += ["-a", "PLAIN", "--au", login, "--ap", password ?? "\(login.split(separator: "@")[0])pw"] }
            if let quitAfter { arguments += ["--quit-after", quitAfter] }
            return try run("/usr/bin/swaks", arguments, check: false)
        }

        /// Runs `path` as a clean child (default signal dispositions, no inherited pipe: the daemons
        /// keep their descriptors) and returns what it wrote.
        @discardableResult
        func run(_ path: String, _ arguments: [String], check: Bool = true) throws -> String {
            let output = directory.appendingPathComponent("run-\(UUID().uuidString).out")
            let child = try CleanChild(executable: URL(fileURLWithPath: path), arguments: arguments, output: output)
            guard let status = child.wait(timeout: 60) else {
                child.signal(SIGKILL)
                throw MissingPeer("\(path) did not finish in 60 s")
            }
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if check, status != 0 { throw MissingPeer("\(path) \(arguments.last ?? "") failed (\(status)): \(text)") }
            return text
        }
    }

    /// The guard served from a real store, with short windows for the test.
    struct Mamori {
        let store: MamoriStore
        let guardian: MailGuard
        let task: Task<Void, any Error>
        let policyPort: Int
        let socketmapPort: Int

        static func start(
            directory: URL, maillog: String?, policyPort: Int, socketmapPort: Int, holdQueuedMailOf postfixConfig: String? = nil,
            tables: (directory: String, postfixConfig: String)? = nil
        ) async throws -> Mamori {
            let store = try MamoriStore(path: directory.appendingPathComponent("store.sqlite").path)
            let runtime = MamoriRuntime(store: store, configuration: MamoriConfiguration(declarations: try Declarations.bundled()))
            var settings = MailGuardSettings()
            settings.policyListen = ("127.0.0.1", policyPort)
            settings.socketmapListen = ("127.0.0.1", socketmapPort)
            settings.postfixLog = maillog
            settings.tick = .milliseconds(200)
            settings.holdQueuedMail = postfixConfig != nil
            settings.postfixConfigDirectory = postfixConfig ?? tables?.postfixConfig
            settings.postfixTableDirectory = tables?.directory
            settings.configuration.failuresToBlock = 3
            settings.configuration.quietPeriod = 4
            settings.configuration.distinctAddresses = 4
            settings.configuration.suspendedText = "5.7.1 SMTP AUTH suspended for this ID: change your password"
            let logger = Logger(label: "test.mail-guard")
            let (guardian, services) = try runtime.mailGuardServices(settings, logger: logger)
            let group = ServiceGroup(configuration: .init(services: services, logger: logger))
            let task = Task { try await group.run() }
            try Loopback.waitUntilListening(port: policyPort)
            try Loopback.waitUntilListening(port: socketmapPort)
            try await Task.sleep(for: .milliseconds(500))  // the follower has read the log's size
            return Mamori(store: store, guardian: guardian, task: task, policyPort: policyPort, socketmapPort: socketmapPort)
        }

        func raise(_ alert: MailAlert) async throws {
            try await store.mailGuard.apply([.alert(alert, RaisedAlert(alert: alert, since: Date(), source: .cli))])
            try await waitFor { guardian.isRaised(alert) }
        }

        func stop() async {
            task.cancel()
            _ = try? await task.value
        }
    }

    static func waitFor(timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !condition() {
            guard clock.now < deadline else { throw MissingPeer("condition not met in time") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func ports() throws -> (Int, Int) { (try Loopback.freePort(), try Loopback.freePort()) }

    @Test(.enabled(if: peersPresent, "needs root, postfix, dovecot-core and swaks"))
    func bruteForceStopsAuthForThatAddressUntilItsFailuresStop() async throws {
        let (policy, socketmap) = try Self.ports()
        let peers = try MailPeers(policyPort: policy, socketmapPort: socketmap, withSocketmap: true)
        defer { peers.stop() }
        let mamori = try await Mamori.start(directory: peers.directory, maillog: peers.maillog, policyPort: policy, socketmapPort: socketmap)
        try await mamori.raise(.authFailure)
        for _ in 0..<3 { _ = try peers.swaks(from: "127.0.0.66", login: "alice@mamori.test", password: "wrong") }
        try await Self.waitFor { mamori.guardian.isBlocked(.init("127.0.0.66")!) }
        let blocked = try peers.swaks(from: "127.0.0.66", login: nil, quitAfter: "EHLO")
        let other = try peers.swaks(from: "127.0.0.67", login: nil, quitAfter: "EHLO")
        #expect(!blocked.contains("250-AUTH") && !blocked.contains("250 AUTH"))
        #expect(other.contains("AUTH PLAIN LOGIN"))
        // The block is in the store while it lasts (what `mamori mail blocks` shows), from the
        // store sync's next tick.
        var stored: [String] = []
        for _ in 0..<50 where stored.isEmpty {
            stored = try await mamori.store.mailGuard.mailGuardSnapshot().blocks.keys.sorted()
            if stored.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(stored == ["127.0.0.66"])
        // No failure for the quiet period: AUTH is offered again.
        try await Self.waitFor(timeout: .seconds(15)) { !mamori.guardian.isBlocked(.init("127.0.0.66")!) }
        #expect(try peers.swaks(from: "127.0.0.66", login: nil, quitAfter: "EHLO").contains("AUTH PLAIN LOGIN"))
        await mamori.stop()
    }

    @Test(.enabled(if: peersPresent, "needs root, postfix, dovecot-core and swaks"))
    func anIDFromManyAddressesIsSuspendedAndOthersAreNot() async throws {
        let (policy, socketmap) = try Self.ports()
        let peers = try MailPeers(policyPort: policy, socketmapPort: socketmap, withSocketmap: true)
        defer { peers.stop() }
        let mamori = try await Mamori.start(directory: peers.directory, maillog: peers.maillog, policyPort: policy, socketmapPort: socketmap)
        try await mamori.raise(.load)
        for i in 10..<13 { #expect(try peers.swaks(from: "127.0.0.\(i)", login: "victim@mamori.test").contains("250 2.0.0 Ok: queued")) }
        // The fourth address: the policy server sees it at END-OF-MESSAGE, suspends, and refuses it at once.
        let fourth = try peers.swaks(from: "127.0.0.13", login: "victim@mamori.test")
        #expect(fourth.contains("554 5.7.1") && !fourth.contains("Ok: queued"))
        try await Self.waitFor { mamori.guardian.isSuspended("victim@mamori.test") }
        let refused = try peers.swaks(from: "127.0.0.20", login: "victim@mamori.test")
        #expect(refused.contains("554 5.7.1") && refused.contains("SMTP AUTH suspended for this ID: change your password"))
        #expect(try peers.swaks(from: "127.0.0.21", login: "alice@mamori.test").contains("250 2.0.0 Ok: queued"))
        try await Self.waitFor { (try? String(contentsOfFile: peers.maillog, encoding: .utf8))?.contains("SMTP AUTH suspended") == true }
        // Audited by the store sync's next tick.
        var audit = try await mamori.store.audit.records(from: 1).map(\.entry)
        for _ in 0..<50 where !audit.contains(where: { $0.action == AuditEntry.Action.suspension }) {
            try await Task.sleep(for: .milliseconds(100))
            audit = try await mamori.store.audit.records(from: 1).map(\.entry)
        }
        #expect(audit.contains { $0.action == AuditEntry.Action.suspension && $0.countermeasure == .smtpCredentialAbuse })
        #expect(!audit.contains { $0.subject.contains("victim") })
        // The owner's notice in the outbox (ja, then en), once, audited; `serve`'s outbox worker sends it.
        var notices: [MailNoticeRecord] = []
        for _ in 0..<100 where notices.isEmpty {
            notices = try await mamori.store.mailNoticeStore.mailNotices()
            if notices.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(notices.map(\.login) == ["victim@mamori.test"])
        #expect(notices.first?.recipient == "victim@mamori.test")
        #expect(notices.first?.text.contains("パスワードを変更してください") == true)
        #expect(notices.first?.text.contains("127.0.0.") == false)
        let queued = try await mamori.store.audit.records(from: 1).map(\.entry).filter { $0.action == "notice-queued" }
        #expect(queued.count == 1 && queued.first?.countermeasure == .smtpCredentialAbuse)
        await mamori.stop()
    }

    /// With `--hold-queued-mail`, what the ID queued before its suspension is put on hold
    /// (`postsuper -h`); other IDs' mail stays queued. Delivery is deferred here so mail stays.
    @Test(.enabled(if: peersPresent, "needs root, postfix, dovecot-core and swaks"))
    func aSuspendedIDsQueuedMailIsHeld() async throws {
        let (policy, socketmap) = try Self.ports()
        let peers = try MailPeers(policyPort: policy, socketmapPort: socketmap, withSocketmap: false, extraMain: "defer_transports = discard\n")
        defer { peers.stop() }
        let config = peers.directory.appendingPathComponent("conf").path
        let mamori = try await Mamori.start(
            directory: peers.directory, maillog: peers.maillog, policyPort: policy, socketmapPort: socketmap, holdQueuedMailOf: config)
        try await mamori.raise(.load)
        for i in 10..<13 { #expect(try peers.swaks(from: "127.0.0.\(i)", login: "victim@mamori.test").contains("250 2.0.0 Ok: queued")) }
        #expect(try peers.swaks(from: "127.0.0.21", login: "alice@mamori.test").contains("250 2.0.0 Ok: queued"))
        #expect(try peers.swaks(from: "127.0.0.13", login: "victim@mamori.test").contains("554 5.7.1"))
        func queues() throws -> [String] {
            try peers.run("/usr/sbin/postqueue", ["-c", config, "-j"]).split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["queue_name"] as? String
            }.sorted()
        }
        var held: [String] = []
        for _ in 0..<100 where held.filter({ $0 == "hold" }).count < 3 {
            try await Task.sleep(for: .milliseconds(100))
            held = try queues()
        }
        #expect(held.filter { $0 == "hold" }.count == 3)
        #expect(held.count == 4)  // alice's stays queued, not held
        let audit = try await mamori.store.audit.records(from: 1).map(\.entry)
        let hold = audit.first { $0.action == "hold" }
        #expect(hold?.detail["messages"] == "3" && hold?.subject.contains("victim") == false)
        await mamori.stop()
    }

    @Test(.enabled(if: peersPresent, "needs root, postfix, dovecot-core and swaks"))
    func withNoAlertNothingIsKeptPerIDOrAddress() async throws {
        let (policy, socketmap) = try Self.ports()
        let peers = try MailPeers(policyPort: policy, socketmapPort: socketmap, withSocketmap: true)
        defer { peers.stop() }
        let mamori = try await Mamori.start(directory: peers.directory, maillog: peers.maillog, policyPort: policy, socketmapPort: socketmap)
        for _ in 0..<4 { _ = try peers.swaks(from: "127.0.0.66", login: "alice@mamori.test", password: "wrong") }
        for i in 10..<15 { #expect(try peers.swaks(from: "127.0.0.\(i)", login: "victim@mamori.test").contains("250 2.0.0 Ok: queued")) }
        try await Self.waitFor { mamori.guardian.totals.failures >= 4 }
        try await Task.sleep(for: .milliseconds(600))
        #expect(mamori.guardian.tracked == (0, 0))
        #expect(mamori.guardian.blocks.isEmpty && mamori.guardian.suspensions.isEmpty)
        #expect(try await mamori.store.mailGuard.mailGuardSnapshot() == MailGuardSnapshot())
        #expect(try peers.swaks(from: "127.0.0.66", login: nil, quitAfter: "EHLO").contains("AUTH PLAIN LOGIN"))
        await mamori.stop()
    }

    /// The fail-open set-up of docs/mail-guard.md: `sasl_access` and `sasl_exceptions` as
    /// `hash:` tables that Mamori keeps (`--postfix-table-dir`). A brute-forcing address stops
    /// being offered AUTH through them, with no Postfix reload; a suspended ID is refused by
    /// `check_sasl_access`; then, with Mamori stopped, Postfix still offers AUTH and delivers
    /// for everyone else (a `socketmap:` table would make every EHLO fail with 421 here).
    @Test(.enabled(if: peersPresent, "needs root, postfix, dovecot-core and swaks"))
    func withLocalTablesPostfixGoesOnWithMamoriStopped() async throws {
        let (policy, socketmap) = try Self.ports()
        let tables = try Loopback.temporaryDirectory().appendingPathComponent("tables").path
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: tables).deletingLastPathComponent().path) }
        let peers = try MailPeers(
            policyPort: policy, socketmapPort: socketmap, withSocketmap: false,
            extraMain: """
                smtpd_recipient_restrictions = check_sasl_access hash:\(tables)/sasl_access,
                    check_policy_service { inet:127.0.0.1:\(policy), timeout=2s, default_action=DUNNO }
                smtpd_sasl_exceptions_networks = hash:\(tables)/sasl_exceptions

                """)
        defer { peers.stop() }
        let config = peers.directory.appendingPathComponent("conf").path
        let mamori = try await Mamori.start(
            directory: peers.directory, maillog: peers.maillog, policyPort: policy, socketmapPort: socketmap,
            tables: (tables, config))
        // As deployed: Mamori writes the tables first, then Postfix is reloaded with the lines
        // (an smtpd that started while a table was missing keeps failing its lookups).
        try await Self.waitFor {
            ["sasl_access.db", "sasl_exceptions.db"].allSatisfy { FileManager.default.fileExists(atPath: "\(tables)/\($0)") }
        }
        try peers.run("/usr/sbin/postfix", ["-c", config, "reload"])
        try await Self.waitFor { (try? peers.swaks(from: "127.0.0.66", login: nil, quitAfter: "EHLO"))?.contains("AUTH PLAIN LOGIN") == true }
        try await mamori.raise(.authFailure)
        for _ in 0..<3 { _ = try peers.swaks(from: "127.0.0.66", login: "alice@mamori.test", password: "wrong") }
        try await Self.waitFor { mamori.guardian.isBlocked(.init("127.0.0.66")!) }
        try await Self.waitFor {
            (try? String(contentsOfFile: "\(tables)/sasl_exceptions", encoding: .utf8)) == "127.0.0.66 blocked\n"
        }
        let blocked = try peers.swaks(from: "127.0.0.66", login: nil, quitAfter: "EHLO")
        #expect(blocked.contains("250 ") && !blocked.contains("AUTH PLAIN LOGIN"))
        #expect(try peers.swaks(from: "127.0.0.67", login: nil, quitAfter: "EHLO").contains("AUTH PLAIN LOGIN"))
        // A suspended ID: check_sasl_access refuses it from the table, before the policy server.
        mamori.guardian.suspend(authID: "victim@mamori.test")
        try await Self.waitFor {
            (try? String(contentsOfFile: "\(tables)/sasl_access", encoding: .utf8))?.hasPrefix("victim@mamori.test REJECT") == true
        }
        let refused = try peers.swaks(from: "127.0.0.20", login: "victim@mamori.test")
        #expect(refused.contains("SASL login name rejected") && refused.contains("SMTP AUTH suspended for this ID"))
        await mamori.stop()
        // Mamori down: Postfix reads the last tables and goes on.
        #expect(try peers.swaks(from: "127.0.0.67", login: nil, quitAfter: "EHLO").contains("AUTH PLAIN LOGIN"))
        #expect(try peers.swaks(from: "127.0.0.30", login: "alice@mamori.test").contains("250 2.0.0 Ok: queued"))
        #expect(!(try peers.swaks(from: "127.0.0.66", login: nil, quitAfter: "EHLO").contains("AUTH PLAIN LOGIN")))
        try await Self.waitFor { (try? String(contentsOfFile: peers.maillog, encoding: .utf8))?.contains("status=sent") == true }
    }

    /// Mamori stopped: with the policy server's `default_action=DUNNO`, Postfix still delivers.
    /// (A `socketmap:` table in `smtpd_sasl_exceptions_networks` is not fail-open: Postfix
    /// answers EHLO with 421 while it cannot reach it; see docs/mail-guard.md.)
    @Test(.enabled(if: peersPresent, "needs root, postfix, dovecot-core and swaks"))
    func postfixStillDeliversWithMamoriStopped() async throws {
        let (policy, socketmap) = try Self.ports()
        let peers = try MailPeers(policyPort: policy, socketmapPort: socketmap, withSocketmap: false)
        defer { peers.stop() }
        let transcript = try peers.swaks(from: "127.0.0.30", login: "alice@mamori.test")
        #expect(transcript.contains("250 2.0.0 Ok: queued"))
        try await Self.waitFor { (try? String(contentsOfFile: peers.maillog, encoding: .utf8))?.contains("status=sent") == true }
    }
}

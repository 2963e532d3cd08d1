import Foundation
import Testing

/// `mamori mail …` through the built executable on a real SQLite store.
@Suite struct MailCommandTests {
    @Test func alertsThroughTheCommandLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ["--store", dir.appendingPathComponent("s.sqlite").path]
        #expect(try CLI.run(["mail", "alert", "raise", "auth-failure"] + store).stdout == "auth-failure: raised\n")
        let status = try CLI.run(["mail", "status", "--json"] + store)
        #expect(status.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(object["suspensions"] as? Int == 0 && object["blocks"] as? Int == 0)
        let alerts = try #require(object["alerts"] as? [[String: Any]])
        #expect(alerts.map { $0["alert"] as? String } == ["auth-failure"] && alerts.first?["source"] as? String == "cli")
        #expect(try CLI.run(["mail", "alert", "clear", "auth-failure"] + store).status == 0)
        #expect(try CLI.run(["mail", "alerts"] + store).stdout == "no alerts\n")
        #expect(try CLI.run(["mail", "blocks", "--json"] + store).stdout.contains(#""blocks":[]"#))
        #expect(try CLI.run(["mail", "alert", "raise", "queue"] + store).status == 64)
    }

    @Test func liftNamesWhatIsWrong() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ["--store", dir.appendingPathComponent("s.sqlite").path]
        let notBlocked = try CLI.run(["mail", "lift", "--ip", "192.0.2.7"] + store)
        #expect(notBlocked.status == 1 && notBlocked.stderr.contains("--ip: not blocked"))
        let both = try CLI.run(["mail", "lift", "--ip", "192.0.2.7", "--login", "a"] + store)
        #expect(both.status == 64 && both.stderr.contains("give one of --ip ADDR or --login ID"))
        #expect(try CLI.run(["mail", "lift", "--ip", "not-an-ip"] + store).stderr.contains("--ip not-an-ip: not an IP address"))
    }

    @Test func serveRefusesBadMailOptionsNamingThem() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ["serve", "--store", dir.appendingPathComponent("s.sqlite").path, "--port", "0", "--no-metrics"]
        let owner = try CLI.run(store + ["--policy-listen", "127.0.0.1:0", "--mail-owner-address", "alice@example.jp"])
        #expect(owner.status != 0 && owner.stderr.contains("--mail-owner-address") && owner.stderr.contains("{login}"))
        let syslog = try CLI.run(store + ["--postfix-syslog-listen", "0.0.0.0:5514"])
        #expect(syslog.status != 0 && syslog.stderr.contains("--postfix-syslog-listen 0.0.0.0") && syslog.stderr.contains("loopback"))
        let api = try CLI.run(store + ["--mail-api-listen", "127.0.0.1:0"])
        #expect(api.status != 0 && api.stderr.contains("--mail-api-token-file"))
        let table = try CLI.run(store + ["--postfix-table-dir", dir.path, "--postfix-table-type", "cdb"])
        #expect(table.status != 0 && table.stderr.contains("--postfix-table-type cdb: use hash or btree"))
    }
}

import Addressing
import Attribution
import Foundation
import MamoriTesting
import MetricsTestKit
import NIOCore
import NetServer
import NetTesting
import RADIUSServer
@_spi(LineLookup) import SiteWarning
import StoreSQLite
import Synchronization
import Testing

/// The accounting listener in-process on a free 127.0.0.1 port, with a real SQLite store and a
/// live table, against Debian's radclient (and raw datagrams for what radclient cannot send).
@Suite(.timeLimit(.minutes(2))) struct RADIUSAccountingServerTests {
    static let secret = "s3cret-for-tests"

    struct Fixture {
        let server: RADIUSAccountingServer
        let store: any AssignmentRecordStore
        let sessions: LiveSessions
        let metrics: TestMetrics
        let logs: CapturedLogs
    }

    static func fixture(
        now: @escaping @Sendable () -> Date = { Date() }, clients: RADIUSClients? = nil,
        configure: (inout RADIUSAccountingConfiguration) -> Void = { _ in }
    ) throws -> Fixture {
        let directory = try Loopback.temporaryDirectory()
        let store = try MamoriStore(path: directory.appendingPathComponent("mamori.sqlite").path)
        let sessions = LiveSessions(expiry: 600)
        let metrics = TestMetrics()
        let logs = CapturedLogs()
        var configuration = RADIUSAccountingConfiguration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        let server = RADIUSAccountingServer(
            configuration: configuration, clients: try clients ?? RADIUSClients(defaultSecret: RADIUSSharedSecret(bytes: Array(secret.utf8))),
            store: store, sessions: sessions, logger: logs.logger(), metricsFactory: metrics, now: now)
        return Fixture(server: server, store: store, sessions: sessions, metrics: metrics, logs: logs)
    }

    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    /// Waits up to a second for `condition`.
    static func within(_ seconds: Double = 1, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    @Test func radclientStartAndStopSwitchTheLineAndAreStored() async throws {
        let f = try Self.fixture()
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            let port = address.port!
            let start = try await Radclient.send(
                """
                Acct-Status-Type = Start
                User-Name = "line-0001"
                Acct-Session-Id = "S-1"
                NAS-IP-Address = 192.0.2.1
                Framed-IP-Address = 198.51.100.7
                Calling-Station-Id = "52-54-00-12-34-56"
                Acct-Delay-Time = 0

                """, port: port, secret: Self.secret)
            #expect(start.status == 0, "\(start.output)")
            #expect(start.output.contains("Received Accounting-Response"))
            #expect(try await Self.within { f.sessions.line(for: Self.ip("198.51.100.7"), now: Date()) == LineID("line-0001") })
            let stored = try await f.store.allEvents()
            #expect(stored.count == 1)
            #expect(stored.first?.kind == .start)
            #expect(stored.first?.subscriber == "line-0001")
            #expect(stored.first?.session == "S-1")
            #expect(stored.first?.prefixes == [IPPrefix("198.51.100.7/32")!])

            let stop = try await Radclient.send(
                """
                Acct-Status-Type = Stop
                User-Name = "line-0001"
                Acct-Session-Id = "S-1"
                NAS-IP-Address = 192.0.2.1
                Framed-IP-Address = 198.51.100.7
                Acct-Session-Time = 60

                """, port: port, secret: Self.secret)
            #expect(stop.status == 0, "\(stop.output)")
            #expect(try await Self.within { f.sessions.line(for: Self.ip("198.51.100.7"), now: Date()) == nil })
            let after = try await f.store.allEvents()
            #expect(after.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.start, .stop])
        }
        #expect(f.server.stats.requests[.accepted] == 2)
        #expect(f.server.stats.batches == 2)
    }

    @Test func wrongSecretGetsNoAnswerIsCountedAndNothingIsKept() async throws {
        let f = try Self.fixture()
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            let result = try await Radclient.send(
                """
                Acct-Status-Type = Start
                User-Name = "line-0002"
                Acct-Session-Id = "S-2"
                Framed-IP-Address = 198.51.100.8

                """, port: address.port!, secret: "not-the-secret")
            #expect(result.status != 0)
            #expect(!result.output.contains("Received Accounting-Response"))
            #expect(result.output.contains("No reply"))
        }
        #expect(f.server.stats.requests[.badAuthenticator] == 1)
        #expect(f.server.stats.requests[.accepted] == nil)
        #expect(try await f.store.eventCount() == 0)
        #expect(f.sessions.line(for: Self.ip("198.51.100.8"), now: Date()) == nil)
        #expect(f.metrics.counterTotal(label: "mamori_radius_requests_total", dimensions: [("outcome", "bad-authenticator")]) == 1)
        #expect(f.logs.text.contains("Request Authenticator"))
        #expect(!f.logs.text.contains("line-0002") && !f.logs.text.contains("198.51.100") && !f.logs.text.contains("127.0.0.1"))
    }

    @Test func delegatedIPv6PrefixMapsEveryAddressInsideToTheLine() async throws {
        let f = try Self.fixture()
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            let start = try await Radclient.send(
                """
                Acct-Status-Type = Start
                User-Name = "line-v6"
                Acct-Session-Id = "S-6"
                NAS-IP-Address = 192.0.2.1
                Framed-IPv6-Prefix = 2001:db8:0:ff00::/64
                Delegated-IPv6-Prefix = 2001:db8:0:1200::/56
                Event-Timestamp = 1700000000

                """, port: address.port!, secret: Self.secret)
            #expect(start.status == 0, "\(start.output)")
            for inside in ["2001:db8:0:1200::1", "2001:db8:0:12ff:ffff:ffff:ffff:ffff", "2001:db8:0:1234::42", "2001:db8:0:ff00::9"] {
                #expect(f.sessions.line(for: Self.ip(inside), now: Date()) == LineID("line-v6"), "\(inside)")
            }
            #expect(f.sessions.line(for: Self.ip("2001:db8:0:1300::1"), now: Date()) == nil)
            let stored = try await f.store.allEvents()
            #expect(stored.first?.prefixes == [IPPrefix("2001:db8:0:ff00::/64")!, IPPrefix("2001:db8:0:1200::/56")!])
            #expect(stored.first?.eventTime == Date(timeIntervalSince1970: 1_700_000_000))
        }
    }

    @Test func malformedDatagramsAreCountedAndServingGoesOn() async throws {
        let f = try Self.fixture()
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            var lying = RadiusAuthenticator.signedAccountingRequest(
                identifier: 9, attributes: [RadiusAttribute(.acctStatusType, integer: 1)], secret: Array(Self.secret.utf8))
            lying[3] = 200  // Length beyond the datagram
            let access: [UInt8] = [1, 1, 0, 20] + [UInt8](repeating: 0, count: 16)  // an Access-Request
            let badAttribute = RadiusAuthenticator.signedAccountingRequest(
                identifier: 10, attributes: [RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.framedIPAddress, [1, 2])],
                secret: Array(Self.secret.utf8))
            let replies = try await UDPProbe.exchange(
                [Array("garbage".utf8), [UInt8](repeating: 0xff, count: 100), lying, access, badAttribute], with: address, expecting: 0,
                timeout: .milliseconds(300))
            #expect(replies.isEmpty)
            let start = try await Radclient.send(
                "Acct-Status-Type = Start\nUser-Name = \"line-3\"\nAcct-Session-Id = \"S-3\"\nFramed-IP-Address = 198.51.100.9\n",
                port: address.port!, secret: Self.secret)
            #expect(start.status == 0, "\(start.output)")
            #expect(f.sessions.line(for: Self.ip("198.51.100.9"), now: Date()) == LineID("line-3"))
        }
        #expect(f.server.stats.requests[.malformed] == 5)
        #expect(f.server.stats.requests[.accepted] == 1)
        #expect(f.server.udp.stats.dropped[.malformed] == 5)
        #expect(!f.logs.text.contains("127.0.0.1"))
    }

    @Test func retransmissionIsAnsweredAgainWithoutASecondInsert() async throws {
        // A pinned clock: the event's time is the arrival second, the same for both arrivals.
        let pinned = Date(timeIntervalSince1970: 1_795_737_600)
        let f = try Self.fixture(now: { pinned })
        let secret = Array(Self.secret.utf8)
        let request = RadiusAuthenticator.signedAccountingRequest(
            identifier: 77,
            attributes: [
                RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.userName, text: "line-r"),
                RadiusAttribute(.acctSessionID, text: "S-r"), RadiusAttribute(.framedIPAddress, [198, 51, 100, 20]),
            ], secret: secret)
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            let first = try await UDPProbe.exchange([request], with: address, expecting: 1)
            let again = try await UDPProbe.exchange([request], with: address, expecting: 1)
            #expect(first.count == 1)
            #expect(again == first)
            let packet = try RadiusPacket(decoding: request)
            #expect(
                first.first.map {
                    RadiusAuthenticator.isValidResponse(Array($0.readableBytesView), requestAuthenticator: packet.authenticator, secret: secret)
                } == true)
        }
        // Two sockets, two source ports: RFC 5080 keys duplicates by source port too, so the
        // second is processed again; the store's stable key keeps one event.
        #expect(try await f.store.eventCount() == 1)

        let g = try Self.fixture()
        try await withServer(g.server, listening: g.server.listeningAddress) { address in
            let replies = try await UDPProbe.exchange([request, request], with: address, expecting: 2)
            #expect(replies.count >= 1)
        }
        #expect(try await g.store.eventCount() == 1)
        #expect(g.server.stats.requests[.accepted] == 1)
        #expect((g.server.stats.requests[.retransmission] ?? 0) + (g.server.stats.requests[.inProgress] ?? 0) == 1)
        #expect(g.server.stats.batches == 1)
    }

    @Test func aBurstIsStoredInFewTransactions() async throws {
        let f = try Self.fixture(configure: { $0.maxBatchDelay = .milliseconds(20) })
        let secret = Array(Self.secret.utf8)
        let requests = (0..<60).map { i in
            RadiusAuthenticator.signedAccountingRequest(
                identifier: UInt8(i),
                attributes: [
                    RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.userName, text: "line-b\(i)"),
                    RadiusAttribute(.acctSessionID, text: "S-b\(i)"), RadiusAttribute(.framedIPAddress, [198, 51, 101, UInt8(i)]),
                ], secret: secret)
        }
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            let replies = try await UDPProbe.exchange(requests, with: address, expecting: 60, timeout: .seconds(10))
            #expect(replies.count == 60)
        }
        #expect(try await f.store.eventCount() == 60)
        #expect(f.server.stats.batchedEvents == 60)
        #expect(f.server.stats.batches < 60)
        #expect(f.sessions.line(for: Self.ip("198.51.101.59"), now: Date()) == LineID("line-b59"))
    }

    @Test func accountingOnEndsTheSessionsOfThatNASOnly() async throws {
        let f = try Self.fixture()
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            let port = address.port!
            for (nas, user, ip) in [("192.0.2.1", "line-a", "198.51.100.31"), ("192.0.2.2", "line-b", "198.51.100.32")] {
                let r = try await Radclient.send(
                    "Acct-Status-Type = Start\nUser-Name = \"\(user)\"\nAcct-Session-Id = \"S-\(user)\"\nNAS-IP-Address = \(nas)\nFramed-IP-Address = \(ip)\n",
                    port: port, secret: Self.secret)
                #expect(r.status == 0, "\(r.output)")
            }
            // A Stop without the address: the address of the session's Start is used.
            let r = try await Radclient.send(
                "Acct-Status-Type = Accounting-On\nNAS-IP-Address = 192.0.2.1\n", port: port, secret: Self.secret)
            #expect(r.status == 0, "\(r.output)")
            #expect(f.sessions.line(for: Self.ip("198.51.100.31"), now: Date()) == nil)
            #expect(f.sessions.line(for: Self.ip("198.51.100.32"), now: Date()) == LineID("line-b"))
            let stop = try await Radclient.send(
                "Acct-Status-Type = Stop\nUser-Name = \"line-b\"\nAcct-Session-Id = \"S-line-b\"\nNAS-IP-Address = 192.0.2.2\n", port: port,
                secret: Self.secret)
            #expect(stop.status == 0, "\(stop.output)")
            #expect(f.sessions.line(for: Self.ip("198.51.100.32"), now: Date()) == nil)
        }
        #expect(f.server.stats.requests[.nasRestart] == 1)
        #expect(try await f.store.eventCount() == 3)
    }

    @Test func aFailingStoreLeavesTheRequestUnanswered() async throws {
        let store = ScriptedStore(failing: true)
        let logs = CapturedLogs()
        var configuration = RADIUSAccountingConfiguration(host: "127.0.0.1", port: 0)
        configuration.maxBatchDelay = .milliseconds(1)
        let server = RADIUSAccountingServer(
            configuration: configuration, secret: try RADIUSSharedSecret(bytes: Array(Self.secret.utf8)), store: store,
            sessions: LiveSessions(expiry: 600), logger: logs.logger(), metricsFactory: TestMetrics())
        try await withServer(server, listening: server.listeningAddress) { address in
            let r = try await Radclient.send(
                "Acct-Status-Type = Start\nUser-Name = \"line-f\"\nAcct-Session-Id = \"S-f\"\nFramed-IP-Address = 198.51.100.40\n",
                port: address.port!, secret: Self.secret, retries: 2)
            #expect(r.status != 0)
        }
        // radclient's retry was processed again (not answered from the cache).
        #expect(server.stats.requests[.storeFailed] == 2)
        #expect(store.inserts.withLock { $0 } == 2)
        #expect(!logs.text.contains("line-f"))
    }

    @Test func metricLabelsAreBounded() async throws {
        let f = try Self.fixture()
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            _ = try await Radclient.send(
                "Acct-Status-Type = Start\nUser-Name = \"line-m\"\nAcct-Session-Id = \"S-m\"\nFramed-IP-Address = 198.51.100.50\n",
                port: address.port!, secret: Self.secret)
        }
        for counter in f.metrics.counters {
            #expect(Set(counter.dimensions.map(\.0)).isSubset(of: ["server", "transport", "outcome", "reason", "result"]))
            #expect(!counter.dimensions.contains { $0.1.contains("198.51.100") || $0.1.contains("line-m") || $0.1.contains("127.0.0.1") })
        }
    }

    @Test func secretFileLosesOneTrailingLineBreak() throws {
        let directory = try Loopback.temporaryDirectory()
        let path = directory.appendingPathComponent("secret").path
        try Data("abc def\n".utf8).write(to: URL(fileURLWithPath: path))
        let secret = try RADIUSSharedSecret(contentsOfFile: path)
        #expect(secret.description == "RADIUSSharedSecret(redacted)")
        try Data("\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: RADIUSServerError.self) { try RADIUSSharedSecret(contentsOfFile: path) }
        #expect(throws: RADIUSServerError.self) { try RADIUSSharedSecret(contentsOfFile: directory.appendingPathComponent("none").path) }
    }

    static func clientsFile(_ text: String) throws -> String {
        let path = try Loopback.temporaryDirectory().appendingPathComponent("clients").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let start = """
        Acct-Status-Type = Start
        User-Name = "line-nas"
        Acct-Session-Id = "S-N"
        Framed-IP-Address = 198.51.100.40

        """

    /// A secret per NAS: radclient from 127.0.0.1 must use the loopback entry's secret (the
    /// most specific prefix), not the default one.
    @Test func eachNASUsesItsOwnSecret() async throws {
        let path = try Self.clientsFile(
            "# NASes\n127.0.0.0/8 loopback-pop-secret\n127.0.0.1   nas-one-secret  \n2001:db8::/32 ipv6-secret\n")
        let clients = try RADIUSClients(contentsOfFile: path, defaultSecret: RADIUSSharedSecret(bytes: Array(Self.secret.utf8)))
        #expect(clients.count == 3)
        #expect(!clients.description.contains("secret-"))
        let f = try Self.fixture(clients: clients)
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            let wrong = try await Radclient.send(Self.start, port: address.port!, secret: Self.secret)
            #expect(wrong.status != 0)
            let right = try await Radclient.send(Self.start, port: address.port!, secret: "nas-one-secret")
            #expect(right.status == 0, "\(right.output)")
            #expect(right.output.contains("Received Accounting-Response"))
        }
        #expect(f.server.stats.requests[.badAuthenticator] == 1)
        #expect(f.server.stats.requests[.accepted] == 1)
        #expect(f.sessions.line(for: Self.ip("198.51.100.40"), now: Date()) == LineID("line-nas"))
    }

    /// A source that is no client's, with no default secret: dropped unanswered, counted, nothing kept.
    @Test func unknownClientsAreDroppedAndCounted() async throws {
        let f = try Self.fixture(clients: try RADIUSClients(contentsOfFile: try Self.clientsFile("192.0.2.10 bras-secret\n")))
        try await withServer(f.server, listening: f.server.listeningAddress) { address in
            let result = try await Radclient.send(Self.start, port: address.port!, secret: "bras-secret")
            #expect(result.status != 0)
            #expect(result.output.contains("No reply"))
        }
        #expect(f.server.stats.requests[.unknownClient] == 1)
        #expect(f.metrics.counterTotal(label: "mamori_radius_requests_total", dimensions: [("outcome", "unknown-client")]) == 1)
        #expect(try await f.store.eventCount() == 0)
        #expect(!f.logs.text.contains("127.0.0.1") && !f.logs.text.contains("bras-secret"))
    }

    @Test func badClientLinesAreNamedWithoutTheSecret() throws {
        for (text, expected) in [
            ("192.0.2.1\n", "clients:1: expected ADDRESS[/LENGTH] SECRET"),
            ("# c\nnas-a hidden-secret\n", "clients:2: \"nas-a\" is not an address or prefix"),
            ("192.0.2.1 a\n192.0.2.1/32 hidden-secret\n", "clients:2: 192.0.2.1/32 is listed twice"),
        ] {
            let error = #expect(throws: RADIUSServerError.self) { try RADIUSClients(contentsOfFile: try Self.clientsFile(text)) }
            #expect(error?.description == expected)
            #expect(error?.description.contains("hidden-secret") == false)
        }
    }
}

import Addressing
import Foundation
import MailGuard
import MailGuardServer
import NIOCore
import NIOHTTP1
import NetServer
import Secrecy
import Testing

@Suite struct MailGuardTests {
    let start = Date(timeIntervalSince1970: 1_795_490_000)

    func failure(_ last: Int, _ seconds: Double) -> AuthFailure {
        AuthFailure(sourceIP: IPAddress("127.0.0.\(last)")!, time: start.addingTimeInterval(seconds))
    }

    func submission(_ login: String, from last: Int, _ seconds: Double, sender: String? = nil) -> AuthenticatedSubmission {
        AuthenticatedSubmission(
            sourceIP: IPAddress("127.0.\(last / 256).\(last % 256)")!, time: start.addingTimeInterval(seconds), sender: sender ?? login, authID: login
        )
    }

    @Test func outsideAnAlertOnlyAggregatesAreKept() throws {
        let fixture = try GuardFixture { $0.failuresToBlock = 3 }
        let guardian = fixture.guardian
        for i in 0..<50 { guardian.observe(failure(66, Double(i))) }
        for i in 0..<20 { guardian.observe(submission("victim@mamori.test", from: 10 + i, Double(i))) }
        #expect(guardian.tracked == (0, 0))
        #expect(guardian.blocks.isEmpty && guardian.suspensions.isEmpty)
        #expect(guardian.totals == (20, 50))
        #expect(fixture.actions.isEmpty)
    }

    @Test func bruteForceIsBlockedAndLiftedAQuietPeriodAfterItsFailuresStop() throws {
        let fixture = try GuardFixture {
            $0.failuresToBlock = 5
            $0.quietPeriod = 60
        }
        let guardian = fixture.guardian
        guardian.raise(.authFailure, by: .cli, at: start)
        for i in 0..<4 { guardian.observe(failure(66, Double(i))) }
        guardian.observe(failure(67, 1))
        #expect(!guardian.isBlocked(IPAddress("127.0.0.66")!))
        guardian.observe(failure(66, 4))
        #expect(guardian.isBlocked(IPAddress("127.0.0.66")!))
        #expect(!guardian.isBlocked(IPAddress("127.0.0.67")!))
        // Failures keep coming (auth-policy reports): the block stays.
        guardian.observe(failure(66, 50))
        guardian.tick(at: start.addingTimeInterval(100))
        #expect(guardian.isBlocked(IPAddress("127.0.0.66")!))
        guardian.tick(at: start.addingTimeInterval(110))
        #expect(!guardian.isBlocked(IPAddress("127.0.0.66")!))
        #expect(fixture.actions == ["alert-start", "block", "lift"])
        let block = fixture.entries[1]
        #expect(block.countermeasure == .smtpBruteForce)
        #expect(block.detail["attempts"] == "5" && block.detail["interval-ms"] == "1000")
        #expect(!block.subject.contains("127.0.0.66"))
        #expect(fixture.entries[2].detail["reason"] == "quiet-period")
    }

    @Test func anIDFromManyAddressesIsSuspendedAndItsOwnerTold() throws {
        let fixture = try GuardFixture {
            $0.distinctAddresses = 8
            $0.suspendedReply = .hold
            $0.suspendedText = "suspected stolen credentials"
        }
        let guardian = fixture.guardian
        guardian.raise(.load, by: .cli, at: start)
        for i in 0..<7 { guardian.observe(submission("victim@mamori.test", from: 10 + i, Double(i) * 0.1)) }
        for i in 0..<30 { guardian.observe(submission("alice@mamori.test", from: 1, Double(i))) }
        #expect(!guardian.isSuspended("victim@mamori.test", at: start))
        guardian.observe(submission("victim@mamori.test", from: 17, 0.8))
        #expect(guardian.isSuspended("victim@mamori.test", at: start.addingTimeInterval(1)))
        #expect(!guardian.isSuspended("alice@mamori.test", at: start.addingTimeInterval(1)))
        let request = PolicyRequest(saslUsername: "victim@mamori.test", clientAddress: IPAddress("127.0.0.99"), sender: "x@y")
        #expect(guardian.policyAction(for: request, at: start.addingTimeInterval(2)) == .hold("suspected stolen credentials"))
        #expect(fixture.notices.queued == ["victim@mamori.test"])
        // The notice is queued (and audited `notice-queued`) where the outbox is, not by the guard.
        #expect(fixture.actions == ["alert-start", "suspension"])
        #expect(fixture.entries.allSatisfy { !$0.subject.contains("victim") && !$0.detail.values.contains { $0.contains("victim") } })
        // The password changed: lifted, audited.
        #expect(guardian.lift(authID: "victim@mamori.test", reason: "password-changed", actor: "api", at: start.addingTimeInterval(3)))
        #expect(guardian.policyAction(for: request, at: start.addingTimeInterval(4)) == .dunno)
        #expect(fixture.actions.last == "lift")
    }

    @Test(arguments: [
        ("distinct-prefixes", [(1, "a"), (300, "a"), (600, "a"), (900, "a")]),
        ("unusual-senders", [(1, "s1"), (1, "s2"), (1, "s3"), (1, "s4"), (1, "s5")]),
    ])
    func otherRules(reason: String, events: [(Int, String)]) throws {
        let fixture = try GuardFixture {
            $0.distinctAddresses = 100
            $0.distinctPrefixes = 4
            $0.unusualSenders = 5
        }
        fixture.guardian.raise(.load, by: .webhook, at: start)
        for (i, (address, sender)) in events.enumerated() {
            fixture.guardian.observe(submission("u", from: address, Double(i), sender: sender == "a" ? "u" : sender))
        }
        #expect(fixture.guardian.suspensions.map(\.reason) == [reason])
    }

    @Test func volumeRuleAndExpiry() throws {
        let fixture = try GuardFixture {
            $0.volume = 10
            $0.suspensionDuration = 60
        }
        fixture.guardian.raise(.load, by: .cli, at: start)
        for i in 0..<10 { fixture.guardian.observe(submission("bulk", from: 1, Double(i))) }
        #expect(fixture.guardian.suspensions.map(\.reason) == ["volume"])
        fixture.guardian.tick(at: start.addingTimeInterval(100))
        #expect(fixture.guardian.suspensions.isEmpty)
        #expect(fixture.entries.last?.detail["reason"] == "expired")
    }

    @Test func theAlertsEndDropsItsStateAndLiftsItsBlocks() throws {
        let fixture = try GuardFixture { $0.failuresToBlock = 2 }
        let guardian = fixture.guardian
        #expect(guardian.raise(.authFailure, by: .cli, at: start))
        #expect(!guardian.raise(.authFailure, by: .cli, at: start))
        guardian.observe(failure(5, 0))
        guardian.observe(failure(5, 1))
        guardian.observe(failure(6, 1))
        #expect(guardian.tracked.addresses == 1)
        #expect(guardian.clear(.authFailure, by: .cli, at: start.addingTimeInterval(10)))
        #expect(guardian.tracked == (0, 0))
        #expect(guardian.blocks.isEmpty)
        #expect(fixture.actions == ["alert-start", "block", "lift", "alert-end"])
        #expect(fixture.entries.last?.detail["duration-seconds"] == "10")
    }

    @Test func thresholdsRaiseAndClearTheAlerts() throws {
        let fixture = try GuardFixture {
            $0.authFailureRaisePerMinute = 20
            $0.thresholdClearAfter = 120
        }
        let guardian = fixture.guardian
        let minuteStart = Date(timeIntervalSince1970: 1_795_489_980)  // a whole minute
        for i in 0..<19 { guardian.observe(AuthFailure(sourceIP: IPAddress("192.0.2.\(i)")!, time: minuteStart.addingTimeInterval(Double(i)))) }
        guardian.tick(at: minuteStart.addingTimeInterval(30))
        #expect(!guardian.isRaised(.authFailure))
        guardian.observe(AuthFailure(sourceIP: IPAddress("192.0.2.99")!, time: minuteStart.addingTimeInterval(31)))
        guardian.tick(at: minuteStart.addingTimeInterval(32))
        #expect(guardian.alerts.map(\.source) == [.threshold])
        guardian.tick(at: minuteStart.addingTimeInterval(200))
        #expect(guardian.isRaised(.authFailure))
        guardian.tick(at: minuteStart.addingTimeInterval(330))
        #expect(!guardian.isRaised(.authFailure))
        #expect(fixture.entries.map(\.actor) == ["service:mail-guard", "service:mail-guard"])
    }
}

extension MailGuardTests {
    @Test func alertmanagerWebhookRaisesAndClears() async throws {
        let fixture = try GuardFixture()
        let handler = AuthPolicyStreamHandler(guardian: fixture.guardian)
        let firing =
            #"{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"SMTPAuthFailures","mamori_mail_alert":"auth-failure"}},{"status":"firing","labels":{"alertname":"Other"}}]}"#
        let peer = try SocketAddress(ipAddress: "127.0.0.1", port: 9)
        let result = try await handler.handle(AuthPolicyHTTPRequest(method: .POST, target: "/alertmanager", body: Array(firing.utf8)), from: peer)
        guard case .reply(let response) = result else { throw MailGuardError.malformedAuthPolicyRequest(reason: "no reply") }
        #expect(response.body == #"{"changed":1}"#)
        #expect(fixture.guardian.alerts.map(\.source) == [.webhook])
        let resolved = firing.replacingOccurrences(of: "firing", with: "resolved")
        _ = try await handler.handle(AuthPolicyHTTPRequest(method: .POST, target: "/alertmanager", body: Array(resolved.utf8)), from: peer)
        #expect(!fixture.guardian.isRaised(.authFailure))
        #expect(fixture.entries.map(\.actor) == ["webhook:alertmanager", "webhook:alertmanager"])
        #expect(throws: MailGuardError.malformedAuthPolicyRequest(reason: "webhook has no `alerts` array")) {
            try AlertmanagerWebhook.parse(Array("{}".utf8))
        }
    }

    @Test func authPolicyRefusesLoginWithAForbiddenReply() async throws {
        let handler = AuthPolicyStreamHandler(guardian: try GuardFixture().guardian)
        let body = #"{"device_id":"","login":"alice@mamori.test","protocol":"smtp","pwhash":"0575","remote":"127.0.0.5","session_id":"","tls":false}"#
        let result = try await handler.handle(
            AuthPolicyHTTPRequest(method: .POST, target: "/?command=allow", body: Array(body.utf8)),
            from: try SocketAddress(ipAddress: "127.0.0.1", port: 9))
        guard case .malformed(let reason, let reply) = result else { throw MailGuardError.malformedAuthPolicyRequest(reason: "answered") }
        #expect(reason.contains("carries `login`") && reason.contains("auth_policy_request_attributes = remote=%{rip} protocol=%s"))
        #expect(!reason.contains("alice"))
        #expect(reply?.status == .forbidden)
    }
}

extension MailGuardTests {
    @Test func countingASubmissionKeepsNothingPerID() throws {
        let fixture = try GuardFixture { $0.loadRaisePerMinute = 3 }
        let minuteStart = Date(timeIntervalSince1970: 1_795_489_980)
        for i in 0..<3 { fixture.guardian.countSubmission(at: minuteStart.addingTimeInterval(Double(i))) }
        #expect(fixture.guardian.totals.submissions == 3 && fixture.guardian.tracked == (0, 0))
        fixture.guardian.tick(at: minuteStart.addingTimeInterval(10))
        #expect(fixture.guardian.isRaised(.load))
    }
}

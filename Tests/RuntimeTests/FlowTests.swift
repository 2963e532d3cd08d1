import Foundation
import Logging
import Mailer
import MamoriTesting
import Remediation
import Runtime
import Secrecy
import ServiceLifecycle
import ServiceLifecycleTestKit
import Storage
import StoreSQLite
import Testing

/// The application's flows in process: AAA ingest, case intake, the notice outbox over a real
/// SMTP server (Postfix's smtp-sink), and the services `serve` runs.
@Suite struct FlowTests {
    /// The package's bundled samples (`Sources/mamori/Samples`).
    static let samples: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("Sources/mamori/Samples")
    }()

    /// A runtime over a fresh store holding the sample AAA records and subscriber directory.
    func preparedRuntime(relay: RelaySettings? = nil) async throws -> MamoriRuntime {
        let dir = try Loopback.temporaryDirectory()
        let store = try MamoriStore(path: dir.appendingPathComponent("flow.sqlite").path)
        let runtime = MamoriRuntime(store: store, configuration: MamoriConfiguration(declarations: try .bundled(), relay: relay))
        for name in ["radius-detail.txt", "kea-leases4.csv", "dhcpd.leases", "cgn-blocks.csv"] {
            let report = try await AAAIngest.ingest(
                url: Self.samples.appendingPathComponent(name), format: nil, headerTimeZone: TimeZone(identifier: "Asia/Tokyo") ?? .gmt,
                store: store, actor: "test")
            try #require(report.rejected == 0 && report.added > 0, "\(name)")
        }
        let text = try String(contentsOf: Self.samples.appendingPathComponent("subscribers.csv"), encoding: .utf8)
        let (contacts, issues) = SubscriberDirectoryCSV.parse(text, file: "subscribers.csv")
        try #require(issues.isEmpty)
        _ = try store.remediationStore().upsert(
            contacts: contacts,
            audit: AuditEntry(countermeasure: .infectedHostNotification, action: "directory-import", actor: "test", subject: "subscriber_contact"))
        return runtime
    }

    @Test func aaaIngestIsIdempotentPerFile() async throws {
        let runtime = try await preparedRuntime()
        let again = try await AAAIngest.ingest(
            url: Self.samples.appendingPathComponent("radius-detail.txt"), format: nil, headerTimeZone: .gmt, store: runtime.store.assignments,
            actor: "test")
        #expect(again.alreadyIngested)
        #expect(again.added == 0)
    }

    @Test func sightingsToCasesToNoticesOverSMTP() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let relay = RelaySettings(
            smtp: SMTPConfiguration(host: "127.0.0.1", port: sink.port, heloName: "mamori.test", security: .none),
            from: try EmailAddress("security-desk@isp.example"))
        let runtime = try await preparedRuntime(relay: relay)
        let intake = try await runtime.caseIntake(actor: "test")
        var totals = SightingIngestCounts()
        for name in ["event4_sinkhole_http-sample.csv", "cowrie-sample.json"] {
            totals.add(try await intake.ingest(contentsOf: Self.samples.appendingPathComponent(name), feed: nil))
        }
        #expect(totals.parsed == 8)
        #expect(totals.attributed == 4)
        #expect(totals.casesOpened == 3)
        // The same file again: the ledger says it is in.
        #expect(try await intake.ingest(contentsOf: Self.samples.appendingPathComponent("cowrie-sample.json"), feed: nil).alreadyIngested)

        let outbox = try runtime.noticeOutbox(actor: "test")
        let plan = try await outbox.planNotices()
        #expect(plan.queued == 3)
        // Planning again at once queues nothing more (one notice per case and round, and the gap).
        #expect(try await outbox.planNotices().queued == 0)
        let transport = try #require(try runtime.relayTransport(logger: Logger(label: "test")))
        let delivered = try await outbox.deliver(transport: transport)
        #expect(delivered.sent == 3 && delivered.retried == 0 && delivered.failed == 0)
        #expect(Set(try sink.messageIDs()).count == 3)
        #expect(try await runtime.store.remediation.notices().allSatisfy { $0.status == .sent && $0.body.isEmpty })
        let records = try await runtime.store.audit.records(from: 1)
        #expect(AuditChain.verify(records).isIntact)
        #expect(records.filter { $0.entry.action == "identification" }.count == 6)
        #expect(records.filter { $0.entry.action == "notice-sent" }.count == 3)
    }

    @Test func deferredWhenTheRelayIsDown() async throws {
        let closed = try Loopback.freePort()  // nothing listens there
        let relay = RelaySettings(
            smtp: SMTPConfiguration(host: "127.0.0.1", port: closed, heloName: "mamori.test", security: .none),
            from: try EmailAddress("security-desk@isp.example"))
        let runtime = try await preparedRuntime(relay: relay)
        _ = try await runtime.caseIntake(actor: "test").ingest(contentsOf: Self.samples.appendingPathComponent("cowrie-sample.json"), feed: nil)
        let outbox = try runtime.noticeOutbox(actor: "test")
        #expect(try await outbox.planNotices().queued == 1)
        let transport = try #require(try runtime.relayTransport(logger: Logger(label: "test")))
        let delivered = try await outbox.deliver(transport: transport)
        #expect(delivered.sent == 0 && delivered.retried == 1 && delivered.failed == 0)
        let notice = try #require(try await runtime.store.remediation.notices().first)
        #expect(notice.status == .queued && notice.attempts == 1 && notice.nextAttemptAt > Date())
    }

    @Test func serveRunsThePortalAndTheOutboxAndDrains() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        var configuration = MamoriConfiguration(declarations: try .bundled())
        configuration.portal.port = try Loopback.freePort()
        configuration.relay = RelaySettings(
            smtp: SMTPConfiguration(host: "127.0.0.1", port: sink.port, heloName: "mamori.test", security: .none),
            from: try EmailAddress("security-desk@isp.example"))
        let dir = try Loopback.temporaryDirectory()
        let runtime = MamoriRuntime(store: try MamoriStore(path: dir.appendingPathComponent("s.sqlite").path), configuration: configuration)
        let logger = Logger(label: "test")
        let services = try runtime.services(logger: logger)
        #expect(services.count == 2)
        var withoutRelay = configuration
        withoutRelay.relay = nil
        #expect(try MamoriRuntime(store: runtime.store, configuration: withoutRelay).services(logger: logger).count == 1)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await ServiceGroup(configuration: .init(services: services, logger: logger)).run()
                }
                // Poll without blocking a cooperative thread: the portal needs one to start.
                // Other suites may hold the cooperative threads for a while (blocking CLI runs): a hang guard only.
                let deadline = ContinuousClock.now.advanced(by: .seconds(600))
                while (try? Loopback.waitUntilListening(port: configuration.portal.port, timeout: 0)) == nil {
                    try #require(ContinuousClock.now < deadline, "the portal did not start listening")
                    try await Task.sleep(for: .milliseconds(50))
                }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }
}

import Addressing
import Attribution
import Foundation
import Secrecy
import Testing

/// A purpose of this test module (its capability cannot be made elsewhere).
enum TestInfectedHost: Purpose {
    static let countermeasure = CountermeasureID.infectedHostNotification
    struct Capability: Sendable {
        init() {}
    }
}

@Suite struct AttributorTests {
    func attributor(audit: any AuditLog) throws -> Attributor {
        let holding = Holding(
            subscriber: "C-000123", session: "s1", prefix: IPPrefix(host: ip("192.0.2.7")), from: t0,
            to: t0.addingTimeInterval(3600), portRange: nil)
        return Attributor(
            index: AttributionIndex(holdings: [holding]), declarations: try Declarations.bundled(), audit: audit,
            pseudonymizer: try Pseudonymizer(key: [UInt8](repeating: 7, count: 32)), actor: "test")
    }

    @Test func identifyAuditsToItsOwnLog() async throws {
        let log = InMemoryAuditLog()
        let answer = try await attributor(audit: log).identify(
            TestInfectedHost.self, capability: .init(), address: ip("192.0.2.7"), at: t0.addingTimeInterval(60))
        guard case .found(let bound) = answer else {
            Issue.record("expected found, got \(answer)")
            return
        }
        #expect(bound.open(.init()).subscriber == "C-000123")
        let records = log.records(from: 1)
        #expect(records.count == 1)
        #expect(records.first?.entry.action == "identification")
        #expect(records.first?.entry.detail["status"] == "found")
        #expect(records.first.map { !$0.entry.subject.contains("C-000123") } == true)
    }

    @Test func identifyAuditingToASinkLeavesItsOwnLogAlone() throws {
        let own = InMemoryAuditLog()
        let sink = InMemoryAuditLog()
        let answer = try attributor(audit: own).identify(
            TestInfectedHost.self, capability: .init(), address: ip("192.0.2.8"), at: t0, auditingTo: sink)
        guard case .notFound = answer else {
            Issue.record("expected not found, got \(answer)")
            return
        }
        #expect(own.count == 0)
        #expect(sink.count == 1)
        #expect(sink.records(from: 1).first?.entry.detail["status"] == "not_found")
    }
}

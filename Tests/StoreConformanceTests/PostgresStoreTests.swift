import Foundation
import MamoriTesting
import Remediation
import Secrecy
import Storage
import StorePostgres
import Testing

/// What the runtime needs of the PostgreSQL store beyond the domain protocols: readiness,
/// counts, retention, checkpoints.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test func monitoringRetentionAndCheckpoints() async throws {
        let (_, url) = try PostgresBackend.newDatabase()
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await PostgresStore.open(
            url: url, keyFile: directory.appendingPathComponent("keys").path, connectTimeout: PostgresBackend.hangGuard)
        do {
            let ready = await store.readiness()
            #expect(ready.isReady && ready.problem == nil)
            let t = StoreConformanceTests.t
            _ = try await store.insert(events: StoreConformanceTests.events(0..<4), now: t)
            let cases = try await StoreConformanceTests.openCases([StoreConformanceTests.newCase("a")], in: store)
            let (notice, token) = try StoreConformanceTests.notice(for: try #require(cases.first))
            _ = try await store.enqueue(
                notice, token: token, expectedNotices: 0, expectedStatus: .open, minimumGap: 0, audit: StoreConformanceTests.entry("q"))
            _ = try await store.append(StoreConformanceTests.entry("identification", detail: ["status": "not_found"]))
            #expect(try await store.noticeCounts() == ["queued": 1])
            #expect(try await store.caseCounts() == [.infectedHostNotification: ["notified": 1]])
            #expect(try await store.auditHead() == 2)
            let activity = try await store.auditActivity(after: 0, through: 2)
            #expect(activity.contains { $0.action == "identification" && $0.outcome == "not_found" && $0.count == 1 })
            // Pseudonymiser: records written after it exists name its key.
            _ = try store.pseudonymizer()
            let keyed = try await store.append(StoreConformanceTests.entry("page-view"))
            let keyID = try #require(keyed.entry.detail["key"])
            #expect(try store.pseudonymizer(keyID: keyID) != nil)
            // Retention: one audit record per class purged.
            let states = try await store.retentionStates()
            #expect(states.first { $0.dataClass == .assignmentRecords }?.count == 4)
            let stamp = try await store.assignmentStamp()
            for dataClass in PostgresStore.dataClasses {
                let result = try await store.purge(dataClass, before: Date().addingTimeInterval(86_400)) { result in
                    AuditEntry(
                        time: t, countermeasure: nil, action: AuditEntry.Action.purge, actor: "test", subject: result.dataClass.rawValue,
                        detail: ["deleted": "\(result.total)"])
                }
                // Sighting files: none stored here; notices: gone with their cases (ON DELETE CASCADE).
                #expect(result.total > 0 || dataClass == .sightings || dataClass == .notices)
            }
            #expect(try await store.assignmentStamp() != stamp)
            #expect(try await store.eventCount() == 0)
            #expect(try await store.cases(status: nil).isEmpty)
            let purges = try await store.records(from: 1).filter { $0.entry.action == AuditEntry.Action.purge }
            #expect(purges.count == PostgresStore.dataClasses.count)
            // Checkpoints.
            let checkpoint = try await store.checkpoint(now: t)
            #expect(checkpoint.size == (try await store.headSequence()))
            #expect(try await store.checkpoints() == [checkpoint])
            #expect(try await store.verify(checkpoints: [checkpoint]).isIntact)
            let file = CheckpointFile(path: directory.appendingPathComponent("checkpoints").path)
            #expect(try await store.signCheckpoint(to: file, now: t) != nil)
            #expect(try await store.signCheckpoint(to: file, now: t) == nil)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

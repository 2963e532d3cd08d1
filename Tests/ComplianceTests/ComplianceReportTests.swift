import Compliance
import Foundation
import Secrecy
import Testing

/// A small audit log of known acts, made at known times.
struct Fixture {
    static let t0 = Date(timeIntervalSince1970: 1_795_737_600)  // 2026-11-27T00:00:00Z
    let declarations: Declarations
    let log = InMemoryAuditLog()

    init() throws {
        declarations = try Declarations.bundled()
    }

    func add(
        _ action: String, _ countermeasure: CountermeasureID?, minutes: Double, subject: String = "-", detail: [String: String] = [:]
    ) {
        _ = log.append(
            AuditEntry(
                time: Self.t0.addingTimeInterval(minutes * 60), countermeasure: countermeasure, action: action, actor: "test",
                subject: subject, detail: detail))
    }

    /// Acts at minutes 0…9, one of each kind.
    static func standard() throws -> Fixture {
        let f = try Fixture()
        let ihn = CountermeasureID.infectedHostNotification
        f.add("ingest-aaa", nil, minutes: 0, subject: "file:radius-detail.txt")
        f.add("identification", ihn, minutes: 1, subject: "psn-8f3a", detail: ["status": "found", "address": "10.77.1.2"])
        f.add("identification", ihn, minutes: 2, subject: "psn-11aa", detail: ["status": "found", "address": "10.77.1.3"])
        f.add("identification", ihn, minutes: 3, detail: ["status": "not_found"])
        f.add("identification", .cncTakedownNotification, minutes: 3.5, detail: ["status": "ambiguous", "candidates": "2"])
        f.add("disclosure", ihn, minutes: 4, subject: "psn-8f3a")
        f.add("notice-queued", ihn, minutes: 5, subject: "psn-8f3a")
        f.add("notice-sent", ihn, minutes: 6, subject: "psn-8f3a")
        f.add("notice-failed", ihn, minutes: 6.5, subject: "psn-11aa")
        f.add("purpose-refused", .dnsAmplificationPrevention, minutes: 7, detail: ["reason": "attribution-not-allowed"])
        f.add("token-refused", nil, minutes: 8, detail: ["on": "page-view"])
        f.add("purge", nil, minutes: 9, subject: "retention:cases", detail: ["class": "cases", "deleted": "3", "retention_days": "365"])
        f.add("purge", nil, minutes: 9, subject: "retention:assignment-records", detail: ["class": "assignment-records", "deleted": "0"])
        return f
    }

    func input(
        period: ReportPeriod = ReportPeriod(), checkpoints: [Checkpoint] = [], held: [HeldData] = [], records: [AuditRecord]? = nil
    )
        -> ComplianceInput
    {
        ComplianceInput(
            declarations: declarations, records: records ?? log.records(from: 1), checkpoints: checkpoints,
            caseCounts: [.infectedHostNotification: ["open": 2, "notified": 1], .cncTakedownNotification: ["expired": 1]], held: held,
            period: period, generatedAt: Self.t0.addingTimeInterval(3600))
    }
}

@Suite struct ComplianceReportTests {
    @Test func countsEachKindOfActPerCountermeasure() throws {
        let report = ComplianceReport(try Fixture.standard().input())
        let ihn = try #require(report.countermeasures.first { $0.id == .infectedHostNotification })
        #expect(ihn.identifications.found == 2)
        #expect(ihn.identifications.notFound == 1)
        #expect(ihn.identifications.ambiguous == 0)
        #expect(ihn.disclosures == 1)
        #expect(ihn.notices.queued == 1 && ihn.notices.sent == 1 && ihn.notices.failed == 1)
        #expect(ihn.cases("open") == 2 && ihn.cases("notified") == 1 && ihn.cases("remediated") == 0)
        #expect(ihn.refusals == 0)
        // Both purged classes are the notification's: cases and assignment records.
        #expect(ihn.purges == 2)
        let cnc = try #require(report.countermeasures.first { $0.id == .cncTakedownNotification })
        #expect(cnc.identifications.ambiguous == 1)
        #expect(cnc.cases("expired") == 1)
        let dns = try #require(report.countermeasures.first { $0.id == .dnsAmplificationPrevention })
        #expect(dns.refusals == 1)
        #expect(dns.purges == 0)
        #expect(report.countermeasures.map(\.id) == report.countermeasures.map(\.declaration.id))
        #expect(report.countermeasures.count == (try Declarations.bundled()).all.count)
        #expect(report.unattributed == ["ingest-aaa": 1, "token-refused": 1, "purge": 2])
        #expect(report.purges.map(\.dataClass) == [.assignmentRecords, .cases])
        #expect(report.purges.first { $0.dataClass == .cases }?.deleted == 3)
        #expect(report.recordsInPeriod == 13)
    }

    @Test func periodIncludesItsStartAndExcludesItsEnd() throws {
        let f = try Fixture.standard()
        // Minutes 2 (inclusive) to 6 (exclusive): identifications at 2, 3, 3.5, the disclosure, the queued notice.
        let period = ReportPeriod(from: Fixture.t0.addingTimeInterval(120), to: Fixture.t0.addingTimeInterval(360))
        let report = ComplianceReport(f.input(period: period))
        let ihn = try #require(report.countermeasures.first { $0.id == .infectedHostNotification })
        #expect(ihn.identifications.found == 1)
        #expect(ihn.identifications.notFound == 1)
        #expect(ihn.disclosures == 1)
        #expect(ihn.notices.queued == 1 && ihn.notices.sent == 0)
        #expect(ihn.purges == 0)
        #expect(report.recordsInPeriod == 5)
        // Cases and the audit state do not depend on the period.
        #expect(ihn.cases("open") == 2)
        #expect(report.audit.records == 13)
    }

    @Test func auditStateVerifiesTheWholeLogAgainstCheckpoints() throws {
        let f = try Fixture.standard()
        let records = f.log.records(from: 1)
        let checkpoint = Checkpoint(records: records.prefix(10), time: Fixture.t0.addingTimeInterval(600))
        let report = ComplianceReport(f.input(checkpoints: [checkpoint]))
        #expect(report.audit.intact)
        #expect(report.audit.records == 13)
        #expect(report.audit.head == Hex.encode(records[12].hash))
        #expect(report.audit.lastCheckpoint?.size == 10)

        // One record edited: broken, and named.
        var tampered = records
        let r = tampered[4]
        tampered[4] = AuditRecord(
            sequence: r.sequence,
            entry: AuditEntry(
                time: r.entry.time, countermeasure: r.entry.countermeasure, action: "page-view", actor: r.entry.actor,
                subject: r.entry.subject, detail: r.entry.detail), previousHash: r.previousHash, hash: r.hash)
        let broken = ComplianceReport(f.input(records: tampered))
        #expect(!broken.audit.intact)
        #expect(broken.audit.brokenAt == 5)
        #expect(broken.audit.head == nil)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ComplianceRenderer(report: broken).json().utf8)) as? [String: Any])
        let audit = try #require(json["audit"] as? [String: Any])
        #expect(audit["intact"] as? Bool == false)
        #expect(audit["broken_at"] as? Int == 5)
        #expect(ComplianceRenderer(report: broken, language: .ja).html().contains("本報告書の件数は、検出箇所以降の記録について信頼できない"))
        #expect(ComplianceRenderer(report: broken, language: .en).markdown().contains("cannot be trusted"))
        #expect(!ComplianceRenderer(report: report, language: .en).markdown().contains("cannot be trusted"))
    }

    @Test func retentionFlagsTheOverdueAndWhatNoDeclarationKeeps() throws {
        let f = try Fixture.standard()
        let now = Fixture.t0.addingTimeInterval(3600)
        let held = [
            HeldData(dataClass: .cases, count: 4, oldest: now.addingTimeInterval(-400 * 86_400)),  // 365 days declared
            HeldData(dataClass: .notices, count: 2, oldest: now.addingTimeInterval(-10 * 86_400)),
            HeldData(dataClass: .sightings, count: 0, oldest: nil),
        ]
        let report = ComplianceReport(f.input(held: held))
        let cases = try #require(report.retention.first { $0.dataClass == .cases })
        #expect(cases.overdue)
        #expect(cases.classDays == 365)
        #expect(cases.count == 4)
        #expect(report.retention.first { $0.dataClass == .notices }?.overdue == false)
        #expect(report.retention.first { $0.dataClass == .sightings }?.overdue == false)
        // A class no store table holds is listed but not tracked.
        let consent = try #require(report.retention.first { $0.dataClass == .consentHistory })
        #expect(!consent.tracked && consent.oldest == nil && !consent.overdue)
        let ihn = try #require(report.countermeasures.first { $0.id == .infectedHostNotification })
        #expect(ihn.overdue)
        #expect(ihn.retention.map(\.dataClass) == ihn.declaration.dataClasses)
        #expect(report.anyOverdue)

        // Declarations that keep no cases: every held case is overdue.
        let narrowed = try Declarations(
            json: Data(
                #"{"version":1,"countermeasures":[{"id":"site-owner-notice","name":{"ja":"通知","en":"Notice"},"purpose":{"ja":"目的","en":"Purpose"},"basis":"public-data","justifications":{"public":{"ja":"公開","en":"Public"}},"dataItems":{"notices":["site-url"]},"retention":{"notices":30},"trigger":"always"}]}"#
                    .utf8), source: "narrow.json")
        var input = f.input(held: held)
        input.declarations = narrowed
        let strict = ComplianceReport(input)
        #expect(strict.retention.first { $0.dataClass == .cases }?.days == nil)
        #expect(strict.retention.first { $0.dataClass == .cases }?.overdue == true)
        #expect(strict.countermeasures.count == 1)
        #expect(strict.undeclared[.infectedHostNotification] == 7)
    }
}

import Foundation
import Secrecy
import SiteWarning
import Testing

@Suite struct ConsentTests {
    private let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    private func change(
        _ line: String, _ measure: ConsentMeasure, _ choice: ConsentChoice, _ minutes: Double, _ channel: ConsentChannel = .api
    )
        -> ConsentChange
    {
        ConsentChange(line: LineID(line), measure: measure, choice: choice, time: t0 + minutes * 60, channel: channel, termsVersion: "2026-04")
    }

    @Test func registryKeepsCurrentChoiceAndHistory() async throws {
        let registry = InMemoryConsentRegistry()
        #expect(try await registry.choice(line: LineID("l1"), measure: .cncDNSBlock) == nil)
        try await registry.set(change("l1", .malwareSiteWarning, .on, 0, .termsDefault))
        try await registry.set(change("l1", .cncDNSBlock, .off, 1, .page))
        try await registry.set(change("l2", .malwareSiteWarning, .off, 2, .cli))
        try await registry.set(change("l1", .malwareSiteWarning, .off, 3))
        #expect(try await registry.choice(line: LineID("l1"), measure: .malwareSiteWarning) == .off)
        #expect(try await registry.choice(line: LineID("l1"), measure: .cncDNSBlock) == .off)
        let history = try await registry.history(line: LineID("l1"))
        #expect(history.map(\.channel) == [.termsDefault, .page, .api])
        #expect(history.map(\.choice) == [.on, .off, .off])
        #expect(history.allSatisfy { $0.termsVersion == "2026-04" })
    }

    @Test func followersReadChangesInOrderFromACursor() async throws {
        let registry = InMemoryConsentRegistry()
        for i in 0..<5 { try await registry.set(change("l\(i)", .cncDNSBlock, .off, Double(i))) }
        let first = try await registry.changes(since: .start, limit: 3)
        #expect(first.changes.map(\.line.rawValue) == ["l0", "l1", "l2"])
        let rest = try await registry.changes(since: first.cursor)
        #expect(rest.changes.map(\.line.rawValue) == ["l3", "l4"])
        let none = try await registry.changes(since: rest.cursor)
        #expect(none.changes.isEmpty && none.cursor == rest.cursor)
    }

    @Test func invalidChangesAreRefused() async throws {
        let registry = InMemoryConsentRegistry()
        await #expect(throws: ConsentError.invalidLine) { try await registry.set(change("", .cncDNSBlock, .off, 0)) }
        var noTerms = change("l", .cncDNSBlock, .off, 0)
        noTerms.termsVersion = ""
        await #expect(throws: ConsentError.missingTermsVersion) { try await registry.set(noTerms) }
    }

    @Test func snapshotDefaultsAndChoices() async throws {
        let terms = ConsentSnapshot(defaults: .init(malwareSiteWarning: .on))
        #expect(terms.choice(line: LineID("new"), measure: .malwareSiteWarning) == .on)
        #expect(terms.choice(line: LineID("new"), measure: .cncDNSBlock) == .on)
        let optIn = ConsentSnapshot(defaults: .init(malwareSiteWarning: .off))
        #expect(optIn.choice(line: LineID("new"), measure: .malwareSiteWarning) == .off)

        let registry = InMemoryConsentRegistry()
        try await registry.set(change("l1", .cncDNSBlock, .off, 0))
        try await registry.set(change("l2", .malwareSiteWarning, .on, 1))
        let batch = try await registry.changes(since: optIn.cursor)
        let next = optIn.applying(batch.changes, cursor: batch.cursor)
        #expect(next.cursor == batch.cursor)
        #expect(next.choice(line: LineID("l1"), measure: .cncDNSBlock) == .off)
        #expect(next.choice(line: LineID("l1"), measure: .malwareSiteWarning) == .off)
        #expect(next.choice(line: LineID("l2"), measure: .malwareSiteWarning) == .on)
        #expect(next.explicitChoice(line: LineID("l2"), measure: .cncDNSBlock) == nil)
        #expect(next.lineCount == 2)
        #expect(optIn.lineCount == 0)  // immutable: the old snapshot is unchanged
    }

    @Test func auditEntryNamesTheLineOnlyByItsPseudonym() throws {
        let pseudonymizer = try Pseudonymizer(key: Array(repeating: 7, count: 32))
        let entry = change("line-0042", .cncDNSBlock, .off, 0, .page).auditEntry(actor: "service:portal", pseudonymizer: pseudonymizer)
        #expect(entry.action == AuditEntry.Action.consentChange)
        #expect(entry.countermeasure == .cncDNSBlock)
        #expect(entry.subject == pseudonymizer.pseudonym(subscriber: "line-0042"))
        #expect(!entry.subject.contains("0042"))
        #expect(entry.detail == ["channel": "page", "choice": "off", "measure": "cnc-dns-block", "terms-version": "2026-04"])
        #expect(!entry.fields.contains { $0.value.contains("line-0042") })
    }

    @Test func manyChangesMergeIntoTheBaseAndOldSnapshotsStay() {
        var snapshots = [ConsentSnapshot(defaults: .init(malwareSiteWarning: .off))]
        for batch in 0..<10 {
            let changes = (0..<1000).map { change("l\(batch * 1000 + $0)", .malwareSiteWarning, .on, Double(batch)) }
            snapshots.append(snapshots[snapshots.count - 1].applying(changes))
        }
        for (index, snapshot) in snapshots.enumerated() {
            #expect(snapshot.lineCount == index * 1000)
            #expect(snapshot.choice(line: LineID("l0"), measure: .malwareSiteWarning) == (index > 0 ? .on : .off))
            #expect(snapshot.choice(line: LineID("l9999"), measure: .malwareSiteWarning) == (index == 10 ? .on : .off))
        }
        let last = snapshots[10].applying([change("l5", .malwareSiteWarning, .off, 99), change("l5", .cncDNSBlock, .off, 99)])
        #expect(last.choice(line: LineID("l5"), measure: .malwareSiteWarning) == .off)
        #expect(last.choice(line: LineID("l5"), measure: .cncDNSBlock) == .off)
        #expect(last.choice(line: LineID("l6"), measure: .malwareSiteWarning) == .on)
        #expect(snapshots[10].choice(line: LineID("l5"), measure: .malwareSiteWarning) == .on)
        #expect(last.lineCount == 10_000)
    }

    @Test func lineIDsStayOutOfDescriptions() {
        let c = change("line-0042", .cncDNSBlock, .off, 0)
        for text in ["\(c)", String(reflecting: c), "\(c.line)", String(reflecting: c.line), "\([c.line])"] {
            #expect(!text.contains("0042"), "\(text)")
        }
        #expect(c.line.rawValue == "line-0042")
    }

    @Test func measuresAreTheDeclaredCountermeasures() {
        #expect(ConsentMeasure.malwareSiteWarning.countermeasure.rawValue == "malware-site-warning")
        #expect(ConsentMeasure.cncDNSBlock.countermeasure.rawValue == "cnc-dns-block")
        #expect(ConsentChannel.allCases.map(\.rawValue) == ["page", "api", "cli", "terms-default"])
    }
}

@Suite struct SnapshotCellTests {
    @Test func consentFollowerCatchesUp() async throws {
        let registry = InMemoryConsentRegistry()
        let cell = SnapshotCell(ConsentSnapshot(defaults: .init(malwareSiteWarning: .off)))
        #expect(try await cell.catchUp(with: registry) == 0)
        let time = Date(timeIntervalSince1970: 1_790_000_000)
        for i in 0..<2500 {
            try await registry.set(
                ConsentChange(
                    line: LineID("l\(i % 1000)"), measure: .malwareSiteWarning, choice: i % 2 == 0 ? .on : .off, time: time, channel: .api,
                    termsVersion: "v1"))
        }
        #expect(try await cell.catchUp(with: registry, batch: 1000) == 2500)
        #expect(cell.current.lineCount == 1000)
        // The last change of l0 was i = 2000 (on); of l1, i = 2001 (off).
        #expect(cell.current.choice(line: LineID("l0"), measure: .malwareSiteWarning) == .on)
        #expect(cell.current.choice(line: LineID("l1"), measure: .malwareSiteWarning) == .off)
        #expect(try await cell.catchUp(with: registry) == 0)
    }

    @Test func replaceReturnsThePreviousSnapshot() {
        let cell = SnapshotCell(1)
        #expect(cell.replace(with: 2) == 1)
        #expect(cell.current == 2)
    }
}

import Foundation
import Secrecy
import Testing

private func declarations(_ retentions: [(id: String, retention: [String: Int])]) throws -> Declarations {
    let text = ["ja": "説明", "en": "explanation"]
    let list: [[String: Any]] = retentions.map { id, retention in
        [
            "id": id, "name": text, "purpose": text, "basis": "party-to-communication", "justifications": ["is-party": text],
            "dataItems": Dictionary(uniqueKeysWithValues: retention.keys.map { ($0, ["timestamp"]) }), "retention": retention,
            "trigger": "always",
        ]
    }
    let json = try JSONSerialization.data(withJSONObject: ["version": 1, "countermeasures": list] as [String: Any])
    return try Declarations(json: json, source: "fixture.json")
}

@Suite struct RetentionPolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func longestDeclaredLifetimeWins() throws {
        let policy = RetentionPolicy(
            declarations: try declarations([
                ("sensor-a", ["sightings": 30, "aggregate-counters": 730]),
                ("sensor-b", ["sightings": 90]),
                ("sensor-c", ["sightings": 90, "transient": 0]),
            ]))
        #expect(policy.lifetime(for: .sightings) == .init(days: 90, setBy: [CountermeasureID("sensor-b"), CountermeasureID("sensor-c")]))
        #expect(policy.cutoff(for: .sightings, now: now) == now.addingTimeInterval(-90 * 86_400))
        #expect(policy.cutoff(for: .aggregateCounters, now: now) == now.addingTimeInterval(-730 * 86_400))
        #expect(policy.cutoff(for: .transient, now: now) == now)
        #expect(policy.dataClasses == [.transient, .sightings, .aggregateCounters])
    }

    @Test func perCountermeasureCutoffIsStricter() throws {
        let policy = RetentionPolicy(declarations: try declarations([("sensor-a", ["sightings": 30]), ("sensor-b", ["sightings": 90])]))
        #expect(policy.cutoff(for: .sightings, countermeasure: CountermeasureID("sensor-a"), now: now) == now.addingTimeInterval(-30 * 86_400))
        #expect(policy.cutoff(for: .sightings, countermeasure: CountermeasureID("sensor-b"), now: now) == now.addingTimeInterval(-90 * 86_400))
        #expect(policy.cutoff(for: .cases, countermeasure: CountermeasureID("sensor-a"), now: now) == nil)
        #expect(policy.cutoff(for: .sightings, countermeasure: CountermeasureID("undeclared"), now: now) == nil)
    }

    @Test func undeclaredClassHasNoLifetime() throws {
        let policy = RetentionPolicy(declarations: try declarations([("sensor-a", ["sightings": 30])]))
        #expect(policy.lifetime(for: .identifications) == nil)
        #expect(policy.cutoff(for: .identifications, now: now) == nil)
    }

    @Test(arguments: [
        (DataClass.transient, 0), (.sightings, 90), (.assignmentRecords, 180), (.identifications, 90), (.cases, 365),
        (.notices, 365), (.consentHistory, 1095), (.aggregateCounters, 730), (.blocks, 30), (.mailAuthEvents, 7),
    ])
    func bundledLifetimes(dataClass: DataClass, days: Int) throws {
        let policy = RetentionPolicy(declarations: try .bundled())
        #expect(policy.lifetime(for: dataClass)?.days == days)
        #expect(policy.cutoff(for: dataClass, now: now) == now.addingTimeInterval(-Double(days) * 86_400))
    }

    @Test func bundledPolicyCoversEveryClass() throws {
        let policy = RetentionPolicy(declarations: try .bundled())
        #expect(policy.dataClasses == DataClass.allCases)
        #expect(policy.lifetime(for: .assignmentRecords)?.setBy == [.infectedHostNotification, .cncTakedownNotification])
    }
}

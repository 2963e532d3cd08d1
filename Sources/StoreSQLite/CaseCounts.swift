import Foundation
import GRDB
public import Secrecy

extension MamoriStore {
    /// The cases held now, counted per countermeasure and state (`open`, `notified`, …).
    ///
    /// Counts only: no subscriber, family or evidence is read (the compliance report needs none).
    public func caseCounts() throws -> [CountermeasureID: [String: Int]] {
        try pool.read(Self.caseCounts)
    }

    /// ``caseCounts()`` on GRDB's async API (for services).
    public func caseCounts() async throws -> [CountermeasureID: [String: Int]] {
        try await pool.read(Self.caseCounts)
    }

    static func caseCounts(_ db: Database) throws -> [CountermeasureID: [String: Int]] {
        var out: [CountermeasureID: [String: Int]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT countermeasure, status, COUNT(*) AS n FROM infection_case GROUP BY countermeasure, status") {
            let countermeasure: String = row["countermeasure"]
            let status: String = row["status"]
            let count: Int = row["n"]
            out[CountermeasureID(rawValue: countermeasure), default: [:]][status] = count
        }
        return out
    }
}

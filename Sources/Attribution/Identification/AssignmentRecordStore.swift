public import Foundation
import TextScanning

/// What attribution needs from storage: the ingested assignment events, idempotently.
///
/// `Store` implements it over SQLite; a PostgreSQL implementation can follow without touching
/// this module.
public protocol AssignmentRecordStore: Sendable {
    /// Stores events, skipping those already stored (same ``AssignmentEvent/stableKey``);
    /// returns how many were added and how many were already there.
    func insert(events: [AssignmentEvent], now: Date) throws -> (added: Int, duplicates: Int)
    /// Every stored event.
    func allEvents() throws -> [AssignmentEvent]
    /// Deletes the events whose holding ended before `cutoff`; returns how many.
    func purgeEvents(endedBefore cutoff: Date) throws -> Int
}

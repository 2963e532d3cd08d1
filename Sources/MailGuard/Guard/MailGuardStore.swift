import Addressing
public import Foundation
import Synchronization

/// What the guard keeps in the store: the raised alerts, the suspensions and the blocks. The
/// store is how `mamori mail …` (another process) and several `mamori serve` see and change them.
///
/// Rows exist only for raised alerts, suspended IDs and blocked addresses: outside the alerts no
/// per-ID or per-address row is ever written.
public struct MailGuardSnapshot: Sendable, Hashable, Codable {
    public var alerts: [MailAlert: RaisedAlert]
    public var suspensions: [String: Suspension]
    public var blocks: [String: Block]

    public init(alerts: [MailAlert: RaisedAlert] = [:], suspensions: [String: Suspension] = [:], blocks: [String: Block] = [:]) {
        self.alerts = alerts
        self.suspensions = suspensions
        self.blocks = blocks
    }
}

/// One change to the stored state.
public enum MailGuardChange: Sendable, Hashable {
    case alert(MailAlert, RaisedAlert?)
    case suspension(String, Suspension?)
    case block(String, Block?)
}

/// The guard's state in a store (SQLite, PostgreSQL).
public protocol MailGuardStore: Sendable {
    /// Everything stored now.
    func mailGuardSnapshot() async throws -> MailGuardSnapshot
    /// Applies `changes` in one transaction (a nil value deletes the row).
    func apply(_ changes: [MailGuardChange]) async throws
}

extension MailGuard {
    /// The in-memory state as a snapshot.
    public var snapshot: MailGuardSnapshot {
        state.withLock { state in
            MailGuardSnapshot(
                alerts: state.alerts, suspensions: state.suspensions,
                blocks: Dictionary(uniqueKeysWithValues: state.blocks.map { ($0.key.description, $0.value) }))
        }
    }

    /// Takes back the suspensions and blocks a previous run stored (audited when they were made;
    /// no notice again). Alerts are not restored here: ``reconcile(store:base:at:)`` opens their
    /// windows, audited, as of now.
    public func restore(_ stored: MailGuardSnapshot) {
        state.withLock { state in
            for (id, suspension) in stored.suspensions { state.suspensions[id] = suspension }
            for (text, block) in stored.blocks {
                if let address = IPAddress(text) { state.blocks[address] = block }
            }
        }
    }

    /// Reconciles memory and store against the snapshot last written (`base`). First what another
    /// process (the CLI) changed in the store since `base` is applied to the guard (an alert
    /// raised or cleared, a suspension or block lifted), audited as the CLI's act; a suspension
    /// another `mamori serve` made is taken over unaudited (that process audited it). Then the store is made to mirror memory: the returned changes, to write, and the
    /// new base.
    public func reconcile(
        store: MailGuardSnapshot, base: MailGuardSnapshot, at now: Date = Date()
    ) -> (
        write: [MailGuardChange], base: MailGuardSnapshot
    ) {
        let before = snapshot
        for alert in MailAlert.allCases where (before.alerts[alert] == nil) == (base.alerts[alert] == nil) {
            let stored = store.alerts[alert]
            guard (stored == nil) != (base.alerts[alert] == nil) else { continue }
            if let stored { raise(alert, by: stored.source, at: now) } else { clear(alert, by: .cli, at: now) }
        }
        for id in Set(store.suspensions.keys).union(base.suspensions.keys).sorted() where before.suspensions[id] == base.suspensions[id] {
            let stored = store.suspensions[id]
            if stored == nil, base.suspensions[id] != nil {
                lift(authID: id, reason: "operator", actor: "cli", audited: false, at: now)
            } else if let stored, base.suspensions[id] == nil {
                // Made by another `mamori serve` on the same store, which audited it and queued
                // its notice: taken over as it is, neither audited nor told again.
                state.withLock { $0.suspensions[id] = stored }
            }
        }
        for address in base.blocks.keys.sorted() where store.blocks[address] == nil && before.blocks[address] != nil {
            if let ip = IPAddress(address) { lift(address: ip, actor: "cli", audited: false, at: now) }
        }
        let after = snapshot
        var write: [MailGuardChange] = []
        for alert in MailAlert.allCases where after.alerts[alert] != store.alerts[alert] { write.append(.alert(alert, after.alerts[alert])) }
        for id in Set(after.suspensions.keys).union(store.suspensions.keys).sorted() where after.suspensions[id] != store.suspensions[id] {
            write.append(.suspension(id, after.suspensions[id]))
        }
        for address in Set(after.blocks.keys).union(store.blocks.keys).sorted() where after.blocks[address] != store.blocks[address] {
            write.append(.block(address, after.blocks[address]))
        }
        return (write, after)
    }
}

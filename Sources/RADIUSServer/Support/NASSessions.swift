import Addressing
import Attribution
import Foundation
import SiteWarning
import Synchronization

/// The live sessions each NAS reported, in memory: to end all of a NAS's sessions in
/// ``LiveSessions`` on its Accounting-On/-Off (``LiveSessions`` does not know NASes), and to
/// find a session's addresses when its Stop carries none.
///
/// Entries older than the live table's expiry are dropped as they are met; at most
/// `capacity` sessions are tracked (past it, new sessions are not tracked: their Stop must
/// carry the address, and an Accounting-On/-Off does not end them; expiry does).
final class NASSessions: Sendable {
    struct Session {
        var line: LineID
        var prefixes: [IPPrefix]
        var lastSeen: Date
    }

    struct State {
        var byNAS: [RadiusNASIdentity: [String: Session]] = [:]
        var count = 0
        var updates = 0
    }

    let expiry: TimeInterval
    let capacity: Int
    let state = Mutex(State())

    init(expiry: TimeInterval, capacity: Int) {
        self.expiry = expiry
        self.capacity = capacity
    }

    /// Start or Interim-Update: the session's addresses so far (those of earlier records too).
    func update(nas: RadiusNASIdentity, session: String, line: LineID, prefixes: [IPPrefix], now: Date) -> [IPPrefix] {
        state.withLock { state in
            state.updates += 1
            if state.updates % 4096 == 0 { prune(&state, now: now) }
            if var known = state.byNAS[nas]?[session], known.line == line {
                for p in prefixes where !known.prefixes.contains(p) { known.prefixes.append(p) }
                known.lastSeen = now
                state.byNAS[nas]?[session] = known
                return known.prefixes
            }
            let replaced = state.byNAS[nas]?[session] != nil
            guard replaced || state.count < capacity else { return prefixes }
            state.byNAS[nas, default: [:]][session] = Session(line: line, prefixes: prefixes, lastSeen: now)
            if !replaced { state.count += 1 }
            return prefixes
        }
    }

    /// Stop: forgets the session; its addresses (those of this record and of earlier ones).
    func stop(nas: RadiusNASIdentity, session: String, line: LineID, prefixes: [IPPrefix]) -> [IPPrefix] {
        state.withLock { state in
            guard let known = state.byNAS[nas]?.removeValue(forKey: session) else { return prefixes }
            state.count -= 1
            if state.byNAS[nas]?.isEmpty == true { state.byNAS.removeValue(forKey: nas) }
            guard known.line == line else { return prefixes }
            return prefixes + known.prefixes.filter { !prefixes.contains($0) }
        }
    }

    /// Accounting-On/-Off: forgets every session of the NAS and returns them.
    func endAll(nas: RadiusNASIdentity) -> [Session] {
        state.withLock { state in
            guard let sessions = state.byNAS.removeValue(forKey: nas) else { return [] }
            state.count -= sessions.count
            return Array(sessions.values)
        }
    }

    var count: Int { state.withLock { $0.count } }

    private func prune(_ state: inout State, now: Date) {
        for (nas, sessions) in state.byNAS {
            let live = sessions.filter { now.timeIntervalSince($0.value.lastSeen) <= expiry }
            state.count -= sessions.count - live.count
            state.byNAS[nas] = live.isEmpty ? nil : live
        }
    }
}

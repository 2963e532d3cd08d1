import Foundation
import NIOCore
import Synchronization

/// The requests seen in the last `window` seconds, by NAS address and port, identifier and
/// Request Authenticator (RFC 5080 §2.2.2), and their answers: a retransmission is answered
/// again and not processed twice. Memory only; at most `capacity` entries (the oldest go first).
final class RetransmissionCache: Sendable {
    struct Key: Hashable, Sendable {
        var peer: SocketAddress
        var identifier: UInt8
        var authenticator: [UInt8]
    }

    enum Entry {
        case inProgress
        case answered([UInt8])
    }

    enum Lookup: Equatable {
        /// Not seen: now marked in progress; call ``answered(_:_:)`` or ``abandon(_:)``.
        case new
        case inProgress
        case answered([UInt8])
    }

    struct State {
        var entries: [Key: (entry: Entry, time: Date)] = [:]
        /// Keys in arrival order, for expiry; `head` is the oldest still to look at.
        var order: [(key: Key, time: Date)] = []
        var head = 0
    }

    let window: TimeInterval
    let capacity: Int
    let state = Mutex(State())

    init(window: TimeInterval, capacity: Int) {
        self.window = window
        self.capacity = max(1, capacity)
    }

    func begin(_ key: Key, now: Date) -> Lookup {
        state.withLock { state in
            expire(&state, now: now)
            if let found = state.entries[key] {
                switch found.entry {
                case .inProgress: return .inProgress
                case .answered(let bytes): return .answered(bytes)
                }
            }
            state.entries[key] = (.inProgress, now)
            state.order.append((key, now))
            return .new
        }
    }

    func answered(_ key: Key, _ response: [UInt8]) {
        state.withLock { state in
            if let found = state.entries[key] { state.entries[key] = (.answered(response), found.time) }
        }
    }

    /// Forgets a request not answered (so that its retransmission is processed again).
    func abandon(_ key: Key) {
        _ = state.withLock { $0.entries.removeValue(forKey: key) }
    }

    var count: Int { state.withLock { $0.entries.count } }

    private func expire(_ state: inout State, now: Date) {
        while state.head < state.order.count {
            let (key, time) = state.order[state.head]
            guard now.timeIntervalSince(time) > window || state.entries.count >= capacity else { break }
            if let found = state.entries[key], found.time == time { state.entries.removeValue(forKey: key) }
            state.head += 1
        }
        if state.head > 1024, state.head * 2 > state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }
    }
}

import Synchronization

/// A ``ConsentRegistry`` in memory, for unit tests and the demo: nothing survives the process.
public final class InMemoryConsentRegistry: ConsentRegistry {
    private struct State {
        var log: [ConsentChange] = []
        var current: [LineID: [ConsentMeasure: ConsentChoice]] = [:]
        var byLine: [LineID: [Int]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func choice(line: LineID, measure: ConsentMeasure) async throws -> ConsentChoice? {
        state.withLock { $0.current[line]?[measure] }
    }

    @discardableResult
    public func set(_ change: ConsentChange) async throws -> ConsentChange {
        try change.validate()
        state.withLock { state in
            state.byLine[change.line, default: []].append(state.log.count)
            state.log.append(change)
            state.current[change.line, default: [:]][change.measure] = change.choice
        }
        return change
    }

    public func history(line: LineID) async throws -> [ConsentChange] {
        state.withLock { state in (state.byLine[line] ?? []).map { state.log[$0] } }
    }

    public func changes(since cursor: ConsentCursor, limit: Int) async throws -> ConsentChanges {
        state.withLock { state in
            let from = Int(max(0, min(cursor.rawValue, Int64(state.log.count))))
            let to = min(state.log.count, from + max(0, limit))
            return ConsentChanges(changes: Array(state.log[from..<to]), cursor: ConsentCursor(rawValue: Int64(to)))
        }
    }
}

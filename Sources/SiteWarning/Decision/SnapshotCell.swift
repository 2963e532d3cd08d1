import Synchronization

/// The current value of an immutable snapshot (a ``Blocklist``, a ``ConsentSnapshot``), read
/// per query and replaced whole: one short lock to copy a reference out, none held while the
/// snapshot is used, so an update never stalls or drops a query.
///
/// ```swift
/// let lists = SnapshotCell(Blocklist())
/// lists.replace(with: builder.build())      // a list update, off the query path
/// let verdict = decision.decide(…, blocklist: lists.current, …)
/// ```
public final class SnapshotCell<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    public init(_ value: Value) {
        self.value = Mutex(value)
    }

    /// The snapshot now.
    public var current: Value { value.withLock { $0 } }

    /// Replaces the snapshot; returns the one it replaces (e.g. to drain its counters).
    @discardableResult
    public func replace(with next: Value) -> Value {
        value.withLock { current in
            let previous = current
            current = next
            return previous
        }
    }
}

extension SnapshotCell where Value == ConsentSnapshot {
    /// Applies every change `registry` has after the current snapshot's cursor and swaps the
    /// result in; returns how many changes were applied. A guard calls it often (every few
    /// hundred milliseconds, or when its store signals a change) so that a change made by any
    /// process reaches it within a second. Not safe to run twice at once for one cell.
    @discardableResult
    public func catchUp(with registry: some ConsentRegistry, batch: Int = 1000) async throws -> Int {
        var applied = 0
        while true {
            let snapshot = current
            let next = try await registry.changes(since: snapshot.cursor, limit: batch)
            if next.changes.isEmpty { return applied }
            replace(with: snapshot.applying(next.changes, cursor: next.cursor))
            applied += next.changes.count
        }
    }
}

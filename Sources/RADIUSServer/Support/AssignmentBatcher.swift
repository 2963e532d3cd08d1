import Attribution
import Foundation
import Synchronization

/// Gathers the events of concurrent requests into one store insert (one transaction): the
/// first waits up to `maxDelay` for others, at most `maxEvents` go in together; each caller
/// returns once its events are stored (or throws the store's error).
///
/// ``run()`` does the inserts; it returns after ``finish()`` once everything submitted before
/// is stored. Later submissions throw ``RADIUSServerError/shuttingDown``.
final class AssignmentBatcher: Sendable {
    struct Waiter {
        var events: [AssignmentEvent]
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var waiting: [Waiter] = []
        var eventCount = 0
        var finished = false
    }

    let store: any AssignmentRecordStore
    let maxEvents: Int
    let maxDelay: Duration
    let metrics: RADIUSMetrics
    let state = Mutex(State())
    let wakeups: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init(store: any AssignmentRecordStore, maxEvents: Int, maxDelay: Duration, metrics: RADIUSMetrics) {
        self.store = store
        self.maxEvents = max(1, maxEvents)
        self.maxDelay = maxDelay
        self.metrics = metrics
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Returns once `events` are stored.
    func submit(_ events: [AssignmentEvent]) async throws {
        guard !events.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = state.withLock { state in
                guard !state.finished else { return false }
                state.waiting.append(Waiter(events: events, continuation: continuation))
                state.eventCount += events.count
                return true
            }
            if accepted {
                wake.yield()
            } else {
                continuation.resume(throwing: RADIUSServerError.shuttingDown)
            }
        }
    }

    /// Stops taking events; ``run()`` stores what it has and returns.
    func finish() { wake.finish() }

    func run() async {
        for await _ in wakeups { await drain(waitForMore: true) }
        // Finished (or cancelled): nothing more is accepted; what is left is stored now.
        state.withLock { $0.finished = true }
        await drain(waitForMore: false)
    }

    private func drain(waitForMore: Bool) async {
        while true {
            let pending = state.withLock { $0.eventCount }
            guard pending > 0 else { return }
            if waitForMore, pending < maxEvents, !Task.isCancelled { try? await Task.sleep(for: maxDelay) }
            let batch: [Waiter] = state.withLock { state in
                var taken = 0
                var count = 0
                while taken < state.waiting.count, count == 0 || count + state.waiting[taken].events.count <= maxEvents {
                    count += state.waiting[taken].events.count
                    taken += 1
                }
                let batch = Array(state.waiting.prefix(taken))
                state.waiting.removeFirst(taken)
                state.eventCount -= count
                return batch
            }
            let events = batch.flatMap(\.events)
            do {
                _ = try await store.insert(events: events, now: Date())
                metrics.batch(events: events.count, stored: true)
                for waiter in batch { waiter.continuation.resume() }
            } catch {
                metrics.batch(events: events.count, stored: false)
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}

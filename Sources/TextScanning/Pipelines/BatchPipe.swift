import Dispatch
import Foundation
import Synchronization

/// Runs a synchronous, streaming producer (a file parser) on a thread of its own and hands its
/// batches, in order, to asynchronous code (a store), with at most `depth` batches waiting: the
/// parse of the next batch overlaps the store of the last, and memory stays bounded.
///
/// ```swift
/// let summary = try await BatchPipe.run { emit in
///     try Parser.stream(contentsOf: url) { batch in try emit(batch) }
/// } consume: { batch in
///     try await store.insert(batch)
/// }
/// ```
/// The first error, of either side, stops both and is thrown; the producer has returned before
/// `run` does.
public enum BatchPipe {
    /// Stops a producer whose consumer failed.
    public struct Stopped: Error {}

    public static func run<Batch: Sendable, Summary: Sendable>(
        depth: Int = 2,
        produce: @escaping @Sendable (_ emit: (Batch) throws -> Void) throws -> Summary,
        consume: (Batch) async throws -> Void
    ) async throws -> Summary {
        let (stream, continuation) = AsyncThrowingStream<Batch, any Error>.makeStream()
        let slots = DispatchSemaphore(value: max(1, depth))
        let stop = Atomic<Bool>(false)
        let outcome = Mutex<Result<Summary, any Error>?>(nil)
        let thread = Thread {
            let result = Result {
                try produce { batch in
                    slots.wait()
                    if stop.load(ordering: .acquiring) { throw Stopped() }
                    continuation.yield(batch)
                }
            }
            outcome.withLock { $0 = result }
            switch result {
            case .success: continuation.finish()
            case .failure(let error): continuation.finish(throwing: error)
            }
        }
        thread.name = "mamori.batch-pipe"
        thread.start()
        var failure: (any Error)?
        var batches = stream.makeAsyncIterator()
        do {
            while let batch = try await batches.next() {
                do {
                    try await consume(batch)
                } catch {
                    failure = error
                    break
                }
                slots.signal()
            }
        } catch {
            failure = error
        }
        if let failure {
            stop.store(true, ordering: .releasing)
            slots.signal()
            // Wait for the producer to see the stop and end (its batches are dropped).
            do {
                while try await batches.next() != nil { slots.signal() }
            } catch {}
            throw failure
        }
        guard let result = outcome.withLock({ $0 }) else { throw Stopped() }
        return try result.get()
    }
}

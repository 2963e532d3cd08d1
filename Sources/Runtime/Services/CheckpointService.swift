import Foundation
public import Logging
import Metrics
public import Secrecy
public import ServiceLifecycle
public import Storage

/// Signs audit checkpoints while a long-running command serves: after every `everyRecords`
/// appended records, or `everySeconds` after the last checkpoint when any were appended, and
/// once more on graceful shutdown.
public struct CheckpointService: Service {
    public let store: any Storage
    public let file: CheckpointFile
    public let everyRecords: Int64
    public let everySeconds: Double
    public let logger: Logger

    public init(store: any Storage, file: CheckpointFile, everyRecords: Int64, everySeconds: Double, logger: Logger) {
        self.store = store
        self.file = file
        self.everyRecords = everyRecords
        self.everySeconds = everySeconds
        self.logger = logger
    }

    public func run() async throws {
        var checkpointed = try await store.audit.headSequence()
        var last = ContinuousClock.now
        // Poll often enough to honour both limits without a query per record.
        let poll = Duration.seconds(min(everySeconds, 1))
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: poll) }
            let head = (try? await store.audit.headSequence()) ?? checkpointed
            Gauge(label: "mamori_audit_unsigned_records").record(head - checkpointed)
            let due = head - checkpointed >= everyRecords || (head != checkpointed && ContinuousClock.now - last >= .seconds(everySeconds))
            if due || (Task.isShuttingDownGracefully && head != checkpointed) {
                checkpointed = await sign(head: head, previous: checkpointed)
                last = ContinuousClock.now
            }
        }
    }

    /// Signs one checkpoint; returns the head now covered (the previous one when signing failed).
    private func sign(head: Int64, previous: Int64) async -> Int64 {
        do {
            if let signed = try await store.signCheckpoint(to: file) {
                Counter(label: "mamori_audit_checkpoints_total", dimensions: [("outcome", "signed")]).increment()
                Gauge(label: "mamori_audit_checkpoint_timestamp_seconds").record(signed.checkpoint.time.timeIntervalSince1970)
                logger.info("audit checkpoint signed", metadata: ["records": "\(signed.checkpoint.size)", "key": "\(signed.keyID)"])
                return signed.checkpoint.size
            }
            return head
        } catch {
            Counter(label: "mamori_audit_checkpoints_total", dimensions: [("outcome", "failed")]).increment()
            logger.error("audit checkpoint failed", metadata: ["error": "\(error)"])
            return previous
        }
    }
}

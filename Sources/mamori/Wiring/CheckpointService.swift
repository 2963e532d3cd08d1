import ArgumentParser
import Logging
import Secrecy
import ServiceLifecycle
import Store

/// Options of `serve`'s checkpointing.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Sign an audit checkpoint once this many records were appended since the last one.")
    var checkpointEveryRecords: Int = 1000

    @Option(help: "Sign an audit checkpoint at least this often (seconds) while records are being appended.")
    var checkpointEverySeconds: Double = 60

    func validate() throws {
        guard checkpointEveryRecords > 0 else { throw ValidationError("--checkpoint-every-records must be at least 1") }
        guard checkpointEverySeconds > 0, checkpointEverySeconds.isFinite else {
            throw ValidationError("--checkpoint-every-seconds must be a positive number")
        }
    }
}

/// Signs audit checkpoints while a long-running command serves: after every `everyRecords`
/// appended records, or `everySeconds` after the last checkpoint when any were appended, and
/// once more on graceful shutdown.
struct CheckpointService: Service {
    let log: SQLiteAuditLog
    let file: CheckpointFile
    let everyRecords: Int64
    let everySeconds: Double
    let logger: Logger

    func run() async throws {
        var checkpointed = try log.headSequence()
        var last = ContinuousClock.now
        // Poll often enough to honour both limits without a query per record.
        let poll = Duration.seconds(min(everySeconds, 1))
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: poll) }
            let head = (try? log.headSequence()) ?? checkpointed
            let due = head - checkpointed >= everyRecords || (head != checkpointed && ContinuousClock.now - last >= .seconds(everySeconds))
            if due || (Task.isShuttingDownGracefully && head != checkpointed) {
                checkpointed = sign(head: head, previous: checkpointed)
                last = ContinuousClock.now
            }
        }
    }

    /// Signs one checkpoint; returns the head now covered (the previous one when signing failed).
    private func sign(head: Int64, previous: Int64) -> Int64 {
        do {
            if let signed = try log.signCheckpoint(to: file) {
                logger.info("audit checkpoint signed", metadata: ["records": "\(signed.checkpoint.size)", "key": "\(signed.keyID)"])
                return signed.checkpoint.size
            }
            return head
        } catch {
            logger.error("audit checkpoint failed", metadata: ["error": "\(error)"])
            return previous
        }
    }
}

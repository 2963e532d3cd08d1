import Foundation

/// The outcome of checking an audit log against the signed checkpoints kept outside it: what a
/// hash chain alone cannot see (the newest records removed, an older copy put back, a history
/// rewritten and re-chained).
///
/// ```swift
/// let result = AuditTail.verify(records, signed: try file.lines(), trustedKeys: keys)
/// if result.status != .intact { print(result.reason ?? "") }
/// ```
public struct AuditTailVerification: Sendable, Hashable {
    /// What was found, most serious first in the order checked.
    public enum Status: String, Sendable, Hashable {
        /// The chain is intact and every signed checkpoint matches.
        case intact
        /// A checkpoint line is malformed, badly signed or signed by an unknown key.
        case badSignature = "bad_signature"
        /// The hash chain itself is broken (edited, deleted, inserted, reordered records).
        case broken
        /// The log has fewer records than a signed checkpoint covers: the newest were deleted.
        case truncated
        /// The log is exactly as it was at an earlier signed checkpoint, but a later one covers
        /// more: an older copy of the store was put back.
        case rolledBack = "rolled_back"
        /// The log's first `size` records do not hash to a signed checkpoint's root: a
        /// different history was written in place of the signed one.
        case forked
    }

    /// What was found.
    public let status: Status
    /// A sentence saying what and where (`nil` when intact).
    public let reason: String?
    /// The number of records in the log.
    public let records: Int
    /// The checkpoint concerned: the one violated, or, when intact, the newest verified.
    public let checkpoint: SignedCheckpoint?
    /// The first broken record, for ``Status/broken``.
    public let sequence: Int64?
    /// The number of signed checkpoints checked.
    public let checkpointsChecked: Int

    /// A result (e.g. a caller's own further check).
    public init(
        status: Status, reason: String?, records: Int, checkpoint: SignedCheckpoint?, sequence: Int64?, checkpointsChecked: Int
    ) {
        self.status = status
        self.reason = reason
        self.records = records
        self.checkpoint = checkpoint
        self.sequence = sequence
        self.checkpointsChecked = checkpointsChecked
    }
}

/// Verifies an audit log against its signed checkpoints.
public enum AuditTail {
    /// Checks, in order: every checkpoint line is well formed and validly signed by a trusted key
    /// (`trustedKeys`; `nil` trusts the key each line carries); the chain
    /// (``AuditChain/verify(_:)``); then each signed checkpoint, smallest first: the log must
    /// have at least its size (else truncated, or rolled back when the log is exactly an earlier
    /// signed state) and its first `size` records must hash to its root (else forked).
    public static func verify(
        _ records: [AuditRecord], signed lines: [CheckpointFile.Line], trustedKeys: Set<[UInt8]>?
    ) -> AuditTailVerification {
        var checkpoints: [SignedCheckpoint] = []
        for line in lines {
            guard let checkpoint = line.checkpoint else {
                return result(.badSignature, "checkpoint line \(line.number) is not a signed checkpoint", records, nil, checked: 0)
            }
            guard checkpoint.hasValidSignature else {
                return result(
                    .badSignature, "checkpoint line \(line.number) (\(checkpoint.checkpoint.size) records) has a bad signature",
                    records, checkpoint, checked: 0)
            }
            if let trustedKeys, !trustedKeys.contains(checkpoint.publicKey) {
                return result(
                    .badSignature,
                    "checkpoint line \(line.number) (\(checkpoint.checkpoint.size) records) is signed by a key that is not in the key file",
                    records, checkpoint, checked: 0)
            }
            checkpoints.append(checkpoint)
        }
        if case .broken(let sequence, let reason) = AuditChain.verify(records) {
            return AuditTailVerification(
                status: .broken, reason: reason, records: records.count, checkpoint: nil, sequence: sequence, checkpointsChecked: 0)
        }
        let sorted = checkpoints.enumerated().sorted { ($0.element.checkpoint.size, $0.offset) < ($1.element.checkpoint.size, $1.offset) }
            .map(\.element)
        var accumulator = MerkleTree.Accumulator()
        var roots: [Int64: [UInt8]] = [:]
        var lastGood: SignedCheckpoint?
        for (index, signed) in sorted.enumerated() {
            let size = signed.checkpoint.size
            let time = SignedCheckpoint.timeText(signed.checkpoint.time)
            if size > Int64(records.count) {
                if let earlier = sorted.last(where: { $0.checkpoint.size == Int64(records.count) }),
                    roots[Int64(records.count)] == earlier.checkpoint.root
                {
                    return result(
                        .rolledBack,
                        "rollback: the log is exactly as signed at \(SignedCheckpoint.timeText(earlier.checkpoint.time)) (\(records.count) records), "
                            + "but the checkpoint signed at \(time) covers \(size): an older copy of the store was put back "
                            + "(\(missing(records.count + 1, size)))",
                        records, signed, checked: index)
                }
                return result(
                    .truncated,
                    "truncation: the log has \(records.count) records but the checkpoint signed at \(time) covers \(size): "
                        + "\(missing(records.count + 1, size)) (deleted from the tail, or an older copy was put back)",
                    records, signed, checked: index)
            }
            while accumulator.count < size { accumulator.append(leafHash: MerkleTree.leafHash(records[Int(accumulator.count)].hash)) }
            roots[size] = accumulator.root
            guard accumulator.root == signed.checkpoint.root else {
                let after =
                    lastGood.map { "after record \($0.checkpoint.size) (the last signed state that matches)" }
                    ?? "(no smaller signed checkpoint matches)"
                return result(
                    .forked,
                    "fork: records 1…\(size) do not hash to the root signed at \(time): the history differs from the signed one \(after)",
                    records, signed, checked: index)
            }
            lastGood = signed
        }
        return result(.intact, nil, records, lastGood, checked: sorted.count)
    }

    private static func missing(_ first: Int, _ last: Int64) -> String {
        Int64(first) == last ? "record \(first) is missing" : "records \(first)…\(last) are missing"
    }

    private static func result(
        _ status: AuditTailVerification.Status, _ reason: String?, _ records: [AuditRecord], _ checkpoint: SignedCheckpoint?,
        checked: Int
    ) -> AuditTailVerification {
        AuditTailVerification(
            status: status, reason: reason, records: records.count, checkpoint: checkpoint, sequence: nil, checkpointsChecked: checked)
    }
}

public import Foundation
public import Secrecy

extension Storage {
    /// The public keys of every generation of the store's checkpoint signing key (the keys a
    /// checkpoints file is checked against).
    public func trustedCheckpointKeys() -> Set<[UInt8]> {
        Set(keys.ring.generations(of: KeyName.checkpointSigning).compactMap { SignedCheckpoint.publicKey(of: $0) })
    }

    /// Signs a checkpoint of the whole log now (Ed25519, key `checkpoint-signing-key` of the key
    /// file, made on first use) and appends it to `file`.
    ///
    /// Returns `nil` without writing when the log is empty or exactly as the file's newest
    /// checkpoint already says.
    ///
    /// - Throws: ``CheckpointError/inconsistent(path:reason:)`` when the log no longer extends the
    ///   newest checkpoint the file holds under this store's key (fewer records, or a different
    ///   history): signing then would bless the tampering; `audit verify` names it.
    @discardableResult
    public func signCheckpoint(to file: CheckpointFile, now: Date = Date()) async throws -> SignedCheckpoint? {
        let hashes = try await audit.hashes()
        guard !hashes.isEmpty else { return nil }
        let key = try keys.secret(named: KeyName.checkpointSigning)
        let trusted = trustedCheckpointKeys()
        let newest = try file.lines().compactMap(\.checkpoint)
            .filter { trusted.contains($0.publicKey) && $0.hasValidSignature }
            .max { $0.checkpoint.size < $1.checkpoint.size }
        var accumulator = MerkleTree.Accumulator()
        for hash in hashes {
            if let newest, accumulator.count == newest.checkpoint.size, accumulator.root != newest.checkpoint.root {
                throw CheckpointError.inconsistent(
                    path: file.path, reason: "records 1…\(newest.checkpoint.size) no longer hash to the newest signed checkpoint's root")
            }
            accumulator.append(leafHash: MerkleTree.leafHash(hash))
        }
        if let newest {
            guard newest.checkpoint.size <= accumulator.count else {
                throw CheckpointError.inconsistent(
                    path: file.path,
                    reason: "the log has \(accumulator.count) records but the newest signed checkpoint covers \(newest.checkpoint.size)")
            }
            if newest.checkpoint.size == accumulator.count {
                guard newest.checkpoint.root == accumulator.root else {
                    throw CheckpointError.inconsistent(
                        path: file.path, reason: "the log's \(accumulator.count) records no longer hash to the newest signed checkpoint's root")
                }
                return nil
            }
        }
        let signed = try SignedCheckpoint.sign(Checkpoint(size: accumulator.count, root: accumulator.root, time: now), with: key)
        try file.append(signed)
        return signed
    }
}

import Foundation
import Secrecy
import Testing

/// A log of `count` records (action `a<n>`, or `prefix<n>` for another history).
private func log(_ count: Int, prefix: String = "a") -> [AuditRecord] {
    let memory = InMemoryAuditLog()
    for i in 0..<count {
        _ = memory.append(AuditEntry(countermeasure: nil, action: "\(prefix)\(i)", actor: "test", subject: "-"))
    }
    return memory.records(from: 1)
}

private let signingKey = SecretKey(
    name: KeyName.checkpointSigning, id: "checkpoint-signing-key/1", created: Date(timeIntervalSince1970: 0),
    secret: (0..<32).map { UInt8($0) })

private func signed(_ records: [AuditRecord], size: Int, key: SecretKey = signingKey) throws -> SignedCheckpoint {
    try SignedCheckpoint.sign(
        Checkpoint(records: records.prefix(size), time: Date(timeIntervalSince1970: 1_795_737_600.123_4)), with: key)
}

private func lines(_ checkpoints: [SignedCheckpoint]) -> [CheckpointFile.Line] {
    checkpoints.enumerated().map { CheckpointFile.Line(number: $0.offset + 1, checkpoint: $0.element) }
}

@Suite struct SignedCheckpointTests {
    let trusted: Set<[UInt8]> = [SignedCheckpoint.publicKey(of: signingKey) ?? []]

    @Test func signatureRoundTripsThroughItsLine() throws {
        let checkpoint = try signed(log(5), size: 5)
        #expect(checkpoint.hasValidSignature)
        #expect(checkpoint.publicKey.count == 32 && checkpoint.signature.count == 64)
        let parsed = try #require(SignedCheckpoint(jsonLine: checkpoint.jsonLine))
        #expect(parsed == checkpoint)
        #expect(parsed.hasValidSignature)
        #expect(!checkpoint.jsonLine.contains("\n"))
        #expect(checkpoint.jsonLine.contains("\"time\":\"2026-11-27T00:00:00.123Z\""))
    }

    @Test func anyChangedFieldBreaksTheSignature() throws {
        let c = try signed(log(5), size: 5)
        let changed = [
            SignedCheckpoint(
                checkpoint: Checkpoint(size: 4, root: c.checkpoint.root, time: c.checkpoint.time), keyID: c.keyID, publicKey: c.publicKey,
                signature: c.signature),
            SignedCheckpoint(
                checkpoint: Checkpoint(size: 5, root: [UInt8](repeating: 1, count: 32), time: c.checkpoint.time), keyID: c.keyID,
                publicKey: c.publicKey, signature: c.signature),
            SignedCheckpoint(
                checkpoint: Checkpoint(size: 5, root: c.checkpoint.root, time: c.checkpoint.time.addingTimeInterval(1)), keyID: c.keyID,
                publicKey: c.publicKey, signature: c.signature),
            SignedCheckpoint(checkpoint: c.checkpoint, keyID: "other/1", publicKey: c.publicKey, signature: c.signature),
        ]
        for checkpoint in changed { #expect(!checkpoint.hasValidSignature) }
    }

    @Test func intactLogMatchesEveryCheckpoint() throws {
        let records = log(10)
        let result = AuditTail.verify(records, signed: lines([try signed(records, size: 3), try signed(records, size: 10)]), trustedKeys: trusted)
        #expect(result.status == .intact)
        #expect(result.checkpoint?.checkpoint.size == 10)
        #expect(result.checkpointsChecked == 2)
        #expect(AuditTail.verify(records, signed: [], trustedKeys: trusted).status == .intact)
    }

    @Test func missingTailIsTruncation() throws {
        let records = log(10)
        let result = AuditTail.verify(Array(records.prefix(8)), signed: lines([try signed(records, size: 10)]), trustedKeys: trusted)
        #expect(result.status == .truncated)
        #expect(result.reason?.contains("records 9…10") == true)
        #expect(result.checkpoint?.checkpoint.size == 10)
    }

    @Test func anEarlierSignedStateIsRollback() throws {
        let records = log(10)
        let result = AuditTail.verify(
            Array(records.prefix(6)), signed: lines([try signed(records, size: 6), try signed(records, size: 10)]), trustedKeys: trusted)
        #expect(result.status == .rolledBack)
        #expect(result.reason?.hasPrefix("rollback") == true)
    }

    @Test func anotherHistoryIsAFork() throws {
        let records = log(10)
        let other = Array(records.prefix(7)) + Array(log(10, prefix: "b").suffix(3))
        // The other history is re-chained from record 8 on, so the chain alone is fine.
        var rechained = Array(records.prefix(7))
        for record in other.suffix(3) { rechained.append(AuditChain.seal(record.entry, after: rechained.last)) }
        #expect(AuditChain.verify(rechained).isIntact)
        let result = AuditTail.verify(rechained, signed: lines([try signed(records, size: 5), try signed(records, size: 10)]), trustedKeys: trusted)
        #expect(result.status == .forked)
        #expect(result.reason?.contains("after record 5") == true)
        #expect(result.checkpoint?.checkpoint.size == 10)
    }

    @Test func badOrForeignSignaturesAreNamed() throws {
        let records = log(4)
        let good = try signed(records, size: 4)
        let forged = SignedCheckpoint(
            checkpoint: good.checkpoint, keyID: good.keyID, publicKey: good.publicKey, signature: Array(good.signature.reversed()))
        #expect(AuditTail.verify(records, signed: lines([good, forged]), trustedKeys: trusted).status == .badSignature)
        let stranger = SecretKey(
            name: KeyName.checkpointSigning, id: "checkpoint-signing-key/1", created: Date(), secret: [UInt8](repeating: 9, count: 32))
        let foreign = try signed(records, size: 4, key: stranger)
        #expect(foreign.hasValidSignature)
        let refused = AuditTail.verify(records, signed: lines([foreign]), trustedKeys: trusted)
        #expect(refused.status == .badSignature)
        #expect(refused.reason?.contains("not in the key file") == true)
        // Without pinned keys, the key each line carries is used.
        #expect(AuditTail.verify(records, signed: lines([foreign]), trustedKeys: nil).status == .intact)
        let malformed = AuditTail.verify(records, signed: [CheckpointFile.Line(number: 3, checkpoint: nil)], trustedKeys: trusted)
        #expect(malformed.status == .badSignature)
        #expect(malformed.reason?.contains("line 3") == true)
    }

    @Test func fileAppendsLinesAndReadsThemBack() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-checkpoints-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = CheckpointFile(path: path)
        #expect(try file.lines().isEmpty)
        let records = log(3)
        try file.append(try signed(records, size: 2))
        try file.append(try signed(records, size: 3))
        let read = try file.lines()
        #expect(read.map(\.number) == [1, 2])
        #expect(read.compactMap(\.checkpoint?.checkpoint.size) == [2, 3])
    }
}

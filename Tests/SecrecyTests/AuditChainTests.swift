import Foundation
import Secrecy
import Testing

/// A log of `count` entries, sealed in order.
private func chain(_ count: Int = 8) -> [AuditRecord] {
    let log = InMemoryAuditLog()
    for i in 1...count {
        _ = log.append(
            AuditEntry(
                time: Date(timeIntervalSince1970: 1_790_000_000 + Double(i) * 60), countermeasure: .infectedHostNotification,
                action: AuditEntry.Action.identification, actor: "service:attribution", subject: "sub:record\(i)",
                detail: ["address": "198.51.100.\(i)", "status": "found"]))
    }
    return log.records(from: 1)
}

/// `record` with its entry replaced, keeping the stored hashes (what an edit in the database does).
private func edited(_ record: AuditRecord, _ entry: AuditEntry) -> AuditRecord {
    AuditRecord(sequence: record.sequence, entry: entry, previousHash: record.previousHash, hash: record.hash)
}

private func entry(
    _ e: AuditEntry, time: Date? = nil, countermeasure: CountermeasureID?? = nil, action: String? = nil,
    actor: String? = nil, subject: String? = nil, detail: [String: String]? = nil
) -> AuditEntry {
    AuditEntry(
        time: time ?? e.time, countermeasure: countermeasure ?? e.countermeasure, action: action ?? e.action,
        actor: actor ?? e.actor, subject: subject ?? e.subject, detail: detail ?? e.detail)
}

private func expectBroken(
    _ verification: AuditVerification, at sequence: Int64, _ kind: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard case .broken(let found, let reason) = verification else {
        Issue.record("expected a break at \(sequence), got \(verification)", sourceLocation: sourceLocation)
        return
    }
    #expect(found == sequence, "\(reason)", sourceLocation: sourceLocation)
    #expect(reason.hasPrefix("\(kind):"), "\(reason)", sourceLocation: sourceLocation)
}

@Suite struct AuditChainTests {
    @Test func intactChainVerifies() throws {
        let records = chain()
        #expect(records.map(\.sequence) == Array(1...8))
        #expect(records[0].previousHash == [UInt8](repeating: 0, count: 32))
        for (a, b) in zip(records, records.dropFirst()) { #expect(b.previousHash == a.hash) }
        #expect(AuditChain.verify(records) == .intact(count: 8, head: records[7].hash))
        #expect(AuditChain.verify([]) == .intact(count: 0, head: AuditChain.genesisHash))
        #expect(AuditChain.verify(records[3...], after: records[2]) == .intact(count: 5, head: records[7].hash))
    }

    enum Field: String, CaseIterable, Sendable { case time, countermeasure, action, actor, subject, detailValue, detailKey, detailAdded }

    @Test(arguments: Field.allCases, [1, 4, 8])
    func editingAnyFieldIsDetected(field: Field, position: Int) {
        var records = chain()
        let original = records[position - 1].entry
        let changed: AuditEntry
        switch field {
        case .time: changed = entry(original, time: original.time.addingTimeInterval(0.001))
        case .countermeasure: changed = entry(original, countermeasure: .some(.cncTakedownNotification))
        case .action: changed = entry(original, action: "notice-sent")
        case .actor: changed = entry(original, actor: "cli")
        case .subject: changed = entry(original, subject: "sub:someone-else")
        case .detailValue: changed = entry(original, detail: ["address": "198.51.100.99", "status": "found"])
        case .detailKey: changed = entry(original, detail: ["addresses": "198.51.100.\(position)", "status": "found"])
        case .detailAdded: changed = entry(original, detail: original.detail.merging(["note": "x"]) { a, _ in a })
        }
        records[position - 1] = edited(records[position - 1], changed)
        expectBroken(AuditChain.verify(records), at: Int64(position), "edited")
    }

    @Test func removingTheCountermeasureIsDetected() {
        var records = chain()
        records[2] = edited(records[2], entry(records[2].entry, countermeasure: .some(nil)))
        expectBroken(AuditChain.verify(records), at: 3, "edited")
    }

    @Test func editingTheStoredHashesIsDetected() {
        var records = chain()
        let r = records[4]
        records[4] = AuditRecord(sequence: r.sequence, entry: r.entry, previousHash: r.previousHash, hash: [UInt8](repeating: 7, count: 32))
        expectBroken(AuditChain.verify(records), at: 5, "edited")
        records = chain()
        records[4] = AuditRecord(sequence: r.sequence, entry: r.entry, previousHash: [UInt8](repeating: 7, count: 32), hash: r.hash)
        expectBroken(AuditChain.verify(records), at: 5, "edited")
    }

    @Test(arguments: [1, 4, 7])
    func deletingARecordIsDetected(sequence: Int) {
        var records = chain()
        records.remove(at: sequence - 1)
        // The first record that fails is the one after the gap; the reason names the missing one.
        expectBroken(AuditChain.verify(records), at: Int64(sequence + 1), "deleted")
        guard case .broken(_, let reason) = AuditChain.verify(records) else { return }
        #expect(reason.contains("record \(sequence) is missing"))
    }

    @Test func deletingSeveralRecordsNamesTheFirstMissing() {
        var records = chain()
        records.removeSubrange(2..<5)
        guard case .broken(6, let reason) = AuditChain.verify(records) else {
            Issue.record("not detected at 6: \(AuditChain.verify(records))")
            return
        }
        #expect(reason == "deleted: records 3…5 are missing; record 2 is followed by record 6")
    }

    @Test func deletingAndResealingIsDetectedAtTheLink() {
        // A tamperer removes record 4 and re-seals record 5's entry as record 4 with a correct
        // own hash, but cannot make it link to record 3 without rewriting every later record.
        var records = chain()
        let entry5 = records[4].entry
        let resealed = AuditRecord(
            sequence: 4, entry: entry5, previousHash: records[3].hash,
            hash: AuditChain.hash(sequence: 4, previousHash: records[3].hash, entry: entry5))
        records.replaceSubrange(3...4, with: [resealed])
        expectBroken(AuditChain.verify(records), at: 4, "deleted")
    }

    @Test(arguments: [true, false])
    func insertingAForgedRecordIsDetected(beforeOriginal: Bool) {
        var records = chain()
        // Correct own hash and a plausible place: sealed after record 4, as record 5.
        let forged = AuditChain.seal(
            AuditEntry(countermeasure: .infectedHostNotification, action: "disclosure", actor: "operator:mallory", subject: "sub:victim"),
            after: records[3])
        records.insert(forged, at: beforeOriginal ? 4 : 5)
        expectBroken(AuditChain.verify(records), at: 5, "inserted")
    }

    @Test func insertingARecordWithAnUsedSequenceLaterIsDetected() {
        var records = chain()
        let forged = AuditChain.seal(AuditEntry(countermeasure: nil, action: "purge", actor: "cli", subject: "retention"), after: nil)
        records.insert(forged, at: 5)  // a second "record 1" after record 5
        expectBroken(AuditChain.verify(records), at: 6, "inserted")
    }

    @Test func insertingARecordWithAFutureSequenceIsDetected() {
        var records = chain()
        records.insert(records[6], at: 2)  // a copy of record 7 placed after record 2
        expectBroken(AuditChain.verify(records), at: 7, "inserted")
    }

    @Test func aSequenceBelowTheRangeIsInsertion() {
        var records = chain()
        records.insert(AuditRecord(sequence: 0, entry: records[0].entry, previousHash: AuditChain.genesisHash, hash: records[0].hash), at: 0)
        expectBroken(AuditChain.verify(records), at: 1, "inserted")
    }

    @Test(arguments: [1, 3, 7])
    func swappingTwoRecordsIsDetected(first: Int) {
        var records = chain()
        records.swapAt(first - 1, first)
        // Record first + 1 now stands first: it is the first record that fails.
        expectBroken(AuditChain.verify(records), at: Int64(first + 1), "reordered")
    }

    @Test func movingARecordToTheEndIsReordering() {
        var records = chain()
        let moved = records.remove(at: 2)
        records.append(moved)
        expectBroken(AuditChain.verify(records), at: 4, "reordered")
    }

    // MARK: tampering with the sequence numbers (as done with SQL on the stored rows)

    /// `record` relabelled as `sequence`, hashes unchanged.
    private func relabelled(_ record: AuditRecord, _ sequence: Int64) -> AuditRecord {
        AuditRecord(sequence: sequence, entry: record.entry, previousHash: record.previousHash, hash: record.hash)
    }

    @Test func swappingTwoRecordsSequenceNumbersIsReordering() {
        var records = chain()
        let (seven, eight) = (records[6], records[7])
        records[6] = relabelled(eight, 7)
        records[7] = relabelled(seven, 8)
        expectBroken(AuditChain.verify(records), at: 7, "reordered")
    }

    @Test func insertingACopyAndRenumberingIsInsertion() {
        var records = chain()
        let later = records[5...].map { relabelled($0, $0.sequence + 1) }
        records = Array(records[..<5]) + [relabelled(records[2], 6)] + later
        expectBroken(AuditChain.verify(records), at: 6, "inserted")
        guard case .broken(_, let reason) = AuditChain.verify(records) else { return }
        #expect(reason == "inserted: record 6 is a copy of record 3")
    }

    @Test func deletingAndRenumberingIsDeletion() {
        var records = chain()
        records = Array(records[..<3]) + records[4...].map { relabelled($0, $0.sequence - 1) }
        expectBroken(AuditChain.verify(records), at: 4, "deleted")
        guard case .broken(_, let reason) = AuditChain.verify(records) else { return }
        #expect(reason.contains("holds record 5's content"))
    }

    @Test func movingARecordLaterByRenumberingIsReordering() {
        var records = chain()
        // Record 3's row moved to the end as record 8; records 4…8 shifted down.
        records = Array(records[..<2]) + records[3...].map { relabelled($0, $0.sequence - 1) } + [relabelled(records[2], 8)]
        // At 3 stands record 4's content, and record 3's content comes later: swapped numbers.
        expectBroken(AuditChain.verify(records), at: 3, "reordered")
    }

    @Test func aSegmentMustContinueItsAnchor() {
        let records = chain()
        expectBroken(AuditChain.verify(records[4...], after: records[2]), at: 5, "deleted")
        let other = chain(3)
        expectBroken(
            AuditChain.verify(
                records[3...],
                after: AuditRecord(sequence: 3, entry: other[2].entry, previousHash: other[2].previousHash, hash: [UInt8](repeating: 1, count: 32))),
            at: 4, "deleted")
    }

    // MARK: the hash

    @Test func canonicalEncodingIsAsDocumented() {
        let e = AuditEntry(
            millisecondsSince1970: 0x0102, countermeasure: CountermeasureID("x"), action: "a", actor: "b", subject: "c",
            detail: ["z": "1", "y": "22"])
        var expected: [UInt8] = [0, 0, 0, 15] + Array("mamori-audit-v1".utf8)
        expected += [0, 0, 0, 0, 0, 0, 0, 2]  // sequence
        expected += [0, 0, 0, 32] + [UInt8](repeating: 0xAB, count: 32)  // previous hash
        expected += [0, 0, 0, 0, 0, 0, 1, 2]  // milliseconds
        expected += [1, 0, 0, 0, 1, UInt8(ascii: "x")]  // countermeasure present
        expected += [0, 0, 0, 1, UInt8(ascii: "a"), 0, 0, 0, 1, UInt8(ascii: "b"), 0, 0, 0, 1, UInt8(ascii: "c")]
        expected += [0, 0, 0, 2]  // two detail pairs, keys in byte order: y, z
        expected += [0, 0, 0, 1, UInt8(ascii: "y"), 0, 0, 0, 2, UInt8(ascii: "2"), UInt8(ascii: "2")]
        expected += [0, 0, 0, 1, UInt8(ascii: "z"), 0, 0, 0, 1, UInt8(ascii: "1")]
        #expect(AuditChain.canonicalBytes(sequence: 2, previousHash: [UInt8](repeating: 0xAB, count: 32), entry: e) == expected)
        let none = AuditEntry(millisecondsSince1970: 0, countermeasure: nil, action: "", actor: "", subject: "")
        let bytes = AuditChain.canonicalBytes(sequence: 1, previousHash: AuditChain.genesisHash, entry: none)
        #expect(bytes.count == 19 + 8 + 36 + 8 + 1 + 12 + 4)
        #expect(bytes[19 + 8 + 36 + 8] == 0)
    }

    @Test func fieldsAndDictionaryMakeTheSameEntry() {
        let detail = ["status": "found", "address": "198.51.100.7", "at": "2026-11-26T00:00:00Z", "port": "443"]
        let fromDictionary = AuditEntry(
            millisecondsSince1970: 7, countermeasure: .infectedHostNotification, action: "identification", actor: "a", subject: "s",
            detail: detail)
        let ordered = AuditEntry(
            millisecondsSince1970: 7, countermeasure: .infectedHostNotification, action: "identification", actor: "a", subject: "s",
            fields: [
                AuditField("address", "198.51.100.7"), AuditField("at", "2026-11-26T00:00:00Z"), AuditField("port", "443"),
                AuditField("status", "found"),
            ])
        let shuffled = AuditEntry(
            millisecondsSince1970: 7, countermeasure: .infectedHostNotification, action: "identification", actor: "a", subject: "s",
            fields: [
                AuditField("status", "lost"), AuditField("port", "443"), AuditField("address", "198.51.100.7"),
                AuditField("at", "2026-11-26T00:00:00Z"), AuditField("status", "found"),
            ])
        #expect(fromDictionary == ordered)
        #expect(shuffled == ordered)
        #expect(ordered.detail == detail)
        #expect(ordered.fields.map(\.key) == ["address", "at", "port", "status"])
        let hash = AuditChain.hash(sequence: 3, previousHash: AuditChain.genesisHash, entry: fromDictionary)
        #expect(AuditChain.hash(sequence: 3, previousHash: AuditChain.genesisHash, entry: shuffled) == hash)
        var buffer: [UInt8] = [1, 2, 3]
        let sealed = AuditChain.seal(ordered, sequence: 3, previousHash: AuditChain.genesisHash, buffer: &buffer)
        #expect(sealed.hash == hash)
        // A key added later lands in its place; one already there is kept.
        let keyed = ordered.adding("key", "k1")
        #expect(keyed.fields.map(\.key) == ["address", "at", "key", "port", "status"])
        #expect(keyed.adding("key", "k2").detail["key"] == "k1")
        #expect(
            keyed
                == AuditEntry(
                    millisecondsSince1970: 7, countermeasure: .infectedHostNotification, action: "identification", actor: "a", subject: "s",
                    detail: detail.merging(["key": "k1"]) { a, _ in a }))
    }

    @Test func knownAnswerHashPinsTheFormat() {
        // Changing the encoding breaks every stored log: this value must not change.
        let e = AuditEntry(
            millisecondsSince1970: 1_790_000_000_123, countermeasure: .infectedHostNotification, action: "identification",
            actor: "service:attribution", subject: "sub:aaaaaaaaaaaaaaaa", detail: ["status": "found", "address": "198.51.100.7"])
        let record = AuditChain.seal(e, after: nil)
        #expect(Hex.encode(record.hash) == Hex.encode(AuditChain.hash(sequence: 1, previousHash: AuditChain.genesisHash, entry: e)))
        #expect(Hex.encode(record.hash) == AuditChainTests.knownHash)
    }

    /// Recomputed independently (Python, struct + hashlib) from the documented encoding.
    static let knownHash = "8a42897d10b2d4636076f8ba4f108e65f02fa02b09ed278e592d34437e6d55b2"

    @Test func fieldBoundariesAreUnambiguous() {
        let a = AuditEntry(millisecondsSince1970: 0, countermeasure: nil, action: "ab", actor: "c", subject: "s")
        let b = AuditEntry(millisecondsSince1970: 0, countermeasure: nil, action: "a", actor: "bc", subject: "s")
        let c = AuditEntry(millisecondsSince1970: 0, countermeasure: nil, action: "a", actor: "b", subject: "cs")
        let d = AuditEntry(millisecondsSince1970: 0, countermeasure: nil, action: "a", actor: "b", subject: "s", detail: ["k": "v"])
        let e = AuditEntry(millisecondsSince1970: 0, countermeasure: nil, action: "a", actor: "b", subject: "s", detail: ["kv": ""])
        let f = AuditEntry(millisecondsSince1970: 0, countermeasure: CountermeasureID(""), action: "a", actor: "b", subject: "s")
        let g = AuditEntry(millisecondsSince1970: 0, countermeasure: nil, action: "a", actor: "b", subject: "s")
        let hashes = [a, b, c, d, e, f, g].map { AuditChain.hash(sequence: 1, previousHash: AuditChain.genesisHash, entry: $0) }
        #expect(Set(hashes).count == hashes.count)
    }

    @Test func timeIsKeptInWholeMilliseconds() throws {
        let e = AuditEntry(time: Date(timeIntervalSince1970: 1_790_000_000.123_456), countermeasure: nil, action: "a", actor: "b", subject: "c")
        #expect(e.millisecondsSince1970 == 1_790_000_000_123)
        // What a store does: persist milliseconds or seconds as a double, read back, verify.
        let record = AuditChain.seal(e, after: nil)
        let viaMilliseconds = AuditEntry(millisecondsSince1970: e.millisecondsSince1970, countermeasure: nil, action: "a", actor: "b", subject: "c")
        let viaSeconds = AuditEntry(
            time: Date(timeIntervalSince1970: e.time.timeIntervalSince1970), countermeasure: nil, action: "a", actor: "b", subject: "c")
        for back in [viaMilliseconds, viaSeconds] {
            #expect(back == e)
            #expect(AuditChain.verify([edited(record, back)]).isIntact)
        }
        // And through JSON.
        let decoded = try JSONDecoder().decode(AuditEntry.self, from: try JSONEncoder().encode(e))
        #expect(decoded == e)
        #expect(AuditChain.verify([edited(record, decoded)]).isIntact)
    }

    @Test func verificationDescribesItself() {
        let records = chain(2)
        #expect(AuditChain.verify(records).description.hasPrefix("intact: 2 records, head "))
        #expect(
            AuditChain.verify([records[1]]).description
                == "broken at record 2: deleted: record 1 is missing; the start of the log is followed by record 2")
    }

    // MARK: checkpoints

    @Test func checkpointsCatchTruncationAndRewrites() {
        let records = chain()
        let early = Checkpoint(records: records[..<3], time: Date(timeIntervalSince1970: 1))
        let full = Checkpoint(records: records, time: Date(timeIntervalSince1970: 2))
        #expect(full.size == 8)
        #expect(full.root == MerkleTree.root(leaves: records.map(\.hash)))
        #expect(AuditChain.verify(records, checkpoints: [full, early]) == .intact(count: 8, head: records[7].hash))

        // Dropping the tail: the chain alone is fine, the checkpoint is not.
        #expect(AuditChain.verify(records[..<6]).isIntact)
        expectBroken(AuditChain.verify(records[..<6], checkpoints: [early, full]), at: 7, "deleted")

        // Rewriting record 5 and re-sealing everything after it: a consistent chain, wrong root.
        var rewritten = Array(records[..<4])
        for record in records[4...] {
            let e = record.sequence == 5 ? entry(record.entry, subject: "sub:someone-else") : record.entry
            rewritten.append(AuditChain.seal(e, after: rewritten.last))
        }
        #expect(AuditChain.verify(rewritten).isIntact)
        expectBroken(AuditChain.verify(rewritten, checkpoints: [early, full]), at: 4, "rewritten")
        // Inner breaks are still reported first.
        var broken = records
        broken.swapAt(0, 1)
        expectBroken(AuditChain.verify(broken, checkpoints: [full]), at: 2, "reordered")
    }

    @Test func checkpointIsCodable() throws {
        let checkpoint = Checkpoint(records: chain(3), time: Date(timeIntervalSince1970: 1_790_000_000))
        #expect(try JSONDecoder().decode(Checkpoint.self, from: JSONEncoder().encode(checkpoint)) == checkpoint)
    }

    // MARK: the in-memory log

    @Test func inMemoryLogAppendsConcurrentlyIntoOneChain() async throws {
        let log = InMemoryAuditLog()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<50 {
                        _ = log.append(AuditEntry(countermeasure: nil, action: "page-view", actor: "service:portal", subject: "page#\(task)-\(i)"))
                    }
                }
            }
        }
        #expect(log.count == 400)
        let verification = try await log.verify()
        #expect(verification.isIntact)
        #expect(log.records(from: 391).map(\.sequence) == Array(391...400))
        let checkpoint = Checkpoint(records: log.records(from: 1))
        #expect(try await log.verify(checkpoints: [checkpoint]).isIntact)
    }

    @Test func inMemoryLogHoldsTamperedRecordsAsGiven() async throws {
        var records = chain(4)
        records.remove(at: 1)
        let log: any AuditLog = InMemoryAuditLog(records: records)
        expectBroken(try await log.verify(), at: 3, "deleted")
    }
}

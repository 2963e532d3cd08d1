public import Foundation

/// The audit log's hash chain: sealing entries into records, and verifying a sequence of
/// records to name the first one that was edited, deleted, inserted or moved.
///
/// ## The hash
///
/// `record.hash = SHA-256(canonical(sequence, previousHash, entry))`, where `canonical` is the
/// concatenation of, in this order:
///
/// | part | encoding |
/// |---|---|
/// | domain tag | `field("mamori-audit-v1")` |
/// | sequence | 8 bytes, big-endian two's complement |
/// | previousHash | `field(previousHash)` |
/// | time | 8 bytes, big-endian: whole milliseconds since 1970 (``AuditEntry/millisecondsSince1970``) |
/// | countermeasure | 1 byte `0` when absent; else 1 byte `1` then `field(id)` |
/// | action, actor, subject | `field(utf8)` each |
/// | detail | 4 bytes big-endian count, then per key in ascending order of its UTF-8 bytes: `field(key)`, `field(value)` |
///
/// `field(b)` is a 4-byte big-endian length followed by the bytes `b` (text: its UTF-8 bytes
/// as stored, not normalised). Every variable-length part is length-prefixed and the order is
/// fixed, so two different (sequence, previousHash, entry) triples never encode alike.
///
/// Record 1's `previousHash` is ``genesisHash`` (32 zero bytes).
///
/// ## What verification can and cannot see
///
/// A chain alone detects any change *inside* the log. It cannot detect the removal of the last
/// records or a wholesale rewrite by someone who recomputes every hash: compare against
/// ``Checkpoint``s kept outside the database (``verify(_:checkpoints:)``).
public enum AuditChain {
    /// The `previousHash` of record 1: 32 zero bytes.
    public static let genesisHash = [UInt8](repeating: 0, count: Digest.byteCount)

    private static let domainTag = Array("mamori-audit-v1".utf8)

    /// The canonical bytes the record hash covers (see the table above).
    public static func canonicalBytes(sequence: Int64, previousHash: [UInt8], entry: AuditEntry) -> [UInt8] {
        var out: [UInt8] = []
        canonicalBytes(sequence: sequence, previousHash: previousHash, entry: entry, into: &out)
        return out
    }

    /// Writes the canonical bytes into `out` (emptied first, its capacity kept: a caller sealing
    /// many records reuses one buffer).
    public static func canonicalBytes(sequence: Int64, previousHash: [UInt8], entry: AuditEntry, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(128 + entry.subject.utf8.count + entry.fields.count * 48)
        func integer<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
        }
        func field(_ bytes: some Collection<UInt8>) {
            integer(UInt32(truncatingIfNeeded: bytes.count))
            out.append(contentsOf: bytes)
        }
        func text(_ string: String) {
            var string = string
            string.withUTF8 { field($0) }
        }
        field(domainTag)
        integer(sequence)
        field(previousHash)
        integer(entry.millisecondsSince1970)
        if let countermeasure = entry.countermeasure {
            out.append(1)
            text(countermeasure.rawValue)
        } else {
            out.append(0)
        }
        text(entry.action)
        text(entry.actor)
        text(entry.subject)
        // The fields are kept in ascending order of their keys' UTF-8 bytes, each key once.
        integer(UInt32(truncatingIfNeeded: entry.fields.count))
        for f in entry.fields {
            text(f.key)
            text(f.value)
        }
    }

    /// The hash a record with these fields must carry.
    public static func hash(sequence: Int64, previousHash: [UInt8], entry: AuditEntry) -> [UInt8] {
        Digest.sha256(canonicalBytes(sequence: sequence, previousHash: previousHash, entry: entry))
    }

    /// Seals `entry` after a record with `sequence - 1` and `previousHash`, using `buffer` for
    /// the canonical bytes (for a store sealing a batch of records).
    public static func seal(_ entry: AuditEntry, sequence: Int64, previousHash: [UInt8], buffer: inout [UInt8]) -> AuditRecord {
        canonicalBytes(sequence: sequence, previousHash: previousHash, entry: entry, into: &buffer)
        return AuditRecord(sequence: sequence, entry: entry, previousHash: previousHash, hash: Digest.sha256(buffer))
    }

    /// Seals `entry` as the record after `previous` (or as record 1 when `previous` is `nil`).
    ///
    /// A store appends atomically: read its last record, seal, insert, in one transaction.
    public static func seal(_ entry: AuditEntry, after previous: AuditRecord?) -> AuditRecord {
        let sequence = (previous?.sequence ?? 0) + 1
        let previousHash = previous?.hash ?? genesisHash
        return AuditRecord(
            sequence: sequence, entry: entry, previousHash: previousHash,
            hash: hash(sequence: sequence, previousHash: previousHash, entry: entry))
    }

    /// Verifies a whole log, from record 1.
    ///
    /// Returns ``AuditVerification/intact(count:head:)`` or the first record, in log order, that
    /// fails; every record before it is intact. The reported sequence is the one that record
    /// carries (for a record carrying a number an earlier record already has: the number it
    /// should carry at its place). The reason starts with what was found:
    ///
    /// - `edited:` a record's content no longer matches its hash;
    /// - `deleted:` a sequence number is missing before this record, the record does not link
    ///   to the one before it, or it holds a later record's content (records were removed and
    ///   the rest renumbered);
    /// - `inserted:` a sequence number appears twice, an already-used one appears again, or the
    ///   record is a copy of an earlier one;
    /// - `reordered:` a later record stands where an earlier one should be, or two records'
    ///   sequence numbers were swapped.
    public static func verify(_ records: some Sequence<AuditRecord>) -> AuditVerification {
        verify(records, after: nil)
    }

    /// Verifies a segment of the log that continues after `anchor` (a record already verified),
    /// e.g. the records appended since the last verification; `nil` means from record 1.
    public static func verify(_ records: some Sequence<AuditRecord>, after anchor: AuditRecord?) -> AuditVerification {
        let list = Array(records)
        let start = (anchor?.sequence ?? 0) + 1
        var expected = start
        var previousHash = anchor?.hash ?? genesisHash
        var positions: [Int64: [Int]] = [:]
        for (index, record) in list.enumerated() { positions[record.sequence, default: []].append(index) }

        for (index, record) in list.enumerated() {
            let sequence = record.sequence
            if sequence < expected, positions[sequence]?.first == index {
                return .broken(
                    sequence: expected,
                    reason: "inserted: a record carrying sequence \(sequence), out of the log's range, stands where record \(expected) should be")
            }
            if sequence < expected {
                return .broken(
                    sequence: expected,
                    reason: "inserted: after record \(expected - 1) comes a record carrying sequence \(sequence), which an earlier record already has"
                )
            }
            if sequence > expected {
                let expectedLater = positions[expected]?.contains { $0 > index } ?? false
                let repeated = (positions[sequence]?.count ?? 0) > 1
                if expectedLater && repeated {
                    return .broken(
                        sequence: sequence,
                        reason:
                            "inserted: a record carrying sequence \(sequence), which appears again later, stands where record \(expected) should be")
                }
                if expectedLater {
                    return .broken(
                        sequence: sequence,
                        reason: "reordered: record \(sequence) stands where record \(expected) should be; record \(expected) comes later")
                }
                let missing = sequence == expected + 1 ? "record \(expected) is missing" : "records \(expected)…\(sequence - 1) are missing"
                let before = expected > 1 ? "record \(expected - 1)" : "the start of the log"
                return .broken(sequence: sequence, reason: "deleted: \(missing); \(before) is followed by record \(sequence)")
            }
            if index + 1 < list.count, list[index + 1].sequence == sequence {
                return .broken(sequence: sequence, reason: "inserted: two records in a row carry sequence \(sequence)")
            }
            if !isGenuine(record, as: sequence) {
                return .broken(sequence: sequence, reason: hashMismatch(list, at: index, range: start...(start + Int64(list.count))))
            }
            if record.previousHash != previousHash {
                let predecessor = sequence > 1 ? "record \(sequence - 1)'s hash" : "the genesis hash"
                return .broken(
                    sequence: sequence,
                    reason:
                        "deleted: record \(sequence) does not link to the record before it: its previous hash is not \(predecessor) (a record was replaced or records were removed)"
                )
            }
            expected = sequence + 1
            previousHash = record.hash
        }
        return .intact(count: list.count, head: previousHash)
    }

    /// Whether `record`'s hash is that of its content sealed as record `sequence`.
    private static func isGenuine(_ record: AuditRecord, as sequence: Int64) -> Bool {
        hash(sequence: sequence, previousHash: record.previousHash, entry: record.entry) == record.hash
    }

    /// The reason for a record whose content does not match its hash: a plain edit, or a
    /// genuine record under a changed sequence number (swapped, copied, or renumbered).
    private static func hashMismatch(_ list: [AuditRecord], at index: Int, range: ClosedRange<Int64>) -> String {
        let record = list[index]
        let sequence = record.sequence
        guard let genuine = range.first(where: { $0 != sequence && isGenuine(record, as: $0) }) else {
            return "edited: record \(sequence)'s content does not match its hash"
        }
        if genuine < sequence {
            let original = list.contains { $0.sequence == genuine && isGenuine($0, as: genuine) }
            return original
                ? "inserted: record \(sequence) is a copy of record \(genuine)"
                : "reordered: record \(sequence) holds record \(genuine)'s content (its sequence number was changed)"
        }
        if list[(index + 1)...].contains(where: { isGenuine($0, as: sequence) }) {
            return
                "reordered: record \(sequence) holds record \(genuine)'s content and record \(sequence)'s comes later (sequence numbers were swapped)"
        }
        return "deleted: record \(sequence) holds record \(genuine)'s content: records were removed and the rest renumbered"
    }

    /// Verifies a whole log, then checks it against checkpoints taken earlier: the Merkle root
    /// (``MerkleTree``, leaves = record hashes) of the first `size` records must equal each
    /// checkpoint's root.
    ///
    /// This catches what a chain alone cannot: the removal of the last records (`deleted:`) and
    /// a rewrite that recomputed every hash (`rewritten:`; the reported sequence is the first
    /// record after the last checkpoint that still matches).
    public static func verify(_ records: some Sequence<AuditRecord>, checkpoints: [Checkpoint]) -> AuditVerification {
        let list = Array(records)
        let chain = verify(list)
        guard case .intact = chain else { return chain }
        var accumulator = MerkleTree.Accumulator()
        var lastGood: Int64 = 0
        for checkpoint in checkpoints.sorted(by: { $0.size < $1.size }) {
            guard checkpoint.size <= Int64(list.count) else {
                return .broken(
                    sequence: Int64(list.count) + 1,
                    reason: "deleted: the checkpoint of \(checkpoint.time) covers \(checkpoint.size) records but the log has only \(list.count)")
            }
            while accumulator.count < checkpoint.size { accumulator.append(leafHash: MerkleTree.leafHash(list[Int(accumulator.count)].hash)) }
            guard accumulator.root == checkpoint.root else {
                return .broken(
                    sequence: lastGood + 1,
                    reason: "rewritten: records 1…\(checkpoint.size) do not hash to the root of the checkpoint of \(checkpoint.time)")
            }
            lastGood = checkpoint.size
        }
        return chain
    }
}

/// The outcome of verifying audit records.
public enum AuditVerification: Sendable, Hashable, CustomStringConvertible {
    /// Every record is in place; `head` is the last record's hash (the genesis hash when empty).
    case intact(count: Int, head: [UInt8])
    /// The first place the log breaks; records before `sequence` are intact.
    case broken(sequence: Int64, reason: String)

    /// Whether the log is intact.
    public var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .intact(let count, let head): "intact: \(count) records, head \(Hex.encode(head))"
        case .broken(let sequence, let reason): "broken at record \(sequence): \(reason)"
        }
    }
}

/// A record of the log's state at a moment: its size and the Merkle root of its record hashes.
///
/// Keep checkpoints outside the database (a file the legal team holds, another host): then a
/// rewritten or truncated log no longer matches them.
public struct Checkpoint: Sendable, Hashable, Codable {
    /// The number of records covered (records 1…size).
    public let size: Int64
    /// ``MerkleTree/root(leafHashes:)`` of `MerkleTree.leafHash(record.hash)` for those records.
    public let root: [UInt8]
    /// When the checkpoint was taken.
    public let time: Date

    /// A checkpoint as stored.
    public init(size: Int64, root: [UInt8], time: Date) {
        self.size = size
        self.root = root
        self.time = time
    }

    /// The checkpoint of `records` (records 1…n, in order).
    public init(records: some Sequence<AuditRecord>, time: Date = Date()) {
        var accumulator = MerkleTree.Accumulator()
        for record in records { accumulator.append(leafHash: MerkleTree.leafHash(record.hash)) }
        self.init(size: accumulator.count, root: accumulator.root, time: time)
    }
}

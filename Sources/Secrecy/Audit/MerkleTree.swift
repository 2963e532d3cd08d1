/// RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, proofs and their verification.
///
/// - leaf hash: `SHA-256(0x00 || leaf)`; node hash: `SHA-256(0x01 || left || right)`;
/// - the root of n > 1 leaves splits at k, the largest power of two below n:
///   `node(MTH(leaves[0..<k]), MTH(leaves[k..<n]))`; the empty tree's root is `SHA-256("")`.
///
/// The audit log's leaves are its record hashes: `leafHash(record.hash)`. With a root per
/// ``Checkpoint``, an inclusion proof shows that a record is in a checkpointed log, and a
/// consistency proof that a later checkpoint extends an earlier one.
///
/// The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 with the policy of the
/// transparency-dev/merkle verifier: consistency needs `0 < oldSize <= newSize`; equal sizes
/// are consistent iff the proof is empty and the roots are byte-equal; otherwise every hash must
/// be exactly 32 bytes.
public enum MerkleTree {
    /// `SHA-256(0x00 || leaf)`.
    public static func leafHash(_ leaf: some Collection<UInt8>) -> [UInt8] {
        Digest.sha256([0x00] + Array(leaf))
    }

    /// `SHA-256(0x01 || left || right)`.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x01]
        bytes.reserveCapacity(1 + left.count + right.count)
        bytes.append(contentsOf: left)
        bytes.append(contentsOf: right)
        return Digest.sha256(bytes)
    }

    /// The root of the tree whose leaves are `leaves` (leaf data, hashed with ``leafHash(_:)``).
    public static func root(leaves: [[UInt8]]) -> [UInt8] { root(leafHashes: leaves.map { leafHash($0) }) }

    /// The root of the tree whose leaf hashes are `leafHashes`.
    public static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        var accumulator = Accumulator()
        for hash in leafHashes { accumulator.append(leafHash: hash) }
        return accumulator.root
    }

    /// The inclusion proof (audit path) of leaf `index` in the tree of `leafHashes` (RFC 9162 §2.1.3.1).
    public static func inclusionProof(index: Int, leafHashes: [[UInt8]]) -> [[UInt8]] {
        precondition(index >= 0 && index < leafHashes.count, "leaf index out of range")
        return path(index, leafHashes[...])
    }

    /// The consistency proof from the tree of the first `oldSize` leaves to the tree of all
    /// `leafHashes` (RFC 9162 §2.1.4.1).
    public static func consistencyProof(oldSize: Int, leafHashes: [[UInt8]]) -> [[UInt8]] {
        precondition(oldSize > 0 && oldSize <= leafHashes.count, "old size out of range")
        return subproof(oldSize, leafHashes[...], complete: true)
    }

    /// Whether `proof` shows that `leafHash` is leaf `index` of the tree of `treeSize` leaves with `root`.
    public static func verifyInclusion(leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index < treeSize, leafHash.count == 32, root.count == 32, proof.allSatisfy({ $0.count == 32 }) else { return false }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Whether `proof` shows that the tree of `newSize` leaves with `newRoot` extends the tree of
    /// `oldSize` leaves with `oldRoot`.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]) -> Bool {
        guard oldSize > 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        guard oldRoot.count == 32, newRoot.count == 32, !proof.isEmpty, proof.allSatisfy({ $0.count == 32 }) else { return false }
        var path = proof[...]
        if oldSize & (oldSize - 1) == 0 { path = [oldRoot] + proof }  // a power of two: the old root is a node of the path
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        guard let first = path.first else { return false }
        var fr = first
        var sr = first
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == oldRoot && sr == newRoot
    }

    /// Appends leaf hashes one at a time and gives the root of the leaves so far, in O(log n)
    /// memory (a "compact range": the roots of the perfect subtrees, largest first).
    ///
    /// A store can keep one to make checkpoints without reading the whole log again.
    public struct Accumulator: Sendable, Hashable {
        /// Roots of the perfect subtrees covering the leaves, largest first, with their sizes.
        private var subtrees: [(size: Int64, hash: [UInt8])] = []
        /// The number of leaves appended.
        public private(set) var count: Int64 = 0

        /// An empty tree.
        public init() {}

        /// Appends one leaf hash.
        public mutating func append(leafHash: [UInt8]) {
            var node = (size: Int64(1), hash: leafHash)
            while let last = subtrees.last, last.size == node.size {
                subtrees.removeLast()
                node = (last.size * 2, MerkleTree.nodeHash(last.hash, node.hash))
            }
            subtrees.append(node)
            count += 1
        }

        /// The root of the leaves appended so far (`SHA-256("")` when none).
        public var root: [UInt8] {
            guard var result = subtrees.last?.hash else { return Digest.sha256([UInt8]()) }
            for subtree in subtrees.dropLast().reversed() { result = MerkleTree.nodeHash(subtree.hash, result) }
            return result
        }

        public static func == (lhs: Accumulator, rhs: Accumulator) -> Bool {
            lhs.count == rhs.count && lhs.subtrees.map(\.hash) == rhs.subtrees.map(\.hash)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(count)
            for subtree in subtrees { hasher.combine(subtree.hash) }
        }
    }

    // MARK: proof construction (RFC 9162 §2.1.3.1, §2.1.4.1)

    private static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    private static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard leaves.count > 1 else { return [] }
        let k = largestPowerOfTwo(below: leaves.count)
        let split = leaves.startIndex + k
        if m < k {
            return path(m, leaves[..<split]) + [root(leafHashes: Array(leaves[split...]))]
        }
        return path(m - k, leaves[split...]) + [root(leafHashes: Array(leaves[..<split]))]
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, complete: Bool) -> [[UInt8]] {
        if m == leaves.count { return complete ? [] : [root(leafHashes: Array(leaves))] }
        let k = largestPowerOfTwo(below: leaves.count)
        let split = leaves.startIndex + k
        if m <= k {
            return subproof(m, leaves[..<split], complete: complete) + [root(leafHashes: Array(leaves[split...]))]
        }
        return subproof(m - k, leaves[split...], complete: false) + [root(leafHashes: Array(leaves[..<split]))]
    }
}

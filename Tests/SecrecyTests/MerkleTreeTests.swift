import Foundation
import MamoriTesting
import Secrecy
import Testing

/// The RFC 6962/9162 reference tree of `merkle-rfc9162-tree.txt`.
private struct ReferenceTree {
    var leaves: [[UInt8]] = []
    var roots: [Int: [UInt8]] = [:]
    var empty: [UInt8] = []

    init?(_ text: String) {
        var section = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# empty ") {
                empty = Hex.decode(line.dropFirst("# empty ".count)) ?? []
                continue
            }
            if line.hasPrefix("#") { continue }
            if line == "leaves" || line == "roots" {
                section = String(line)
                continue
            }
            let parts = line.split(separator: " ")
            guard parts.count == 2, let index = Int(parts[0]) else { return nil }
            if section == "leaves" {
                guard index == leaves.count else { return nil }
                leaves.append(parts[1] == "-" ? [] : (Hex.decode(parts[1]) ?? []))
            } else {
                roots[index] = Hex.decode(parts[1])
            }
        }
    }
}

/// One line of `merkle-rfc9162-proofs.jsonl`.
struct ProofCase: Decodable, Sendable, CustomTestStringConvertible {
    let `case`: String
    let leafIdx: UInt64?
    let treeSize: UInt64?
    let root: String?
    let leafHash: String?
    let size1: UInt64?
    let size2: UInt64?
    let root1: String?
    let root2: String?
    let proof: [String]?
    let wantErr: Bool

    var testDescription: String { self.case }

    static func bytes(_ base64: String?) -> [UInt8] {
        guard let base64, let data = Data(base64Encoded: base64) else { return [] }
        return [UInt8](data)
    }
}

let proofCases: [ProofCase] = {
    guard let url = TestPaths.privacyCorpus("merkle-rfc9162-proofs.jsonl"), let text = try? String(contentsOf: url, encoding: .utf8) else {
        return []
    }
    return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(ProofCase.self, from: Data($0.utf8)) }
}()

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct MerkleTreeTests {
    @Test func referenceRootsForEverySize() throws {
        let tree = try #require(TestPaths.readCorpus("merkle-rfc9162-tree.txt").flatMap(ReferenceTree.init))
        #expect(tree.leaves.count == 8)
        #expect(tree.roots.count == 8)
        #expect(MerkleTree.root(leaves: []) == tree.empty)
        for size in 1...8 {
            #expect(MerkleTree.root(leaves: Array(tree.leaves[..<size])) == tree.roots[size], "size \(size)")
        }
    }

    @Test func allCorpusProofCasesAreLoaded() {
        #expect(proofCases.count == 196)
        #expect(proofCases.filter { $0.case.hasPrefix("inclusion/") }.count > 50)
        #expect(proofCases.filter { $0.case.hasPrefix("consistency/") }.count > 50)
    }

    @Test(arguments: proofCases)
    func corpusProof(_ c: ProofCase) {
        let proof = (c.proof ?? []).map { ProofCase.bytes($0) }
        let valid: Bool
        if c.case.hasPrefix("inclusion/") {
            valid = MerkleTree.verifyInclusion(
                leafHash: ProofCase.bytes(c.leafHash), index: c.leafIdx ?? 0, treeSize: c.treeSize ?? 0, proof: proof,
                root: ProofCase.bytes(c.root))
        } else {
            valid = MerkleTree.verifyConsistency(
                oldSize: c.size1 ?? 0, newSize: c.size2 ?? 0, oldRoot: ProofCase.bytes(c.root1), newRoot: ProofCase.bytes(c.root2),
                proof: proof)
        }
        #expect(valid == !c.wantErr, "\(c.case)")
    }

    @Test func generatedProofsMatchTheCorpusHappyPaths() throws {
        let tree = try #require(TestPaths.readCorpus("merkle-rfc9162-tree.txt").flatMap(ReferenceTree.init))
        let hashes = tree.leaves.map { MerkleTree.leafHash($0) }
        var compared = 0
        for c in proofCases where c.case.hasSuffix("/happy-path") {
            let proof = (c.proof ?? []).map { ProofCase.bytes($0) }
            if let index = c.leafIdx, let size = c.treeSize {
                #expect(MerkleTree.inclusionProof(index: Int(index), leafHashes: Array(hashes[..<Int(size)])) == proof, "\(c.case)")
            } else if let size1 = c.size1, let size2 = c.size2 {
                #expect(MerkleTree.consistencyProof(oldSize: Int(size1), leafHashes: Array(hashes[..<Int(size2)])) == proof, "\(c.case)")
            }
            compared += 1
        }
        #expect(compared == proofCases.filter { $0.case.hasSuffix("/happy-path") }.count && compared >= 10)
    }

    @Test func generatedProofsVerifyForManySizes() {
        let hashes = (0..<40).map { MerkleTree.leafHash([UInt8($0)]) }
        for size in 1...hashes.count {
            let leaves = Array(hashes[..<size])
            let root = MerkleTree.root(leafHashes: leaves)
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, leafHashes: leaves)
                #expect(MerkleTree.verifyInclusion(leafHash: leaves[index], index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root))
                #expect(
                    !MerkleTree.verifyInclusion(
                        leafHash: leaves[(index + 1) % size], index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root) || size == 1)
            }
            for old in 1...size {
                let proof = MerkleTree.consistencyProof(oldSize: old, leafHashes: leaves)
                let oldRoot = MerkleTree.root(leafHashes: Array(leaves[..<old]))
                #expect(MerkleTree.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size), oldRoot: oldRoot, newRoot: root, proof: proof))
                if old < size {
                    #expect(!MerkleTree.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size), oldRoot: root, newRoot: root, proof: proof))
                }
            }
        }
    }

    @Test func accumulatorMatchesTheRecursiveDefinition() {
        func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
            if leaves.isEmpty { return Digest.sha256([UInt8]()) }
            if leaves.count == 1 { return leaves.first! }
            var k = 1
            while k << 1 < leaves.count { k <<= 1 }
            let split = leaves.startIndex + k
            return MerkleTree.nodeHash(mth(leaves[..<split]), mth(leaves[split...]))
        }
        var accumulator = MerkleTree.Accumulator()
        var hashes: [[UInt8]] = []
        #expect(accumulator.root == mth([]))
        for i in 0..<70 {
            let leaf = MerkleTree.leafHash(Array("leaf \(i)".utf8))
            hashes.append(leaf)
            accumulator.append(leafHash: leaf)
            #expect(accumulator.count == Int64(i + 1))
            #expect(accumulator.root == mth(hashes[...]), "size \(i + 1)")
        }
    }
}

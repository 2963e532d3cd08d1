import Foundation
import Secrecy
import Testing

@Suite struct DigestTests {
    @Test func sha256KnownAnswers() {
        #expect(Hex.encode(Digest.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(Digest.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hmacSHA256KnownAnswer() {
        // RFC 4231 test case 2.
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hexRoundTrips() {
        #expect(Hex.decode("00ffA0") == [0x00, 0xFF, 0xA0])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.encode([0xDE, 0xAD, 0xBE, 0xEF]) == "deadbeef")
    }

    @Test func randomBytesDiffer() throws {
        let a = try Digest.randomBytes(count: 32)
        #expect(a.count == 32)
        #expect(try Digest.randomBytes(count: 32) != a)
    }
}

@Suite struct StreamingDigestTests {
    @Test func fileDigestEqualsOneShotDigestAcrossChunkBoundaries() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-digest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = (0..<((1 << 20) * 2 + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(bytes).write(to: url)
        #expect(try Digest.sha256(contentsOf: url) == Digest.sha256(bytes))
        let empty = url.appendingPathExtension("empty")
        defer { try? FileManager.default.removeItem(at: empty) }
        try Data().write(to: empty)
        #expect(Hex.encode(try Digest.sha256(contentsOf: empty)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(throws: (any Error).self) { try Digest.sha256(contentsOf: url.appendingPathExtension("missing")) }
    }
}

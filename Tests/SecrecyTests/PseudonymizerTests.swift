import Addressing
import Foundation
import Testing

@testable import Secrecy

@Suite struct PseudonymizerTests {
    let secret = (0..<32).map { UInt8($0) }
    let otherSecret = (0..<32).map { UInt8(255 - $0) }

    @Test func subscriberPseudonymsAreStableAndShaped() throws {
        let p = try Pseudonymizer(key: secret)
        let q = try Pseudonymizer(key: secret)
        let pseudonym = p.pseudonym(subscriber: "C-000123")
        #expect(pseudonym == q.pseudonym(subscriber: "C-000123"))
        #expect(pseudonym.hasPrefix("sub:"))
        #expect(pseudonym.count == 4 + 16)
        #expect(pseudonym.dropFirst(4).allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
        #expect(!pseudonym.contains("000123"))
        #expect(p.pseudonym(subscriber: "C-000124") != pseudonym)
        // HMAC-SHA-256 under the derived key, first 80 bits, base32.
        let mac = Digest.hmacSHA256(key: Pseudonymizer.subscriberKey(from: secret), Array("C-000123".utf8))
        #expect(pseudonym == "sub:" + Pseudonymizer.base32(mac.prefix(10)))
    }

    @Test func differentKeysGiveUnrelatedPseudonyms() throws {
        let p = try Pseudonymizer(key: secret)
        let q = try Pseudonymizer(key: otherSecret)
        #expect(p.pseudonym(subscriber: "C-000123") != q.pseudonym(subscriber: "C-000123"))
        let address = try #require(IPAddress("192.0.2.77"))
        #expect(p.pseudonym(address: address) != q.pseudonym(address: address))
    }

    @Test func oneSecretServesTwoSeparateKeys() {
        let subscriberKey = Pseudonymizer.subscriberKey(from: secret)
        let cryptoPAnKey = Pseudonymizer.cryptoPAnKey(from: secret)
        #expect(subscriberKey.count == 32 && cryptoPAnKey.count == 32)
        #expect(subscriberKey != cryptoPAnKey)
        #expect(subscriberKey != secret && cryptoPAnKey != secret)
        #expect(Pseudonymizer.subscriberKey(from: otherSecret) != subscriberKey)
    }

    @Test func addressPseudonymsAreCryptoPAnUnderTheDerivedKey() throws {
        let p = try Pseudonymizer(key: secret)
        let reference = try CryptoPAn(key: Pseudonymizer.cryptoPAnKey(from: secret))
        for text in ["192.0.2.1", "192.0.2.200", "10.1.2.3", "2001:db8::1", "2001:db8:0:1::42"] {
            let address = try #require(IPAddress(text))
            let pseudonym = p.pseudonym(address: address)
            #expect(pseudonym == reference.anonymize(address))
            #expect(pseudonym.family == address.family)
            #expect(pseudonym == p.pseudonym(address: address))
        }
    }

    @Test func addressPseudonymsPreservePrefixes() throws {
        let p = try Pseudonymizer(key: secret)
        let a = p.pseudonym(address: try #require(IPAddress("198.51.100.7")))
        let b = p.pseudonym(address: try #require(IPAddress("198.51.100.200")))
        let c = p.pseudonym(address: try #require(IPAddress("203.0.113.7")))
        #expect(a.value >> 8 == b.value >> 8)
        #expect(a.value >> 24 != c.value >> 24 || a.value >> 8 != c.value >> 8)
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func wrongKeyLengthIsRefusedWithoutTheKey(length: Int) {
        let key = [UInt8](repeating: 0x5A, count: length)
        let error = #expect(throws: PseudonymizerError.self) { try Pseudonymizer(key: key) }
        #expect(error == .keyLength(length))
        #expect(error?.description == "the pseudonymisation secret must be 32 bytes, got \(length)")
    }

    @Test func theKeyNeverShows() throws {
        let p = try Pseudonymizer(key: secret)
        var dumped = ""
        dump(p, to: &dumped)
        let keys = [secret, Pseudonymizer.subscriberKey(from: secret), Pseudonymizer.cryptoPAnKey(from: secret)].map { Hex.encode($0) }
        for shown in ["\(p)", String(reflecting: p), dumped] {
            #expect(shown.contains("redacted"))
            for key in keys { #expect(!shown.contains(key) && !shown.contains(key.prefix(8))) }
            #expect(!shown.contains("0, 1, 2, 3"))
        }
    }

    @Test func generatedKeysWork() throws {
        let key = try Pseudonymizer.generateKey()
        #expect(key.count == 32)
        #expect(try Pseudonymizer.generateKey() != key)
        _ = try Pseudonymizer(key: key).pseudonym(subscriber: "x")
    }

    @Test func base32FollowsRFC4648() {
        // RFC 4648 §10 test vectors, lowercase, no padding.
        for (input, output) in [
            ("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"), ("fooba", "mzxw6ytb"), ("foobar", "mzxw6ytboi"),
        ] {
            #expect(Pseudonymizer.base32(Array(input.utf8)) == output)
        }
    }
}

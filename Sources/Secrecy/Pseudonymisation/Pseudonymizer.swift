public import Addressing

/// Keyed pseudonyms for the identifiers Mamori must never show or log in clear: subscriber ids
/// (and other opaque references) and IP addresses.
///
/// One 32-byte secret serves both, through two keys derived from it with HMAC-SHA-256 under
/// distinct labels, so that neither pseudonym leaks the other's key:
///
/// - subscribers: `"sub:"` + the first 80 bits of `HMAC-SHA-256(K_sub, UTF-8(id))` in lowercase
///   base32 (RFC 4648 alphabet, no padding): 16 characters, stable for a key, not reversible;
/// - addresses: Crypto-PAn with `K_pan` (prefix-preserving: addresses sharing a k-bit prefix
///   get pseudonyms sharing a k-bit prefix), reversible only with the key.
///
/// `K_sub = HMAC-SHA-256(secret, "mamori/pseudonym/v1/subscriber")`,
/// `K_pan = HMAC-SHA-256(secret, "mamori/pseudonym/v1/crypto-pan")` (16 bytes AES key + 16 bytes pad).
///
/// The keys are never in `description`, `debugDescription`, a mirror or an error.
///
/// ```swift
/// let p = try Pseudonymizer(key: secret)
/// p.pseudonym(subscriber: "C-000123")         // "sub:k3v7…" (16 base32 characters)
/// p.pseudonym(address: IPAddress("192.0.2.7")!)  // another IPv4 address, same for the same key
/// ```
public struct Pseudonymizer: Sendable {
    /// The length of the secret, in bytes.
    public static let keyLength = 32

    private let subscriberKey: [UInt8]
    private let addresses: CryptoPAn

    static let subscriberLabel = Array("mamori/pseudonym/v1/subscriber".utf8)
    static let cryptoPAnLabel = Array("mamori/pseudonym/v1/crypto-pan".utf8)

    /// A pseudonymiser keyed by a 32-byte secret.
    ///
    /// - Throws: ``PseudonymizerError`` when the secret is not 32 bytes (the error gives the
    ///   length, never the bytes).
    public init(key: [UInt8]) throws(PseudonymizerError) {
        guard key.count == Self.keyLength else { throw .keyLength(key.count) }
        self.subscriberKey = Digest.hmacSHA256(key: key, Self.subscriberLabel)
        do {
            self.addresses = try CryptoPAn(key: Self.cryptoPAnKey(from: key))
        } catch {
            throw .cryptoPAnRefused
        }
    }

    /// A new random 32-byte secret for ``init(key:)``.
    public static func generateKey() throws(DigestError) -> [UInt8] {
        try Digest.randomBytes(count: keyLength)
    }

    /// The Crypto-PAn key derived from `secret`.
    static func cryptoPAnKey(from secret: [UInt8]) -> [UInt8] {
        Digest.hmacSHA256(key: secret, cryptoPAnLabel)
    }

    /// The subscriber HMAC key derived from `secret`.
    static func subscriberKey(from secret: [UInt8]) -> [UInt8] {
        Digest.hmacSHA256(key: secret, subscriberLabel)
    }

    /// `"sub:"` and 16 base32 characters: a stable, keyed, one-way pseudonym of `subscriber` (or
    /// of any other opaque reference: a session id, a login).
    public func pseudonym(subscriber: String) -> String {
        let mac = Digest.hmacSHA256(key: subscriberKey, Array(subscriber.utf8))
        return "sub:" + Self.base32(mac.prefix(10))
    }

    /// The Crypto-PAn pseudonym of `address`: same family, prefix-preserving, stable for the key.
    public func pseudonym(address: IPAddress) -> IPAddress {
        addresses.anonymize(address)
    }

    /// Lowercase RFC 4648 base32 without padding.
    static func base32(_ bytes: some Collection<UInt8>) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int(buffer >> UInt32(bits) & 0x1F)])
            }
        }
        if bits > 0 { out.append(alphabet[Int(buffer << UInt32(5 - bits) & 0x1F)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Pseudonymizer: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `Pseudonymizer(key: redacted)`.
    public var description: String { "Pseudonymizer(key: redacted)" }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror without children, so `dump` shows no key.
    public var customMirror: Mirror { Mirror(self, children: [:], displayStyle: .struct) }
}

/// Why a ``Pseudonymizer`` could not be made; never carries key bytes.
public enum PseudonymizerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The secret has the wrong length (the length is given; the bytes never are).
    case keyLength(Int)
    /// The Crypto-PAn implementation refused the derived key.
    case cryptoPAnRefused

    public var description: String {
        switch self {
        case .keyLength(let count): "the pseudonymisation secret must be \(Pseudonymizer.keyLength) bytes, got \(count)"
        case .cryptoPAnRefused: "the Crypto-PAn key derived from the pseudonymisation secret was refused"
        }
    }
}

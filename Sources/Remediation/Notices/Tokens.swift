public import Foundation
import Secrecy

/// Personal-link tokens: 128 random bits, base64url without padding (22 characters).
///
/// Only the SHA-256 of a token is stored; the token itself exists in the notice mail (and in the
/// outbox until the mail is sent). A token is bound to one case and expires.
public enum PersonalToken {
    /// The number of random bytes in a token.
    public static let byteCount = 16

    /// A new random token.
    public static func make() throws -> String {
        base64url(try Digest.randomBytes(count: byteCount))
    }

    /// Whether `text` has the shape of a token (22 base64url characters).
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 22
            && text.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
            }
    }

    /// The stored form of a token: hex SHA-256.
    public static func hash(_ token: String) -> String {
        Hex.encode(Digest.sha256(Array(token.utf8)))
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A stored token: its hash, its case, its expiry.
public struct TokenRecord: Sendable, Hashable {
    public var hash: String
    public var caseID: Int64
    public var language: Language
    public var createdAt: Date
    public var expiresAt: Date

    public init(hash: String, caseID: Int64, language: Language, createdAt: Date, expiresAt: Date) {
        self.hash = hash
        self.caseID = caseID
        self.language = language
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

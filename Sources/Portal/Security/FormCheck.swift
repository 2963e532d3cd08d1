import Secrecy

/// The hidden field that guards the "I have cleaned my device" form.
///
/// Its value is HMAC-SHA256(formKey, domain ‖ token), 128 bits in hex: only a page the portal
/// rendered for that token carries it. It is checked before the desk is asked, so its answer
/// says nothing about whether the token exists.
struct FormCheck: Sendable {
    /// The form field's name.
    static let fieldName = "check"

    private static let domain = Array("mamori-portal/remediated/v1\u{0}".utf8)

    private let key: [UInt8]

    init(key: [UInt8]) {
        self.key = key
    }

    /// The field's value for `token`.
    func value(for token: String) -> String {
        Hex.encode(Digest.hmacSHA256(key: key, Self.domain + Array(token.utf8)).prefix(16))
    }

    /// Whether `candidate` is the field's value for `token` (compared in constant time).
    func accepts(_ candidate: String?, for token: String) -> Bool {
        guard let candidate else { return false }
        let expected = Array(value(for: token).utf8)
        let given = Array(candidate.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }
}

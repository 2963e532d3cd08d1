import Crypto
import Foundation

/// The accounting authenticators of RFC 2866 §3, keyed by the shared secret (MD5, as the RFC says).
///
/// ```swift
/// try RadiusAuthenticator.verifyAccountingRequest(datagram, secret: secret)   // else .badAuthenticator
/// let answer = RadiusAuthenticator.accountingResponse(to: request, secret: secret)
/// ```
///
/// The secret is never logged nor put in an error.
public enum RadiusAuthenticator {
    /// MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret): the Request
    /// Authenticator an Accounting-Request with these octets must carry (the octets' own
    /// authenticator field is ignored; octets past the Length field are not covered).
    public static func requestAuthenticator(of datagram: some Collection<UInt8>, secret: [UInt8]) throws(RadiusError) -> [UInt8] {
        let b = Array(datagram)
        let length = try RadiusPacket.declaredLength(b)
        var md5 = Insecure.MD5()
        md5.update(data: b[0..<4])
        md5.update(data: [UInt8](repeating: 0, count: 16))
        md5.update(data: b[20..<length])
        md5.update(data: secret)
        return Array(md5.finalize())
    }

    /// Checks that `datagram` is an Accounting-Request whose Request Authenticator matches
    /// `secret` (constant time); throws ``RadiusError/badAuthenticator`` if not.
    public static func verifyAccountingRequest(_ datagram: some Collection<UInt8>, secret: [UInt8]) throws(RadiusError) {
        let b = Array(datagram)
        let expected = try requestAuthenticator(of: b, secret: secret)
        guard b[0] == RadiusCode.accountingRequest.rawValue else { throw .unexpectedCode(RadiusCode(rawValue: b[0])) }
        var difference: UInt8 = 0
        for i in 0..<16 { difference |= expected[i] ^ b[4 + i] }
        guard difference == 0 else { throw .badAuthenticator }
    }

    /// An Accounting-Request's octets, its Request Authenticator computed with `secret` (for
    /// clients and tests).
    public static func signedAccountingRequest(identifier: UInt8, attributes: [RadiusAttribute], secret: [UInt8]) -> [UInt8] {
        let packet = RadiusPacket(code: .accountingRequest, identifier: identifier, authenticator: [], attributes: attributes)
        var out = packet.encoded(authenticator: [UInt8](repeating: 0, count: 16))
        var md5 = Insecure.MD5()
        md5.update(data: out)
        md5.update(data: secret)
        out.replaceSubrange(4..<20, with: Array(md5.finalize()))
        return out
    }

    /// The Accounting-Response (code 5) to `request`: same identifier, the given attributes
    /// (usually none), Response Authenticator = MD5(Code + Identifier + Length + Request
    /// Authenticator + Attributes + Secret).
    public static func accountingResponse(to request: RadiusPacket, attributes: [RadiusAttribute] = [], secret: [UInt8]) -> [UInt8] {
        let packet = RadiusPacket(code: .accountingResponse, identifier: request.identifier, authenticator: [], attributes: attributes)
        var out = packet.encoded(authenticator: request.authenticator)
        var md5 = Insecure.MD5()
        md5.update(data: out)
        md5.update(data: secret)
        out.replaceSubrange(4..<20, with: Array(md5.finalize()))
        return out
    }

    /// Whether `response` is the right Accounting-Response to a request with `requestAuthenticator`
    /// (for clients and tests).
    public static func isValidResponse(_ response: [UInt8], requestAuthenticator: [UInt8], secret: [UInt8]) -> Bool {
        guard response.count >= 20, requestAuthenticator.count == 16 else { return false }
        let length = Int(response[2]) << 8 | Int(response[3])
        guard length >= 20, length <= response.count else { return false }
        var md5 = Insecure.MD5()
        md5.update(data: response[0..<4])
        md5.update(data: requestAuthenticator)
        md5.update(data: response[20..<length])
        md5.update(data: secret)
        return Array(md5.finalize()) == Array(response[4..<20])
    }
}

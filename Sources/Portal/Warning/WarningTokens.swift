import Foundation
import Secrecy
import SiteWarning

/// The signed, expiring tokens of the warning page's links and forms, bound to a line.
///
/// A token is base64url (no padding) of `version ‖ purpose ‖ measure ‖ choice ‖ expiry ‖ tag`:
/// one byte each for the first four, the expiry as 8 bytes (seconds since 1970, big-endian),
/// and a 128-bit tag, HMAC-SHA256 under the token key over a domain string, the purpose,
/// the line id, the measure, the choice, the expiry and (for "continue anyway") the host.
/// The line is **not** in the token, only in the tag: the token is checked against the line of
/// the client that presents it, found again from its address. A token copied to another line,
/// altered, or past its expiry is refused, and the refusal does not say which.
///
/// ```swift
/// let tokens = WarningTokens(key: key, lifetime: 1800)
/// let token = tokens.choice(line: line, measure: .malwareSiteWarning, choice: .off, now: now)
/// tokens.verifyChoice(token, line: line, now: now)  // (.malwareSiteWarning, .off)
/// ```
struct WarningTokens: Sendable {
    /// What a token allows.
    enum Purpose: UInt8, Sendable {
        /// Changing the line's choice for a measure.
        case choice = 1
        /// "Continue anyway" to one host.
        case proceed = 2
    }

    /// What a valid choice token asks for.
    struct ChoiceRequest: Sendable, Hashable {
        var measure: ConsentMeasure
        var choice: ConsentChoice
        var expiry: Date
    }

    static let version: UInt8 = 1
    static let tagBytes = 16
    static let tokenBytes = 4 + 8 + tagBytes
    private static let domain = Array("mamori-warning/token/v1\u{0}".utf8)

    private let key: [UInt8]
    let lifetime: TimeInterval

    init(key: [UInt8], lifetime: TimeInterval) {
        self.key = key
        self.lifetime = lifetime
    }

    // MARK: Making

    /// A token that lets `line` set `measure` to `choice` until `now + lifetime`.
    func choice(line: LineID, measure: ConsentMeasure, choice: ConsentChoice, now: Date) -> String {
        make(.choice, line: line, measure: measure, choice: choice, host: "", expiry: expiry(now))
    }

    /// A token that lets `line` continue to `host` (for the "continue anyway" form).
    func proceed(line: LineID, host: String, now: Date) -> String {
        make(.proceed, line: line, measure: .malwareSiteWarning, choice: .off, host: host, expiry: expiry(now))
    }

    // MARK: Checking

    /// The measure and choice `token` allows `line` to set at `now`, or nil.
    func verifyChoice(_ token: String, line: LineID, now: Date) -> ChoiceRequest? {
        guard let parts = parse(token), parts.purpose == .choice else { return nil }
        guard check(parts, line: line, host: "", now: now) else { return nil }
        return ChoiceRequest(measure: parts.measure, choice: parts.choice, expiry: parts.expiry)
    }

    /// Whether `token` lets `line` continue to `host` at `now`.
    func verifyProceed(_ token: String, line: LineID, host: String, now: Date) -> Bool {
        guard let parts = parse(token), parts.purpose == .proceed else { return false }
        return check(parts, line: line, host: host, now: now)
    }

    // MARK: Internals

    private struct Parts {
        var purpose: Purpose
        var measure: ConsentMeasure
        var choice: ConsentChoice
        var seconds: UInt64
        var tag: [UInt8]
        var expiry: Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
    }

    private func expiry(_ now: Date) -> UInt64 {
        UInt64(max(0, (now.timeIntervalSince1970 + lifetime).rounded(.down)))
    }

    private func make(_ purpose: Purpose, line: LineID, measure: ConsentMeasure, choice: ConsentChoice, host: String, expiry: UInt64) -> String {
        var bytes: [UInt8] = [Self.version, purpose.rawValue, Self.code(measure), Self.code(choice)]
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: expiry >> UInt64(shift))) }
        bytes += tag(purpose, line: line, measure: measure, choice: choice, host: host, seconds: expiry)
        return Base64URL.encode(bytes)
    }

    private func tag(
        _ purpose: Purpose, line: LineID, measure: ConsentMeasure, choice: ConsentChoice, host: String, seconds: UInt64
    ) -> [UInt8] {
        var message = Self.domain
        message.append(purpose.rawValue)
        for field in [line.rawValue, measure.rawValue, choice.rawValue, String(seconds), host] {
            message += Array(field.utf8)
            message.append(0)
        }
        return Array(Digest.hmacSHA256(key: key, message).prefix(Self.tagBytes))
    }

    private func parse(_ token: String) -> Parts? {
        guard token.utf8.count <= 64, let bytes = Base64URL.decode(token), bytes.count == Self.tokenBytes, bytes[0] == Self.version,
            let purpose = Purpose(rawValue: bytes[1]), let measure = Self.measure(bytes[2]), let choice = Self.choice(bytes[3])
        else { return nil }
        let seconds = bytes[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Parts(purpose: purpose, measure: measure, choice: choice, seconds: seconds, tag: Array(bytes[12...]))
    }

    private func check(_ parts: Parts, line: LineID, host: String, now: Date) -> Bool {
        let expected = tag(parts.purpose, line: line, measure: parts.measure, choice: parts.choice, host: host, seconds: parts.seconds)
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ parts.tag[index] }
        return difference == 0 && parts.expiry > now
    }

    private static func code(_ measure: ConsentMeasure) -> UInt8 {
        switch measure {
        case .malwareSiteWarning: 1
        case .cncDNSBlock: 2
        }
    }

    private static func measure(_ code: UInt8) -> ConsentMeasure? {
        switch code {
        case 1: .malwareSiteWarning
        case 2: .cncDNSBlock
        default: nil
        }
    }

    private static func code(_ choice: ConsentChoice) -> UInt8 {
        switch choice {
        case .on: 1
        case .off: 2
        }
    }

    private static func choice(_ code: UInt8) -> ConsentChoice? {
        switch code {
        case 1: .on
        case 2: .off
        default: nil
        }
    }
}

/// Base64url without padding (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if index + 1 < bytes.count { out.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
            if index + 2 < bytes.count { out.append(alphabet[Int(b2 & 0x3F)]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`, or nil when it is not unpadded base64url in canonical form.
    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 != 1 else { return nil }
        var values: [UInt8] = []
        values.reserveCapacity(input.count)
        for character in input {
            switch character {
            case 0x41...0x5A: values.append(character - 0x41)
            case 0x61...0x7A: values.append(character - 0x61 + 26)
            case 0x30...0x39: values.append(character - 0x30 + 52)
            case 0x2D: values.append(62)
            case 0x5F: values.append(63)
            default: return nil
            }
        }
        var out: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            let v = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(18 - 6 * $1.offset) }
            out.append(UInt8(truncatingIfNeeded: v >> 16))
            if chunk.count > 2 { out.append(UInt8(truncatingIfNeeded: v >> 8)) }
            if chunk.count > 3 { out.append(UInt8(truncatingIfNeeded: v)) }
            index += 4
        }
        // Canonical only: re-encoding gives the same text (no stray low bits).
        return encode(out) == text ? out : nil
    }
}

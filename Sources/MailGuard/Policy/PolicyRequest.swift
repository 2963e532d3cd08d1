public import Addressing

/// The part of one Postfix SMTPD access-policy request the guard may know: the SASL login, the
/// client address and the envelope sender, and nothing else.
///
/// Postfix sends about 29 attributes (recipient, HELO name, TLS details…). The parser reads past
/// every other one without keeping it (SMTPD_POLICY_README: unknown attributes must be
/// ignored), so no other datum exists in Mamori's memory after parsing.
public struct PolicyRequest: Sendable, Hashable {
    /// `sasl_username`; nil when the client did not authenticate (empty or absent).
    public var saslUsername: String?
    /// `client_address`; nil when absent, empty or not an address.
    public var clientAddress: IPAddress?
    /// `sender` (envelope sender); nil when absent or empty (the null sender).
    public var sender: String?
    /// Whether `protocol_state` is `END-OF-MESSAGE` (once per accepted message): protocol state,
    /// not a datum of the communication.
    public var isEndOfMessage: Bool

    public init(saslUsername: String?, clientAddress: IPAddress?, sender: String?, isEndOfMessage: Bool = false) {
        self.saslUsername = saslUsername
        self.clientAddress = clientAddress
        self.sender = sender
        self.isEndOfMessage = isEndOfMessage
    }

    /// The data item each stored property is (`smtp-credential-abuse`); `isEndOfMessage` is
    /// protocol state, no datum of the communication.
    public static let dataItems: [String: String] = [
        "saslUsername": "smtp-auth-id", "clientAddress": "source-ip", "sender": "mail-address",
    ]
    /// The stored properties that are protocol state, not data items.
    public static let protocolState: Set<String> = ["isEndOfMessage"]
}

/// The Postfix policy-delegation protocol: `name=value` lines, a blank line ends a request, and
/// the reply is `action=…` then a blank line.
public enum PolicyProtocol {
    /// The largest request accepted (bytes, blank line included). Postfix's own are < 1 KiB.
    public static let maximumRequestSize = 16 * 1024

    /// Where the first complete request in `bytes` ends: the index just past its blank line
    /// (`\n\n`), or nil when more bytes are needed.
    @inlinable public static func requestEnd(in bytes: some Collection<UInt8>) -> Int? {
        // A blank line at the very start also ends a "request": an empty one, which parse rejects.
        var previous: UInt8 = 0x0A
        var offset = 0
        for byte in bytes {
            offset += 1
            if byte == 0x0A, previous == 0x0A { return offset }
            previous = byte
        }
        return nil
    }

    /// Parses one request (its lines and the blank line ending it).
    ///
    /// Unknown attributes are skipped; a repeated attribute keeps its last value. A line without
    /// `=`, an empty name, a NUL byte, a request with no attribute, or a `request=` other than
    /// `smtpd_access_policy` is an error: the server then logs and closes, never answers.
    @inlinable public static func parse(_ bytes: some Collection<UInt8>) throws(MailGuardError) -> PolicyRequest {
        if let result = bytes.withContiguousStorageIfAvailable({ parse(contiguous: $0) }) { return try result.get() }
        return try parseWalking(bytes)
    }

    /// ``parse(_:)`` over contiguous bytes: each line scanned once, names compared by length
    /// and bytes, values read in place. The same results and errors as ``parseWalking(_:)``
    /// (`FuzzPolicyRequest` checks that they agree).
    @usableFromInline static func parse(contiguous buffer: UnsafeBufferPointer<UInt8>) -> Result<PolicyRequest, MailGuardError> {
        var request = PolicyRequest(saslUsername: nil, clientAddress: nil, sender: nil)
        var line = 0
        var attributes = 0
        var kind: Range<Int>? = nil
        var kindLine = 1
        var start = 0
        let count = buffer.count
        while start < count {
            var end = start
            var eq = -1
            while end < count {
                let byte = buffer[end]
                if byte == 0x0A { break }
                if byte == 0 { return .failure(.malformedPolicyRequest(line: line + 1, reason: "NUL byte")) }
                if byte == 0x3D, eq < 0 { eq = end }
                end += 1
            }
            guard end < count else { return .failure(.malformedPolicyRequest(line: line + 1, reason: "request not ended by a blank line")) }
            line += 1
            if end == start { break }
            guard eq >= 0 else { return .failure(.malformedPolicyRequest(line: line, reason: "no `=` in the attribute line")) }
            guard eq > start else { return .failure(.malformedPolicyRequest(line: line, reason: "empty attribute name")) }
            attributes += 1
            let value = UnsafeBufferPointer(rebasing: buffer[(eq + 1)..<end])
            switch eq - start {
            case 6 where equals(buffer, start, "sender"):
                request.sender = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
            case 7 where equals(buffer, start, "request"):
                kind = (eq + 1)..<end
                kindLine = line
            case 13 where equals(buffer, start, "sasl_username"):
                request.saslUsername = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
            case 14 where equals(buffer, start, "client_address"):
                request.clientAddress = value.isEmpty ? nil : IPAddress(String(decoding: value, as: UTF8.self))
            case 14 where equals(buffer, start, "protocol_state"):
                request.isEndOfMessage = value.count == 14 && equals(value, 0, "END-OF-MESSAGE")
            default:
                break
            }
            start = end + 1
        }
        guard attributes > 0 else { return .failure(.malformedPolicyRequest(line: max(line, 1), reason: "empty request")) }
        guard let kind else { return .failure(.malformedPolicyRequest(line: 1, reason: "no `request` attribute")) }
        guard kind.count == 19, equals(buffer, kind.lowerBound, "smtpd_access_policy") else {
            return .failure(.malformedPolicyRequest(line: kindLine, reason: "`request` is not smtpd_access_policy"))
        }
        return .success(request)
    }

    /// Whether `buffer` holds `literal` from `offset` (the caller has checked the length).
    @usableFromInline @inline(__always) static func equals(_ buffer: UnsafeBufferPointer<UInt8>, _ offset: Int, _ literal: StaticString) -> Bool {
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard offset + bytes.count <= buffer.count else { return false }
        for index in 0..<bytes.count where buffer[offset + index] != bytes[index] { return false }
        return true
    }

    /// ``parse(_:)`` byte by byte, for collections without contiguous storage.
    @inlinable public static func parseWalking(_ bytes: some Collection<UInt8>) throws(MailGuardError) -> PolicyRequest {
        var request = PolicyRequest(saslUsername: nil, clientAddress: nil, sender: nil)
        var line = 0
        var attributes = 0
        var kind: [UInt8]? = nil
        var kindLine = 1
        var current: [UInt8] = []
        current.reserveCapacity(128)
        for byte in bytes {
            if byte == 0 { throw .malformedPolicyRequest(line: line + 1, reason: "NUL byte") }
            if byte != 0x0A {
                current.append(byte)
                continue
            }
            line += 1
            if current.isEmpty { break }
            guard let eq = current.firstIndex(of: 0x3D) else {
                throw .malformedPolicyRequest(line: line, reason: "no `=` in the attribute line")
            }
            guard eq > 0 else { throw .malformedPolicyRequest(line: line, reason: "empty attribute name") }
            attributes += 1
            let name = current[..<eq]
            let value = current[(eq + 1)...]
            if name.elementsEqual("request".utf8) {
                kind = Array(value)
                kindLine = line
            } else if name.elementsEqual("sasl_username".utf8) {
                request.saslUsername = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
            } else if name.elementsEqual("client_address".utf8) {
                request.clientAddress = value.isEmpty ? nil : IPAddress(String(decoding: value, as: UTF8.self))
            } else if name.elementsEqual("protocol_state".utf8) {
                request.isEndOfMessage = value.elementsEqual("END-OF-MESSAGE".utf8)
            } else if name.elementsEqual("sender".utf8) {
                request.sender = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
            }
            current.removeAll(keepingCapacity: true)
        }
        guard current.isEmpty else { throw .malformedPolicyRequest(line: line + 1, reason: "request not ended by a blank line") }
        guard attributes > 0 else { throw .malformedPolicyRequest(line: max(line, 1), reason: "empty request") }
        guard let kind else { throw .malformedPolicyRequest(line: 1, reason: "no `request` attribute") }
        guard kind.elementsEqual("smtpd_access_policy".utf8) else {
            throw .malformedPolicyRequest(line: kindLine, reason: "`request` is not smtpd_access_policy")
        }
        return request
    }
}

/// A policy reply (access(5) action) as the guard gives it.
public enum PolicyAction: Sendable, Hashable, CustomStringConvertible {
    /// No opinion: Postfix goes on with the next restriction.
    case dunno
    /// `REJECT text`: refused with a 5xx.
    case reject(String)
    /// `DEFER text`: refused with a 4xx.
    case `defer`(String)
    /// `HOLD text`: accepted into the hold queue.
    case hold(String)

    /// The action as Postfix reads it (without `action=`).
    public var description: String {
        switch self {
        case .dunno: "DUNNO"
        case .reject(let text): text.isEmpty ? "REJECT" : "REJECT \(text)"
        case .defer(let text): text.isEmpty ? "DEFER" : "DEFER \(text)"
        case .hold(let text): text.isEmpty ? "HOLD" : "HOLD \(text)"
        }
    }

    /// `action=DUNNO\n\n`, the answer to nearly every request, made once.
    static let encodedDunno: [UInt8] = Array("action=DUNNO\n\n".utf8)

    /// `action=…\n\n`. Newlines in the text are replaced by spaces.
    public var encoded: [UInt8] {
        if case .dunno = self { return Self.encodedDunno }
        var out = Array("action=".utf8)
        for byte in description.utf8 { out.append(byte == 0x0A || byte == 0x0D || byte == 0 ? 0x20 : byte) }
        out.append(0x0A)
        out.append(0x0A)
        return out
    }
}

/// What to answer for a suspended ID at the policy server.
public enum SuspendedReply: String, Sendable, Hashable, CaseIterable {
    case reject = "REJECT"
    case `defer` = "DEFER"
    case hold = "HOLD"

    /// The action with `text`.
    public func action(text: String) -> PolicyAction {
        switch self {
        case .reject: .reject(text)
        case .defer: .defer(text)
        case .hold: .hold(text)
        }
    }
}

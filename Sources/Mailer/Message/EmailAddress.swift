/// An e-mail address (`local@domain`, ASCII), with an optional display name.
///
/// The address itself must be ASCII: an internationalised domain is given in its `xn--` form,
/// and SMTPUTF8 local parts are not supported. The display name may be any text (Japanese
/// included); it is written as RFC 2047 encoded-words when it is not ASCII.
///
/// Local parts that are not RFC 5322 dot-atoms but still occur in practice (`taro..yamada`,
/// `hanako.`, common with older Japanese mobile carriers) are accepted and written as a quoted
/// string in the `From`/`To` headers and in the SMTP envelope.
///
/// ```swift
/// let to = try EmailAddress("taro@example.jp", displayName: "山田 太郎")
/// ```
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address as given, `local@domain`.
    public let address: String
    /// The display name, if any.
    public let displayName: String?

    /// Validates `address` and `displayName`.
    ///
    /// - Throws: ``MailMessageError/invalidAddress(field:reason:)`` when `address` is not an ASCII
    ///   `local@domain` address; ``MailMessageError/headerInjection(header:)`` when the display
    ///   name contains a line break or another control character.
    public init(_ address: String, displayName: String? = nil) throws {
        try Self.validate(address)
        if let displayName, displayName.unicodeScalars.contains(where: HeaderText.isForbiddenControl) {
            throw MailMessageError.headerInjection(header: "display name")
        }
        self.address = address
        self.displayName = (displayName?.isEmpty ?? true) ? nil : displayName
    }

    public var description: String { address }

    /// The local part (before the last `@`).
    var localPart: Substring {
        address[..<(address.lastIndex(of: "@") ?? address.endIndex)]
    }

    /// The domain (after the last `@`).
    var domain: Substring {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return address[address.index(after: at)...]
    }

    /// The address as an RFC 5322 `addr-spec` / RFC 5321 `Mailbox`: the local part quoted when it
    /// is not a dot-atom.
    var addrSpec: String {
        let local = localPart
        if Self.isDotAtom(local) { return address }
        return "\"" + local + "\"@" + domain
    }

    // MARK: - Validation

    static func validate(_ address: String) throws {
        func invalid(_ reason: String) -> MailMessageError { .invalidAddress(field: "address", reason: reason) }
        guard address.unicodeScalars.allSatisfy(\.isASCII) else {
            throw invalid("not ASCII (give an internationalised domain in its xn-- form)")
        }
        guard let at = address.lastIndex(of: "@") else { throw invalid("no @") }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64 else { throw invalid("the local part is empty or longer than 64") }
        guard address.utf8.count <= 254 else { throw invalid("longer than 254 characters") }
        guard local.utf8.allSatisfy({ isAtext($0) || $0 == UInt8(ascii: ".") }) else {
            throw invalid("the local part has a character outside atext")
        }
        guard isDomain(domain) else { throw invalid("the domain is not a host name or an address literal") }
    }

    /// RFC 5322 `atext`.
    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }

    static func isDotAtom(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.first != ".", text.last != ".", !text.contains("..") else { return false }
        return text.utf8.allSatisfy { isAtext($0) || $0 == UInt8(ascii: ".") }
    }

    static func isDomain(_ domain: Substring) -> Bool {
        if domain.first == "[" {
            guard domain.last == "]", domain.count > 2 else { return false }
            var inner = domain.dropFirst().dropLast()
            if inner.hasPrefix("IPv6:") { inner = inner.dropFirst(5) }
            return inner.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" }
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard !domain.isEmpty, domain.utf8.count <= 253 else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { byte in
                    switch byte {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                        return true
                    default:
                        return false
                    }
                }
        }
    }
}

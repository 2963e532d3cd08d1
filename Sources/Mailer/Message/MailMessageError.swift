/// Why a ``MailMessage`` or an ``EmailAddress`` cannot be rendered.
///
/// Every case names the place (the header, the field), never the offending value: a value that
/// carries CR or LF is usually an injection attempt and does not belong in a log line.
public enum MailMessageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A header value (`Subject`, a display name, an extra header) contains CR, LF, NUL or
    /// another control character: header injection is refused.
    case headerInjection(header: String)
    /// An extra header's name is empty or contains a character outside printable ASCII or a `:`.
    case invalidHeaderName
    /// An extra header names a field that the renderer writes itself (`From`, `To`, `Subject`,
    /// `Date`, `Message-ID`, `MIME-Version`, `Content-Type`, `Content-Transfer-Encoding`), or
    /// `Bcc`, which would be delivered to every recipient.
    case reservedHeader(name: String)
    /// A header cannot be folded into lines of at most 998 characters (RFC 5322 §2.1.1).
    case headerLineTooLong(header: String)
    /// An e-mail address is not an ASCII `local@domain` address; `field` is `from`, `to` or
    /// `address`, `reason` a fixed phrase.
    case invalidAddress(field: String, reason: String)
    /// The message has no recipient.
    case noRecipients
    /// The `Message-ID` is not of the form `<left@right>` in printable ASCII.
    case invalidMessageID

    public var description: String {
        switch self {
        case .headerInjection(let header):
            return "The \(header) header contains a line break or a control character; header injection is refused."
        case .invalidHeaderName:
            return "An extra header name is empty or not printable ASCII without ':'."
        case .reservedHeader(let name):
            return "The header \(name) is written by the renderer and cannot be given as an extra header."
        case .headerLineTooLong(let header):
            return "The \(header) header cannot be folded into lines of at most 998 characters."
        case .invalidAddress(let field, let reason):
            return "The \(field) address is invalid: \(reason)."
        case .noRecipients:
            return "The message has no recipient."
        case .invalidMessageID:
            return "The Message-ID is not of the form <left@right> in printable ASCII."
        }
    }
}

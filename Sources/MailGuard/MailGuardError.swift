/// Why a request, frame or log line could not be used: the place and the problem, never the
/// content (a login, an address or a password hash must not reach a log through an error).
public enum MailGuardError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A Postfix policy request broke the protocol (SMTPD_POLICY_README) at `line` (1-based).
    case malformedPolicyRequest(line: Int, reason: String)
    /// A socketmap netstring frame was malformed.
    case malformedSocketmapFrame(reason: String)
    /// A Dovecot auth-policy request could not be used.
    case malformedAuthPolicyRequest(reason: String)
    /// A Dovecot auth-policy request carried an attribute measure 2 may not see (`login`, `pwhash`).
    case forbiddenAuthPolicyAttribute(name: String)
    /// A log line could not be used (file:line).
    case malformedLogLine(file: String, line: Int, reason: String)
    /// A syslog message or its TCP frame could not be used.
    case malformedSyslogMessage(reason: String)

    public var description: String {
        switch self {
        case .malformedPolicyRequest(let line, let reason): "policy request line \(line): \(reason)"
        case .malformedSocketmapFrame(let reason): "socketmap frame: \(reason)"
        case .malformedAuthPolicyRequest(let reason): "auth-policy request: \(reason)"
        case .forbiddenAuthPolicyAttribute(let name):
            "auth-policy request carries `\(name)`, which measure 2 (smtp-brute-force) may not see: "
                + "set auth_policy_request_attributes = remote=%{rip} protocol=%s in Dovecot"
        case .malformedLogLine(let file, let line, let reason): "\(file):\(line): \(reason)"
        case .malformedSyslogMessage(let reason): "syslog message: \(reason)"
        }
    }
}

/// The step of an SMTP session at which something failed.
public enum SMTPStage: String, Sendable, Hashable, CustomStringConvertible {
    /// TCP connect and the server's greeting.
    case connect
    /// `EHLO` (or the `HELO` fall-back).
    case ehlo
    /// `STARTTLS`, the TLS handshake and certificate check, up to the reply to the `EHLO` sent
    /// over TLS.
    case starttls
    /// SMTP AUTH.
    case auth
    /// `MAIL FROM`.
    case mail
    /// `RCPT TO`.
    case rcpt
    /// `DATA`, the message, and the reply to its end.
    case data
    /// `RSET` between two messages on one connection.
    case reset
    /// `QUIT`; logged, never reported as a failure (the messages are already accepted).
    case quit

    public var description: String { rawValue }
}

/// Why a delivery failed: where (``peer``, ``stage``), what the server said, and whether to
/// retry (``isPermanent``).
///
/// Descriptions name the relay and the stage and quote the server's reply; they never contain
/// the password or the message.
public enum SMTPError: Error, Sendable, CustomStringConvertible {
    /// The server answered with a reply that does not allow going on.
    case rejected(peer: String, stage: SMTPStage, reply: SMTPReply)
    /// The connection could not be made or broke (refused, reset, closed by the server).
    case network(peer: String, stage: SMTPStage, reason: String)
    /// No reply (or no connection) within the configured timeout.
    case timeout(peer: String, stage: SMTPStage)
    /// The server does not speak SMTP as RFC 5321 says (malformed or oversized reply, data
    /// injected after the `STARTTLS` reply).
    case protocolViolation(peer: String, stage: SMTPStage, reason: String)
    /// STARTTLS was required but is not offered, or the TLS handshake or the certificate check
    /// failed (stage `starttls`).
    case tls(peer: String, reason: String)
    /// Credentials are configured but cannot be used: the connection is not encrypted (and
    /// ``SMTPConfiguration/allowsAuthenticationWithoutTLS`` is off), or the server offers no
    /// `AUTH PLAIN`/`LOGIN`. Nothing secret was sent (stage `auth`).
    case authenticationUnavailable(peer: String, reason: String)
    /// The message could not be rendered; nothing was sent.
    case invalidMessage(MailMessageError)
    /// The client's configuration is unusable (TLS set-up, `heloName`).
    case invalidConfiguration(reason: String)

    /// Whether retrying the same message cannot succeed, so the caller should give up on it.
    ///
    /// `true` for a 5xx reply at `mail`, `rcpt` or `data`, where the server refuses this message
    /// or its recipient, and for an invalid message. Every other failure is transient: 4xx
    /// replies, network errors, timeouts, protocol and TLS failures, and also 5xx replies at
    /// `connect`, `ehlo`, `starttls` and `auth`, which are about the relay and our own
    /// configuration (a refused login, a relay that refuses us), not about the message.
    public var isPermanent: Bool {
        switch self {
        case .rejected(_, let stage, let reply):
            return reply.isPermanentNegative && [.mail, .rcpt, .data].contains(stage)
        case .invalidMessage:
            return true
        case .network, .timeout, .protocolViolation, .tls, .authenticationUnavailable, .invalidConfiguration:
            return false
        }
    }

    /// The relay, `host:port`, when the failure is about one.
    public var peer: String? {
        switch self {
        case .rejected(let peer, _, _), .network(let peer, _, _), .timeout(let peer, _),
            .protocolViolation(let peer, _, _), .tls(let peer, _), .authenticationUnavailable(let peer, _):
            return peer
        case .invalidMessage, .invalidConfiguration:
            return nil
        }
    }

    /// The stage that failed, when a session was under way.
    public var stage: SMTPStage? {
        switch self {
        case .rejected(_, let stage, _), .network(_, let stage, _), .timeout(_, let stage),
            .protocolViolation(_, let stage, _):
            return stage
        case .tls: return .starttls
        case .authenticationUnavailable: return .auth
        case .invalidMessage, .invalidConfiguration: return nil
        }
    }

    /// The server's reply, for ``rejected(peer:stage:reply:)``.
    public var reply: SMTPReply? {
        if case .rejected(_, _, let reply) = self { return reply }
        return nil
    }

    public var description: String {
        let kind = isPermanent ? "permanent" : "transient"
        switch self {
        case .rejected(let peer, let stage, let reply):
            return "SMTP server \(peer) refused at stage \(stage) with \"\(reply.description)\" (\(kind))."
        case .network(let peer, let stage, let reason):
            return "SMTP connection to \(peer) failed at stage \(stage): \(reason) (\(kind))."
        case .timeout(let peer, let stage):
            return "SMTP server \(peer) did not answer in time at stage \(stage) (\(kind))."
        case .protocolViolation(let peer, let stage, let reason):
            return "SMTP server \(peer) broke the protocol at stage \(stage): \(reason) (\(kind))."
        case .tls(let peer, let reason):
            return "TLS with SMTP server \(peer) failed at stage starttls: \(reason) (\(kind))."
        case .authenticationUnavailable(let peer, let reason):
            return "SMTP AUTH with \(peer) is not possible at stage auth: \(reason) (\(kind))."
        case .invalidMessage(let error):
            return "The message cannot be sent: \(error) (\(kind))."
        case .invalidConfiguration(let reason):
            return "The SMTP client configuration is unusable: \(reason)."
        }
    }
}

/// What the relay said when it accepted a message.
public struct SMTPReceipt: Sendable, Hashable {
    /// The relay, `host:port`.
    public var peer: String
    /// The recipients the relay accepted at `RCPT TO`, in order.
    public var acceptedRecipients: [EmailAddress]
    /// The recipients it refused (the message went to the others), with its reply to each.
    public var rejectedRecipients: [SMTPRejectedRecipient]
    /// The reply to the end of `DATA`, e.g. `250 2.0.0 Ok: queued as 4Z1…`.
    public var finalReply: SMTPReply
    /// Whether the message travelled over TLS (STARTTLS).
    public var usedTLS: Bool
    /// Whether the session was authenticated (SMTP AUTH).
    public var authenticated: Bool

    /// Creates a receipt.
    public init(
        peer: String, acceptedRecipients: [EmailAddress], rejectedRecipients: [SMTPRejectedRecipient],
        finalReply: SMTPReply, usedTLS: Bool, authenticated: Bool
    ) {
        self.peer = peer
        self.acceptedRecipients = acceptedRecipients
        self.rejectedRecipients = rejectedRecipients
        self.finalReply = finalReply
        self.usedTLS = usedTLS
        self.authenticated = authenticated
    }

    /// ``finalReply`` as text: `250 2.0.0 Ok: queued as ABC`.
    public var finalReplyText: String { finalReply.description }
}

/// A recipient the relay refused at `RCPT TO` while it accepted others.
public struct SMTPRejectedRecipient: Sendable, Hashable {
    /// The refused recipient.
    public var recipient: EmailAddress
    /// The relay's reply (4xx: try again later; 5xx: give up on this recipient).
    public var reply: SMTPReply

    /// Creates a rejected-recipient record.
    public init(recipient: EmailAddress, reply: SMTPReply) {
        self.recipient = recipient
        self.reply = reply
    }
}

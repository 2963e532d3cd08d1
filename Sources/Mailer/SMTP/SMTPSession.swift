import Logging
import NIOCore
import NIOSSL

/// One SMTP conversation on an open connection: greeting, `EHLO`, STARTTLS, AUTH, then one or
/// more mail transactions. Lives inside `NIOAsyncChannel.executeThenClose`; not shared.
struct SMTPSession {
    let peer: String
    let configuration: SMTPConfiguration
    let tlsContext: NIOSSLContext?
    let channel: any Channel
    let logger: Logger
    private var inbound: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<SMTPCommand>

    private(set) var extensions = SMTPExtensions()
    private(set) var usesTLS = false
    private(set) var authenticated = false

    init(
        peer: String, configuration: SMTPConfiguration, tlsContext: NIOSSLContext?, channel: any Channel,
        inbound: NIOAsyncChannelInboundStream<SMTPReply>, outbound: NIOAsyncChannelOutboundWriter<SMTPCommand>,
        logger: Logger
    ) {
        self.peer = peer
        self.configuration = configuration
        self.tlsContext = tlsContext
        self.channel = channel
        self.logger = logger
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    // MARK: - Opening

    /// Greeting, `EHLO`/`HELO`, STARTTLS per the configuration, AUTH when credentials are set.
    mutating func open() async throws {
        log(.connect)
        let greeting = try await readReply(stage: .connect)
        guard greeting.code == 220 else { throw SMTPError.rejected(peer: peer, stage: .connect, reply: greeting) }

        try await hello()

        if configuration.security != .none {
            if extensions.supportsStartTLS {
                try await startTLS()
            } else if configuration.security == .startTLSRequired {
                throw SMTPError.tls(peer: peer, reason: "STARTTLS is required but the server does not offer it")
            }
        }

        if let credentials = configuration.credentials {
            try await authenticate(credentials)
        }
    }

    private mutating func hello() async throws {
        log(.ehlo)
        let reply = try await command(.ehlo(configuration.heloName), stage: .ehlo)
        if reply.code == 250 {
            extensions = SMTPExtensions(ehloReply: reply)
            return
        }
        guard reply.isPermanentNegative else { throw SMTPError.rejected(peer: peer, stage: .ehlo, reply: reply) }
        // An old server that does not know EHLO (500/502): fall back to HELO, no extensions.
        let helo = try await command(.helo(configuration.heloName), stage: .ehlo)
        guard helo.code == 250 else { throw SMTPError.rejected(peer: peer, stage: .ehlo, reply: helo) }
        extensions = SMTPExtensions()
    }

    private mutating func startTLS() async throws {
        log(.starttls)
        guard let tlsContext else {
            throw SMTPError.invalidConfiguration(reason: "no TLS context although STARTTLS is enabled")
        }
        let serverName =
            configuration.tlsServerName ?? (Self.isIPAddress(configuration.host) ? nil : configuration.host)
        let channel = self.channel
        do {
            // The upgrade handler must be in place before STARTTLS is written, so that it sees the
            // reply and switches to TLS in the same read.
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(
                    StartTLSUpgradeHandler { try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName) },
                    position: .first)
            }.get()
        } catch {
            throw mapError(error, stage: .starttls)
        }
        let reply = try await command(.startTLS, stage: .starttls)
        guard reply.code == 220 else {
            if configuration.security == .startTLSRequired {
                throw SMTPError.rejected(peer: peer, stage: .starttls, reply: reply)
            }
            logger.debug("SMTP STARTTLS refused; going on in plaintext", metadata: metadata(.starttls))
            return
        }
        usesTLS = true
        // RFC 3207 §4.2: forget what was learnt in plaintext and ask again. Until this reply
        // arrives over TLS, a failure is a TLS failure (handshake, certificate).
        let ehlo = try await command(.ehlo(configuration.heloName), stage: .starttls)
        guard ehlo.code == 250 else { throw SMTPError.rejected(peer: peer, stage: .ehlo, reply: ehlo) }
        extensions = SMTPExtensions(ehloReply: ehlo)
    }

    private mutating func authenticate(_ credentials: SMTPCredentials) async throws {
        log(.auth)
        guard usesTLS || configuration.allowsAuthenticationWithoutTLS else {
            throw SMTPError.authenticationUnavailable(
                peer: peer, reason: "the session is not encrypted and credentials are only sent over TLS")
        }
        let mechanisms = extensions.authMechanisms
        if mechanisms.contains("PLAIN") {
            // RFC 4616: authzid NUL authcid NUL passwd.
            let token = Base64.encode([0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8))
            let reply = try await command(.auth(mechanism: "PLAIN", initialResponse: token), stage: .auth)
            guard reply.code == 235 else { throw SMTPError.rejected(peer: peer, stage: .auth, reply: reply) }
        } else if mechanisms.contains("LOGIN") {
            var reply = try await command(.auth(mechanism: "LOGIN", initialResponse: nil), stage: .auth)
            guard reply.code == 334 else { throw SMTPError.rejected(peer: peer, stage: .auth, reply: reply) }
            reply = try await command(.authResponse(Base64.encode(Array(credentials.username.utf8))), stage: .auth)
            guard reply.code == 334 else { throw SMTPError.rejected(peer: peer, stage: .auth, reply: reply) }
            reply = try await command(.authResponse(Base64.encode(Array(credentials.password.utf8))), stage: .auth)
            guard reply.code == 235 else { throw SMTPError.rejected(peer: peer, stage: .auth, reply: reply) }
        } else {
            throw SMTPError.authenticationUnavailable(
                peer: peer,
                reason: mechanisms.isEmpty
                    ? "the server does not offer AUTH" : "the server offers neither AUTH PLAIN nor AUTH LOGIN")
        }
        authenticated = true
    }

    // MARK: - Transactions

    /// One mail transaction: `MAIL FROM`, `RCPT TO` for each recipient, `DATA`.
    ///
    /// Goes on with the recipients the server accepts; fails at `rcpt` only when it accepts none
    /// (with a 4xx reply among the refusals if there is one, so the failure is retried).
    mutating func deliver(
        from sender: EmailAddress, to recipients: [EmailAddress], payload: [UInt8]
    ) async throws
        -> SMTPReceipt
    {
        log(.mail)
        let size = extensions.supportsSize ? payload.count : nil
        let mail = try await command(.mailFrom(sender.addrSpec, size: size), stage: .mail)
        guard mail.code == 250 else { throw SMTPError.rejected(peer: peer, stage: .mail, reply: mail) }

        log(.rcpt)
        var accepted: [EmailAddress] = []
        var rejected: [SMTPRejectedRecipient] = []
        for recipient in recipients {
            let reply = try await command(.rcptTo(recipient.addrSpec), stage: .rcpt)
            if reply.code == 250 || reply.code == 251 {
                accepted.append(recipient)
            } else if reply.code == 421 {
                throw SMTPError.rejected(peer: peer, stage: .rcpt, reply: reply)
            } else {
                rejected.append(SMTPRejectedRecipient(recipient: recipient, reply: reply))
            }
        }
        guard !accepted.isEmpty else {
            let reported = rejected.first(where: { !$0.reply.isPermanentNegative }) ?? rejected[0]
            throw SMTPError.rejected(peer: peer, stage: .rcpt, reply: reported.reply)
        }

        log(.data)
        let data = try await command(.data, stage: .data)
        guard data.code == 354 else { throw SMTPError.rejected(peer: peer, stage: .data, reply: data) }
        let final = try await command(.messageData(payload), stage: .data)
        guard final.code == 250 else { throw SMTPError.rejected(peer: peer, stage: .data, reply: final) }
        return SMTPReceipt(
            peer: peer, acceptedRecipients: accepted, rejectedRecipients: rejected, finalReply: final,
            usedTLS: usesTLS, authenticated: authenticated)
    }

    /// `RSET` after a failed transaction, so the next one starts clean.
    mutating func reset() async throws {
        log(.reset)
        let reply = try await command(.rset, stage: .reset)
        guard reply.code == 250 else { throw SMTPError.rejected(peer: peer, stage: .reset, reply: reply) }
    }

    /// `QUIT`, best effort: the messages are already accepted, so nothing here can fail them.
    mutating func quit() async {
        log(.quit)
        _ = try? await command(.quit, stage: .quit)
    }

    // MARK: - Commands and replies

    private mutating func command(_ command: SMTPCommand, stage: SMTPStage) async throws -> SMTPReply {
        do {
            try await outbound.write(command)
        } catch {
            // The server may have said why it closed (421) before the write failed.
            if let reply = try? await inbound.next() { return reply }
            throw mapError(error, stage: stage)
        }
        return try await readReply(stage: stage)
    }

    private mutating func readReply(stage: SMTPStage) async throws -> SMTPReply {
        do {
            guard let reply = try await inbound.next() else {
                throw SMTPError.network(peer: peer, stage: stage, reason: "the server closed the connection")
            }
            return reply
        } catch {
            throw mapError(error, stage: stage)
        }
    }

    func mapError(_ error: any Error, stage: SMTPStage) -> SMTPError {
        Self.mapError(error, peer: peer, stage: stage)
    }

    static func mapError(_ error: any Error, peer: String, stage: SMTPStage) -> SMTPError {
        switch error {
        case let error as SMTPError:
            return error
        case is SMTPReplyTimeout:
            return .timeout(peer: peer, stage: stage)
        case let violation as SMTPProtocolViolation:
            return .protocolViolation(peer: peer, stage: stage, reason: violation.reason)
        case let error as NIOSSLError:
            return .tls(peer: peer, reason: "\(error)")
        case let error as NIOSSLExtraError:
            return .tls(peer: peer, reason: "\(error)")
        case let error as BoringSSLError:
            return .tls(peer: peer, reason: "\(error)")
        case is ChannelError where stage == .connect:
            if case ChannelError.connectTimeout = error { return .timeout(peer: peer, stage: .connect) }
            return .network(peer: peer, stage: stage, reason: "\(error)")
        case is CancellationError:
            return .network(peer: peer, stage: stage, reason: "the delivery was cancelled")
        default:
            if stage == .starttls, case ChannelError.ioOnClosedChannel = error {
                return .tls(peer: peer, reason: "the connection closed during the TLS handshake")
            }
            return .network(peer: peer, stage: stage, reason: "\(error)")
        }
    }

    // MARK: - Logging (peer and stage only)

    private func metadata(_ stage: SMTPStage) -> Logger.Metadata {
        ["smtp.peer": .string(peer), "smtp.stage": .string(stage.rawValue)]
    }

    private func log(_ stage: SMTPStage) {
        logger.debug("SMTP stage", metadata: metadata(stage))
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL

/// Delivers ``MailMessage`` values to one SMTP relay over SwiftNIO.
///
/// Each ``send(_:)-(MailMessage)`` opens a connection, says `EHLO` (falling back to `HELO`),
/// upgrades with STARTTLS per ``SMTPConfiguration/security``, authenticates when credentials are
/// configured, runs one mail transaction and says `QUIT`. ``send(_:)-([MailMessage])`` sends
/// several messages over one connection, with `RSET` after a refused one.
///
/// Failures are ``SMTPError`` values that name the relay and the stage and tell whether to
/// retry (``SMTPError/isPermanent``). Logging is at debug level and carries the peer and the
/// stage only: never an address, a credential or the message.
///
/// ```swift
/// let client = try SMTPClient(configuration: .init(host: "127.0.0.1", port: 25, heloName: "mamori.isp.example"))
/// do {
///     let receipt = try await client.send(message)
///     logger.info("queued", metadata: ["reply": "\(receipt.finalReplyText)"])
/// } catch let error as SMTPError where error.isPermanent {
///     // bounce: the relay refused this message or recipient for good
/// }
/// ```
public struct SMTPClient: Sendable {
    /// The relay and how to talk to it.
    public let configuration: SMTPConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let tlsContext: NIOSSLContext?

    /// Checks the configuration and prepares TLS (loading the CA file, if one is named).
    ///
    /// - Parameters:
    ///   - configuration: the relay and the policies.
    ///   - eventLoopGroup: where connections run; default the process-wide NIO group.
    ///   - logger: debug-level session steps (peer and stage only).
    /// - Throws: ``SMTPError/invalidConfiguration(reason:)`` when `heloName` is empty or has
    ///   spaces or control characters, the port is out of range, credentials are set with
    ///   `security: .none` and without ``SMTPConfiguration/allowsAuthenticationWithoutTLS``, or
    ///   the TLS trust cannot be loaded.
    public init(
        configuration: SMTPConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "mamori.mailer")
    ) throws {
        let helo = configuration.heloName
        guard !helo.isEmpty, helo.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw SMTPError.invalidConfiguration(reason: "heloName must be a host name or address literal in ASCII")
        }
        guard (1...65535).contains(configuration.port) else {
            throw SMTPError.invalidConfiguration(reason: "port \(configuration.port) is out of range")
        }
        if configuration.credentials != nil, configuration.security == .none,
            !configuration.allowsAuthenticationWithoutTLS
        {
            throw SMTPError.invalidConfiguration(
                reason: "credentials are only sent over TLS; use STARTTLS or allowsAuthenticationWithoutTLS")
        }
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        if configuration.security == .none {
            self.tlsContext = nil
        } else {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            switch configuration.tlsTrust {
            case .systemRoots:
                tls.trustRoots = .default
            case .caFile(let path):
                tls.trustRoots = .file(path)
            case .insecureNoVerify:
                tls.certificateVerification = .none
            }
            do {
                self.tlsContext = try NIOSSLContext(configuration: tls)
            } catch {
                throw SMTPError.invalidConfiguration(reason: "cannot set up TLS: \(error)")
            }
        }
    }

    /// Sends one message on a connection of its own.
    ///
    /// - Returns: the relay's receipt (accepted and refused recipients, the final reply).
    /// - Throws: ``SMTPError`` only; ``SMTPError/isPermanent`` tells retry from bounce.
    public func send(_ message: MailMessage) async throws -> SMTPReceipt {
        try await send([message])[0].get()
    }

    /// Sends several messages over one connection, in order.
    ///
    /// A message the relay refuses (at `mail`, `rcpt` or `data`) fails alone: the client says
    /// `RSET` and goes on. When the connection itself fails, that message and every one after it
    /// fail with the same error. A message that cannot be rendered fails without being sent.
    ///
    /// - Returns: one result per message, in the same order.
    public func send(_ messages: [MailMessage]) async -> [Result<SMTPReceipt, SMTPError>] {
        var results: [Result<SMTPReceipt, SMTPError>?] = []
        var payloads: [[UInt8]?] = []
        for message in messages {
            do {
                payloads.append(try message.rfc5322())
                results.append(nil)
            } catch let error as MailMessageError {
                payloads.append(nil)
                results.append(.failure(.invalidMessage(error)))
            } catch {
                payloads.append(nil)
                results.append(.failure(.invalidConfiguration(reason: "\(error)")))
            }
        }
        guard payloads.contains(where: { $0 != nil }) else { return results.map { $0 ?? Self.notSent } }

        do {
            try await withSession { session in
                for index in messages.indices {
                    guard let payload = payloads[index] else { continue }
                    do {
                        let receipt = try await session.deliver(
                            from: messages[index].from, to: messages[index].to, payload: payload)
                        results[index] = .success(receipt)
                    } catch {
                        let smtpError = session.mapError(error, stage: .data)
                        results[index] = .failure(smtpError)
                        // A broken connection fails this message and, below, every later one.
                        guard Self.isTransactionFailure(smtpError) else { throw smtpError }
                        if payloads[(index + 1)...].contains(where: { $0 != nil }) {
                            try await session.reset()
                        }
                    }
                }
            }
        } catch {
            let smtpError = SMTPSession.mapError(error, peer: configuration.peer, stage: .connect)
            for index in results.indices where results[index] == nil { results[index] = .failure(smtpError) }
        }
        return results.map { $0 ?? Self.notSent }
    }

    private static let notSent = Result<SMTPReceipt, SMTPError>.failure(
        .invalidConfiguration(reason: "the message was not sent"))

    /// A refusal of this transaction only; the session can go on after `RSET`.
    private static func isTransactionFailure(_ error: SMTPError) -> Bool {
        if case .rejected(_, let stage, let reply) = error {
            return [.mail, .rcpt, .data].contains(stage) && reply.code != 421
        }
        return false
    }

    /// Connects, opens the session (greeting, EHLO, STARTTLS, AUTH), runs `body`, says QUIT.
    private func withSession(_ body: (inout SMTPSession) async throws -> Void) async throws {
        let configuration = self.configuration
        let peer = configuration.peer
        let replyTimeout = TimeAmount(configuration.replyTimeout)
        logger.debug("SMTP stage", metadata: ["smtp.peer": .string(peer), "smtp.stage": "connect"])
        let channel: NIOAsyncChannel<SMTPReply, SMTPCommand>
        do {
            channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        try pipeline.addHandler(MessageToByteHandler(SMTPCommandEncoder()))
                        try pipeline.addHandler(ReplyDeadlineHandler(timeout: replyTimeout))
                        return try NIOAsyncChannel<SMTPReply, SMTPCommand>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            logger.debug("SMTP stage failed", metadata: ["smtp.peer": .string(peer), "smtp.stage": "connect"])
            throw SMTPSession.mapError(error, peer: peer, stage: .connect)
        }
        let tlsContext = self.tlsContext
        let logger = self.logger
        do {
            try await channel.executeThenClose { inbound, outbound in
                var session = SMTPSession(
                    peer: peer, configuration: configuration, tlsContext: tlsContext, channel: channel.channel,
                    inbound: inbound, outbound: outbound, logger: logger)
                try await session.open()
                try await body(&session)
                await session.quit()
            }
        } catch let error as SMTPError {
            logger.debug(
                "SMTP stage failed",
                metadata: ["smtp.peer": .string(peer), "smtp.stage": .string(error.stage?.rawValue ?? "-")])
            throw error
        }
    }
}

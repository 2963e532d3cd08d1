import Foundation
import MamoriTesting
import NIOSSL
import Testing

@testable import Mailer

/// STARTTLS, AUTH and failure handling against ``TestSMTPServer`` on 127.0.0.1.
@Suite("SMTP client against a loopback test server")
struct SMTPClientTests {
    static func message(to recipients: [String] = ["taro@example.jp"], id: Int = 1) throws -> MailMessage {
        MailMessage(
            from: try EmailAddress("abuse@isp.example"),
            to: try recipients.map { try EmailAddress($0) },
            subject: "【重要】感染のお知らせ", textBody: "本文 \(id)\n.dot line\n",
            messageID: "<notice-\(id).test@mamori.isp.example>", date: Date(timeIntervalSince1970: 1_715_085_296))
    }

    static func configuration(
        port: Int, security: SMTPConfiguration.Security = .startTLSRequired,
        trust: SMTPConfiguration.TLSTrust = .insecureNoVerify, credentials: SMTPCredentials? = nil
    ) -> SMTPConfiguration {
        SMTPConfiguration(
            host: "127.0.0.1", port: port, heloName: "mamori.isp.example", security: security, tlsTrust: trust,
            credentials: credentials, connectTimeout: .seconds(120), replyTimeout: .seconds(120))
    }

    static func tlsBehaviour(auth: [String] = ["PLAIN", "LOGIN"]) throws -> TestSMTPServer.Behaviour {
        var behaviour = TestSMTPServer.Behaviour()
        behaviour.tls = try TestCertificate.make().serverContext()
        behaviour.authMechanisms = auth
        return behaviour
    }

    static let goodCredentials = SMTPCredentials(username: "mamori", password: "correct horse")

    // MARK: - STARTTLS and AUTH

    @Test func startTLSVerifiedAgainstCAFileThenAuthPlain() async throws {
        let certificate = try TestCertificate.make()
        try await TestSMTPServer.with(try Self.tlsBehaviour()) { server in
            let client = try SMTPClient(
                configuration: Self.configuration(
                    port: server.port, trust: .caFile(certificate.certificatePath), credentials: Self.goodCredentials))
            let receipt = try await client.send(try Self.message())
            #expect(receipt.usedTLS)
            #expect(receipt.authenticated)
            #expect(receipt.finalReplyText == "250 2.0.0 Ok: queued as TEST1")

            let commands = server.commands
            let startTLS = try #require(commands.firstIndex { $0.line == "STARTTLS" })
            #expect(commands[..<startTLS].allSatisfy { !$0.overTLS })
            #expect(commands[(startTLS + 1)...].allSatisfy { $0.overTLS }, "everything after STARTTLS is encrypted")
            #expect(commands[startTLS + 1].line == "EHLO mamori.isp.example", "EHLO again over TLS")
            let auth = try #require(commands.first { $0.line.hasPrefix("AUTH ") })
            #expect(auth.line.hasPrefix("AUTH PLAIN "))
            #expect(auth.overTLS)

            let delivered = try #require(server.messages.first)
            #expect(delivered.overTLS)
            #expect(delivered.authenticatedAs == "mamori")
            #expect(delivered.sender == "abuse@isp.example")
            #expect(delivered.recipients == ["taro@example.jp"])
            #expect(delivered.data.contains("Message-ID: <notice-1.test@mamori.isp.example>\r\n"))
            let body = try #require(ParsedMail(delivered.data).decodedBody)
            #expect(body == "本文 1\r\n.dot line\r\n")
        }
    }

    static func behaviour(certificate: TestCertificate) throws -> TestSMTPServer.Behaviour {
        var behaviour = TestSMTPServer.Behaviour()
        behaviour.tls = try certificate.serverContext()
        return behaviour
    }

    @Test func certificateWithoutTheAddressNeedsTheNameGiven() async throws {
        let certificate = try TestCertificate.makeLocalhostOnly()
        try await TestSMTPServer.with(try Self.behaviour(certificate: certificate)) { server in
            var configuration = Self.configuration(port: server.port, trust: .caFile(certificate.certificatePath))
            // Connecting to 127.0.0.1, the certificate (localhost only) does not match...
            let error = await #expect(throws: SMTPError.self) {
                try await SMTPClient(configuration: configuration).send(try Self.message())
            }
            #expect(error?.stage == .starttls)
            #expect(server.messages.isEmpty)
            // ...until the name it must carry is given.
            configuration.tlsServerName = "localhost"
            let receipt = try await SMTPClient(configuration: configuration).send(try Self.message())
            #expect(receipt.usedTLS)
            #expect(!receipt.authenticated)
            #expect(server.messages.count == 1)
        }
    }

    @Test func authLoginWhenPlainIsNotOffered() async throws {
        try await TestSMTPServer.with(try Self.tlsBehaviour(auth: ["LOGIN"])) { server in
            let client = try SMTPClient(
                configuration: Self.configuration(port: server.port, credentials: Self.goodCredentials))
            let receipt = try await client.send(try Self.message())
            #expect(receipt.authenticated)
            #expect(server.commands.contains { $0.line == "AUTH LOGIN" && $0.overTLS })
            #expect(server.messages.first?.authenticatedAs == "mamori")
        }
    }

    @Test func wrongPasswordFailsAtAuthTransiently() async throws {
        try await TestSMTPServer.with(try Self.tlsBehaviour()) { server in
            let client = try SMTPClient(
                configuration: Self.configuration(
                    port: server.port, credentials: SMTPCredentials(username: "mamori", password: "wrong")))
            let error = await #expect(throws: SMTPError.self) { try await client.send(try Self.message()) }
            #expect(error?.stage == .auth)
            #expect(error?.reply?.code == 535)
            #expect(error?.isPermanent == false, "our own credentials are wrong: retry after fixing, never bounce")
            #expect(error?.description.contains("wrong") == false, "the password is not in the error")
            #expect(server.messages.isEmpty)
            #expect(!server.commands.contains { $0.line.hasPrefix("MAIL") })
        }
    }

    @Test func untrustedCertificateFailsAtStartTLS() async throws {
        try await TestSMTPServer.with(try Self.tlsBehaviour()) { server in
            let client = try SMTPClient(
                configuration: Self.configuration(
                    port: server.port, security: .startTLSIfOffered, trust: .systemRoots,
                    credentials: Self.goodCredentials))
            let error = await #expect(throws: SMTPError.self) { try await client.send(try Self.message()) }
            #expect(error?.stage == .starttls)
            #expect(error?.isPermanent == false)
            guard case .tls = error else {
                Issue.record("expected a TLS error, got \(String(describing: error))")
                return
            }
            #expect(!server.commands.contains { $0.line.hasPrefix("AUTH") || $0.line.hasPrefix("MAIL") })
        }
    }

    @Test func certificateForAnotherNameFailsAtStartTLS() async throws {
        let certificate = try TestCertificate.makeLocalhostOnly()
        try await TestSMTPServer.with(try Self.behaviour(certificate: certificate)) { server in
            var configuration = Self.configuration(port: server.port, trust: .caFile(certificate.certificatePath))
            configuration.tlsServerName = "relay.isp.example"
            let error = await #expect(throws: SMTPError.self) {
                try await SMTPClient(configuration: configuration).send(try Self.message())
            }
            #expect(error?.stage == .starttls)
            #expect(error?.isPermanent == false)
            #expect(server.messages.isEmpty)
        }
    }

    @Test func requiredSTARTTLSNotOfferedFails() async throws {
        try await TestSMTPServer.with(TestSMTPServer.Behaviour()) { server in
            let client = try SMTPClient(configuration: Self.configuration(port: server.port))
            let error = await #expect(throws: SMTPError.self) { try await client.send(try Self.message()) }
            #expect(error?.stage == .starttls)
            #expect(error?.isPermanent == false)
            #expect(!server.commands.contains { $0.line.hasPrefix("MAIL") })
        }
    }

    @Test func credentialsAreNotSentWithoutTLS() async throws {
        var behaviour = TestSMTPServer.Behaviour()
        behaviour.authMechanisms = ["PLAIN", "LOGIN"]  // offered in plaintext
        try await TestSMTPServer.with(behaviour) { server in
            let client = try SMTPClient(
                configuration: Self.configuration(
                    port: server.port, security: .startTLSIfOffered, credentials: Self.goodCredentials))
            let error = await #expect(throws: SMTPError.self) { try await client.send(try Self.message()) }
            #expect(error?.stage == .auth)
            guard case .authenticationUnavailable = error else {
                Issue.record("expected authenticationUnavailable, got \(String(describing: error))")
                return
            }
            #expect(!server.commands.contains { $0.line.hasPrefix("AUTH") }, "nothing secret went out")
        }
    }

    @Test func plaintextAuthWhenExplicitlyAllowed() async throws {
        var behaviour = TestSMTPServer.Behaviour()
        behaviour.authMechanisms = ["PLAIN"]
        try await TestSMTPServer.with(behaviour) { server in
            var configuration = Self.configuration(
                port: server.port, security: .none, credentials: Self.goodCredentials)
            configuration.allowsAuthenticationWithoutTLS = true
            let receipt = try await SMTPClient(configuration: configuration).send(try Self.message())
            #expect(receipt.authenticated)
            #expect(!receipt.usedTLS)
        }
    }

    @Test func injectedReplyAfterSTARTTLSIsRefused() async throws {
        var behaviour = try Self.tlsBehaviour()
        behaviour.injectAfterSTARTTLS = true
        try await TestSMTPServer.with(behaviour) { server in
            let client = try SMTPClient(
                configuration: Self.configuration(port: server.port, credentials: Self.goodCredentials))
            let error = await #expect(throws: SMTPError.self) { try await client.send(try Self.message()) }
            #expect(error?.stage == .starttls)
            guard case .protocolViolation = error else {
                Issue.record("expected protocolViolation, got \(String(describing: error))")
                return
            }
            #expect(!server.commands.contains { $0.line.hasPrefix("AUTH") || $0.line.hasPrefix("MAIL") })
        }
    }

    // MARK: - Session behaviour

    @Test func heloFallbackWhenEHLOIsUnknown() async throws {
        var behaviour = TestSMTPServer.Behaviour()
        behaviour.supportsEHLO = false
        try await TestSMTPServer.with(behaviour) { server in
            let client = try SMTPClient(
                configuration: Self.configuration(port: server.port, security: .startTLSIfOffered))
            let receipt = try await client.send(try Self.message())
            #expect(receipt.finalReply.code == 250)
            #expect(server.commands.map(\.line).prefix(2) == ["EHLO mamori.isp.example", "HELO mamori.isp.example"])
            #expect(server.commands.contains { $0.line == "MAIL FROM:<abuse@isp.example>" }, "no SIZE without EHLO")
        }
    }

    @Test func batchGoesOnAfterARefusedMessageWithRSET() async throws {
        var behaviour = TestSMTPServer.Behaviour()
        behaviour.refusedRecipients = ["gone@example.jp"]
        try await TestSMTPServer.with(behaviour) { server in
            let client = try SMTPClient(configuration: Self.configuration(port: server.port, security: .none))
            let results = await client.send([
                try Self.message(to: ["a@example.jp"], id: 1),
                try Self.message(to: ["gone@example.jp"], id: 2),
                try Self.message(to: ["b@example.jp"], id: 3),
            ])
            #expect(throws: Never.self) { try results[0].get() }
            #expect(throws: Never.self) { try results[2].get() }
            guard case .failure(let refused) = results[1] else {
                Issue.record("the second message should fail")
                return
            }
            #expect(refused.stage == .rcpt)
            #expect(refused.isPermanent)
            #expect(refused.reply?.code == 550)
            #expect(server.connections == 1, "one connection for the batch")
            #expect(server.commands.contains { $0.line == "RSET" })
            #expect(server.messages.map(\.recipients) == [["a@example.jp"], ["b@example.jp"]])
            #expect(server.commands.last?.line == "QUIT")
        }
    }

    @Test func someRecipientsRefusedOthersDelivered() async throws {
        var behaviour = TestSMTPServer.Behaviour()
        behaviour.refusedRecipients = ["gone@example.jp"]
        try await TestSMTPServer.with(behaviour) { server in
            let client = try SMTPClient(configuration: Self.configuration(port: server.port, security: .none))
            let receipt = try await client.send(try Self.message(to: ["a@example.jp", "gone@example.jp"]))
            #expect(receipt.acceptedRecipients.map(\.address) == ["a@example.jp"])
            #expect(receipt.rejectedRecipients.map(\.recipient.address) == ["gone@example.jp"])
            #expect(receipt.rejectedRecipients.first?.reply.code == 550)
            #expect(server.messages.first?.recipients == ["a@example.jp"])
        }
    }

    @Test func silentServerTimesOut() async throws {
        var behaviour = TestSMTPServer.Behaviour()
        behaviour.silent = true
        try await TestSMTPServer.with(behaviour) { server in
            var configuration = Self.configuration(port: server.port, security: .none)
            configuration.replyTimeout = .seconds(1)
            let error = await #expect(throws: SMTPError.self) {
                try await SMTPClient(configuration: configuration).send(try Self.message())
            }
            #expect(error?.stage == .connect)
            #expect(error?.isPermanent == false)
            guard case .timeout = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
        }
    }

    @Test func connectionRefusedIsTransientAtConnect() async throws {
        let port = try Loopback.freePort()
        let client = try SMTPClient(configuration: Self.configuration(port: port, security: .none))
        let error = await #expect(throws: SMTPError.self) { try await client.send(try Self.message()) }
        #expect(error?.stage == .connect)
        #expect(error?.isPermanent == false)
        #expect(error?.peer == "127.0.0.1:\(port)")
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
        guard case .network = error else {
            Issue.record("expected a network error, got \(String(describing: error))")
            return
        }
    }

    @Test func invalidMessageFailsBeforeConnecting() async throws {
        let port = try Loopback.freePort()  // nothing listens: a connection attempt would fail differently
        let client = try SMTPClient(configuration: Self.configuration(port: port, security: .none))
        var message = try Self.message()
        message.subject = "x\r\nBcc: victim@example.com"
        let error = await #expect(throws: SMTPError.self) { try await client.send(message) }
        #expect(error?.isPermanent == true)
        guard case .invalidMessage(.headerInjection) = error else {
            Issue.record("expected invalidMessage, got \(String(describing: error))")
            return
        }
    }

    // MARK: - Configuration

    @Test func unusableConfigurationsAreRefused() {
        #expect(throws: SMTPError.self) {
            try SMTPClient(configuration: SMTPConfiguration(host: "127.0.0.1", heloName: "two words"))
        }
        #expect(throws: SMTPError.self) {
            try SMTPClient(configuration: SMTPConfiguration(host: "127.0.0.1", port: 0, heloName: "h.example"))
        }
        #expect(throws: SMTPError.self) {
            try SMTPClient(
                configuration: SMTPConfiguration(
                    host: "127.0.0.1", heloName: "h.example", security: .none, credentials: Self.goodCredentials))
        }
        #expect(throws: SMTPError.self) {
            try SMTPClient(
                configuration: SMTPConfiguration(
                    host: "127.0.0.1", heloName: "h.example", tlsTrust: .caFile("/nonexistent/ca.pem")))
        }
    }
}

import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A small SMTP server on 127.0.0.1 for what smtp-sink cannot do: STARTTLS (NIOSSL, with a
/// certificate made by the openssl CLI), AUTH PLAIN/LOGIN with a password check, a missing
/// EHLO, a STARTTLS response injection, a server that never answers. It records every command
/// with whether it arrived over TLS, and every message.
final class TestSMTPServer: Sendable {
    struct Behaviour: Sendable {
        /// Offer STARTTLS with this server context.
        var tls: NIOSSLContext?
        /// SASL mechanisms offered, only after TLS when `tls` is set (like Postfix's
        /// `smtpd_tls_auth_only = yes`).
        var authMechanisms: [String] = []
        var username = "mamori"
        var password = "correct horse"
        /// Refuse EHLO with 502 (an RFC 821 server).
        var supportsEHLO = true
        /// Recipients refused at RCPT, with this reply.
        var refusedRecipients: Set<String> = []
        var refusal = "550 5.1.1 Recipient address rejected: User unknown"
        /// Send a forged `250` after the `220` to STARTTLS, in the same write.
        var injectAfterSTARTTLS = false
        /// Accept connections but never say anything.
        var silent = false
    }

    struct Command: Sendable, Equatable {
        var line: String
        var overTLS: Bool
    }

    struct Message: Sendable {
        var sender: String
        var recipients: [String]
        var data: String
        var overTLS: Bool
        var authenticatedAs: String?
    }

    struct Record: Sendable {
        var connections = 0
        var commands: [Command] = []
        var messages: [Message] = []
    }

    let behaviour: Behaviour
    let port: Int
    private let record = Mutex(Record())

    private init(behaviour: Behaviour, port: Int) {
        self.behaviour = behaviour
        self.port = port
    }

    var connections: Int { record.withLock { $0.connections } }
    var commands: [Command] { record.withLock { $0.commands } }
    var messages: [Message] { record.withLock { $0.messages } }

    /// Runs `body` with a server listening on a free loopback port; the server is closed after.
    static func with<Result: Sendable>(
        _ behaviour: Behaviour, _ body: @Sendable (TestSMTPServer) async throws -> Result
    ) async throws -> Result {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = try boundPort(listener.channel.localAddress?.port)
        let server = TestSMTPServer(behaviour: behaviour, port: port)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await listener.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in inbound {
                            connections.addTask { try? await server.serve(connection) }
                        }
                    }
                }
            }
            do {
                let result = try await body(server)
                try? await listener.channel.close()
                try await group.waitForAll()
                return result
            } catch {
                try? await listener.channel.close()
                throw error
            }
        }
    }

    // MARK: - One connection

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        record.withLock { $0.connections += 1 }
        let channel = connection.channel
        try await connection.executeThenClose { inbound, outbound in
            if behaviour.silent {
                for try await _ in inbound {}
                return
            }
            var lines = LineReader(inbound.makeAsyncIterator())
            var overTLS = false
            var authenticatedAs: String?
            var sender: String?
            var recipients: [String] = []

            func say(_ text: String) async throws {
                try await outbound.write(ByteBuffer(string: text + "\r\n"))
            }
            try await say("220 test.mamori.invalid ESMTP ready")
            while let line = try await lines.next() {
                record.withLock { $0.commands.append(Command(line: line, overTLS: overTLS)) }
                let verb = line.split(separator: " ", maxSplits: 1).first.map { $0.uppercased() } ?? ""
                switch verb {
                case "EHLO":
                    guard behaviour.supportsEHLO else {
                        try await say("502 5.5.2 Error: command not recognized")
                        continue
                    }
                    var capabilities = ["test.mamori.invalid", "PIPELINING", "SIZE 10240000"]
                    if behaviour.tls != nil, !overTLS { capabilities.append("STARTTLS") }
                    if !behaviour.authMechanisms.isEmpty, behaviour.tls == nil || overTLS {
                        capabilities.append("AUTH " + behaviour.authMechanisms.joined(separator: " "))
                    }
                    capabilities.append("8BITMIME")
                    for (index, capability) in capabilities.enumerated() {
                        try await say("250\(index == capabilities.count - 1 ? " " : "-")\(capability)")
                    }
                case "HELO":
                    try await say("250 test.mamori.invalid")
                case "STARTTLS":
                    guard let tls = behaviour.tls, !overTLS else {
                        try await say("502 5.5.1 Error: command not implemented")
                        continue
                    }
                    if behaviour.injectAfterSTARTTLS {
                        try await say("220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 AUTH PLAIN")
                        continue
                    }
                    // Reply and switch to TLS in one event-loop turn, before the ClientHello is read.
                    try await channel.eventLoop.submit {
                        channel.writeAndFlush(ByteBuffer(string: "220 2.0.0 Ready to start TLS\r\n"), promise: nil)
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLServerHandler(context: tls), position: .first)
                    }.get()
                    overTLS = true
                case "AUTH":
                    let words = line.split(separator: " ").map(String.init)
                    let mechanism = words.count > 1 ? words[1].uppercased() : ""
                    guard behaviour.authMechanisms.contains(mechanism) else {
                        try await say("504 5.5.4 Unrecognized authentication type")
                        continue
                    }
                    var user = ""
                    var pass = ""
                    if mechanism == "PLAIN" {
                        let token: String
                        if words.count > 2 {
                            token = words[2]
                        } else {
                            try await say("334 ")
                            token = try await lines.next() ?? ""
                        }
                        let fields = (Data(base64Encoded: token) ?? Data()).split(
                            separator: 0, omittingEmptySubsequences: false)
                        if fields.count == 3 {
                            user = String(decoding: fields[1], as: UTF8.self)
                            pass = String(decoding: fields[2], as: UTF8.self)
                        }
                    } else {
                        try await say("334 VXNlcm5hbWU6")
                        user = String(
                            decoding: Data(base64Encoded: try await lines.next() ?? "") ?? Data(), as: UTF8.self)
                        try await say("334 UGFzc3dvcmQ6")
                        pass = String(
                            decoding: Data(base64Encoded: try await lines.next() ?? "") ?? Data(), as: UTF8.self)
                    }
                    if user == behaviour.username, pass == behaviour.password {
                        authenticatedAs = user
                        try await say("235 2.7.0 Authentication successful")
                    } else {
                        try await say("535 5.7.8 Error: authentication failed: authentication failure")
                    }
                case "MAIL":
                    sender = Self.angleAddress(line)
                    recipients = []
                    try await say("250 2.1.0 Ok")
                case "RCPT":
                    let recipient = Self.angleAddress(line) ?? ""
                    if behaviour.refusedRecipients.contains(recipient) {
                        try await say(behaviour.refusal)
                    } else {
                        recipients.append(recipient)
                        try await say("250 2.1.5 Ok")
                    }
                case "DATA":
                    guard sender != nil, !recipients.isEmpty else {
                        try await say("554 5.5.1 Error: no valid recipients")
                        continue
                    }
                    try await say("354 End data with <CR><LF>.<CR><LF>")
                    var data = ""
                    while let dataLine = try await lines.next(), dataLine != "." {
                        data += (dataLine.hasPrefix(".") ? String(dataLine.dropFirst()) : dataLine) + "\r\n"
                    }
                    let message = Message(
                        sender: sender ?? "", recipients: recipients, data: data, overTLS: overTLS,
                        authenticatedAs: authenticatedAs)
                    let queued = record.withLock { record in
                        record.messages.append(message)
                        return record.messages.count
                    }
                    sender = nil
                    recipients = []
                    try await say("250 2.0.0 Ok: queued as TEST\(queued)")
                case "RSET":
                    sender = nil
                    recipients = []
                    try await say("250 2.0.0 Ok")
                case "QUIT":
                    try await say("221 2.0.0 Bye")
                    return
                default:
                    try await say("502 5.5.2 Error: command not recognized")
                }
            }
        }
    }

    private static func angleAddress(_ line: String) -> String? {
        guard let open = line.firstIndex(of: "<"), let close = line[open...].firstIndex(of: ">") else { return nil }
        return String(line[line.index(after: open)..<close])
    }
}

/// Splits a byte stream into CRLF (or LF) lines.
struct LineReader {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var pending: [UInt8] = []

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
        self.iterator = iterator
    }

    mutating func next() async throws -> String? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                var line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard let buffer = try await iterator.next() else { return nil }
            pending.append(contentsOf: buffer.readableBytesView)
        }
    }
}

struct MissingPort: Error {}

/// The bound port, or an error.
func boundPort(_ port: Int?) throws -> Int {
    guard let port else { throw MissingPort() }
    return port
}

import Addressing
import Attribution
import Foundation
import Logging
public import NIOCore
public import NetServer
import SiteWarning

/// Serves Accounting-Requests (RFC 2866): verifies the Request Authenticator, updates the live
/// sessions at once, stores the event (batched with concurrent ones), then answers.
///
/// In order, for one datagram:
/// 1. not a RADIUS packet, or not an Accounting-Request: dropped (`malformed`);
/// 2. from no configured client (``RADIUSClients``): dropped (`unknown-client`); Request
///    Authenticator wrong for that client's shared secret: dropped, not answered
///    (`bad-authenticator`);
/// 3. a retransmission of a request answered within the window: the same answer again
///    (`retransmission`), nothing else done; of one still being stored: not answered
///    (`in-progress`), the NAS retries;
/// 4. Start/Interim-Update: ``LiveSessions/start(line:prefixes:at:)`` / `interim` at the arrival
///    time; Stop: ``LiveSessions/stop(line:prefixes:)`` (with the addresses of the session's
///    earlier records when the Stop carries none); Accounting-On/-Off: the NAS's tracked sessions
///    end (`nas-restart`). The line is the `User-Name`;
/// 5. the event goes to the store; the Accounting-Response is sent only once it is stored
///    (RFC 2866 §2: the NAS retransmits until answered). A store failure leaves it unanswered
///    (`store-failed`).
///
/// Logs and metrics carry reasons only: never an address, a user, a session or the secret.
public struct RADIUSAccountingHandler: DatagramHandler {
    let clients: RADIUSClients
    let sessions: LiveSessions
    let batcher: AssignmentBatcher
    let cache: RetransmissionCache
    let nasSessions: NASSessions
    let metrics: RADIUSMetrics
    let log: RateLimitedLogger
    let now: @Sendable () -> Date

    init(
        clients: RADIUSClients, sessions: LiveSessions, batcher: AssignmentBatcher, configuration: RADIUSAccountingConfiguration,
        metrics: RADIUSMetrics, log: RateLimitedLogger, now: @escaping @Sendable () -> Date
    ) {
        self.clients = clients
        self.sessions = sessions
        self.batcher = batcher
        self.cache = RetransmissionCache(window: configuration.retransmissionWindow, capacity: configuration.maxRememberedRequests)
        self.nasSessions = NASSessions(expiry: sessions.expiry, capacity: configuration.maxTrackedSessions)
        self.metrics = metrics
        self.log = log
        self.now = now
    }

    public func handle(_ datagram: ByteBuffer, from peer: SocketAddress) async throws -> HandlerResult<ByteBuffer> {
        let bytes = Array(datagram.readableBytesView)
        let packet: RadiusPacket
        do {
            packet = try RadiusPacket(decoding: bytes)
            guard packet.code == .accountingRequest else { throw RadiusError.unexpectedCode(packet.code) }
        } catch {
            metrics.request(.malformed)
            return .malformed(reason: "\(error)", reply: nil)
        }
        guard let secret = clients.secret(for: peer.ipAddress.flatMap { IPAddress($0) }) else {
            metrics.request(.unknownClient)
            log.warning(key: "unknown_client", "Accounting-Request dropped: its source is no configured RADIUS client")
            return .noReply
        }
        do {
            try RadiusAuthenticator.verifyAccountingRequest(bytes, secret: secret)
        } catch {
            metrics.request(.badAuthenticator)
            log.warning(key: "bad_authenticator", "Accounting-Request dropped: the Request Authenticator does not match the shared secret")
            return .noReply
        }
        let key = RetransmissionCache.Key(peer: peer, identifier: packet.identifier, authenticator: packet.authenticator)
        let arrival = now()
        switch cache.begin(key, now: arrival) {
        case .answered(let response):
            metrics.request(.retransmission)
            return .reply(ByteBuffer(bytes: response))
        case .inProgress:
            metrics.request(.inProgress)
            return .noReply
        case .new:
            break
        }
        let record: RadiusAccountingRecord
        do {
            record = try RadiusAccountingRecord(packet, receivedAt: arrival)
        } catch {
            cache.abandon(key)
            metrics.request(.malformed)
            return .malformed(reason: error.description, reply: nil)
        }
        let nas = record.nas ?? peer.ipAddress.flatMap { IPAddress($0) }.map { RadiusNASIdentity.address($0) } ?? RadiusNASIdentity.identifier("")
        let outcome: RADIUSOutcome
        switch record.status {
        case .accountingOn, .accountingOff:
            for session in nasSessions.endAll(nas: nas) { sessions.stop(line: session.line, prefixes: session.prefixes) }
            outcome = .nasRestart
        case .other:
            outcome = .skipped
        case .start, .interimUpdate, .stop:
            guard let event = record.event else {
                log.warning(key: "incomplete", "accounting record without what a session needs", metadata: ["reason": "\(record.problem ?? "")"])
                outcome = .incomplete
                break
            }
            let line = LineID(event.subscriber)
            if event.kind == .stop {
                let prefixes = nasSessions.stop(nas: nas, session: event.session, line: line, prefixes: event.prefixes)
                sessions.stop(line: line, prefixes: prefixes)
            } else {
                let prefixes = nasSessions.update(nas: nas, session: event.session, line: line, prefixes: event.prefixes, now: arrival)
                sessions.start(line: line, prefixes: prefixes, at: arrival)
            }
            do {
                try await batcher.submit([event])
            } catch {
                cache.abandon(key)
                metrics.request(.storeFailed)
                log.warning(key: "store", "accounting event not stored; the NAS will retransmit", metadata: ["error": "\(type(of: error))"])
                return .noReply
            }
            outcome = .accepted
        }
        let response = RadiusAuthenticator.accountingResponse(to: packet, secret: secret)
        cache.answered(key, response)
        metrics.request(outcome)
        return .reply(ByteBuffer(bytes: response))
    }
}

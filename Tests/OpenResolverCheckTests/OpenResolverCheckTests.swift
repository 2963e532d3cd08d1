import Addressing
import DNS
import Foundation
import MamoriTesting
import NIOCore
import Testing

@testable import OpenResolverCheck

/// The verdict on answers, and the probe against real Unbound on loopback.
@Suite struct OpenResolverProbeTests {
    static let name = try! DNSName("probe.mamori.test")

    static func response(ra: Bool, rcode: UInt8, answers: Int) -> DNSMessage {
        var message = OpenResolverProbe(name: name).query(id: 7).message
        message.header.isResponse = true
        message.header.recursionAvailable = ra
        message.header.rcode = rcode
        message.answers = (0..<answers).map { _ in DNSRecord(name: name, type: .a, ttl: 60, data: .a([192, 0, 2, 1])) }
        return message
    }

    @Test func answersMustRepeatTheIDAndTheQuestionIfAny() throws {
        let query = OpenResolverProbe(name: Self.name).query(id: 7).outstanding
        func bytes(_ message: DNSMessage) throws -> ByteBuffer { ByteBuffer(bytes: try message.bytes()) }
        var answer = Self.response(ra: true, rcode: DNSRCode.noError, answers: 1)
        #expect(OpenResolverProbe.answer(try bytes(answer), to: query) != nil)
        answer.header.id = 8
        #expect(OpenResolverProbe.answer(try bytes(answer), to: query) == nil)
        answer.header.id = 7
        answer.questions = [DNSQuestion(name: try DNSName("other.mamori.test"), type: .a)]
        #expect(OpenResolverProbe.answer(try bytes(answer), to: query) == nil)
        answer.questions = []
        #expect(OpenResolverProbe.answer(try bytes(answer), to: query) != nil)
        answer.header.isResponse = false
        #expect(OpenResolverProbe.answer(try bytes(answer), to: query) == nil)
        #expect(OpenResolverProbe.answer(ByteBuffer(bytes: [0, 7, 0x80]), to: query) == nil)
    }

    @Test func verdicts() {
        #expect(OpenResolverProbe.verdict(of: Self.response(ra: true, rcode: DNSRCode.noError, answers: 1)) == .open)
        #expect(OpenResolverProbe.verdict(of: Self.response(ra: true, rcode: DNSRCode.nameError, answers: 0)) == .open)
        #expect(OpenResolverProbe.verdict(of: Self.response(ra: true, rcode: DNSRCode.refused, answers: 0)) == .closed)
        #expect(OpenResolverProbe.verdict(of: Self.response(ra: false, rcode: DNSRCode.noError, answers: 1)) == .closed)
        #expect(OpenResolverProbe.verdict(of: Self.response(ra: true, rcode: DNSRCode.noError, answers: 0)) == .closed)
        #expect(OpenResolverProbe.verdict(of: Self.response(ra: true, rcode: DNSRCode.serverFailure, answers: 0)) == .closed)
        let query = OpenResolverProbe(name: Self.name).query(id: 9)
        #expect(query.message.header.recursionDesired && query.message.questions == [DNSQuestion(name: Self.name, type: .a)])
    }

    /// Unbound allowing loopback recursion is open, Unbound refusing it is closed, and an address
    /// where nothing listens is silent.
    @Test(.enabled(if: Unbound.isInstalled, "needs unbound"))
    func realUnboundOpenClosedAndSilent() async throws {
        let open = try Unbound(localZones: ["mamori.test. static"], localData: ["probe.mamori.test. 60 IN A 192.0.2.53"])
        defer { open.stop() }
        let refusing = try Unbound(
            localZones: ["mamori.test. static"], localData: ["probe.mamori.test. 60 IN A 192.0.2.53"],
            serverOptions: ["access-control: 127.0.0.1/32 refuse"])
        defer { refusing.stop() }
        let targets = [IPAddress("127.0.0.1")!, IPAddress("127.0.0.2")!]
        let first = try await OpenResolverProbe(name: Self.name, rate: 100, timeout: .seconds(3), port: open.port).run(targets)
        #expect(first.verdicts == [targets[0]: .open, targets[1]: .silent])
        #expect(first.addresses(.open) == [targets[0]] && first.unmatched == 0)
        let second = try await OpenResolverProbe(name: Self.name, rate: 100, timeout: .seconds(3), port: refusing.port).run(targets)
        // Unbound refuses without repeating the question; the id and the address still match.
        #expect(second.verdicts == [targets[0]: .closed, targets[1]: .silent] && second.unmatched == 0)
    }
}

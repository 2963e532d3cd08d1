import Addressing
import Foundation
import MailGuard
import MamoriTesting
import Testing

@Suite struct PolicyProtocolTests {
    /// The captured requests of Postfix 3.7.11, rebuilt as the bytes Postfix sends.
    static func capturedRequests() throws -> [(bytes: [UInt8], fields: [String: String], reply: String)] {
        let text = try String(contentsOf: Corpus.file("smtp/generated/postfix-policy-requests.jsonl"), encoding: .utf8)
        var out: [(bytes: [UInt8], fields: [String: String], reply: String)] = []
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let request = try #require(object["request"] as? [String: String])
            var bytes: [UInt8] = []
            for (name, value) in request.sorted(by: { $0.key < $1.key }) { bytes += Array("\(name)=\(value)\n".utf8) }
            bytes.append(0x0A)
            out.append((bytes, request, try #require(object["reply"] as? String)))
        }
        return out
    }

    @Test(.enabled(if: Corpus.isPresent, Comment(rawValue: Corpus.missingMessage)))
    func parsesEveryCapturedRequest() throws {
        let requests = try Self.capturedRequests()
        #expect(requests.count == 25)
        for (bytes, fields, _) in requests {
            #expect(PolicyProtocol.requestEnd(in: bytes) == bytes.count)
            let parsed = try PolicyProtocol.parse(bytes)
            #expect(parsed.saslUsername == (fields["sasl_username"].flatMap { $0.isEmpty ? nil : $0 }))
            #expect(parsed.clientAddress == IPAddress(fields["client_address"] ?? ""))
            #expect(parsed.sender == (fields["sender"].flatMap { $0.isEmpty ? nil : $0 }))
        }
    }
}

extension PolicyProtocolTests {
    @Test func toleratesUnknownAttributesAndKeepsTheLastRepeat() throws {
        let text = "request=smtpd_access_policy\nfuture_attribute=x=y\nsasl_username=a\nsasl_username=b\nclient_address=192.0.2.1\n\n"
        let parsed = try PolicyProtocol.parse(Array(text.utf8))
        #expect(parsed.saslUsername == "b")
        #expect(parsed.clientAddress == IPAddress("192.0.2.1"))
        #expect(parsed.sender == nil)
    }

    @Test(arguments: [
        ("\n", 1, "empty request"),
        ("request=smtpd_access_policy\nno equals sign\n\n", 2, "no `=` in the attribute line"),
        ("request=smtpd_access_policy\n=value\n\n", 2, "empty attribute name"),
        ("sasl_username=a\n\n", 1, "no `request` attribute"),
        ("request=other\n\n", 1, "`request` is not smtpd_access_policy"),
        ("request=smtpd_access_policy\nsender=a\u{0}b\n\n", 2, "NUL byte"),
        ("request=smtpd_access_policy\nsender=a", 2, "request not ended by a blank line"),
    ])
    func rejectsMalformedRequests(text: String, line: Int, reason: String) {
        // The contiguous parser (an array) and the byte walk (a lazy view) give the same error.
        #expect(throws: MailGuardError.malformedPolicyRequest(line: line, reason: reason)) {
            try PolicyProtocol.parse(Array(text.utf8))
        }
        #expect(throws: MailGuardError.malformedPolicyRequest(line: line, reason: reason)) {
            try PolicyProtocol.parse(text.utf8.lazy.map { $0 })
        }
    }

    /// Both parsers read the captured requests, and variants of them, alike.
    @Test(.enabled(if: Corpus.isPresent, Comment(rawValue: Corpus.missingMessage)))
    func theContiguousParserAndTheByteWalkAgree() throws {
        for (bytes, _, _) in try Self.capturedRequests() {
            let variants = [
                bytes, Array(bytes.dropLast()), Array(bytes.prefix(bytes.count / 2)) + [0x0A, 0x0A],
                bytes.map { $0 == 0x3D ? 0x20 : $0 }, Array("protocol_state=END-OF-MESSAGE\n".utf8) + bytes,
            ]
            for variant in variants {
                let fast = Result { () throws(MailGuardError) in try PolicyProtocol.parse(variant) }
                let walked = Result { () throws(MailGuardError) in try PolicyProtocol.parseWalking(variant) }
                #expect(fast == walked)
            }
        }
    }

    @Test func framesRequestsOneByOne() {
        let two = Array("request=smtpd_access_policy\n\nrequest=smtpd_access_policy\n".utf8)
        #expect(PolicyProtocol.requestEnd(in: two) == 29)
        #expect(PolicyProtocol.requestEnd(in: two[29...]) == nil)
        #expect(PolicyProtocol.requestEnd(in: Array("\n".utf8)) == 1)
    }

    @Test func encodesActions() {
        #expect(PolicyAction.dunno.encoded == Array("action=DUNNO\n\n".utf8))
        #expect(SuspendedReply.reject.action(text: "5.7.1 x\ny").encoded == Array("action=REJECT 5.7.1 x y\n\n".utf8))
        #expect(SuspendedReply.hold.action(text: "held").description == "HOLD held")
        #expect(SuspendedReply.defer.action(text: "").description == "DEFER")
    }

    @Test(.enabled(if: Corpus.isPresent, Comment(rawValue: Corpus.missingMessage)))
    func repliesAsTheCapturedSessionDidForAnUnsuspendedID() throws {
        // Every captured reply of `DUNNO` is what the guard gives with no suspension in force.
        let guardian = try GuardFixture().guardian
        for (bytes, _, reply) in try Self.capturedRequests() where reply == "DUNNO" {
            #expect(guardian.policyAction(for: try PolicyProtocol.parse(bytes)) == .dunno)
        }
    }
}

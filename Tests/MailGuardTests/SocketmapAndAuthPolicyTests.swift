import Addressing
import Foundation
import MailGuard
import MamoriTesting
import Testing

@Suite struct SocketmapTests {
    @Test func framesAndParsesLookups() throws {
        let bytes = Socketmap.netstring(Array("sasl_exceptions 127.0.0.90".utf8)) + Socketmap.netstring(Array("sasl_access a b".utf8))
        let first = try #require(try Socketmap.frame(in: bytes))
        #expect(try Socketmap.request(bytes[first.payload]) == Socketmap.Request(map: "sasl_exceptions", key: "127.0.0.90"))
        let second = try #require(try Socketmap.frame(in: bytes, from: first.end))
        #expect(try Socketmap.request(bytes[second.payload]) == Socketmap.Request(map: "sasl_access", key: "a b"))
        #expect(second.end == bytes.count)
        #expect(try Socketmap.frame(in: Array(bytes[..<(bytes.count - 1)]), from: first.end) == nil)
    }

    @Test(arguments: [
        ("x:abc,", "length is not a decimal number"), ("03:abc,", "length has a leading zero"), (":abc,", "empty length"),
        ("3:abcd", "netstring not ended by `,`"), ("100001:", "longer than 100000 bytes"),
    ])
    func rejectsBadFrames(text: String, reason: String) {
        #expect(throws: MailGuardError.malformedSocketmapFrame(reason: reason)) { try Socketmap.frame(in: Array(text.utf8)) }
    }

    @Test func rejectsBadRequests() {
        #expect(throws: MailGuardError.malformedSocketmapFrame(reason: "no space between map name and key")) {
            try Socketmap.request(Array("nospace".utf8))
        }
        #expect(throws: MailGuardError.malformedSocketmapFrame(reason: "empty map name")) { try Socketmap.request(Array(" key".utf8)) }
    }

    @Test func encodesReplies() {
        #expect(Socketmap.Reply.notFound.encoded == Array("9:NOTFOUND ,".utf8))
        #expect(Socketmap.Reply.ok("blocked").encoded == Array("10:OK blocked,".utf8))
    }

    /// The lookups Postfix made in the captured session, answered by the guard with the same
    /// state: 127.0.0.90 blocked, victim@ suspended.
    @Test(.enabled(if: Corpus.isPresent, Comment(rawValue: Corpus.missingMessage)))
    func answersTheCapturedLookups() throws {
        let fixture = try GuardFixture {
            $0.failuresToBlock = 3
            $0.suspendedText = "5.7.1 SMTP AUTH suspended for this ID, please change your password"
        }
        let guardian = fixture.guardian
        let now = Date()
        guardian.raise(.authFailure, by: .cli, at: now)
        for i in 0..<3 { guardian.observe(AuthFailure(sourceIP: IPAddress("127.0.0.90")!, time: now.addingTimeInterval(Double(i)))) }
        guardian.suspend(authID: "victim@mamori.test", at: now)
        let names = ["noauth": "sasl_exceptions", "suspended": "sasl_access"]
        let text = try String(contentsOf: Corpus.file("smtp/generated/postfix-socketmap-queries.txt"), encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n") {
            let parts = line.components(separatedBy: " -> ")
            let lookup = parts[0].split(separator: " ", maxSplits: 1)
            let wire = Socketmap.netstring(Array("\(names[String(lookup[0])]!) \(lookup[1])".utf8))
            let frame = try #require(try Socketmap.frame(in: wire))
            let reply = guardian.socketmapReply(try Socketmap.request(wire[frame.payload]), at: now.addingTimeInterval(5))
            #expect(reply.description == parts[1], "\(line)")
            checked += 1
        }
        #expect(checked == 8)
    }
}

@Suite(.enabled(if: Corpus.isPresent, Comment(rawValue: Corpus.missingMessage)))
struct AuthPolicyTests {
    static func captured() throws -> [(path: String, body: Data)] {
        let text = try String(contentsOf: Corpus.file("smtp/generated/dovecot-authpolicy-requests.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let body = try JSONSerialization.data(withJSONObject: try #require(object["body"]))
            return (try #require(object["path"] as? String), body)
        }
    }

    @Test func refusesDefaultAttributesAndReadsTheMinimisedOnes() throws {
        let requests = try Self.captured()
        #expect(requests.count == 13)
        for (path, body) in requests.prefix(11) {
            #expect(throws: MailGuardError.forbiddenAuthPolicyAttribute(name: "login")) {
                try AuthPolicyRequest.parse(target: path, body: body)
            }
        }
        let allow = try AuthPolicyRequest.parse(target: requests[11].path, body: requests[11].body)
        #expect(allow == AuthPolicyRequest(command: .allow, remote: IPAddress("127.0.0.68")!, isSMTP: true, failed: false))
        let report = try AuthPolicyRequest.parse(target: requests[12].path, body: requests[12].body)
        #expect(report == AuthPolicyRequest(command: .report, remote: IPAddress("127.0.0.68")!, isSMTP: true, failed: true))
    }

    @Test func refusesAPasswordHashAlone() {
        #expect(throws: MailGuardError.forbiddenAuthPolicyAttribute(name: "pwhash")) {
            try AuthPolicyRequest.parse(target: "/?command=allow", body: Array(#"{"remote":"192.0.2.1","pwhash":"0575"}"#.utf8))
        }
    }

    @Test(arguments: [
        ("/", "{}", "no `command` in the query"), ("/?command=drop", "{}", "`command` is neither allow nor report"),
        ("/?command=allow", "[1]", "body is not a JSON object"), ("/?command=allow", "{", "body is not JSON"),
        ("/?command=allow", #"{"protocol":"smtp"}"#, "`remote` missing"),
        ("/?command=allow", #"{"remote":"x"}"#, "`remote` is not an IP address"),
        ("/?command=report", #"{"remote":"192.0.2.1"}"#, "`success` missing on report"),
    ])
    func rejectsMalformedRequests(target: String, body: String, reason: String) {
        #expect(throws: MailGuardError.malformedAuthPolicyRequest(reason: reason)) {
            try AuthPolicyRequest.parse(target: target, body: Array(body.utf8))
        }
    }

    @Test func blockedAddressesGetStatusMinusOne() throws {
        let fixture = try GuardFixture { $0.failuresToBlock = 2 }
        let guardian = fixture.guardian
        guardian.raise(.authFailure, by: .webhook)
        let report = AuthPolicyRequest(command: .report, remote: IPAddress("127.0.0.77")!, isSMTP: true, failed: true)
        let allow = AuthPolicyRequest(command: .allow, remote: IPAddress("127.0.0.77")!, isSMTP: true, failed: false)
        #expect(guardian.authPolicyReply(allow) == #"{"status":0,"msg":""}"#)
        _ = guardian.authPolicyReply(report)
        _ = guardian.authPolicyReply(report)
        #expect(guardian.authPolicyReply(allow) == #"{"status":-1,"msg":"blocked: brute force source"}"#)
        let imap = AuthPolicyRequest(command: .allow, remote: IPAddress("127.0.0.77")!, isSMTP: false, failed: false)
        #expect(guardian.authPolicyReply(imap) == #"{"status":0,"msg":""}"#)
    }
}

/// The socketmap's maps as Postfix table sources: what is in force, sorted, one line each.
@Suite struct PostfixTablesTests {
    @Test func theTablesHoldWhatIsInForceAndNothingElse() throws {
        let fixture = try GuardFixture {
            $0.failuresToBlock = 2
            $0.suspendedText = "5.7.1 suspended:\nchange your password"
        }
        let guardian = fixture.guardian
        let now = Date()
        #expect(guardian.postfixTables(at: now) == PostfixTables(saslAccess: "", saslExceptions: "", unrepresentable: 0))
        guardian.raise(.authFailure, by: .cli, at: now)
        for address in ["2001:db8::7", "192.0.2.9"] {
            for i in 0..<2 { guardian.observe(AuthFailure(sourceIP: IPAddress(address)!, time: now.addingTimeInterval(Double(i)))) }
        }
        guardian.observe(AuthFailure(sourceIP: IPAddress("192.0.2.10")!, time: now))  // one failure: not blocked
        for login in ["victim@mamori.test", "alice@mamori.test", "two words", "#comment", "tab\there"] {
            guardian.suspend(authID: login, at: now)
        }
        let tables = guardian.postfixTables(at: now.addingTimeInterval(5))
        #expect(tables.saslExceptions == "192.0.2.9 blocked\n2001:db8::7 blocked\n")
        // The answer on one line; logins a table line cannot hold are left out and counted.
        #expect(
            tables.saslAccess
                == "alice@mamori.test REJECT 5.7.1 suspended: change your password\nvictim@mamori.test REJECT 5.7.1 suspended: change your password\n"
        )
        #expect(tables.unrepresentable == 3)
        // A lifted block and an expired suspension leave the tables.
        guardian.lift(address: IPAddress("192.0.2.9")!, at: now.addingTimeInterval(6))
        let later = guardian.postfixTables(at: now.addingTimeInterval(86400 * 400))
        #expect(later.saslExceptions == "2001:db8::7 blocked\n")
        #expect(later.saslAccess.isEmpty)
    }
}

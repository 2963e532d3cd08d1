import Addressing
import Foundation
import MailGuard
import MamoriTesting
import Secrecy
import Testing

@Suite(.enabled(if: Corpus.isPresent, Comment(rawValue: Corpus.missingMessage)))
struct PostfixLogTests {
    /// fail2ban's tests date year-less lines with "now" = 2005-08-14 10:00 UTC (`MyTime.setTime(1124013600)`).
    static let fail2banNow = Date(timeIntervalSince1970: 1_124_013_600)
    static let captureNow = Date(timeIntervalSince1970: 1_795_500_000)  // 2026-11-24, after the captures

    static func lines(_ relative: String) throws -> [Substring] {
        try String(contentsOf: Corpus.file(relative), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    }

    static let postfixLogs = [
        "smtp/fail2ban/postfix.log", "smtp/fail2ban/postfix-sasl.log", "smtp/postfix_exporter/mail.log",
        "smtp/generated/postfix-3.7.11-maillog.log", "smtp/generated/postfix-3.7.11-socketmap-hooks.log",
    ]

    @Test(arguments: postfixLogs)
    func everyLineOfEveryPostfixLogHasItsTimeAndProgram(file: String) throws {
        let parser = PostfixLogParser(time: SyslogTime(reference: Self.captureNow))
        var postfixLines = 0
        for (index, line) in try Self.lines(file).enumerated() where !line.isEmpty && !line.hasPrefix("#") {
            let event = try parser.parse(line, file: file, lineNumber: index + 1)
            if case .notPostfix = event {
                Issue.record("\(file):\(index + 1): not read as a Postfix line")
            } else {
                postfixLines += 1
            }
        }
        #expect(postfixLines > 0)
    }

    @Test func dovecotLogsAreReadAsOtherProgramsOrRefusedWithTheirPlace() throws {
        let parser = PostfixLogParser(time: SyslogTime(reference: Self.captureNow))
        for file in ["smtp/fail2ban/dovecot.log", "smtp/generated/dovecot-2.3.19-auth.log"] {
            for (index, line) in try Self.lines(file).enumerated() where !line.isEmpty && !line.hasPrefix("#") {
                do {
                    let event = try parser.parse(line, file: "dovecot.log", lineNumber: index + 1)
                    if case .authFailure = event { Issue.record("\(file):\(index + 1): a Dovecot line read as a Postfix failure") }
                } catch {
                    // Only tai64n (`@4000…`) lines have no time Mamori reads.
                    #expect(line.hasPrefix("@"), "\(error)")
                    #expect(error == .malformedLogLine(file: "dovecot.log", line: index + 1, reason: "no RFC 3339 or syslog time at the start"))
                }
            }
        }
    }

    struct Expectation {
        var line: Int
        var match: Bool
        var host: String?
        var time: String?
        var modes: [String]
    }

    /// Each `# failJSON` with the line it applies to, and the filter modes in force.
    static func expectations(_ file: String) throws -> [(Expectation, Substring)] {
        var modes = ["normal"]
        var pending: Expectation?
        var out: [(Expectation, Substring)] = []
        for (index, line) in try lines(file).enumerated() {
            if line.hasPrefix("# filterOptions:") {
                let json = line.dropFirst("# filterOptions:".count)
                let options = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: String]] ?? []
                modes = options.map { $0["mode"] ?? "normal" }
            } else if line.hasPrefix("# failJSON:") {
                let json = line.dropFirst("# failJSON:".count)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                pending = Expectation(
                    line: index + 2, match: object["match"] as? Bool ?? false, host: object["host"] as? String, time: object["time"] as? String,
                    modes: modes)
            } else if !line.hasPrefix("#"), !line.isEmpty, let expectation = pending {
                out.append((expectation, line))
                pending = nil
            }
        }
        return out
    }

    /// fail2ban writes `2005-03-7T02:09:33` once: compare field by field.
    static func seconds(_ text: String) -> Int64? {
        let parts = text.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        guard parts.count == 6 else { return nil }
        var components = DateComponents()
        (components.year, components.month, components.day) = (parts[0], parts[1], parts[2])
        (components.hour, components.minute, components.second) = (parts[3], parts[4], parts[5])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components).map { Int64($0.timeIntervalSince1970) }
    }

    /// fail2ban's expectations for SASL failure lines (`postfix[mode=auth]`, its aggressive mode,
    /// and all of the old `postfix-sasl` file): Mamori must find the same host and time. Every
    /// other line (relay and RBL rejects, DDoS, a lost connection to the authentication server, an
    /// invalid mechanism, a DNS mismatch) is no credential guess: Mamori must find no failure.
    @Test(arguments: [("smtp/fail2ban/postfix.log", 11), ("smtp/fail2ban/postfix-sasl.log", 8)])
    func fail2banExpectations(file: String, failures: Int) throws {
        let parser = PostfixLogParser(time: SyslogTime(reference: Self.fail2banNow))
        var checkedMatches = 0
        for (expectation, line) in try Self.expectations(file) {
            let event = try parser.parse(line, file: file, lineNumber: expectation.line)
            let saslMode = file.hasSuffix("postfix-sasl.log") || expectation.modes.contains("auth") || expectation.modes.contains("aggressive")
            let credentialFailure = line.contains(": SASL ") && !line.contains("Invalid authentication mechanism")
            let place = "\(file):\(expectation.line)"
            if expectation.match, saslMode, credentialFailure {
                guard case .authFailure(let failure) = event else {
                    Issue.record("\(place): expected an AUTH failure")
                    continue
                }
                #expect(failure.sourceIP == IPAddress(expectation.host ?? ""), "\(place)")
                if let time = expectation.time {
                    #expect(Int64(failure.time.timeIntervalSince1970) == Self.seconds(time), "\(place)")
                }
                checkedMatches += 1
            } else if case .authFailure = event {
                Issue.record("\(place): no credential failure here, Mamori found one")
            }
        }
        #expect(checkedMatches == failures)
    }

    @Test func theNewFormatsTriedNameIsNotKept() throws {
        let parser = PostfixLogParser(time: SyslogTime(reference: Self.captureNow))
        let line: Substring =
            "Nov 24 03:20:28 mx postfix/submission/smtpd[5433]: warning: unknown[127.0.0.66]: SASL LOGIN authentication failed: authentication failure, sasl_username=alice@mamori.test"
        let event = try parser.parse(line)
        guard case .authFailure(let failure) = event else {
            Issue.record("not a failure")
            return
        }
        #expect(!String(reflecting: failure).contains("alice"))
        #expect(failure == AuthFailure(sourceIP: IPAddress("127.0.0.66")!, time: failure.time))
    }

    @Test func rfc3339AndYearlessTimes() throws {
        let parser = PostfixLogParser(time: SyslogTime(reference: Date(timeIntervalSince1970: 1_767_225_600 + 3600)))  // 2026-01-01 01:00 UTC
        let rfc: Substring = "2026-11-24T03:20:28.123456+09:00 mx postfix/smtpd[1]: warning: h[192.0.2.9]: SASL PLAIN authentication failed: x"
        guard case .authFailure(let a) = try parser.parse(rfc) else { throw MailGuardError.malformedPolicyRequest(line: 0, reason: "x") }
        #expect(a.time.timeIntervalSince1970 == 1_795_458_028.123456)
        // December read on New Year's Day is last year's.
        let december: Substring = "Dec 31 23:59:59 mx postfix/smtpd[1]: warning: h[192.0.2.9]: SASL PLAIN authentication failed: x"
        guard case .authFailure(let b) = try parser.parse(december) else { throw MailGuardError.malformedPolicyRequest(line: 0, reason: "x") }
        #expect(b.time.timeIntervalSince1970 == 1_767_225_599)
        #expect(throws: MailGuardError.malformedLogLine(file: "f", line: 3, reason: "no RFC 3339 or syslog time at the start")) {
            try parser.parse("Foo 31 23:59:59 mx postfix/smtpd[1]: x", file: "f", lineNumber: 3)
        }
    }

    /// The captured Postfix 3.7.11 session: the join finds each authenticated message with its
    /// sender, and the victim ID from 8 addresses.
    @Test func joinsClientAndQmgrLinesOnTheQueueID() throws {
        let parser = PostfixLogParser(time: SyslogTime(reference: Self.captureNow))
        var joiner = SubmissionJoiner()
        var submissions: [AuthenticatedSubmission] = []
        var failures: [AuthFailure] = []
        for line in try Self.lines("smtp/generated/postfix-3.7.11-maillog.log") where !line.isEmpty {
            let event = try parser.parse(line)
            if case .authFailure(let failure) = event { failures.append(failure) }
            if let submission = joiner.take(event) { submissions.append(submission) }
        }
        let victim = submissions.filter { $0.authID == "victim@mamori.test" }
        #expect(Set(victim.map(\.sourceIP)).count == 8)
        #expect(victim.allSatisfy { $0.sender == "victim@mamori.test" })
        #expect(submissions.contains { $0.authID == "alice@mamori.test" && $0.sender == "ceo@other.example" })
        #expect(
            submissions.first
                == AuthenticatedSubmission(
                    sourceIP: IPAddress("127.0.0.1")!, time: submissions.first!.time, sender: "alice@mamori.test", authID: "alice@mamori.test"))
        // 22 failure lines from 127.0.0.66 (Cyrus and Dovecot SASL; anvil stopped the rest).
        #expect(failures.filter { $0.sourceIP == IPAddress("127.0.0.66") }.count == 22)
        #expect(joiner.waiting <= 2)
    }

    @Test func postcatEnvelopeKeepsTheFourItems() throws {
        let text = try String(contentsOf: Corpus.file("smtp/generated/postcat-e-held-message.txt"), encoding: .utf8)
        let submission = try #require(PostcatEnvelope.parse(text))
        #expect(submission.authID == "held@mamori.test")
        #expect(submission.sender == "held@mamori.test")
        #expect(submission.sourceIP == IPAddress("127.0.0.30"))
        #expect(submission.time.timeIntervalSince1970 == 1_795_490_424)
    }

    /// The records the parsers produce hold exactly the declared data items: their stored
    /// properties, as `Mirror` lists them, are the items of `smtp-credential-abuse` and
    /// `smtp-brute-force` (class `mail-auth-events`), and nothing else.
    @Test func parsersKeepOnlyTheDeclaredItems() throws {
        let declarations = try Declarations.bundled()
        let abuse = try #require(declarations[.smtpCredentialAbuse])
        let bruteForce = try #require(declarations[.smtpBruteForce])
        let abuseItems = Set((abuse.dataItemsByClass[.mailAuthEvents] ?? []).map(\.rawValue))
        let bruteItems = Set((bruteForce.dataItemsByClass[.mailAuthEvents] ?? []).map(\.rawValue))
        #expect(abuseItems == ["source-ip", "timestamp", "mail-address", "smtp-auth-id"])
        #expect(bruteItems == ["source-ip", "timestamp", "attempt-count", "attempt-interval"])

        let submission = AuthenticatedSubmission(sourceIP: IPAddress("192.0.2.1")!, time: Date(), sender: "s", authID: "a")
        let submissionFields = Set(Mirror(reflecting: submission).children.compactMap(\.label))
        #expect(submissionFields == Set(AuthenticatedSubmission.dataItems.keys))
        #expect(Set(AuthenticatedSubmission.dataItems.values) == abuseItems)

        let failure = AuthFailure(sourceIP: IPAddress("192.0.2.1")!, time: Date())
        #expect(Set(Mirror(reflecting: failure).children.compactMap(\.label)) == Set(AuthFailure.dataItems.keys))
        // Attempt count and interval are derived from the failures' times by the detector.
        #expect(Set(AuthFailure.dataItems.values).isSubset(of: bruteItems))

        let request = PolicyRequest(saslUsername: "a", clientAddress: nil, sender: nil)
        #expect(Set(Mirror(reflecting: request).children.compactMap(\.label)) == Set(PolicyRequest.dataItems.keys).union(PolicyRequest.protocolState))
        #expect(Set(PolicyRequest.dataItems.values).isSubset(of: abuseItems))

        let auth = AuthPolicyRequest(command: .report, remote: IPAddress("192.0.2.1")!, isSMTP: true, failed: true)
        #expect(Set(Mirror(reflecting: auth).children.compactMap(\.label)) == ["command", "remote", "isSMTP", "failed"])
    }
}

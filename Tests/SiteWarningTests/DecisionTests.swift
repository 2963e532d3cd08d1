import Addressing
import DNS
import Foundation
import Secrecy
import SiteWarning
import Testing

@Suite struct DecisionTests {
    private let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21 14:13 UTC, 23:13 in Japan

    private struct Fixture {
        var decision: SiteWarningDecision
        var sessions = LiveSessions(expiry: 3600)
        var consent: ConsentSnapshot
        var blocklist: Blocklist
        var bypass = BypassSet()
        var counters = EntryCounters()

        func decide(_ qname: String, from client: String, type: DNSType = .a, at time: Date) -> SiteWarningVerdict {
            decision.decide(
                name: dnsName(qname), type: type, client: IPAddress(client)!, now: time, sessions: sessions, consent: consent, blocklist: blocklist,
                bypass: bypass, counters: counters)
        }
    }

    private func fixture(_ model: WarningConsentModel, cncAnswer: CNCAnswer = .nxdomain) throws -> Fixture {
        var configuration = SiteWarningConfiguration(warningConsent: model)
        configuration.warningIPv4 = IPAddress("192.0.2.80")
        configuration.warningIPv6 = IPAddress("2001:db8::80")
        configuration.cncAnswer = cncAnswer
        var builder = BlocklistBuilder()
        try builder.load(text: "malware.example\nboth.example\n", file: "m.txt", list: "mal", kind: .malwareSite, format: .domains)
        try builder.load(
            text: "c2.example\nboth.example\n", file: "c.txt", list: "cnc", kind: .cnc, format: .domains)
        try builder.load(
            text: "$ORIGIN rpz.\nnx.rpz-c2.example CNAME .\nsink.rpz-c2.example A 198.51.100.53\ndrop.rpz-c2.example CNAME rpz-drop.\n",
            file: "c.rpz", list: "cnc-rpz", kind: .cnc, format: .rpz)
        try builder.load(text: "safe.malware.example\n", file: "allow.txt", list: "allow", kind: .allow, format: .domains)
        var f = Fixture(
            decision: SiteWarningDecision(configuration: configuration), consent: ConsentSnapshot(defaults: configuration.defaults),
            blocklist: builder.build())
        f.sessions.start(line: LineID("on"), prefixes: [IPPrefix("203.0.113.1")!], at: now)
        f.sessions.start(line: LineID("off"), prefixes: [IPPrefix("203.0.113.2")!, IPPrefix("2001:db8:2::/56")!], at: now)
        f.consent = f.consent.applying([
            ConsentChange(line: LineID("on"), measure: .malwareSiteWarning, choice: .on, time: now, channel: .page, termsVersion: "v1"),
            ConsentChange(line: LineID("off"), measure: .malwareSiteWarning, choice: .off, time: now, channel: .api, termsVersion: "v1"),
            ConsentChange(line: LineID("off"), measure: .cncDNSBlock, choice: .off, time: now, channel: .cli, termsVersion: "v1"),
        ])
        return f
    }

    private func isWarn(_ v: SiteWarningVerdict) -> Bool { if case .warn = v { true } else { false } }
    private func blockAction(_ v: SiteWarningVerdict) -> BlockAction? { if case .block(_, _, let a) = v { a } else { nil } }

    @Test func unlistedNamesAreForwarded() throws {
        let f = try fixture(.terms)
        #expect(f.decide("www.example.org", from: "203.0.113.1", at: now) == .forward)
        #expect(f.counters.totals(resolvingWith: f.blocklist).isEmpty)
    }

    @Test func malwareSiteWarningFollowsTheLinesChoice() throws {
        let f = try fixture(.optIn)
        let warned = f.decide("www.malware.example", from: "203.0.113.1", at: now)
        #expect(isWarn(warned))
        if case .warn(let list, let entry) = warned {
            #expect(f.blocklist.lists[Int(list.rawValue)].name == "mal")
            #expect(f.blocklist.name(of: entry) == "malware.example")
        }
        #expect(f.decide("www.malware.example", from: "203.0.113.2", at: now) == .forward)
        #expect(f.decision.warningAddresses(for: .a).map(\.description) == ["192.0.2.80"])
        #expect(f.decision.warningAddresses(for: .aaaa).map(\.description) == ["2001:db8::80"])
        #expect(f.decision.warningAddresses(for: .mx).isEmpty)
    }

    @Test func unknownSourcesGetTheDefaults() throws {
        let optIn = try fixture(.optIn)
        #expect(optIn.decide("malware.example", from: "198.18.0.1", at: now) == .forward)
        #expect(blockAction(optIn.decide("c2.example", from: "198.18.0.1", at: now)) == .nxdomain)
        let terms = try fixture(.terms)
        #expect(isWarn(terms.decide("malware.example", from: "198.18.0.1", at: now)))
    }

    @Test func cncIsBlockedUnlessTheLineOptedOut() throws {
        let f = try fixture(.terms)
        #expect(blockAction(f.decide("a.c2.example", from: "203.0.113.1", at: now)) == .nxdomain)
        #expect(f.decide("a.c2.example", from: "203.0.113.2", at: now) == .forward)
        #expect(f.decide("a.c2.example", from: "2001:db8:2:1::5", at: now) == .forward)
        // A name on both lists: blocked for a line that did not opt out; forwarded for one off for both.
        #expect(blockAction(f.decide("both.example", from: "203.0.113.1", at: now)) == .nxdomain)
        #expect(f.decide("both.example", from: "203.0.113.2", at: now) == .forward)
    }

    @Test func rpzActionsAndTheSinkhole() throws {
        let f = try fixture(.terms, cncAnswer: .sinkhole([IPAddress("192.0.2.99")!]))
        #expect(blockAction(f.decide("c2.example", from: "203.0.113.1", at: now)) == .answer([IPAddress("192.0.2.99")!]))
        #expect(blockAction(f.decide("nx.rpz-c2.example", from: "203.0.113.1", at: now)) == .nxdomain)
        #expect(blockAction(f.decide("drop.rpz-c2.example", from: "203.0.113.1", at: now)) == .drop)
        let sink = try #require(blockAction(f.decide("sink.rpz-c2.example", from: "203.0.113.1", at: now)))
        #expect(sink.addresses(for: .a) == [IPAddress("198.51.100.53")!])
        #expect(sink.addresses(for: .aaaa).isEmpty)
    }

    @Test func allowListWins() throws {
        let f = try fixture(.terms)
        #expect(f.decide("www.safe.malware.example", from: "203.0.113.1", at: now) == .passthru)
    }

    @Test func continueAnywayBypassesOneDomainForOneLineForAWhile() throws {
        let f = try fixture(.terms)
        #expect(f.bypass.grant(line: LineID("on"), domain: "www.malware.example", until: now + 3600))
        #expect(f.decide("WWW.malware.example", from: "203.0.113.1", at: now) == .forward)
        #expect(f.decide("img.www.malware.example", from: "203.0.113.1", at: now) == .forward)
        #expect(isWarn(f.decide("other.malware.example", from: "203.0.113.1", at: now)))
        #expect(isWarn(f.decide("www.malware.example", from: "203.0.113.1", at: now + 3600)))
        // Another line (here an unknown source under the terms default) is still warned.
        #expect(isWarn(f.decide("www.malware.example", from: "198.18.0.1", at: now)))
        #expect(!f.bypass.grant(line: LineID("on"), domain: "not a domain", until: now))
        #expect(f.bypass.purge(now: now + 3601) == 1)
    }

    @Test func expiredSessionsFallBackToTheDefaults() throws {
        let f = try fixture(.optIn)
        #expect(f.decide("c2.example", from: "203.0.113.2", at: now + 100) == .forward)
        #expect(blockAction(f.decide("c2.example", from: "203.0.113.2", at: now + 3601)) == .nxdomain)
    }

    @Test func countersAreAggregatePerEntryAndDay() throws {
        let f = try fixture(.terms)
        _ = f.decide("a.malware.example", from: "203.0.113.1", at: now)
        _ = f.decide("b.malware.example", from: "203.0.113.1", at: now)
        _ = f.decide("malware.example", from: "203.0.113.2", at: now)
        _ = f.decide("c2.example", from: "203.0.113.1", at: now + 86_400)
        _ = f.decide("x.safe.malware.example", from: "203.0.113.1", at: now)
        let counts = f.counters.drain(resolvingWith: f.blocklist)
        #expect(
            counts == [
                EntryDayCount(day: "2026-09-21", list: "allow", kind: .allow, entry: "safe.malware.example", outcome: .passedThrough, count: 1),
                EntryDayCount(day: "2026-09-21", list: "mal", kind: .malwareSite, entry: "malware.example", outcome: .warned, count: 2),
                EntryDayCount(day: "2026-09-21", list: "mal", kind: .malwareSite, entry: "malware.example", outcome: .forwarded, count: 1),
                EntryDayCount(day: "2026-09-22", list: "cnc", kind: .cnc, entry: "c2.example", outcome: .blocked, count: 1),
            ])
        #expect(f.counters.totals(resolvingWith: f.blocklist).isEmpty)
    }

    @Test func theWireFormEntryPointDecidesTheSame() throws {
        let f = try fixture(.terms)
        for (qname, client) in [("www.malware.example", "203.0.113.1"), ("c2.example", "203.0.113.2"), ("x.example.org", "198.18.0.1")] {
            var bytes: [UInt8] = []
            for label in qname.split(separator: ".") {
                bytes.append(UInt8(label.utf8.count))
                bytes += Array(label.utf8)
            }
            bytes.append(0)
            let byWire = bytes.withUnsafeBytes {
                f.decision.decide(
                    wireName: $0, type: .a, client: IPAddress(client)!, now: now, sessions: f.sessions, consent: f.consent, blocklist: f.blocklist,
                    bypass: f.bypass)
            }
            #expect(byWire == f.decide(qname, from: client, at: now), "\(qname)")
        }
    }

    @Test func disabledMeasuresNeverAct() throws {
        var f = try fixture(.terms)
        var configuration = f.decision.configuration
        configuration.warningEnabled = false
        configuration.cncBlockEnabled = false
        f.decision = SiteWarningDecision(configuration: configuration)
        #expect(f.decide("malware.example", from: "203.0.113.1", at: now) == .forward)
        #expect(f.decide("c2.example", from: "203.0.113.1", at: now) == .forward)
    }
}

@Suite struct ConfigurationTests {
    private func terms() -> TermsPublication {
        TermsPublication(
            version: "2026-04", termsURL: "https://isp.example/terms", publishedOn: "2026-04-01", choicePageURL: "https://isp.example/my/dns",
            sameConditionsStatement: LocalizedText(ja: "提供条件は同じです。", en: "Every other condition is the same."),
            pageExplanation: LocalizedText(ja: "説明", en: "explanation"), pageOptOutInstructions: LocalizedText(ja: "変更方法", en: "how to change"))
    }

    @Test func termsDefaultNeedsEveryComplianceField() throws {
        var configuration = SiteWarningConfiguration(warningConsent: .terms)
        configuration.warningIPv4 = IPAddress("192.0.2.80")
        #expect(throws: SiteWarningConfigurationError.self) { try configuration.validate() }
        configuration.terms = terms()
        try configuration.validate()
        configuration.terms?.pageExplanation = nil
        configuration.terms?.termsURL = " "
        do {
            try configuration.validate()
            Issue.record("validated without (イ)(ウ) fields")
        } catch {
            #expect(error.problems.map(\.field) == ["terms.termsURL", "terms.pageExplanation"])
            #expect(error.description.contains("(イ) where the terms are published"))
            #expect(error.description.contains("(ウ)"))
        }
    }

    @Test func optInNeedsNoPageFieldsButTheCNCBlockNeedsTheTerms() throws {
        var configuration = SiteWarningConfiguration(warningConsent: .optIn)
        configuration.warningIPv6 = IPAddress("2001:db8::80")
        do {
            try configuration.validate()
            Issue.record("validated without the terms")
        } catch {
            #expect(error.problems.map(\.field) == ["terms"])
            #expect(error.description.contains("C&C block"))
        }
        var t = terms()
        t.pageExplanation = nil
        t.sameConditionsStatement = nil
        configuration.terms = t
        try configuration.validate()
        #expect(configuration.defaults == ConsentSnapshot.Defaults(malwareSiteWarning: .off, cncDNSBlock: .on))
    }

    @Test func warningAddressesAreChecked() {
        var configuration = SiteWarningConfiguration(warningConsent: .optIn)
        configuration.cncBlockEnabled = false
        configuration.warningIPv4 = IPAddress("2001:db8::1")
        do {
            try configuration.validate()
            Issue.record("validated with an IPv6 warningIPv4")
        } catch {
            #expect(error.problems.map(\.field) == ["warningIPv4"])
        }
    }
}

import Foundation
import Secrecy
import SiteWarning
import Testing

/// Site-owner notices composed from a real list: ARF and X-ARF, the data items of
/// `site-owner-notice` only.
@Suite struct SiteOwnerReportTests {
    static let desk = SiteReporter(organization: "Example ISP", contact: "abuse@isp.example", domain: "isp.example")
    static let listed = Date(timeIntervalSince1970: 1_795_737_600)

    static func blocklist() throws -> Blocklist {
        var builder = BlocklistBuilder()
        let text = """
            # a feed converted by the ISP: reasons and, where the feed gives one, the site's contact
            evil.example.test # dropper of family X contact=webmaster@evil.example.test
            bad.example.test # exploit kit landing page
            *.cdn.example.test
            """
        let report = try builder.load(text: text, file: "feed.txt", list: "jpcert-malware", kind: .malwareSite, format: .domains, at: listed)
        #expect(report.issueCount == 0)
        _ = try builder.load(text: "c2.example.test\n", file: "cnc.txt", list: "cnc-feed", kind: .cnc, format: .domains, at: listed)
        return builder.build()
    }

    @Test func sitesCarryTheirReasonAndTheFeedsContact() throws {
        let sites = ListedSite.sites(of: try Self.blocklist(), list: "jpcert-malware")
        #expect(sites.map(\.domain).sorted() == ["bad.example.test", "cdn.example.test", "evil.example.test"])
        let evil = try #require(sites.first { $0.domain == "evil.example.test" })
        #expect(evil.reason == "dropper of family X")
        #expect(evil.feedContact == "webmaster@evil.example.test")
        #expect(evil.listedAt == Self.listed)
        let bad = try #require(sites.first { $0.domain == "bad.example.test" })
        #expect(bad.feedContact == nil)
        #expect(ListedSite.sites(of: try Self.blocklist(), list: "cnc-feed").map(\.kind) == [.cnc])
    }

    @Test func xarfReportIsValidJSONWithTheRequiredFields() throws {
        let site = try #require(ListedSite.sites(of: try Self.blocklist(), list: "jpcert-malware").first { $0.domain == "evil.example.test" })
        let id = UUID()
        let report = try SiteOwnerReport(
            site: site, recipient: "webmaster@evil.example.test", reporter: Self.desk, format: .xarf, reportID: id, now: Date())
        #expect(report.parts.map(\.contentType) == ["message/feedback-report", "application/json; charset=utf-8"])
        let feedback = report.parts[0].content
        for field in ["Feedback-Type: other", "Version: 1", "Reported-Domain: evil.example.test", "Reported-URI: http://evil.example.test/"] {
            #expect(feedback.contains(field), "\(field)")
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.parts[1].content.utf8)) as? [String: Any])
        // XARF v4's required fields, and the content/malware type's url.
        for key in ["xarf_version", "report_id", "timestamp", "reporter", "sender", "source_identifier", "category", "type", "url"] {
            #expect(json[key] != nil, "\(key)")
        }
        #expect(json["category"] as? String == "content")
        #expect(json["type"] as? String == "malware")
        #expect(json["report_id"] as? String == id.uuidString.lowercased())
        #expect(json["timestamp"] as? String == "2026-11-27T00:00:00Z")
        #expect((json["reporter"] as? [String: String])?["contact"] == "abuse@isp.example")
        // Japanese first, then English; the reason is there, nothing about who looked the site up.
        let ja = try #require(report.text.range(of: "ご担当者様"))
        let en = try #require(report.text.range(of: "To the administrator"))
        #expect(ja.lowerBound < en.lowerBound)
        #expect(report.text.contains("dropper of family X"))
        #expect(!report.text.contains("contact="))
        #expect(report.auditEntry(action: "notice-queued", actor: "cli", time: Date()).detail["recipient_domain"] == "evil.example.test")
    }

    @Test func arfHasNoJSONAndACCServerIsABotnetReport() throws {
        let cnc = try #require(ListedSite.sites(of: try Self.blocklist(), list: "cnc-feed").first)
        let arf = try SiteOwnerReport(site: cnc, recipient: "abuse@host.example", reporter: Self.desk, format: .arf, reportID: UUID(), now: Date())
        #expect(arf.parts.map(\.contentType) == ["message/feedback-report"])
        let xarf = try SiteOwnerReport(site: cnc, recipient: "abuse@host.example", reporter: Self.desk, format: .xarf, reportID: UUID(), now: Date())
        let json = try #require(try JSONSerialization.jsonObject(with: Data(xarf.parts[1].content.utf8)) as? [String: Any])
        #expect(json["category"] as? String == "infrastructure")
        #expect(json["type"] as? String == "botnet")
        #expect(json["c2_server"] as? String == "c2.example.test")
    }

    @Test func badContactsAreRefusedByName() throws {
        let site = ListedSite(domain: "x.example.test", kind: .malwareSite, list: "l", listedAt: Self.listed, reason: nil, feedContact: nil)
        for bad in ["no-at-sign", "a@b", "a b@c.example", "<a@b.example>", "a@b.example,c@d.example"] {
            #expect(throws: SiteReportError.badRecipient(bad)) {
                try SiteOwnerReport(site: site, recipient: bad, reporter: Self.desk, format: .xarf, reportID: UUID(), now: Date())
            }
        }
    }
}

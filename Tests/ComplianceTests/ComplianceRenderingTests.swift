import Compliance
import Foundation
import Secrecy
import Testing

@Suite struct ComplianceRenderingTests {
    func report() throws -> ComplianceReport {
        let f = try Fixture.standard()
        let checkpoint = Checkpoint(records: f.log.records(from: 1), time: Fixture.t0.addingTimeInterval(900))
        return ComplianceReport(
            f.input(
                checkpoints: [checkpoint],
                held: [HeldData(dataClass: .cases, count: 3, oldest: Fixture.t0), HeldData(dataClass: .notices, count: 0, oldest: nil)]))
    }

    @Test func jsonKeepsTheContractKeys() throws {
        let text = ComplianceRenderer(report: try report(), language: .en).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let period = try #require(object["period"] as? [String: Any])
        #expect(period.keys.sorted() == ["from", "to"])
        #expect(period["from"] is NSNull)
        let audit = try #require(object["audit"] as? [String: Any])
        for key in ["intact", "records", "head", "checkpoint"] { #expect(audit[key] != nil, "audit.\(key)") }
        #expect(audit["records"] as? Int == 13)
        let checkpoint = try #require(audit["checkpoint"] as? [String: Any])
        #expect(checkpoint["size"] as? Int == 13)
        #expect(checkpoint["time"] as? String == "2026-11-27T00:15:00Z")
        let countermeasures = try #require(object["countermeasures"] as? [[String: Any]])
        let ihn = try #require(countermeasures.first { $0["id"] as? String == "infected-host-notification" })
        for key in ["id", "basis", "identifications", "disclosures", "notices", "cases", "refusals", "purges", "retention"] {
            #expect(ihn[key] != nil, "countermeasures[].\(key)")
        }
        #expect(ihn["basis"] as? [String] == ["party-to-communication", "emergency-necessity"])
        #expect(ihn["identifications"] as? [String: Int] == ["found": 2, "not_found": 1, "ambiguous": 0])
        #expect(ihn["notices"] as? [String: Int] == ["queued": 1, "sent": 1, "failed": 1])
        #expect((ihn["cases"] as? [String: Int])?["open"] == 2)
        let retention = try #require(ihn["retention"] as? [[String: Any]])
        for line in retention {
            for key in ["class", "days", "oldest", "overdue"] { #expect(line[key] != nil, "retention[].\(key)") }
        }
        let cases = try #require(retention.first { $0["class"] as? String == "cases" })
        #expect(cases["oldest"] as? String == "2026-11-27T00:00:00Z")
        #expect(cases["overdue"] as? Bool == false)
        #expect(object["retention"] is [[String: Any]])
        let declarations = try #require(object["declarations"] as? [String: Any])
        #expect(declarations["source"] as? String == "declarations.json")
        #expect((declarations["sha256"] as? String)?.count == 64)
        #expect(declarations["sha256"] as? String == (try Declarations.bundled()).sha256)

        // No checkpoint: null, not absent.
        let bare = ComplianceRenderer(report: ComplianceReport(try Fixture.standard().input())).json()
        let bareAudit = try #require((try JSONSerialization.jsonObject(with: Data(bare.utf8)) as? [String: Any])?["audit"] as? [String: Any])
        #expect(bareAudit["checkpoint"] is NSNull)
        // The JSON does not depend on the language.
        #expect(ComplianceRenderer(report: try report(), language: .ja).json() == text)
    }

    @Test func htmlIsAStandalonePrintablePageInBothLanguages() throws {
        let report = try report()
        let declarations = try Declarations.bundled()
        let ihn = try #require(declarations[.infectedHostNotification])
        let ja = ComplianceRenderer(report: report, language: .ja).html()
        #expect(ja.hasPrefix("<!DOCTYPE html>"))
        #expect(ja.contains(#"<html lang="ja">"#))
        #expect(ja.contains("@page { size: A4"))
        #expect(ja.contains("通信の秘密の保護に関する実施状況報告書"))
        #expect(ja.contains("法的根拠と各要件の説明"))
        #expect(ja.contains("緊急避難（刑法37条）"))
        #expect(ja.contains("現在の危難"))
        #expect(ja.contains(escaped(ihn.justification(.presentDanger)?.ja ?? "?")))
        #expect(!ja.contains(escaped(ihn.justification(.presentDanger)?.en ?? "?")))
        #expect(ja.contains("改ざんなし"))
        #expect(ja.contains(declarations.sha256))
        #expect(ja.contains("2026-11-27 09:15:00 +09:00"))  // the checkpoint, in Japan time
        for forbidden in ["<script", "javascript:", "<link", "<img", "<iframe", "src=", "href=", "@import", "url("] {
            #expect(!ja.lowercased().contains(forbidden), "the page holds \(forbidden)")
        }
        let en = ComplianceRenderer(report: report, language: .en).html()
        #expect(en.contains(#"<html lang="en">"#))
        #expect(en.contains("Legal basis and the justification of each requirement"))
        #expect(en.contains(escaped(ihn.justification(.presentDanger)?.en ?? "?")))
        #expect(en.contains("2026-11-27 00:15:00 +00:00"))
        // Every declared countermeasure has its section.
        for id in declarations.ids { #expect(ja.contains(#"data-id="cm-\#(id.rawValue)""#)) }
    }

    @Test func markdownMirrorsTheHTMLHeadings() throws {
        let report = try report()
        for language in ReportLanguage.allCases {
            let renderer = ComplianceRenderer(report: report, language: language)
            let html = renderer.html()
            let md = renderer.markdown()
            let htmlHeadings = headings(html: html)
            let mdHeadings = md.split(separator: "\n").filter { $0.hasPrefix("#") }.map { line in
                String(line.drop { $0 == "#" }.dropFirst()).replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "\\", with: "")
            }
            #expect(htmlHeadings.count > 10)
            #expect(htmlHeadings == mdHeadings, "\(language)")
        }
    }

    @Test func noSubjectOrDetailValueReachesAnyFormat() throws {
        let report = try report()
        for language in ReportLanguage.allCases {
            for format in ReportFormat.allCases {
                let text = ComplianceRenderer(report: report, language: language).render(format)
                for secret in ["psn-8f3a", "psn-11aa", "10.77.1.2", "10.77.1.3", "radius-detail.txt", "candidates"] {
                    #expect(!text.contains(secret), "\(format) \(language) shows \(secret)")
                }
            }
        }
    }

    @Test func textFromTheDeclarationsIsEscaped() throws {
        let hostile = try Declarations(
            json: Data(
                #"{"version":1,"countermeasures":[{"id":"site-owner-notice","name":{"ja":"<script>alert(1)</script>","en":"A | B <b>"},"purpose":{"ja":"目的","en":"Purpose"},"basis":"public-data","justifications":{"public":{"ja":"公開 & 自由","en":"Public"}},"dataItems":{"notices":["site-url"]},"retention":{"notices":30},"trigger":"always"}]}"#
                    .utf8), source: "hostile.json")
        var input = try Fixture.standard().input()
        input.declarations = hostile
        let renderer = ComplianceRenderer(report: ComplianceReport(input), language: .ja)
        let html = renderer.html()
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("公開 &amp; 自由"))
        let md = ComplianceRenderer(report: ComplianceReport(input), language: .en).markdown()
        #expect(md.contains(#"A \| B \<b\>"#))
    }

    private func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// The text of every h1–h4, tags removed, entities decoded.
    private func headings(html: String) -> [String] {
        var out: [String] = []
        var rest = html[...]
        while let open = rest.range(of: #"<h[1-4][^>]*>"#, options: .regularExpression) {
            guard let close = rest[open.upperBound...].range(of: #"</h[1-4]>"#, options: .regularExpression) else { break }
            let inner = String(rest[open.upperBound..<close.lowerBound]).replacingOccurrences(of: #"<[^>]+>"#, with: "", options: .regularExpression)
            out.append(
                inner.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(
                    of: "&quot;", with: "\""
                )
                .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&"))
            rest = rest[close.upperBound...]
        }
        return out
    }
}

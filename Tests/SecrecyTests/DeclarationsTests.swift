import Foundation
import Secrecy
import Testing

/// A `{"ja", "en"}` text for fixtures.
private let text: [String: String] = ["ja": "説明", "en": "explanation"]

/// A valid declaration with `basis`, justifying every requirement, as a JSON-ready dictionary.
private func declaration(
    id: String = "smtp-brute-force", basis: LegalBasis = .legitimateBusinessAct
) -> [String: Any] {
    [
        "id": id,
        "name": text,
        "purpose": text,
        "basis": basis.rawValue,
        "justifications": Dictionary(uniqueKeysWithValues: basis.requirements.map { ($0.rawValue, text) }),
        "dataItems": ["mail-auth-events": ["source-ip", "timestamp"]],
        "retention": ["mail-auth-events": 7],
        "trigger": basis.isConsent ? "per-consent" : "always",
    ]
}

private func document(_ declarations: [[String: Any]]) throws -> Data {
    try JSONSerialization.data(
        withJSONObject: ["version": 1, "countermeasures": declarations] as [String: Any], options: [.prettyPrinted, .sortedKeys])
}

/// The problems of loading `declarations`, or an issue when they load.
private func problems(
    _ declarations: [[String: Any]], sourceLocation: SourceLocation = #_sourceLocation
) throws -> [DeclarationError.Problem] {
    try problems(document(declarations), sourceLocation: sourceLocation)
}

private func problems(_ json: Data, sourceLocation: SourceLocation = #_sourceLocation) -> [DeclarationError.Problem] {
    do {
        _ = try Declarations(json: json, source: "declarations.json")
        Issue.record("the declarations loaded, but should have been refused", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.problems
    }
}

@Suite struct BundledDeclarationsTests {
    @Test func bundledFileLoadsAndCoversEveryCountermeasure() throws {
        let declarations = try Declarations.bundled()
        #expect(declarations.missing().isEmpty)
        #expect(Set(declarations.ids) == Set(CountermeasureID.required))
        #expect(declarations.all.count == 9)
        #expect(declarations.source == "declarations.json")
        for id in CountermeasureID.required {
            let declaration = try #require(declarations[id])
            #expect(declaration.id == id)
            #expect(declaration.id.isWellFormed)
        }
    }

    @Test(arguments: [
        (CountermeasureID.malwareSiteWarning, [LegalBasis.consent]),
        (.siteOwnerNotice, [.publicData]),
        (.infectedHostNotification, [.partyToCommunication, .emergencyNecessity]),
        (.cncTakedownNotification, [.emergencyNecessity]),
        (.dnsAmplificationPrevention, [.legitimateBusinessAct]),
        (.smtpCredentialAbuse, [.legitimateBusinessAct]),
        (.smtpBruteForce, [.legitimateBusinessAct]),
        (.networkObservation, [.partyToCommunication]),
        (.cncDNSBlock, [.termsConsent]),
    ])
    func basesAreThoseOfSecrecyMD(id: CountermeasureID, bases: [LegalBasis]) throws {
        let declaration = try #require(try Declarations.bundled()[id])
        #expect(declaration.bases == bases)
        for requirement in bases.flatMap(\.requirements) {
            let justification = try #require(declaration.justification(requirement), "\(id): \(requirement)")
            #expect(!justification.ja.isEmpty && !justification.en.isEmpty)
        }
    }

    @Test func triggersFollowSecrecyMD() throws {
        let declarations = try Declarations.bundled()
        #expect(declarations[.malwareSiteWarning]?.trigger == .perConsent)
        #expect(declarations[.cncDNSBlock]?.trigger == .perConsent)
        #expect(declarations[.smtpCredentialAbuse]?.trigger == .whileAlert("smtp-load"))
        #expect(declarations[.smtpBruteForce]?.trigger == .whileAlert("smtp-auth-failure"))
        for id in [
            CountermeasureID.siteOwnerNotice, .infectedHostNotification, .cncTakedownNotification, .dnsAmplificationPrevention, .networkObservation,
        ] {
            #expect(declarations[id]?.trigger == .always, "\(id)")
        }
    }

    @Test func attributionIsAllowedOnlyForTheTwoNotifications() throws {
        let declarations = try Declarations.bundled()
        let allowing = declarations.all.filter(\.allowsAttribution).map(\.id)
        #expect(Set(allowing) == [.infectedHostNotification, .cncTakedownNotification])
        // The malware-site warning's consent lookup does not attribute; the file says why.
        let warning = try #require(declarations[.malwareSiteWarning])
        #expect(!warning.allowsAttribution)
        #expect(warning.attributionNote?.en.contains("No attribution") == true)
        #expect(!warning.uses(.subscriberID) && !warning.uses(.addressAssignmentRecord))
        // The C&C block neither: the line id only finds the line's choice.
        let block = try #require(declarations[.cncDNSBlock])
        #expect(!block.allowsAttribution)
        #expect(!block.uses(.subscriberID) && !block.uses(.addressAssignmentRecord))
    }

    @Test func dataItemsAreMinimal() throws {
        let declarations = try Declarations.bundled()
        // "destination IP and destination port of traffic crossing the edge — nothing else", counts kept.
        let edge = try #require(declarations[.dnsAmplificationPrevention])
        #expect(edge.dataItems == [.destinationIP, .destinationPort, .aggregateCount])
        #expect(edge.dataItemsByClass[.transient] == [.destinationIP, .destinationPort])
        #expect(edge.retentionDays(for: .transient) == 0)
        let bruteForce = try #require(declarations[.smtpBruteForce])
        #expect(Set(bruteForce.dataItems) == [.sourceIP, .timestamp, .attemptCount, .attemptInterval])
        // The DNS guard's two measures: the queried name, the client address → line id, the choice, counts.
        let cnc = try #require(declarations[.cncDNSBlock])
        #expect(Set(cnc.dataItems) == [.destinationDomain, .clientAddress, .lineID, .consentChoice, .aggregateCount])
        #expect(cnc.dataItemsByClass[.transient] == [.destinationDomain, .clientAddress])
        for id in [CountermeasureID.cncDNSBlock, .malwareSiteWarning] {
            let declaration = try #require(declarations[id])
            #expect(declaration.dataItemsByClass[.liveSessions] == [.clientAddress, .lineID], "\(id)")
            #expect(declaration.conditions.contains { $0.en.contains("no query log") }, "\(id): says no per-line query log is kept")
        }
        let siteOwner = try #require(declarations[.siteOwnerNotice])
        #expect(Set(siteOwner.dataItems) == [.siteURL, .siteContact, .timestamp])
        // Every class used has a retention, and every retention a class.
        for declaration in declarations.all {
            #expect(Set(declaration.dataClasses) == Set(declaration.retention.keys), "\(declaration.id)")
        }
    }

    @Test func bundledFileIsPrettyPrintedAndBilingual() throws {
        let url = try #require(TestPaths.packageRoot?.appendingPathComponent("Sources/Secrecy/Resources/declarations.json"))
        let source = try String(contentsOf: url, encoding: .utf8)
        #expect(source.split(separator: "\n").count > 200)
        #expect(source.contains("正当業務行為") || source.contains("緊急避難"))
        let declarations = try Declarations.load(contentsOf: url)
        #expect(declarations.all.count == 9)
    }
}

@Suite struct DeclarationValidationTests {
    @Test func aValidFixtureLoads() throws {
        let declarations = try Declarations(json: try document([declaration()]), source: "fixture.json")
        #expect(declarations[.smtpBruteForce]?.bases == [.legitimateBusinessAct])
        #expect(declarations[.smtpBruteForce]?.retentionDays(for: .mailAuthEvents) == 7)
    }

    @Test(arguments: Requirement.allCases)
    func missingJustificationNamesDeclarationAndField(requirement: Requirement) throws {
        let basis = requirement.basis
        var d = declaration(id: "measure-\(basis.rawValue)", basis: basis)
        var justifications = d["justifications"] as! [String: Any]
        justifications[requirement.rawValue] = nil
        d["justifications"] = justifications
        let found = try problems([d])
        #expect(found.count == 1)
        let problem = try #require(found.first)
        #expect(problem.kind == .missingJustification)
        #expect(problem.declarationID == "measure-\(basis.rawValue)")
        #expect(problem.field == "justifications.\(requirement.rawValue)")
        #expect(problem.reason == "the \(basis.rawValue) basis requires a justification, none given")
        #expect(problem.description.contains("declaration \"measure-\(basis.rawValue)\", field justifications.\(requirement.rawValue):"))
    }

    @Test func missingJustificationSentenceReadsAsDocumented() throws {
        var d = declaration()
        d["justifications"] = ["legitimate-purpose": text, "appropriate-means": text]
        let problem = try #require(try problems([d]).first)
        #expect(problem.source == "declarations.json")
        #expect(problem.line != nil)
        let expected =
            "declaration \"smtp-brute-force\", field justifications.necessity: the legitimate-business-act basis requires a justification, none given"
        #expect(problem.description.hasPrefix("declarations.json:"))
        #expect(problem.description.hasSuffix(expected))
    }

    @Test func twoBasesNeedBothSetsOfJustifications() throws {
        var d = declaration(id: "infected-host-notification", basis: .partyToCommunication)
        d["basis"] = ["party-to-communication", "emergency-necessity"]
        let found = try problems([d])
        #expect(found.map(\.field) == ["justifications.present-danger", "justifications.balance-of-interests", "justifications.no-other-means"])
        #expect(found.allSatisfy { $0.reason.hasPrefix("the emergency-necessity basis requires") })
    }

    @Test(arguments: Requirement.allCases, ["ja", "en"])
    func oneLanguageJustificationIsRefused(requirement: Requirement, dropped: String) throws {
        var d = declaration(id: "one-language", basis: requirement.basis)
        var justifications = d["justifications"] as! [String: Any]
        justifications[requirement.rawValue] = dropped == "ja" ? ["en": "only English"] : ["ja": "日本語のみ"]
        d["justifications"] = justifications
        let problem = try #require(try problems([d]).first)
        #expect(problem.kind == .missingLanguage)
        #expect(problem.declarationID == "one-language")
        #expect(problem.field == "justifications.\(requirement.rawValue).\(dropped)")
        #expect(problem.reason.contains(dropped == "ja" ? "no Japanese text" : "no English text"))
    }

    @Test func emptyLanguageTextIsRefused() throws {
        var d = declaration()
        d["purpose"] = ["ja": "目的", "en": "  "]
        let problem = try #require(try problems([d]).first)
        #expect(problem.kind == .missingLanguage)
        #expect(problem.field == "purpose.en")
    }

    @Test func unknownDataItemIsNamed() throws {
        var d = declaration()
        d["dataItems"] = ["mail-auth-events": ["source-ip", "mac-address"]]
        let problem = try #require(try problems([d]).first)
        #expect(problem.kind == .unknownDataItem)
        #expect(problem.field == "dataItems.mail-auth-events[1]")
        #expect(problem.reason.hasPrefix("unknown data item \"mac-address\""))
        #expect(problem.description.contains("declaration \"smtp-brute-force\", field dataItems.mail-auth-events[1]"))
    }

    @Test func unknownDataClassIsNamed() throws {
        var d = declaration()
        d["dataItems"] = ["mail-logs": ["source-ip"]]
        d["retention"] = ["mail-logs": 7]
        let found = try problems([d])
        #expect(found.map(\.kind) == [.unknownDataClass, .unknownDataClass])
        #expect(found.map(\.field) == ["dataItems.mail-logs", "retention.mail-logs"])
    }

    @Test func missingRetentionIsNamed() throws {
        var d = declaration()
        d["dataItems"] = ["mail-auth-events": ["source-ip", "timestamp"], "blocks": ["source-ip"]]
        let problem = try #require(try problems([d]).first)
        #expect(problem.kind == .missingRetention)
        #expect(problem.field == "retention.blocks")
        #expect(problem.declarationID == "smtp-brute-force")
        #expect(problem.reason.contains("no retention is given"))
    }

    @Test func retentionWithoutDataIsRefused() throws {
        var d = declaration()
        d["retention"] = ["mail-auth-events": 7, "cases": 365]
        let problem = try #require(try problems([d]).first)
        #expect(problem.kind == .unusedRetention)
        #expect(problem.field == "retention.cases")
    }

    @Test(arguments: ["-1", "7.5", "\"7\"", "true"])
    func retentionMustBeWholeDays(literal: String) throws {
        let json = try String(decoding: document([declaration()]), as: UTF8.self)
            .replacingOccurrences(of: "\"mail-auth-events\" : 7", with: "\"mail-auth-events\" : \(literal)")
        let problem = try #require(problems(Data(json.utf8)).first)
        #expect(problem.kind == .invalidRetention)
        #expect(problem.field == "retention.mail-auth-events")
    }

    @Test func transientDataIsNeverKept() throws {
        var d = declaration()
        d["dataItems"] = ["transient": ["destination-ip"]]
        d["retention"] = ["transient": 1]
        let problem = try #require(try problems([d]).first)
        #expect(problem.kind == .invalidRetention)
        #expect(problem.field == "retention.transient")
    }

    @Test func duplicateIDIsNamed() throws {
        let found = try problems([declaration(), declaration(id: "other"), declaration()])
        let problem = try #require(found.first)
        #expect(found.count == 1)
        #expect(problem.kind == .duplicateID)
        #expect(problem.declarationID == "smtp-brute-force")
        #expect(problem.declarationIndex == 3)
        #expect(problem.field == "id")
        #expect(problem.reason.contains("already declared at line"))
    }

    @Test func unknownBasisIsNamed() throws {
        var d = declaration()
        d["basis"] = ["legitimate-business-act", "force-majeure"]
        let found = try problems([d])
        #expect(found.count == 1)
        let problem = try #require(found.first)
        #expect(problem.kind == .unknownBasis)
        #expect(problem.field == "basis[1]")
        #expect(problem.reason.hasPrefix("unknown basis \"force-majeure\""))
    }

    @Test func aMisspeltBasisAloneIsOneProblem() throws {
        var d = declaration()
        d["basis"] = "legitimate-busines-act"
        let found = try problems([d])
        #expect(found.map(\.kind) == [.unknownBasis])
        #expect(found.first?.field == "basis")
    }

    @Test(arguments: ["\"sometimes\"", "{\"while-alert\": \"\"}", "{\"during\": \"x\"}", "7"])
    func unknownTriggerIsNamed(literal: String) throws {
        let json = try String(decoding: document([declaration()]), as: UTF8.self)
            .replacingOccurrences(of: "\"trigger\" : \"always\"", with: "\"trigger\" : \(literal)")
        let problem = try #require(problems(Data(json.utf8)).first)
        #expect(problem.kind == .unknownTrigger)
        #expect(problem.field == "trigger")
        #expect(problem.declarationID == "smtp-brute-force")
    }

    @Test func perConsentTriggerGoesWithConsent() throws {
        var withoutConsent = declaration()
        withoutConsent["trigger"] = "per-consent"
        #expect(try problems([withoutConsent]).first?.kind == .inconsistentTrigger)
        var consent = declaration(id: "warning", basis: .consent)
        consent["trigger"] = "always"
        #expect(try problems([consent]).first?.kind == .inconsistentTrigger)
    }

    @Test func unexpectedAndUnknownJustificationsAreRefused() throws {
        var d = declaration()
        var justifications = d["justifications"] as! [String: Any]
        justifications["present-danger"] = text
        justifications["neccessity"] = text
        d["justifications"] = justifications
        let found = try problems([d])
        #expect(Set(found.map(\.kind)) == [.unexpectedJustification, .unknownRequirement])
        #expect(Set(found.compactMap(\.field)) == ["justifications.present-danger", "justifications.neccessity"])
    }

    @Test func unknownFieldAndMissingFieldAreNamed() throws {
        var d = declaration()
        d["justification"] = d["justifications"]
        d["justifications"] = nil
        d["purpose"] = nil
        let found = try problems([d])
        #expect(found.contains { $0.kind == .unknownField && $0.field == "justification" })
        #expect(found.contains { $0.kind == .missingField && $0.field == "purpose" })
        #expect(found.contains { $0.kind == .missingJustification && $0.field == "justifications.necessity" })
    }

    @Test func invalidIDIsRefused() throws {
        let problem = try #require(try problems([declaration(id: "SMTP Brute Force")]).first)
        #expect(problem.kind == .invalidID)
        #expect(problem.description.contains("declaration \"SMTP Brute Force\", field id"))
    }

    @Test func aDeclarationWithoutIDIsNamedByPosition() throws {
        var d = declaration()
        d["id"] = nil
        let found = try problems([declaration(id: "first"), d])
        let problem = try #require(found.first)
        #expect(problem.kind == .missingField)
        #expect(problem.declarationIndex == 2)
        #expect(problem.description.contains("declaration #2, field id: missing"))
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        var a = declaration(id: "a")
        a["dataItems"] = ["mail-auth-events": ["source-ip", "shoe-size"]]
        var b = declaration(id: "b")
        b["justifications"] = [:] as [String: Any]
        let error = #expect(throws: DeclarationError.self) { try Declarations(json: try document([a, b]), source: "declarations.json") }
        #expect(error?.problems.count == 4)
        #expect(error?.first.declarationID == "a")
        #expect(error?.description.split(separator: "\n").count == 4)
    }

    @Test(arguments: [
        ("{\n  \"version\": 1,\n  \"countermeasures\": [\n    {\"id\": \"a\",}\n  ]\n}", 4, 16),
        ("{\n  \"version\": 1\n  \"countermeasures\": []\n}", 3, 3),
        ("{\"version\": 1, \"countermeasures\": [", 1, 36),
        ("{\"version\": 1, \"version\": 2, \"countermeasures\": []}", 1, 16),
        ("{\"a\": \"tab\there\"}", 1, 11),
    ])
    func malformedJSONGivesLineAndColumn(json: String, line: Int, column: Int) throws {
        let problem = try #require(problems(Data(json.utf8)).first)
        #expect(problem.kind == .malformedJSON)
        #expect(problem.line == line)
        #expect(problem.column == column)
        #expect(problem.description.hasPrefix("declarations.json:\(line):\(column): malformed JSON: "))
    }

    @Test func unsupportedVersionAndWrongShapesAreRefused() throws {
        #expect(problems(Data("{\"version\": 2, \"countermeasures\": []}".utf8)).first?.kind == .unsupportedVersion)
        #expect(problems(Data("[]".utf8)).first?.kind == .wrongType)
        #expect(problems(Data("{\"version\": 1, \"countermeasures\": {}}".utf8)).first?.kind == .wrongType)
        #expect(problems(Data("{\"version\": 1}".utf8)).first?.field == "countermeasures")
    }

    @Test func unreadableFileNamesTheFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent/legal-edit.json")
        let error = #expect(throws: DeclarationError.self) { try Declarations.load(contentsOf: url) }
        #expect(error?.first.kind == .unreadable)
        #expect(error?.description.hasPrefix("legal-edit.json: the file cannot be read") == true)
    }

    @Test func unicodeEscapesAndBOMAreRead() throws {
        var json = Array("\u{FEFF}".utf8)
        let body = try String(decoding: document([declaration()]), as: UTF8.self)
            .replacingOccurrences(of: "\"説明\"", with: "\"\\u8aac\\u660e \\ud83d\\ude00\"")
        json += Array(body.utf8)
        let declarations = try Declarations(json: Data(json), source: "declarations.json")
        #expect(declarations[.smtpBruteForce]?.name.ja == "説明 😀")
    }
}

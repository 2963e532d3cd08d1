public import Foundation
public import Secrecy

/// The remediation desk over the store: resolves personal links, shows the page, records the
/// "I have cleaned" action. Every view, action and refusal is audited.
///
/// A refusal (unknown, expired, malformed token, or a case that no longer exists) is one
/// answer, `.refused`, whatever the cause, and its audit record holds no token material.
public struct StoreDesk: RemediationDesk {
    public let store: any RemediationPageStore
    public let templates: NoticeTemplates
    public let pseudonymizer: Pseudonymizer
    public let actor: String

    public init(store: any RemediationPageStore, templates: NoticeTemplates, pseudonymizer: Pseudonymizer, actor: String = "service:portal") {
        self.store = store
        self.templates = templates
        self.pseudonymizer = pseudonymizer
        self.actor = actor
    }

    public func page(token: String, language: Language?, now: Date) async throws -> PageLookup {
        guard let (record, c) = try await resolve(token, now: now) else { return try await refuse(now: now, action: "page-view") }
        try await store.appendPageAudit(
            AuditEntry(
                time: now, countermeasure: c.countermeasure, action: "page-view", actor: actor,
                subject: pseudonymizer.pseudonym(subscriber: c.subscriber), detail: ["case": "\(record.caseID)"]))
        return .page(render(c, token: record, language: language ?? record.language))
    }

    public func markRemediated(token: String, language: Language?, now: Date) async throws -> PageLookup {
        guard let (record, found) = try await resolve(token, now: now) else { return try await refuse(now: now, action: "remediated") }
        var c = found
        if c.status != .remediated {
            c.status = .remediated
            c.remediatedAt = now
            _ = try await store.markRemediated(
                caseID: record.caseID, at: now,
                audit: AuditEntry(
                    time: now, countermeasure: c.countermeasure, action: "remediated", actor: actor,
                    subject: pseudonymizer.pseudonym(subscriber: c.subscriber), detail: ["case": "\(record.caseID)", "by": "subscriber"]))
        }
        return .page(render(c, token: record, language: language ?? record.language))
    }

    private func resolve(_ token: String, now: Date) async throws -> (TokenRecord, CaseRecord)? {
        guard PersonalToken.isWellFormed(token), let record = try await store.pageToken(hash: PersonalToken.hash(token)),
            record.expiresAt > now, let c = try await store.pageCase(id: record.caseID)
        else { return nil }
        return (record, c)
    }

    private func refuse(now: Date, action: String) async throws -> PageLookup {
        try await store.appendPageAudit(
            AuditEntry(time: now, countermeasure: nil, action: "token-refused", actor: actor, subject: "-", detail: ["on": action]))
        return .refused
    }

    private func render(_ c: CaseRecord, token: TokenRecord, language: Language) -> RemediationPage {
        let texts = templates.page(kind: c.kind, language: language)
        return RemediationPage(
            language: language, family: c.family.isEmpty ? nil : c.family, firstSeen: c.firstSeen, lastSeen: c.lastSeen, status: c.status,
            kind: c.kind, whyWeMayTellYou: texts.why, steps: texts.steps, links: texts.links, support: texts.support,
            expiresAt: token.expiresAt)
    }
}

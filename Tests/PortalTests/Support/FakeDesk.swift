import Foundation
import Remediation
import Synchronization

/// An in-memory ``RemediationDesk`` for the portal's tests: a few cases by token, expiry by
/// `expiresAt`, and a count of calls (to prove a malformed token never reaches the desk).
final class FakeDesk: RemediationDesk {
    struct Case: Sendable {
        var preferred: Language
        var family: String?
        var firstSeen: Date
        var lastSeen: Date
        var status: CaseStatus
        var kind: NoticeKind
        var expiresAt: Date
        var steps: [Language: [String]] = FakeDesk.defaultSteps
        var links: [RemediationLink] = [
            RemediationLink(title: "IPA 情報セキュリティ安心相談窓口", url: "https://www.ipa.go.jp/security/anshin/"),
            RemediationLink(title: "NISC インターネットの安全・安心ハンドブック", url: "https://security-portal.nisc.go.jp/guidance/handbook.html"),
        ]
    }

    struct State: Sendable {
        var cases: [String: Case]
        var calls = 0
        var failing = false
    }

    static let defaultSteps: [Language: [String]] = [
        .ja: [
            "パソコンやスマートフォン、ルーターなど、ご家庭でインターネットにつないでいる機器を確認してください。",
            "ウイルス対策ソフトを最新の状態にして、すべての機器でフルスキャンを行ってください。",
            "ルーターや防犯カメラなどは、電源を入れ直し、管理画面のパスワードを初期設定から変更してください。",
            "機器のソフトウェア（OS・ファームウェア）を最新版に更新してください。",
        ],
        .en: [
            "Check every device at home that connects to the internet: computers, phones, routers and cameras.",
            "Update your antivirus software and run a full scan on every device.",
            "Restart routers and cameras, and change their admin password from the factory default.",
            "Update each device's software (operating system, firmware) to the latest version.",
        ],
    ]

    let state: Mutex<State>

    init(_ cases: [String: Case]) {
        state = Mutex(State(cases: cases))
    }

    var calls: Int { state.withLock { $0.calls } }
    func status(of token: String) -> CaseStatus? { state.withLock { $0.cases[token]?.status } }
    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }
    /// The case's link expires now (the page was open when it did).
    func expire(_ token: String, at date: Date) { state.withLock { $0.cases[token]?.expiresAt = date } }
    /// The token is no longer known (revoked, purged).
    func forget(_ token: String) { state.withLock { $0.cases[token] = nil } }

    struct Unavailable: Error {}

    func page(token: String, language: Language?, now: Date) async throws -> PageLookup {
        try state.withLock { state in
            state.calls += 1
            if state.failing { throw Unavailable() }
            guard let found = state.cases[token], now < found.expiresAt else { return .refused }
            return .page(Self.page(found, language: language ?? found.preferred))
        }
    }

    func markRemediated(token: String, language: Language?, now: Date) async throws -> PageLookup {
        try state.withLock { state in
            state.calls += 1
            if state.failing { throw Unavailable() }
            guard var found = state.cases[token], now < found.expiresAt else { return .refused }
            found.status = .remediated
            state.cases[token] = found
            return .page(Self.page(found, language: language ?? found.preferred))
        }
    }

    private static func page(_ found: Case, language: Language) -> RemediationPage {
        RemediationPage(
            language: language, family: found.family, firstSeen: found.firstSeen, lastSeen: found.lastSeen,
            status: found.status, kind: found.kind,
            whyWeMayTellYou: language == .ja
                ? "当社のセンサーに届いた通信から、お客さまの回線をご契約者さまにお知らせする目的に限って特定しました。通信の内容は見ていません。"
                : "We identified your line from traffic that reached our sensor, only to tell you about it. We did not look at the content of any communication.",
            steps: found.steps[language] ?? [],
            links: found.links,
            support: language == .ja
                ? "まもりネット サポートセンター\n電話 0120-000-000（9:00〜18:00、年中無休）"
                : "Mamori Net Support Centre\nPhone 0120-000-000 (9:00–18:00 every day)",
            expiresAt: found.expiresAt)
    }
}

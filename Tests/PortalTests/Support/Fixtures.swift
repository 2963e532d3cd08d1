import Foundation
import Hummingbird
import Logging
import Portal
import Remediation

/// Shared values: two valid tokens (22 base64url characters), fixed times.
enum Fixtures {
    /// 2025-01-02T06:04:05Z, Thursday 15:04:05 in Tokyo.
    static let firstSeen = Date(timeIntervalSince1970: 1_735_797_845)
    /// 2025-01-03T23:30:00Z, Saturday 08:30 in Tokyo (the next calendar day there).
    static let lastSeen = Date(timeIntervalSince1970: 1_735_947_000)
    /// The clock the portal is given.
    static let now = Date(timeIntervalSince1970: 1_736_000_000)  // 2025-01-04T14:13:20Z
    static let expiresAt = Date(timeIntervalSince1970: 1_738_592_000)  // 2025-02-03T14:13:20Z

    static let japaneseToken = "AAAAAAAAAAAAAAAAAAAAAA"
    static let englishToken = "Bb-_0123456789abcdefgh"
    static let expiredToken = "ExpiredExpiredExpired0"
    static let unknownToken = "UnknownUnknownUnknown0"
    static let hostileToken = "HostileHostileHostile0"
    static let remediatedToken = "RemediatedRemediated00"
    static let cncToken = "CnCcontactCnCcontact00"
    static let reopenedToken = "ReopenedReopened000000"

    static let hostileFamily = "<script>alert(\"x\")</script>&'"

    static func desk() -> FakeDesk {
        let base = FakeDesk.Case(
            preferred: .ja, family: "mirai", firstSeen: firstSeen, lastSeen: lastSeen, status: .notified,
            kind: .infectedHost, expiresAt: expiresAt)
        var english = base
        english.preferred = .en
        english.family = "emotet"
        var expired = base
        expired.expiresAt = now.addingTimeInterval(-1)
        var hostile = base
        hostile.family = hostileFamily
        hostile.steps = [.ja: ["<img src=x onerror=alert(1)>手順"], .en: ["<b>step</b>"]]
        hostile.links = [
            RemediationLink(title: "<i>tool</i>", url: "javascript:alert(1)"),
            RemediationLink(title: "ok", url: "https://example.jp/?a=1&b=\"2\""),
        ]
        var remediated = base
        remediated.status = .remediated
        var reopened = base
        reopened.status = .reopened
        var cnc = base
        cnc.kind = .cncContact
        cnc.family = nil
        return FakeDesk([
            japaneseToken: base, englishToken: english, expiredToken: expired, hostileToken: hostile,
            remediatedToken: remediated, cncToken: cnc, reopenedToken: reopened,
        ])
    }

    static let configuration = PortalConfiguration(
        ispName: BilingualText(ja: "まもりネット", en: "Mamori Net"),
        contact: BilingualText(
            ja: "まもりネット サポートセンター\n電話 0120-000-000（9:00〜18:00、年中無休）",
            en: "Mamori Net Support Centre\nPhone 0120-000-000 (9:00–18:00 every day)"),
        publicBaseURL: "https://portal.example.jp",
        formKey: Array("a fixed test key, 32 bytes long!".utf8))

    static func logger() -> Logger {
        var logger = Logger(label: "mamori.portal.test")
        logger.logLevel = .critical
        return logger
    }

    /// The portal application over `desk`, with the clock at ``now``.
    static func app(
        desk: FakeDesk, logger: Logger = Fixtures.logger(), configuration: PortalConfiguration = Fixtures.configuration
    )
        -> some ApplicationProtocol
    {
        makePortalApplication(desk: desk, configuration: configuration, logger: logger, now: { Fixtures.now })
    }
}

public import Foundation
import Secrecy

/// The language a report is written in. Japanese is the default: the legal team reads it first.
public enum ReportLanguage: String, Sendable, Hashable, CaseIterable {
    case ja
    case en

    /// The time zone times are shown in: Japan for `ja`, UTC for `en` (every time carries its offset).
    public var defaultTimeZone: TimeZone {
        switch self {
        case .ja: TimeZone(identifier: "Asia/Tokyo") ?? TimeZone(secondsFromGMT: 9 * 3600) ?? .gmt
        case .en: .gmt
        }
    }
}

/// The words of the report in both languages, one place for the renderers to share.
struct Vocabulary {
    let language: ReportLanguage

    func callAsFunction(_ ja: String, _ en: String) -> String { language == .ja ? ja : en }

    func text(_ text: LocalizedText) -> String { text.text(for: language.rawValue) }

    // MARK: legal vocabulary

    func requirement(_ requirement: Requirement) -> String {
        switch requirement {
        case .changeableAnyTime: self("（ア）設定をいつでも変更でき、他の提供条件は同一", "(ア) choice changeable any time, other conditions the same")
        case .publicised: self("（イ）約款等による十分な周知", "(イ) adequately publicised")
        case .explainedOnScreen: self("（ウ）画面上での説明と変更方法の表示", "(ウ) explained on screen, with how to change the choice")
        case .expectedToConsent: self("通常の利用者であれば同意すると想定できること", "a usual subscriber would consent")
        case .optOutAnyTime: self("回線ごとにいつでもオプトアウトできること", "opt-out per line at any time")
        case .termsPublicised: self("約款及びウェブサイトでの十分な周知", "adequately publicised in the terms and on the website")
        case .legitimatePurpose: self("目的の正当性", "legitimate purpose")
        case .necessity: self("行為の必要性", "necessity of the act")
        case .appropriateMeans: self("手段の相当性", "appropriate means")
        case .presentDanger: self("現在の危難", "present danger")
        case .balanceOfInterests: self("法益の権衡", "balance of interests")
        case .noOtherMeans: self("補充性（他に取り得る方法がないこと）", "no other effective means")
        case .imminentUnjustAttack: self("急迫不正の侵害", "imminent unjust attack")
        case .defendingRights: self("自己又は他人の権利の防衛", "defending one's own or another's rights")
        case .unavoidable: self("やむを得ずにした行為", "unavoidable act")
        case .isParty: self("通信の当事者であること", "being a party to the communication")
        case .public: self("公開情報であること", "the data is public")
        }
    }

    func trigger(_ trigger: Trigger) -> String {
        switch trigger {
        case .always: self("常時", "always")
        case .perConsent: self("同意（設定がオン）の利用者についてのみ", "only for subscribers whose choice is on (per consent)")
        case .whileAlert(let name): self("警報「\(name)」の発報中のみ", "only while the alert \"\(name)\" is raised")
        }
    }

    func dataClass(_ dataClass: DataClass) -> String {
        switch dataClass {
        case .transient: self("一時処理（保存しない）", "transient (never stored)")
        case .sightings: self("観測記録", "sightings")
        case .assignmentRecords: self("アドレス割当記録", "address-assignment records")
        case .identifications: self("特定結果", "identifications")
        case .cases: self("対応事案", "cases")
        case .notices: self("通知", "notices")
        case .consentHistory: self("同意設定の履歴", "consent history")
        case .aggregateCounters: self("集計値", "aggregate counters")
        case .blocks: self("遮断・停止とその履歴", "blocks and suspensions")
        case .mailAuthEvents: self("SMTP認証イベント", "SMTP AUTH events")
        case .liveSessions: self("接続中のセッション（アドレス→回線ID）", "live sessions (address → line id)")
        }
    }

    func dataItem(_ item: DataItem) -> String {
        switch item {
        case .sourceIP: self("送信元IPアドレス", "source IP address")
        case .sourcePort: self("送信元ポート番号", "source port")
        case .timestamp: self("通信日時", "date and time")
        case .destinationIP: self("宛先IPアドレス", "destination IP address")
        case .destinationPort: self("宛先ポート番号", "destination port")
        case .destinationDomain: self("宛先ドメイン名", "destination domain name")
        case .destinationURL: self("宛先URL", "destination URL")
        case .clientAddress: self("要求元アドレス", "client address")
        case .addressAssignmentRecord: self("アドレス割当記録", "address-assignment record")
        case .subscriberID: self("契約者識別子", "subscriber id")
        case .subscriberContact: self("契約者の連絡先", "subscriber contact")
        case .smtpAuthID: self("SMTP認証ID", "SMTP AUTH id")
        case .mailAddress: self("メールアドレス", "mail address")
        case .attemptCount: self("認証試行回数", "number of attempts")
        case .attemptInterval: self("認証試行間隔", "interval between attempts")
        case .malwareFamily: self("マルウェア名", "malware family")
        case .evidenceReference: self("根拠資料の参照", "evidence reference")
        case .consentChoice: self("同意設定", "consent choice")
        case .lineID: self("回線ID", "line id")
        case .siteURL: self("掲載サイトのURL", "listed site URL")
        case .siteContact: self("サイト管理者の公開連絡先", "site owner's public contact")
        case .aggregateCount: self("集計値", "aggregate count")
        case .sourceIPPseudonym: self("送信元IPアドレスの仮名", "source IP pseudonym")
        }
    }

    func caseState(_ state: String) -> String {
        switch state {
        case "open": self("未通知", "open")
        case "notified": self("通知済み", "notified")
        case "remediated": self("対処済み", "remediated")
        case "expired": self("期限切れ", "expired")
        case "reopened": self("再開", "reopened")
        default: state
        }
    }

    // MARK: numbers and times

    func yesNo(_ value: Bool) -> String { value ? self("はい", "yes") : self("いいえ", "no") }

    func days(_ days: Int?) -> String {
        guard let days else { return self("宣言なし", "not declared") }
        return days == 0 ? self("0日（保存しない）", "0 days (not stored)") : self("\(days)日", "\(days) days")
    }

    /// `2026-11-27 09:15:00 +09:00`: RFC 3339 with a space, in `zone`, always with its offset.
    static func time(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600
        let minutes = abs(offset) % 3600 / 60
        func two(_ n: Int?) -> String {
            let v = n ?? 0
            return v < 10 ? "0\(v)" : "\(v)"
        }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) \(sign)\(two(hours)):\(two(minutes))"
    }

    /// RFC 3339 in UTC, for JSON.
    static func rfc3339(_ date: Date) -> String { date.formatted(.iso8601) }
}

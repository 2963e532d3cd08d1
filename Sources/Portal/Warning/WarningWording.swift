import Foundation
import Remediation
import SiteWarning

/// The warning page's own words, in Japanese and English: plain and calm, Japanese first.
///
/// The ISP's texts from the terms (``SiteWarning/TermsPublication``) come first where it gives
/// them; these are the fallbacks and the fixed sentences around them.
struct WarningWording: Sendable {
    let language: Language

    private func pick(_ ja: String, _ en: String) -> String {
        language == .ja ? ja : en
    }

    // MARK: The warning

    func warningTitle(isp: String) -> String { pick("ご注意ください：危険なおそれのあるサイトです｜\(isp)", "Warning: this site may be dangerous | \(isp)") }
    var warningHeadline: String { pick("このサイトはウイルスを配布しているおそれがあります", "This site may spread malware") }
    var warningLead: String {
        pick(
            "アクセスしようとしたサイトは、ウイルス（マルウェア）を配布しているサイトの一覧に載っています。お使いの機器を守るため、サイトを開く前にこのページを表示しました。",
            "The site you tried to open is on a list of sites that spread malware (computer viruses). To protect your device, we show this page before the site opens."
        )
    }
    var siteLabel: String { pick("アクセスしようとしたサイト", "The site you tried to open") }
    var siteUnknown: String { pick("（サイト名を確認できませんでした）", "(the site's name could not be read)") }
    var adviceHeading: String { pick("おすすめの対応", "What we recommend") }
    var adviceText: String {
        pick(
            "このページを閉じるか、ブラウザの「戻る」で前のページに戻ってください。心当たりのないファイルは開かないでください。",
            "Close this page, or go back to the previous page. Do not open files you did not expect."
        )
    }
    var proceedHeading: String { pick("それでもサイトに進む場合", "If you still want to open the site") }
    func proceedText(_ duration: String) -> String {
        pick(
            "危険を理解したうえで進む場合は、下のボタンを押してください。この回線からこのサイトへは、\(duration)のあいだ警告を表示しません。",
            "If you understand the risk, press the button below. Your connection can then open this site without this warning for \(duration)."
        )
    }
    var proceedButton: String { pick("危険を理解して、このサイトに進む", "I understand the risk: open the site") }
    var noLineNote: String {
        pick(
            "この接続がどの回線のものかを確認できなかったため、このページでは「進む」と設定の変更をお受けできません。設定は下の会員ページでいつでも変更できます。",
            "We could not tell which line this connection belongs to, so this page cannot open the site or change your setting. You can change the setting at any time on the member page below."
        )
    }

    // MARK: Every page: the measure, its basis and the choice — (ア)(イ)(ウ)

    var whyHeading: String { pick("このページが表示された理由", "Why you see this page") }
    var aboutHeading: String { pick("この警告について", "About this warning") }
    /// (ウ) The measure, when the ISP gave no text of its own.
    func defaultExplanation(isp: String) -> String {
        pick(
            "\(isp)は、お客さまの機器をウイルスから守るため、ウイルスを配布しているサイトにアクセスしようとしたときに、このページでお知らせしています（マルウェア配布サイトへのアクセス警告）。",
            "To protect your devices, \(isp) shows this page when a device on your connection tries to open a site that spreads malware (the malware-site warning)."
        )
    }
    /// What is looked at, and what is not kept.
    var mechanicalNote: String {
        pick(
            "確認するのはアクセス先のサイト名だけで、一覧と機械的に照合しています。お客さまがどのサイトを見たかの記録は残しません。",
            "Only the name of the site is checked, automatically, against the list. We keep no record of which sites you visit."
        )
    }
    /// (イ) The consent basis and where the terms are published.
    func basis(version: String, published: String) -> String {
        pick(
            "この警告は、ご契約の約款（\(version)版、\(published)公表）の定めにより、お客さまの同意に基づいて行っています。約款は次のページで公開しています：",
            "We show this warning under the terms of your contract (version \(version), published \(published)), on the basis of your consent. The terms are published at:"
        )
    }
    var choiceHeading: String { pick("この警告はいつでも止められます", "You can turn this warning off at any time") }
    /// (ア) The choice is the subscriber's, at any time.
    var anyTime: String {
        pick(
            "警告を表示するかどうかは、お客さまが選べます。いつでも変更でき、また元に戻せます。",
            "Whether we show this warning is your choice. You can change it at any time, and change it back. "
        )
    }
    /// (ア) Nothing else changes, when the ISP gave no text of its own.
    var defaultSameConditions: String {
        pick(
            "警告を止めても止めなくても、料金やほかのサービスの内容は変わりません。",
            "Your price and everything else in your service stay the same either way."
        )
    }
    /// (ウ) How to change the choice, when the ISP gave no text of its own.
    var defaultOptOut: String {
        pick(
            "会員ページの設定で、警告の表示を止めたり、再開したりできます。",
            "You can turn the warning off, or on again, in the settings of the member page."
        )
    }
    var choicePageLabel: String { pick("設定を変更するページ：", "Where to change it: ") }
    var turnOffLink: String { pick("この回線で警告を止める", "Turn off this warning for my line") }
    var turnOffLinkNote: String {
        pick(
            "このボタンからも止められます（確認の画面が出ます）。",
            "You can also turn it off here (you will be asked to confirm)."
        )
    }

    // MARK: Confirmation and done

    func confirmHeadline(_ choice: ConsentChoice) -> String {
        switch choice {
        case .off: pick("警告の表示を止めますか？", "Turn off this warning?")
        case .on: pick("警告の表示を再開しますか？", "Turn this warning back on?")
        }
    }
    func confirmText(_ choice: ConsentChoice) -> String {
        switch choice {
        case .off:
            pick(
                "この回線で「マルウェア配布サイトへのアクセス警告」を止めます。止めると、一覧に載っているサイトにも警告なしでつながります。料金やほかのサービスの内容は変わりません。あとからいつでも元に戻せます。",
                "This turns off the malware-site warning for your line. Sites on the list will then open without a warning. Your price and the rest of your service stay the same. You can turn it back on at any time."
            )
        case .on:
            pick(
                "この回線で「マルウェア配布サイトへのアクセス警告」を再開します。料金やほかのサービスの内容は変わりません。あとからいつでも止められます。",
                "This turns the malware-site warning back on for your line. Your price and the rest of your service stay the same. You can turn it off again at any time."
            )
        }
    }
    func confirmButton(_ choice: ConsentChoice) -> String {
        switch choice {
        case .off: pick("警告を止める", "Turn the warning off")
        case .on: pick("警告を再開する", "Turn the warning on")
        }
    }
    var confirmCancel: String {
        pick("変更しない場合は、このページを閉じてください。", "If you do not want to change anything, just close this page.")
    }
    func doneHeadline(_ choice: ConsentChoice) -> String {
        switch choice {
        case .off: pick("警告の表示を止めました", "The warning is now off")
        case .on: pick("警告の表示を再開しました", "The warning is now on")
        }
    }
    func doneText(_ choice: ConsentChoice) -> String {
        switch choice {
        case .off:
            pick(
                "この回線では、今後このページを表示しません（数分以内に反映されます）。料金やほかのサービスの内容は変わりません。",
                "Your line will no longer see this page (the change takes effect within a few minutes). Your price and the rest of your service stay the same."
            )
        case .on:
            pick(
                "この回線では、一覧に載っているサイトを開こうとしたときに、このページを表示します（数分以内に反映されます）。",
                "Your line will see this page again when it tries to open a site on the list (within a few minutes)."
            )
        }
    }
    func doneHowBack(_ choice: ConsentChoice) -> String {
        switch choice {
        case .off: pick("警告をもう一度表示するには、次のページでいつでも設定を戻せます：", "To turn the warning back on, change the setting at any time at:")
        case .on: pick("警告を止めるには、次のページでいつでも設定を変更できます：", "To turn it off again, change the setting at any time at:")
        }
    }

    // MARK: Continue anyway

    var proceededHeadline: String { pick("サイトに進めるようにしました", "You can now open the site") }
    func proceededText(host: String, duration: String) -> String {
        pick(
            "\(duration)のあいだ、この回線から \(host) へは警告なしでつながります。1分ほど待ってから、ページを再読み込みするか、次のリンクを開いてください。",
            "For \(duration), your line can open \(host) without this warning. Wait about a minute, then reload the page or open this link:"
        )
    }
    var proceededStill: String {
        pick(
            "数分たってもこのページが表示されるときは、ブラウザをいったん閉じてから、もう一度開いてください。",
            "If this page still appears after a few minutes, close the browser and open it again."
        )
    }

    // MARK: Refusals

    var invalidHeadline: String { pick("このリンクは使えません", "This link cannot be used") }
    var invalidText: String {
        pick(
            "リンクの有効期限が切れているか、この接続からは使えないリンクです。設定は変更していません。",
            "The link has expired, or it cannot be used from this connection. Nothing was changed."
        )
    }
    var invalidAdvice: String {
        pick("警告の設定は、次のページでいつでも変更できます：", "You can change the warning setting at any time at:")
    }
    var unavailableHeadline: String { pick("ただいま設定を変更できません", "The setting cannot be changed right now") }
    var unavailableText: String {
        pick(
            "申し訳ありません。システムの都合で、ただいまこのページから設定を変更できません。時間をおいてもう一度お試しいただくか、次のページで変更してください：",
            "Sorry: because of a problem on our side, the setting cannot be changed from this page right now. Please try again later, or change it at:"
        )
    }

    // MARK: Footer

    var footerNote: String {
        pick(
            "このページは、ご契約のプロバイダが表示しています。このページが、パスワードやカード番号などを入力するよう求めることはありません。",
            "This page is shown by your internet provider. It never asks for a password, a card number or any other secret."
        )
    }

    // MARK: Values

    /// `seconds` as a duration to read ("1時間", "30 minutes").
    func duration(_ seconds: TimeInterval) -> String {
        let minutes = max(1, Int((seconds / 60).rounded()))
        if minutes % 60 == 0 {
            let hours = minutes / 60
            return pick("\(hours)時間", hours == 1 ? "1 hour" : "\(hours) hours")
        }
        return pick("\(minutes)分", minutes == 1 ? "1 minute" : "\(minutes) minutes")
    }

    /// A `YYYY-MM-DD` date as "2026年4月1日" or "1 April 2026"; other text as it is.
    func date(_ text: String) -> String {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month),
            (1...31).contains(day)
        else { return text }
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        ]
        return pick("\(year)年\(month)月\(day)日", "\(day) \(months[month - 1]) \(year)")
    }
}

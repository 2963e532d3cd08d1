import Remediation

/// The portal's own words, in Japanese and English. The case-specific texts (why the ISP may
/// tell, the steps, the support contact) come from the desk.
struct Wording: Sendable {
    let language: Language

    private func pick(_ ja: String, _ en: String) -> String {
        language == .ja ? ja : en
    }

    // MARK: Every page

    var skipToContent: String { pick("本文へ移動", "Skip to content") }
    var languageNavigation: String { pick("言語の切り替え", "Language") }
    /// The name of the other language, written in that language.
    var otherLanguageName: String { pick("English", "日本語") }

    // MARK: The remediation page

    func title(_ kind: NoticeKind, isp: String) -> String {
        switch kind {
        case .infectedHost: pick("【重要】機器の感染に関するお知らせ｜\(isp)", "Important: your device may be infected | \(isp)")
        case .cncContact: pick("【重要】不正なサーバーとの通信に関するお知らせ｜\(isp)", "Important: contact with a criminal server | \(isp)")
        }
    }

    func headline(_ kind: NoticeKind) -> String {
        switch kind {
        case .infectedHost:
            pick("お使いの機器がウイルスに感染しているおそれがあります", "A device on your connection may be infected with a virus")
        case .cncContact:
            pick(
                "お使いの機器が不正なサーバーと通信していたおそれがあります",
                "A device on your connection may have contacted a criminal server")
        }
    }

    func lead(_ kind: NoticeKind) -> String {
        switch kind {
        case .infectedHost:
            pick(
                "お客さまの回線に接続されたパソコンやスマートフォンなどの機器から、ウイルス（マルウェア）に感染した機器に特有の通信が届いていることを確認しました。感染した機器は、情報を盗まれたり、他の人への攻撃に使われたりするおそれがあります。お手数ですが、下記の手順で対処をお願いします。",
                "We received traffic from a computer, phone or other device on your internet connection that is typical of a device infected with a virus (malware). An infected device can have your information stolen or be used to attack others. Please follow the steps below."
            )
        case .cncContact:
            pick(
                "犯罪に使われ、停止されたサーバー（C&Cサーバー）の記録から、お客さまの回線に接続された機器がこのサーバーと通信していたことがわかりました。その機器はウイルス（マルウェア）に感染しているおそれがあります。お手数ですが、下記の手順で対処をお願いします。",
                "The records of a server used by criminals (a command-and-control server), which has been taken down, show that a device on your internet connection contacted it. That device may be infected with a virus (malware). Please follow the steps below."
            )
        }
    }

    var observedHeading: String { pick("確認した内容", "What we found") }
    var familyLabel: String { pick("ウイルスの種類", "Type of virus") }
    var familyUnknown: String { pick("特定できていません", "Not identified") }
    var firstSeenLabel: String { pick("最初に確認した日時", "First seen") }
    var lastSeenLabel: String { pick("最後に確認した日時", "Last seen") }

    var stepsHeading: String { pick("対処の手順", "What to do") }
    var linksHeading: String { pick("駆除ツール・参考情報", "Removal tools and advice") }

    var doneHeading: String { pick("対処が終わったら", "When you have finished") }
    var doneExplanation: String {
        pick(
            "すべての手順が終わったら、下のボタンを押してお知らせください。その後も同じ通信が確認された場合は、改めてご連絡します。",
            "When you have done all the steps, please press the button below to let us know. If we see the same traffic again, we will contact you again."
        )
    }
    var doneButton: String { pick("対処が完了しました", "I have cleaned my device") }

    var whyHeading: String { pick("このお知らせについて", "About this notice") }
    var contactHeading: String { pick("お問い合わせ", "Contact us") }

    var thankYouHeadline: String { pick("ご対応ありがとうございます", "Thank you for cleaning your device") }
    var thankYouText: String {
        pick(
            "対処が完了したとのご連絡を受け付けました。今後も同じ通信が確認された場合は、改めてお知らせします。下の内容は、参考のために残しています。",
            "We have received your report that the device has been cleaned. If we see the same traffic again, we will let you know. The details below remain for your reference."
        )
    }
    var reopenedHeading: String { pick("もう一度ご確認ください", "Please check again") }
    var reopenedText: String {
        pick(
            "対処が完了したとのご連絡をいただいた後も、同じ通信が確認されています。お手数ですが、もう一度下記の手順をお試しください。",
            "After you told us the device had been cleaned, we have seen the same traffic again. Please go through the steps below once more."
        )
    }
    var closedHeadline: String { pick("このお知らせの対応は終了しています", "This notice is closed") }
    var closedText: String {
        pick(
            "このお知らせについての対応は終了しました。下の内容は、参考のために残しています。",
            "This notice is closed. The details below remain for your reference."
        )
    }

    var personalLinkNote: String {
        pick(
            "このページのアドレスはお客さま専用です。他の人に転送したり、共有したりしないでください。",
            "The address of this page is for you only. Please do not forward or share it."
        )
    }
    var expiresLabel: String { pick("このページの有効期限：", "This page is available until ") }
    var noSecretsNote: String {
        pick(
            "当社が、このページやメールでパスワードやクレジットカード番号をお尋ねすることはありません。",
            "We will never ask for your password or credit card number on this page or by e-mail."
        )
    }

    // MARK: The refusal page

    var refusalHeadline: String { pick("このリンクはご利用いただけません", "This link cannot be used") }
    var refusalText: String {
        pick(
            "リンクの有効期限が切れているか、アドレスが正しくない可能性があります。",
            "The link may have expired, or its address may be incomplete."
        )
    }
    var refusalAdvice: String {
        pick(
            "メールに記載されたアドレスが途中で切れていないかご確認ください。メールのリンクを押しても開けない場合は、アドレス全体をコピーして、ブラウザのアドレス欄に貼り付けてください。それでも開けない場合は、下記の窓口までお問い合わせください。",
            "Please check that the address in the e-mail was not cut off. If pressing the link in the e-mail does not work, copy the whole address and paste it into your browser's address bar. If it still does not open, please contact us as shown below."
        )
    }

    // MARK: The landing page

    func landingHeadline(isp: String) -> String {
        pick("\(isp) お客さま向けのお知らせ", "Notices from \(isp)")
    }
    func landingText(isp: String) -> String {
        pick(
            "このサイトは、\(isp)がお客さまへ個別のお知らせをお届けするためのものです。メールでお送りした、お客さま専用のリンクから開いてください。",
            "\(isp) uses this site to deliver personal notices to its customers. Please open it through the personal link in the e-mail we sent you."
        )
    }

    // MARK: The retry page (a form that was not the portal's own)

    var retryHeadline: String { pick("もう一度お試しください", "Please try again") }
    var retryText: String {
        pick(
            "ボタンを押したページが古くなっていたため、受け付けられませんでした。下のリンクからページを開き直して、もう一度ボタンを押してください。",
            "We could not accept the button press because the page was out of date. Please open the page again with the link below and press the button once more."
        )
    }
    var retryLink: String { pick("お知らせのページを開く", "Open the notice page") }

    // MARK: The unavailable page

    var unavailableHeadline: String { pick("ただいまご利用いただけません", "This page is not available right now") }
    var unavailableText: String {
        pick(
            "申し訳ありません。しばらく時間をおいてから、もう一度お試しください。",
            "We are sorry. Please try again in a little while."
        )
    }
}

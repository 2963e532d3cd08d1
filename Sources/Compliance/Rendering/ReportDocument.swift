import Foundation
import Secrecy

/// Lays the report out as headings, facts and tables a legal reader follows, in one language.
struct ReportDocumentBuilder {
    let report: ComplianceReport
    let v: Vocabulary
    let zone: TimeZone

    init(report: ComplianceReport, language: ReportLanguage, timeZone: TimeZone) {
        self.report = report
        self.v = Vocabulary(language: language)
        self.zone = timeZone
    }

    func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return Vocabulary.time(date, in: zone)
    }

    func build() -> Document {
        var doc = Document(language: v.language, title: v("通信の秘密の保護に関する実施状況報告書", "Compliance report: secrecy of communications"))
        doc.blocks.append(.heading(level: 1, .t(doc.title), anchor: nil))
        doc.blocks.append(
            .paragraph(
                .t(
                    v(
                        "本報告書は、Mamoriが実施する各対策について、宣言された目的・法的根拠・取り扱う情報と、対象期間中に実施した内容を、監査ログから集計して示すものです。件数のみを示し、IPアドレス、契約者識別子、メールアドレスその他の個々の通信又は契約者を特定し得る情報は記載していません。",
                        "For every countermeasure Mamori runs, this report shows its declared purpose, legal basis and data, and what was done under it in the period, counted from the audit log. It shows counts only: no IP address, subscriber id, mail address or anything else that could single out a communication or a subscriber."
                    ))))
        doc.blocks.append(.facts(meta))
        if !report.audit.intact {
            doc.blocks.append(
                .paragraph([
                    .alert(
                        v(
                            "監査ログに不整合（改ざん又は欠落）が検出された（第2章）。本報告書の件数は、検出箇所以降の記録について信頼できない。",
                            "The audit log is broken (tampering or loss, chapter 2). The counts in this report cannot be trusted for the records from the broken one on."
                        ))
                ]))
        }
        doc.blocks.append(contentsOf: summary)
        doc.blocks.append(contentsOf: auditSection)
        doc.blocks.append(contentsOf: retentionSection)
        doc.blocks.append(
            .heading(level: 2, .t(v("4. 対策ごとの宣言と実施状況", "4. Each countermeasure: its declaration and what was done")), anchor: "countermeasures"))
        for (index, c) in report.countermeasures.enumerated() {
            doc.blocks.append(contentsOf: countermeasureSection(c, number: index + 1))
        }
        doc.blocks.append(contentsOf: otherRecords)
        doc.blocks.append(contentsOf: method)
        return doc
    }

    // MARK: front matter

    private var periodText: String {
        let from = report.period.from.map { time($0) } ?? v("記録の最初", "the first record")
        let to = report.period.to.map { time($0) + v("（この時刻を含まない）", " (exclusive)") } ?? v("作成時点", "the time of this report")
        return v("\(from)から\(to)まで", "from \(from) to \(to)")
    }

    private var meta: [(Document.Inline, Document.Inline)] {
        [
            (.t(v("対象期間", "Period")), .t(periodText)),
            (.t(v("作成日時", "Generated")), .t(time(report.generatedAt))),
            (
                .t(v("宣言ファイル", "Declarations")),
                [.code(report.declarationsSource), .lineBreak, .text("SHA-256 "), .code(report.declarationsSHA256)]
            ),
            (
                .t(v("監査ログ", "Audit log")),
                report.audit.intact
                    ? [.ok(v("改ざんなし（検証済み）", "intact (verified)"))] : [.alert(v("改ざん又は欠落を検出", "BROKEN: tampering or loss detected"))]
            ),
            (.t(v("期間中の監査記録", "Audit records in the period")), .t(v("\(report.recordsInPeriod)件", "\(report.recordsInPeriod)"))),
        ]
    }

    private var summary: [Document.Block] {
        let header: [Document.Inline] = [
            .t(v("対策", "Countermeasure")), .t(v("法的根拠", "Legal basis")), .t(v("特定（該当／該当なし／曖昧）", "Identifications (found / not found / ambiguous)")),
            .t(v("開示", "Disclosed")), .t(v("通知（送信／失敗）", "Notices (sent / failed)")), .t(v("事案（現在）", "Cases (now)")),
            .t(v("拒否", "Refused")), .t(v("削除", "Purged")), .t(v("保存期間", "Retention")),
        ]
        let rows: [[Document.Inline]] = report.countermeasures.map { c in
            let i = c.identifications
            let caseTotal = c.cases.reduce(0) { $0 + $1.count }
            return [
                [.text(v.text(c.declaration.name)), .lineBreak, .code(c.id.rawValue)],
                .t(c.declaration.bases.map { v.text($0.name) }.joined(separator: v("、", "; "))),
                .t(c.declaration.allowsAttribution ? "\(i.found) / \(i.notFound) / \(i.ambiguous)" : v("対象外", "n/a")),
                .t("\(c.disclosures)"),
                .t("\(c.notices.sent) / \(c.notices.failed)"),
                .t("\(caseTotal)"),
                .t("\(c.refusals)"),
                .t("\(c.purges)"),
                c.overdue ? [.alert(v("超過あり", "overdue"))] : [.ok(v("期間内", "within"))],
            ]
        }
        return [
            .heading(level: 2, .t(v("1. 概要", "1. Summary")), anchor: "summary"),
            .paragraph(
                .t(
                    v(
                        "対策ごとの件数は対象期間中の監査記録から、事案の件数は作成時点のものです。各欄の内訳は第4章にあります。",
                        "Counts per countermeasure are audit records in the period; cases are as of the time of this report. Chapter 4 breaks each column down."
                    ))),
            .table(header: header, rows: rows, numeric: [2, 3, 4, 5, 6, 7], widths: [20, 15, 13, 8, 9, 8, 8, 8, 11]),
        ]
    }

    // MARK: audit

    private var auditSection: [Document.Block] {
        let a = report.audit
        var facts: [(Document.Inline, Document.Inline)] = [
            (
                .t(v("検証結果", "Verification")),
                a.intact
                    ? [
                        .ok(
                            v(
                                "ハッシュチェーン及びチェックポイントと整合（改ざん・削除・挿入・並べ替えなし）",
                                "the hash chain and every checkpoint verify (nothing edited, deleted, inserted or reordered)"))
                    ]
                    : [.alert(v("不整合：記録\(a.brokenAt ?? 0)番で検出", "BROKEN at record \(a.brokenAt ?? 0)"))]
            ),
            (.t(v("記録数", "Records")), .t("\(a.records)")),
        ]
        if let reason = a.reason { facts.append((.t(v("理由", "Reason")), [.code(reason)])) }
        if let head = a.head { facts.append((.t(v("先頭ハッシュ（最新記録）", "Head hash (last record)")), [.code(head)])) }
        if let checkpoint = a.lastCheckpoint {
            facts.append(
                (
                    .t(v("最新のチェックポイント", "Last checkpoint")),
                    .t(v("記録\(checkpoint.size)件まで、\(time(checkpoint.time))", "records 1–\(checkpoint.size), taken \(time(checkpoint.time))"))
                ))
            facts.append((.t(v("チェックポイントのルート", "Checkpoint root")), [.code(Hex.encode(checkpoint.root))]))
        } else {
            facts.append((.t(v("最新のチェックポイント", "Last checkpoint")), .t(v("なし", "none"))))
        }
        facts.append((.t(v("検証したチェックポイント数", "Checkpoints verified")), .t("\(a.checkpoints)")))
        facts.append((.t(v("検証した署名付きチェックポイント数（ストア外）", "Signed checkpoints verified (outside the store)")), .t("\(a.signedCheckpoints)")))
        return [
            .heading(level: 2, .t(v("2. 監査ログの完全性", "2. Integrity of the audit log")), anchor: "audit"),
            .paragraph(
                .t(
                    v(
                        "監査ログは追記専用で、各記録が直前の記録のハッシュを含む（SHA-256ハッシュチェーン）。チェックポイントは記録のマークル木のルートで、保管されたチェックポイントと照合することで末尾の削除や全体の書換えも検出できる。検証は対象期間にかかわらずログ全体について行った。",
                        "The audit log is append-only and each record holds the hash of the one before (a SHA-256 hash chain). A checkpoint is the Merkle root of the records; checking against checkpoints kept aside also catches the removal of the last records or a wholesale rewrite. The whole log was verified, whatever the period."
                    ))),
            .facts(facts),
        ]
    }

    // MARK: retention

    private func retentionRow(_ r: ComplianceReport.Retention, perCountermeasure: Bool) -> [Document.Inline] {
        var row: [Document.Inline] = [[.text(v.dataClass(r.dataClass)), .lineBreak, .code(r.dataClass.rawValue)]]
        row.append(.t(v.days(r.days)))
        if perCountermeasure {
            row.append(.t(r.classDays.map { v.days($0) } ?? "—"))
        } else {
            row.append(r.setBy.isEmpty ? .t("—") : Array(r.setBy.flatMap { [Document.Span.lineBreak, .code($0.rawValue)] }.dropFirst()))
        }
        row.append(.t(r.tracked ? "\(r.count ?? 0)" : "—"))
        row.append(.t(r.tracked ? time(r.oldest) : "—"))
        row.append(
            r.overdue
                ? [.alert(v("超過", "OVERDUE"))]
                : r.tracked
                    ? [.ok(v("期間内", "within"))]
                    : .t(v(r.dataClass == .transient ? "保存しない" : "本ストア外", r.dataClass == .transient ? "never stored" : "not in this store")))
        return row
    }

    private var retentionSection: [Document.Block] {
        let header: [Document.Inline] = [
            .t(v("保存区分", "Data class")), .t(v("保存期間", "Lifetime")), .t(v("期間を定める宣言", "Set by")),
            .t(v("保有件数", "Rows held")), .t(v("最古の記録", "Oldest held")), .t(v("判定", "State")),
        ]
        return [
            .heading(level: 2, .t(v("3. 保存期間の遵守状況", "3. Retention")), anchor: "retention"),
            .paragraph(
                .t(
                    v(
                        "保存区分ごとの保存期間は、その区分を用いる宣言のうち最も長いものである（同じ表を複数の対策が共有するため）。作成時点で最古の記録が保存期間を超えていれば「超過」と表示する。超過は削除（purge）の未実施を意味する。",
                        "A data class's lifetime is the longest among the declarations that keep it (several countermeasures share one table). A class is OVERDUE when its oldest row, at the time of this report, is older than its lifetime: a purge is due."
                    ))),
            .table(
                header: header, rows: report.retention.map { retentionRow($0, perCountermeasure: false) }, numeric: [3],
                widths: [25, 12, 22, 10, 18, 13]),
        ]
    }

    // MARK: one countermeasure

    private func countermeasureSection(_ c: ComplianceReport.Countermeasure, number: Int) -> [Document.Block] {
        let d = c.declaration
        let anchor = "cm-\(d.id.rawValue)"
        func group(_ title: String, _ content: [Document.Block]) -> Document.Block {
            .section(anchor: nil, [.heading(level: 4, .t(title), anchor: nil)] + content)
        }
        // The heading stays with the purpose: never alone at the foot of a page.
        var blocks: [Document.Block] = [
            .section(
                anchor: nil,
                [
                    .heading(level: 3, [.text("4.\(number) \(v.text(d.name)) "), .code(d.id.rawValue)], anchor: anchor),
                    .heading(level: 4, .t(v("目的", "Purpose")), anchor: nil),
                    .paragraph(.t(v.text(d.purpose))),
                ])
        ]
        var basis: [Document.Block] = []
        for legalBasis in d.bases {
            let rows: [[Document.Inline]] = legalBasis.requirements.map { requirement in
                [.t(v.requirement(requirement)), .t(d.justification(requirement).map { v.text($0) } ?? "—")]
            }
            basis.append(.paragraph([.strong(v.text(legalBasis.name))]))
            basis.append(
                .table(header: [.t(v("要件", "Requirement")), .t(v("説明", "Justification"))], rows: rows, numeric: [], widths: [24, 76]))
        }
        blocks.append(group(v("法的根拠と各要件の説明", "Legal basis and the justification of each requirement"), basis))

        let itemRows: [[Document.Inline]] = d.dataClasses.map { dataClass in
            [
                [.text(v.dataClass(dataClass)), .lineBreak, .code(dataClass.rawValue)],
                .t((d.dataItemsByClass[dataClass] ?? []).map { v.dataItem($0) }.joined(separator: v("、", ", "))),
                .t(v.days(d.retentionDays(for: dataClass))),
            ]
        }
        blocks.append(
            group(
                v("取り扱う情報項目と保存期間", "Data items and retention"),
                [
                    .table(
                        header: [.t(v("保存区分", "Data class")), .t(v("情報項目", "Data items")), .t(v("保存期間", "Retention"))], rows: itemRows,
                        numeric: [], widths: [28, 54, 18])
                ]))

        var conditions: [Document.Inline] = [[.strong(v("発動：", "Trigger: ")), .text(v.trigger(d.trigger))]]
        conditions += d.conditions.map { .t(v.text($0)) }
        var attribution: Document.Inline = [
            .strong(v("加入者の特定：", "Matching an address to a subscriber: ")),
            .text(
                d.allowsAttribution
                    ? v("宣言により許可（アドレス割当記録と契約者識別子を取り扱う）。", "allowed by the declaration (it lists address-assignment records and the subscriber id).")
                    : v("宣言上許可されていない。求められた場合は拒否し、記録する。", "not allowed by the declaration; a request is refused and audited.")),
        ]
        if let note = d.attributionNote { attribution.append(.text(" " + v.text(note))) }
        conditions.append(attribution)
        blocks.append(group(v("実施の条件", "Trigger and conditions"), [.bullets(conditions)]))

        // What was done: the rows that can apply to this declaration, and any act recorded.
        let i = c.identifications
        var activity: [[Document.Inline]] = []
        if d.allowsAttribution || i.total > 0 {
            activity.append([.t(v("加入者の特定：該当", "Identifications: found")), .t("\(i.found)")])
            activity.append([.t(v("加入者の特定：該当なし", "Identifications: not found")), .t("\(i.notFound)")])
            activity.append([.t(v("加入者の特定：曖昧（特定せず）", "Identifications: ambiguous (nobody identified)")), .t("\(i.ambiguous)")])
        }
        if d.allowsAttribution || c.disclosures > 0 {
            activity.append([.t(v("開示（特定結果の引渡し）", "Disclosures (identity handed over)")), .t("\(c.disclosures)")])
        }
        let n = c.notices
        if d.dataClasses.contains(.notices) || n.queued + n.sent + n.failed > 0 {
            activity.append([.t(v("通知：送信待ちに登録／送信／送信失敗", "Notices: queued / sent / failed")), .t("\(n.queued) / \(n.sent) / \(n.failed)")])
        }
        activity.append([.t(v("目的外の特定要求の拒否", "Identifications refused for this purpose")), .t("\(c.refusals)")])
        for purge in c.purgesByClass {
            activity.append([
                .t(v("削除：\(v.dataClass(purge.dataClass))（実行回数／削除件数）", "Purges of \(v.dataClass(purge.dataClass)) (runs / rows deleted)")),
                .t("\(purge.runs) / \(purge.deleted)"),
            ])
        }
        if c.purgesByClass.isEmpty { activity.append([.t(v("削除（実行回数）", "Purges (runs)")), .t("0")]) }
        let shown: Set<String> = ["identification", "disclosure", "notice-queued", "notice-sent", "notice-failed", "purpose-refused"]
        for (action, count) in c.actions.sorted(by: { $0.key < $1.key }) where !shown.contains(action) {
            activity.append([[.text(v("その他の記録：", "Other records: ")), .code(action)], .t("\(count)")])
        }
        blocks.append(
            group(
                v("期間中の実施状況", "Activity in the period"),
                [.table(header: [.t(v("項目", "What")), .t(v("件数", "Count"))], rows: activity, numeric: [1], widths: [80, 20])]))

        if d.allowsAttribution || c.cases.contains(where: { $0.count > 0 }) {
            blocks.append(
                group(
                    v("対応事案（作成時点）", "Cases (at the time of this report)"),
                    [
                        .table(
                            header: c.cases.map { [.text(v.caseState($0.state))] }, rows: [c.cases.map { .t("\($0.count)") }],
                            numeric: Set(c.cases.indices), widths: nil)
                    ]))
        }

        blocks.append(
            group(
                v("保存状況", "Data held"),
                [
                    .table(
                        header: [
                            .t(v("保存区分", "Data class")), .t(v("この対策の保存期間", "This declaration")), .t(v("区分の保存期間", "Class lifetime")),
                            .t(v("保有件数", "Rows held")), .t(v("最古の記録", "Oldest held")), .t(v("判定", "State")),
                        ], rows: c.retention.map { retentionRow($0, perCountermeasure: true) }, numeric: [3], widths: [26, 14, 14, 12, 22, 12])
                ]))
        return [.section(anchor: anchor, blocks)]
    }

    // MARK: the rest

    private var otherRecords: [Document.Block] {
        var rows: [[Document.Inline]] = report.unattributed.sorted { $0.key < $1.key }.map {
            [[.code($0.key)], .t(describe($0.key)), .t("\($0.value)")]
        }
        for (id, count) in report.undeclared.sorted(by: { $0.key < $1.key }) {
            rows.append([[.code(id.rawValue)], [.alert(v("現在の宣言にない対策の記録", "records of a countermeasure not declared now"))], .t("\(count)")])
        }
        var blocks: [Document.Block] = [
            .heading(level: 2, .t(v("5. いずれの対策にも属さない記録", "5. Records outside any countermeasure")), anchor: "other"),
            .paragraph(
                .t(
                    v(
                        "データの取込み、保存期間による削除（保存区分ごと）、無効な個人用リンクへのアクセス拒否などは、特定の対策に属さない記録として残る。削除は、その保存区分を用いる各対策の欄にも計上している。",
                        "Data intake, retention purges (per data class) and refused personal links are recorded outside any one countermeasure. Purges are also counted under every countermeasure that uses the class."
                    ))),
        ]
        if rows.isEmpty {
            blocks.append(.paragraph(.t(v("対象期間中、該当する記録はない。", "None in the period."))))
        } else {
            blocks.append(
                .table(
                    header: [.t(v("記録の種類", "Action")), .t(v("内容", "Meaning")), .t(v("件数", "Count"))], rows: rows, numeric: [2], widths: [25, 60, 15]))
        }
        if !report.purges.isEmpty {
            blocks.append(.heading(level: 3, .t(v("保存期間による削除", "Retention purges")), anchor: nil))
            blocks.append(
                .table(
                    header: [.t(v("保存区分", "Data class")), .t(v("実行回数", "Runs")), .t(v("削除件数", "Rows deleted"))],
                    rows: report.purges.map {
                        [[.text(v.dataClass($0.dataClass)), .text(" "), .code($0.dataClass.rawValue)], .t("\($0.runs)"), .t("\($0.deleted)")]
                    },
                    numeric: [1, 2], widths: [60, 20, 20]))
        }
        return blocks
    }

    private func describe(_ action: String) -> String {
        switch action {
        case "purge": v("保存期間を過ぎたデータの削除", "deletion of data past its retention")
        case "ingest-aaa": v("アドレス割当記録の取込み", "intake of address-assignment records")
        case "ingest-sightings": v("観測記録の取込み", "intake of sightings")
        case "token-refused": v("無効又は期限切れの個人用リンクへのアクセスの拒否", "a refused personal link (unknown, expired or malformed)")
        default: v("その他", "other")
        }
    }

    private var method: [Document.Block] {
        [
            .heading(level: 2, .t(v("6. 集計の方法", "6. How this report is counted")), anchor: "method"),
            .bullets([
                .t(
                    v(
                        "集計元は監査ログ（仮名化済み）である。対象期間は開始時刻を含み、終了時刻を含まない。",
                        "The source is the (pseudonymised) audit log. The period includes its start and excludes its end.")),
                .t(
                    v(
                        "加入者の特定は、特定の結果（該当、該当なし、曖昧）ごとに数える。曖昧な場合は誰も特定していない。",
                        "Identifications are counted by outcome (found, not found, ambiguous); an ambiguous one identifies nobody.")),
                .t(v("開示は、特定結果を通知のためのスクリプト等に引き渡した回数である。", "Disclosures count hand-overs of an identity (e.g. to the ISP's notification script).")),
                .t(
                    v(
                        "拒否は、宣言が加入者の特定を許可していない目的で特定を求められ、拒否した回数である（記録 purpose-refused）。宣言にない対策名での要求は、入力誤りとして処理前に拒否され、記録されない。",
                        "Refusals count identifications asked for a purpose whose declaration does not allow them (record purpose-refused). A request naming no declared countermeasure is refused as a usage error before any processing and is not recorded."
                    )),
                .t(v("対応事案の件数は作成時点の状態であり、対象期間に限らない。", "Cases are their state at the time of this report, not limited to the period.")),
                .t(
                    v(
                        "宣言は作成時点で有効なもの（上記のSHA-256で特定）を示す。期間中に宣言が変更された場合、変更前の内容は宣言ファイルの履歴で確認する。",
                        "The declarations shown are those in force when the report is made (named by the SHA-256 above); if they changed during the period, read the earlier ones in the declarations file's history."
                    )),
                .t(
                    v(
                        "削除は保存区分ごとに行われるため、その区分を用いる各対策に計上する。",
                        "Purges run per data class; each is counted under every countermeasure that uses the class.")),
                .t(
                    v(
                        "本報告書は件数のみを示し、個々の通信、アドレス、契約者、連絡先を記載しない。",
                        "This report shows counts only; it names no communication, address, subscriber or contact.")),
            ]),
        ]
    }
}

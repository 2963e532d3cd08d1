/// A ground on which handling secret communication data is lawful (`SECRECY.md`, "When handling
/// is lawful").
///
/// Each basis has requirements; a declaration must give a justification (in Japanese and
/// English) for every requirement of every basis it names.
public enum LegalBasis: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Consent of the party (the malware-site warning's (ア)(イ)(ウ)).
    case consent
    /// Comprehensive prior consent given in the terms of service (約款による事前の包括同意), with
    /// an opt-out per line at any time: the C&C DNS block (第二次とりまとめ, 2015, section 1).
    case termsConsent = "terms-consent"
    /// 正当業務行為, Penal Code art. 35: for measures that run all the time.
    case legitimateBusinessAct = "legitimate-business-act"
    /// 緊急避難, Penal Code art. 37.
    case emergencyNecessity = "emergency-necessity"
    /// 正当防衛, Penal Code art. 36.
    case selfDefence = "self-defence"
    /// The ISP (its honeypot, sinkhole or sensor) is a party to the communication.
    case partyToCommunication = "party-to-communication"
    /// The data is public and not a secret of any communication.
    case publicData = "public-data"

    /// The requirements this basis needs justified, in the order the law lists them.
    public var requirements: [Requirement] {
        switch self {
        case .consent: [.changeableAnyTime, .publicised, .explainedOnScreen]
        case .termsConsent: [.expectedToConsent, .optOutAnyTime, .termsPublicised]
        case .legitimateBusinessAct: [.legitimatePurpose, .necessity, .appropriateMeans]
        case .emergencyNecessity: [.presentDanger, .balanceOfInterests, .noOtherMeans]
        case .selfDefence: [.imminentUnjustAttack, .defendingRights, .unavoidable]
        case .partyToCommunication: [.isParty]
        case .publicData: [.public]
        }
    }

    /// The basis's name in Japanese and English.
    public var name: LocalizedText {
        switch self {
        case .consent: LocalizedText(ja: "通信当事者の同意", en: "consent of the party")
        case .termsConsent:
            LocalizedText(ja: "約款による事前の包括同意（オプトアウト可）", en: "comprehensive prior consent in the terms (with opt-out)")
        case .legitimateBusinessAct: LocalizedText(ja: "正当業務行為（刑法35条）", en: "legitimate business act (Penal Code art. 35)")
        case .emergencyNecessity: LocalizedText(ja: "緊急避難（刑法37条）", en: "emergency necessity (Penal Code art. 37)")
        case .selfDefence: LocalizedText(ja: "正当防衛（刑法36条）", en: "self-defence (Penal Code art. 36)")
        case .partyToCommunication: LocalizedText(ja: "通信の当事者", en: "party to the communication")
        case .publicData: LocalizedText(ja: "公開情報（通信の秘密に当たらない）", en: "public data (not a secret of communication)")
        }
    }

    /// Whether the basis is a form of consent: such a measure acts only per consent (`per-consent`).
    public var isConsent: Bool { self == .consent || self == .termsConsent }

    public var description: String { rawValue }
}

/// One requirement of a ``LegalBasis`` that a declaration must justify.
public enum Requirement: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Consent (ア): the choice can be changed any time; other service conditions are the same either way.
    case changeableAnyTime = "changeable-any-time"
    /// Consent (イ): the terms and the right to change the choice are adequately publicised.
    case publicised
    /// Consent (ウ): the warning screen explains the measure and how and where to change the choice.
    case explainedOnScreen = "explained-on-screen"
    /// Terms consent: a usual subscriber would, in general and by type, consent to the measure
    /// (it protects them, uses the least data, and changes nothing else in the service).
    case expectedToConsent = "expected-to-consent"
    /// Terms consent: each line can opt out at any time, and the opt-out takes effect at once.
    case optOutAnyTime = "opt-out-any-time"
    /// Terms consent: the measure and the way to opt out are in the published terms and adequately publicised.
    case termsPublicised = "terms-publicised"
    /// Legitimate business act: 目的の正当性.
    case legitimatePurpose = "legitimate-purpose"
    /// Legitimate business act: 行為の必要性.
    case necessity
    /// Legitimate business act: 手段の相当性.
    case appropriateMeans = "appropriate-means"
    /// Emergency necessity: 現在の危難.
    case presentDanger = "present-danger"
    /// Emergency necessity: 法益の権衡.
    case balanceOfInterests = "balance-of-interests"
    /// Emergency necessity: 補充性.
    case noOtherMeans = "no-other-means"
    /// Self-defence: 急迫不正の侵害.
    case imminentUnjustAttack = "imminent-unjust-attack"
    /// Self-defence: 自己又は他人の権利を防衛するため.
    case defendingRights = "defending-rights"
    /// Self-defence: やむを得ずにした行為.
    case unavoidable
    /// Party: the ISP's system is the receiving party of the communication.
    case isParty = "is-party"
    /// Public data: the data is published by its owner.
    case `public`

    /// The basis this requirement belongs to.
    public var basis: LegalBasis {
        switch self {
        case .changeableAnyTime, .publicised, .explainedOnScreen: .consent
        case .expectedToConsent, .optOutAnyTime, .termsPublicised: .termsConsent
        case .legitimatePurpose, .necessity, .appropriateMeans: .legitimateBusinessAct
        case .presentDanger, .balanceOfInterests, .noOtherMeans: .emergencyNecessity
        case .imminentUnjustAttack, .defendingRights, .unavoidable: .selfDefence
        case .isParty: .partyToCommunication
        case .public: .publicData
        }
    }

    public var description: String { rawValue }
}

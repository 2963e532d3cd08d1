/// When a countermeasure may act.
public enum Trigger: Sendable, Hashable, CustomStringConvertible {
    /// All the time (legitimate business acts, party, public data).
    case always
    /// Only while the named alert is raised; outside the alert window the measure does nothing.
    /// In JSON: `{"while-alert": "smtp-load"}`.
    case whileAlert(String)
    /// Only for subscribers whose current consent choice is "on".
    case perConsent

    public var description: String {
        switch self {
        case .always: "always"
        case .whileAlert(let name): "while-alert \(name)"
        case .perConsent: "per-consent"
        }
    }
}

/// One countermeasure's declaration: its purpose, legal bases with a justification for each
/// requirement, the data items it may touch, their retention, and its trigger.
///
/// Declarations come only from a validated file (``Declarations``): every value of this type
/// satisfies the rules listed there.
public struct Declaration: Sendable, Hashable, Identifiable {
    /// The stable id.
    public let id: CountermeasureID
    /// The countermeasure's name.
    public let name: LocalizedText
    /// What it is for.
    public let purpose: LocalizedText
    /// The legal bases, in the file's order (usually one; e.g. party + emergency necessity).
    public let bases: [LegalBasis]
    /// A justification for every requirement of every basis (and nothing else).
    public let justifications: [Requirement: LocalizedText]
    /// The data items, per class of storage they are kept in.
    public let dataItemsByClass: [DataClass: [DataItem]]
    /// The lifetime in days of every data class used (and no other).
    public let retention: [DataClass: Int]
    /// When the measure may act.
    public let trigger: Trigger
    /// The conditions of `SECRECY.md`'s table, as the legal team words them (may be empty).
    public let conditions: [LocalizedText]
    /// Why the declaration does or does not allow attributing an address to a subscriber, if written.
    public let attributionNote: LocalizedText?

    /// Every data item, each once, in the vocabulary's order.
    public var dataItems: [DataItem] {
        let used = Set(dataItemsByClass.values.joined())
        return DataItem.allCases.filter(used.contains)
    }

    /// The data classes used, in the vocabulary's order.
    public var dataClasses: [DataClass] { DataClass.allCases.filter { dataItemsByClass[$0] != nil } }

    /// Whether this countermeasure may match an address and time to a subscriber.
    ///
    /// Derived, never declared: true exactly when the data items include both
    /// `address-assignment-record` and `subscriber-id`. Attribution code refuses a purpose whose
    /// declaration does not allow it.
    public var allowsAttribution: Bool {
        let items = Set(dataItemsByClass.values.joined())
        return items.contains(.addressAssignmentRecord) && items.contains(.subscriberID)
    }

    /// Whether the declaration lists `item` (in any class).
    public func uses(_ item: DataItem) -> Bool { dataItemsByClass.values.contains { $0.contains(item) } }

    /// The justification of `requirement`, if one of the bases needs it.
    public func justification(_ requirement: Requirement) -> LocalizedText? { justifications[requirement] }

    /// The lifetime in days of `dataClass`, or `nil` when the declaration keeps nothing of it.
    public func retentionDays(for dataClass: DataClass) -> Int? { retention[dataClass] }
}

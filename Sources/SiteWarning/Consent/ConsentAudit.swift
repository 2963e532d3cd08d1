import Foundation
public import Secrecy

extension ConsentChange {
    /// The audit record of this change: the measure's countermeasure, the line pseudonymised,
    /// the channel as the actor.
    public func audit(_ pseudonymizer: Pseudonymizer) -> AuditEntry {
        AuditEntry(
            time: time, countermeasure: measure.countermeasure, action: "consent-changed", actor: "consent:\(channel.rawValue)",
            subject: pseudonymizer.pseudonym(subscriber: line.rawValue),
            detail: ["measure": measure.rawValue, "choice": choice.rawValue, "terms": termsVersion])
    }
}

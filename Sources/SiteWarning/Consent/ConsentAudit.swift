import Foundation
public import Secrecy

extension ConsentChange {
    /// The audit record a store writes with this change: ``auditEntry(actor:pseudonymizer:)``
    /// with the channel as the actor (`consent:page`, `consent:api`, `consent:cli`).
    public func audit(_ pseudonymizer: Pseudonymizer) -> AuditEntry {
        auditEntry(actor: "consent:\(channel.rawValue)", pseudonymizer: pseudonymizer)
    }
}

public import Addressing
public import Attribution
public import Foundation
public import Secrecy

/// Attribution on behalf of the ISP's notification scripts (`mamori attribute`).
///
/// The script is the notifier: it receives the subscriber identity for the one purpose named,
/// and that hand-over is a disclosure, audited as such (`disclosure`, actor, the subscriber's
/// keyed pseudonym). Only purposes whose declarations allow attribution are accepted; the
/// identification itself is audited by ``Attributor``.
public struct OperatorAttribution: Sendable {
    public let attributor: Attributor

    public init(attributor: Attributor) {
        self.attributor = attributor
    }

    /// The purposes that may attribute, by countermeasure id.
    public static let purposes: [CountermeasureID] = [
        InfectedHostNotification.countermeasure, CnCTakedownNotification.countermeasure,
    ]

    /// Attributes under the purpose `purpose` and discloses the answer to the caller.
    public func attribute(
        purpose: CountermeasureID, address: IPAddress, at time: Date, port: UInt16?
    ) async throws
        -> AttributionAnswer
    {
        switch purpose {
        case InfectedHostNotification.countermeasure:
            return try await disclose(
                attributor.identify(
                    InfectedHostNotification.self, capability: .init(), address: address, at: time, port: port),
                capability: .init())
        case CnCTakedownNotification.countermeasure:
            return try await disclose(
                attributor.identify(CnCTakedownNotification.self, capability: .init(), address: address, at: time, port: port),
                capability: .init())
        default:
            throw try await attributor.refusal(purpose)
        }
    }

    private func disclose<P: Purpose>(
        _ identification: Identification<P>, capability: P.Capability
    ) async throws
        -> AttributionAnswer
    {
        switch identification {
        case .found(let bound):
            let holding = bound.open(capability)
            _ = try await attributor.audit.append(
                AuditEntry(
                    time: Date(), countermeasure: P.countermeasure, action: "disclosure", actor: attributor.actor,
                    subject: attributor.pseudonymizer.pseudonym(subscriber: holding.subscriber),
                    detail: ["to": "notification-script", "session": attributor.pseudonymizer.pseudonym(subscriber: holding.session)]))
            return .found(holding)
        case .notFound:
            return .notFound
        case .ambiguous(let candidates, let reason):
            return .ambiguous(candidates: candidates, reason: reason)
        }
    }
}

public import Secrecy

/// The purpose of infected-host notification (Cyber Clean Center / ACTIVE removal): a sensor's
/// sighting is matched to the subscriber who held the address, only to notify that subscriber.
///
/// `Capability`'s initialiser is internal: only this module can open or create values bound to
/// this purpose, so no other module can use an identification made for a notice.
public enum InfectedHostNotification: Purpose {
    public static let countermeasure = CountermeasureID.infectedHostNotification

    /// Held only by the Remediation module.
    public struct Capability: Sendable {
        init() {}
    }
}

/// The purpose of C&C-takedown log notification: contacts logged by a seized C&C server are
/// matched to subscribers, only to notify them.
public enum CnCTakedownNotification: Purpose {
    public static let countermeasure = CountermeasureID.cncTakedownNotification

    /// Held only by the Remediation module.
    public struct Capability: Sendable {
        init() {}
    }
}

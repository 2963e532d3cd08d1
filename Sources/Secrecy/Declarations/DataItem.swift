/// A kind of datum a countermeasure may touch: the closed vocabulary of the declarations'
/// `dataItems` (derived from the "data items it may touch" column of `SECRECY.md`).
///
/// A parser or decoder for a countermeasure produces only the items its declaration lists.
/// Adding a case here is a product decision: it widens what a declaration may name.
public enum DataItem: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Source IP address of a communication (e.g. as received by a honeypot, or of SMTP AUTH).
    case sourceIP = "source-ip"
    /// Source port of a communication.
    case sourcePort = "source-port"
    /// Date and time of a communication.
    case timestamp
    /// Destination IP address of a communication.
    case destinationIP = "destination-ip"
    /// Destination port of a communication.
    case destinationPort = "destination-port"
    /// Destination domain name of a request (e.g. the QNAME of a DNS query).
    case destinationDomain = "destination-domain"
    /// Destination URL of a request.
    case destinationURL = "destination-url"
    /// The address a subscriber's request comes from (to find the choice that applies to it).
    case clientAddress = "client-address"
    /// The ISP's own record of which subscriber held which address when (RADIUS, DHCP, CGN).
    case addressAssignmentRecord = "address-assignment-record"
    /// The id of a subscriber line as its sessions carry it (the RADIUS `User-Name`): what the
    /// live-session table maps a client address to, to find that line's choice. Not the
    /// subscriber's name, contract or contact.
    case lineID = "line-id"
    /// The ISP's subscriber (contract) identifier.
    case subscriberID = "subscriber-id"
    /// How to reach a subscriber: mail address or postal address on the contract.
    case subscriberContact = "subscriber-contact"
    /// SMTP AUTH identity (login name).
    case smtpAuthID = "smtp-auth-id"
    /// Envelope mail address of a queued message.
    case mailAddress = "mail-address"
    /// Number of authentication attempts.
    case attemptCount = "attempt-count"
    /// Interval between authentication attempts.
    case attemptInterval = "attempt-interval"
    /// Name of the malware family a sighting points to.
    case malwareFamily = "malware-family"
    /// Reference to the evidence a sighting came from (feed name, report id, log file and line).
    case evidenceReference = "evidence-reference"
    /// A subscriber's choice for a consent-based measure (on/off), with when and how it was made.
    case consentChoice = "consent-choice"
    /// URL of a listed (e.g. malware-distributing) site.
    case siteURL = "site-url"
    /// Published contact of a listed site's owner or administrator.
    case siteContact = "site-contact"
    /// A count aggregated over many communications, from which no single one can be inferred.
    case aggregateCount = "aggregate-count"
    /// A keyed, prefix-preserving pseudonym (Crypto-PAn) of a source address.
    case sourceIPPseudonym = "source-ip-pseudonym"

    public var description: String { rawValue }
}

/// Where data is kept, for retention: each class has one lifetime per declaration.
///
/// A declaration lists its data items per class (`"dataItems": {"sightings": ["source-ip", …]}`)
/// and gives every class it uses a lifetime in days (`"retention": {"sightings": 90}`).
public enum DataClass: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Handled in memory while one request or packet is processed, never written: lifetime 0.
    case transient
    /// Normalised sightings from honeypots, sinkholes, sensors, seized C&C logs.
    case sightings
    /// Address-assignment records (RADIUS accounting, DHCP leases, CGN logs) read for attribution.
    case assignmentRecords = "assignment-records"
    /// Results of matching an address and time to a subscriber.
    case identifications
    /// Remediation cases.
    case cases
    /// Notices sent and their delivery state.
    case notices
    /// The history of subscribers' consent choices.
    case consentHistory = "consent-history"
    /// Aggregate counters.
    case aggregateCounters = "aggregate-counters"
    /// Active blocks and suspensions (addresses, AUTH ids) and their history.
    case blocks
    /// SMTP AUTH events kept while a mail alert is raised.
    case mailAuthEvents = "mail-auth-events"
    /// The in-memory table of live sessions (client address or delegated prefix → line id, last
    /// seen), held while a session is live and dropped on Stop or expiry; never written.
    case liveSessions = "live-sessions"

    public var description: String { rawValue }
}

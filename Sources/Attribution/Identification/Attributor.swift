public import Addressing
public import Foundation
public import Secrecy
import TextScanning

/// The outcome of an identification made under purpose `P`.
///
/// A found holder is purpose-bound: only code holding `P.Capability` (the module that declares
/// `P`) can open it. Not found and ambiguous carry no identity.
public enum Identification<P: Purpose>: Sendable {
    /// One subscriber held the address: bound to `P`.
    case found(PurposeBound<P, Holding>)
    /// Nobody on record held it.
    case notFound
    /// More than one subscriber could have held it; nobody is identified.
    case ambiguous(candidates: Int, reason: AmbiguityReason)
}

/// Errors of identification, naming the countermeasure, never the subject.
public enum IdentificationError: Error, Sendable, CustomStringConvertible {
    /// The countermeasure is not declared.
    case undeclared(CountermeasureID)
    /// The countermeasure's declaration does not allow attribution (its data items lack
    /// `address-assignment-record` and `subscriber-id`).
    case attributionNotAllowed(CountermeasureID)

    public var description: String {
        switch self {
        case .undeclared(let id):
            "countermeasure \"\(id)\" is not declared; identification refused"
        case .attributionNotAllowed(let id):
            "countermeasure \"\(id)\" does not declare attribution (data items address-assignment-record and subscriber-id); identification refused"
        }
    }
}

/// Answers "who held this address then?" for a declared purpose, and audits every answer.
///
/// ```swift
/// let attributor = Attributor(index: index, declarations: declarations, audit: log, pseudonymizer: p, actor: "cli")
/// switch try attributor.identify(InfectedHostNotification.self, capability: capability, address: a, at: t) { … }
/// ```
/// Each call checks that the purpose's declaration allows attribution, then writes one audit
/// record (`identification`) with the address pseudonymised (Crypto-PAn), the time, the status
/// and, when found, the subscriber's keyed pseudonym — never the raw address or identity. A
/// refused identification is audited too (`purpose-refused`, ``refusal(_:auditingTo:)``).
///
/// The index is not public: identifying a subscriber goes through ``identify(_:capability:address:at:port:)``,
/// with a purpose and an audit record. Code that must query the index without either (benchmarks,
/// tests) uses ``unauditedIndex`` under `@_spi(Unaudited) import Attribution`, which a grep finds.
public struct Attributor: Sendable {
    let index: AttributionIndex
    public let declarations: Declarations
    public let audit: any AuditLog
    public let pseudonymizer: Pseudonymizer
    public let actor: String
    /// The countermeasures whose declarations allow attribution (computed once).
    private let attributing: Set<CountermeasureID>

    /// An attributor over `index`, checking `declarations`, auditing to `audit` as `actor`.
    public init(
        index: AttributionIndex, declarations: Declarations, audit: any AuditLog, pseudonymizer: Pseudonymizer,
        actor: String
    ) {
        self.index = index
        self.declarations = declarations
        self.audit = audit
        self.pseudonymizer = pseudonymizer
        self.actor = actor
        self.attributing = Set(declarations.all.filter(\.allowsAttribution).map(\.id))
    }

    /// The index, with no purpose and no audit: for benchmarks and tests only.
    @_spi(Unaudited) public var unauditedIndex: AttributionIndex { index }

    /// Identifies who held `address` at `time` (and `port`, for CGN) under purpose `P`, and
    /// appends the audit record to ``audit``.
    ///
    /// Port 0 is not a real source port (reports write it when the port is unknown): it is
    /// treated as no port, so a shared CGN address stays ambiguous rather than not found.
    public func identify<P: Purpose>(
        _ purpose: P.Type, capability: P.Capability, address: IPAddress, at time: Date, port givenPort: UInt16? = nil
    ) async throws -> Identification<P> {
        let collector = AuditCollector()
        let result: Result<Identification<P>, any Error> = Result {
            try identify(purpose, capability: capability, address: address, at: time, port: givenPort, auditingTo: collector)
        }
        for entry in collector.entries { _ = try await audit.append(entry) }
        return try result.get()
    }

    /// Identifies who held `address` at `time` (and `port`) under purpose `P`, like
    /// ``identify(_:capability:address:at:port:)``, but appends the audit record to `sink`
    /// instead of ``audit`` (e.g. a collector written in the caller's transaction).
    public func identify<P: Purpose>(
        _ purpose: P.Type, capability: P.Capability, address: IPAddress, at time: Date, port givenPort: UInt16? = nil,
        auditingTo sink: any AuditSink
    ) throws -> Identification<P> {
        try identify(purpose, capability: capability, address: address, at: time, port: givenPort, auditingTo: sink, pseudonyms: nil)
    }

    /// Identifies like ``identify(_:capability:address:at:port:auditingTo:)``, taking the
    /// pseudonyms for the audit record from `pseudonyms` (a memo for one job, over this
    /// attributor's ``pseudonymizer``) when given: a batch naming the same address or subscriber
    /// many times computes each pseudonym once.
    public func identify<P: Purpose>(
        _ purpose: P.Type, capability: P.Capability, address: IPAddress, at time: Date, port givenPort: UInt16? = nil,
        auditingTo sink: any AuditSink, pseudonyms: PseudonymMemo?
    ) throws -> Identification<P> {
        let port = givenPort == 0 ? nil : givenPort
        guard attributing.contains(P.countermeasure) else { throw try refusal(P.countermeasure, auditingTo: sink) }
        let answer = index.holder(of: address, at: time, port: port)
        // The detail's fields, in ascending key order (the order the audit hash covers them in):
        // address, at, candidates, port, reason, status.
        var fields: [AuditField] = []
        fields.reserveCapacity(6)
        fields.append(
            AuditField("address", pseudonyms?.address(address) ?? pseudonymizer.pseudonym(address: address).description))
        fields.append(AuditField("at", RFC3339.format(time)))
        let subject: String
        let result: Identification<P>
        switch answer {
        case .found(let holding):
            if let port { fields.append(AuditField("port", "\(port)")) }
            fields.append(AuditField("status", "found"))
            subject = pseudonyms?.subscriber(holding.subscriber) ?? pseudonymizer.pseudonym(subscriber: holding.subscriber)
            result = .found(PurposeBound(holding, for: P.self, capability: capability))
        case .notFound:
            if let port { fields.append(AuditField("port", "\(port)")) }
            fields.append(AuditField("status", "not_found"))
            subject = "-"
            result = .notFound
        case .ambiguous(let candidates, let reason):
            fields.append(AuditField("candidates", "\(candidates)"))
            if let port { fields.append(AuditField("port", "\(port)")) }
            fields.append(AuditField("reason", reason.rawValue))
            fields.append(AuditField("status", "ambiguous"))
            subject = "-"
            result = .ambiguous(candidates: candidates, reason: reason)
        }
        _ = try sink.append(
            AuditEntry(
                time: Date(), countermeasure: P.countermeasure, action: "identification", actor: actor, subject: subject,
                fields: fields))
        return result
    }

    /// Audits a refused identification under `countermeasure` (undeclared, or its declaration
    /// does not allow attribution) and returns the error to throw.
    ///
    /// The record (`purpose-refused`, subject `-`) names the countermeasure and the reason only:
    /// the address and time asked about are not kept, since no declared purpose covers them.
    public func refusal(_ countermeasure: CountermeasureID, auditingTo sink: any AuditSink) throws -> IdentificationError {
        _ = try sink.append(refusalEntry(countermeasure))
        return refusalError(countermeasure)
    }

    /// Audits a refused identification to ``audit`` (see ``refusal(_:auditingTo:)``) and returns
    /// the error to throw.
    public func refusal(_ countermeasure: CountermeasureID) async throws -> IdentificationError {
        _ = try await audit.append(refusalEntry(countermeasure))
        return refusalError(countermeasure)
    }

    private func refusalEntry(_ countermeasure: CountermeasureID) -> AuditEntry {
        AuditEntry(
            time: Date(), countermeasure: countermeasure, action: "purpose-refused", actor: actor, subject: "-",
            detail: ["reason": declarations[countermeasure] == nil ? "undeclared" : "attribution-not-allowed"])
    }

    private func refusalError(_ countermeasure: CountermeasureID) -> IdentificationError {
        declarations[countermeasure] == nil ? .undeclared(countermeasure) : .attributionNotAllowed(countermeasure)
    }
}

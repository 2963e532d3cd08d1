public import Addressing
public import Foundation
import TextScanning

/// One normalised observation that a host contacted something that shows it is infected: a
/// honeypot, a sinkhole, a seized C&C server, or a third party's report about it.
///
/// A sighting holds only the data items the infected-host and C&C-takedown notifications may
/// use (`SECRECY.md`): the source address and port, the time, what kind of observation it is,
/// the malware family or signature when the feed names one, the feed, and a *reference* to the
/// evidence. Nothing else from the input is kept: a honeypot session's commands, passwords,
/// user names, URLs or payload hashes are content and never reach a `Sighting`.
///
/// ```swift
/// let result = try SightingReader().parse(contentsOf: URL(fileURLWithPath: "2026-11-27-event4_sinkhole_http-jp-asn.csv"))
/// for s in result.sightings { print(s.source, s.sourcePort ?? 0, s.time, s.family ?? "-", s.evidence) }
/// ```
///
/// `Codable` writes `source` as text (`"192.0.2.7"`, RFC 5952 for IPv6) and `kind` by its raw
/// value; `time` follows the encoder's date strategy.
public struct Sighting: Sendable, Hashable, Codable {
    /// What kind of observation a sighting is.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The host connected to a honeypot (Cowrie, Dionaea).
        case honeypotContact
        /// The host contacted a sinkholed C&C name or address.
        case sinkholeContact
        /// The host appears in the logs of a seized C&C server.
        case cncLogEntry
        /// A third party (Shadowserver, NOTICE/NICTER-style programme) reports the host infected.
        case thirdPartyReport
        /// The host scanned the ISP's darknet (unused addresses, no legitimate recipient): the
        /// sensor (`network-observation`) saw it reach enough distinct darknet addresses in its window.
        case darknetScan
    }

    /// The host's address (an IPv4-mapped IPv6 address is stored as the IPv4 address).
    public var source: IPAddress
    /// The host's source port, when the feed gives one (needed to attribute behind a CGN).
    public var sourcePort: UInt16?
    /// When the contact happened (UTC instant).
    public var time: Date
    /// What kind of observation this is.
    public var kind: Kind
    /// The malware family or signature the feed names, lower-case; nil when it names none.
    public var family: String?
    /// The feed it came from: `cowrie`, `dionaea`, `shadowserver:<report type>`, `cnc-takedown`, `iot-report`.
    public var feed: String
    /// Where the evidence is: `file:line`, with `#id` when the feed has an event or session id.
    /// A reference, never the evidence's content.
    public var evidence: String

    /// Creates a sighting. An IPv4-mapped IPv6 `source` is normalised to IPv4.
    public init(
        source: IPAddress, sourcePort: UInt16?, time: Date, kind: Kind, family: String?, feed: String, evidence: String
    ) {
        self.source = source.unmappedV4 ?? source
        self.sourcePort = sourcePort
        self.time = time
        self.kind = kind
        self.family = family
        self.feed = feed
        self.evidence = evidence
    }

    private enum CodingKeys: String, CodingKey {
        case source, sourcePort, time, kind, family, feed, evidence
    }

    /// Decodes a sighting; `source` must be an IP address in text.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .source)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorruptedError(forKey: .source, in: c, debugDescription: "source: not an IP address")
        }
        self.init(
            source: address,
            sourcePort: try c.decodeIfPresent(UInt16.self, forKey: .sourcePort),
            time: try c.decode(Date.self, forKey: .time),
            kind: try c.decode(Kind.self, forKey: .kind),
            family: try c.decodeIfPresent(String.self, forKey: .family),
            feed: try c.decode(String.self, forKey: .feed),
            evidence: try c.decode(String.self, forKey: .evidence))
    }

    /// Encodes a sighting, `source` as text.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source.description, forKey: .source)
        try c.encodeIfPresent(sourcePort, forKey: .sourcePort)
        try c.encode(time, forKey: .time)
        try c.encode(kind, forKey: .kind)
        try c.encodeIfPresent(family, forKey: .family)
        try c.encode(feed, forKey: .feed)
        try c.encode(evidence, forKey: .evidence)
    }
}

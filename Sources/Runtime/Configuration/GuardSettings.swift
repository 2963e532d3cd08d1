import Addressing
import Foundation
import Secrecy
public import SiteWarning

/// The DNS guard of `serve`: where it listens, its upstream resolvers, and the measures'
/// configuration. Nil in ``MamoriConfiguration/guardSettings`` turns the guard off.
public struct GuardSettings: Sendable {
    /// `ADDR:PORT` the guard answers on, UDP and TCP.
    public var listenHost: String
    public var listenPort: Int
    /// The resolvers it forwards to (`ADDR:PORT`), tried in order.
    public var upstreams: [(host: String, port: Int)]
    /// The two measures' configuration (validated before the guard starts).
    public var siteWarning: SiteWarningConfiguration
    /// How often a store without change notifications (SQLite) is polled for choice and list changes.
    public var poll: Duration = .milliseconds(250)
    /// The RADIUS accounting listener (`ADDR:PORT`) feeding the live sessions and the attribution
    /// store, and the file its shared secret is in; nil: off.
    public var radiusListen: (host: String, port: Int)?
    public var radiusSecretFile: String?
    /// A clients file (`ADDRESS[/LENGTH] SECRET` lines): a secret per NAS; with
    /// ``radiusSecretFile`` too, that secret serves every other source.
    public var radiusClientsFile: String?
    /// FreeRADIUS `detail` files followed as they grow, across rotation, feeding the same live
    /// sessions and store as the listener; `radiusDetailFromEnd`: start at their current end
    /// (default: read each from its start; the store skips events it already has).
    public var radiusDetailFiles: [String] = []
    public var radiusDetailFromEnd = false
    /// Where the warning page listens (`ADDR:PORT`: the warning address, port 80); nil: off.
    public var warningListen: (host: String, port: Int)?

    public init(listenHost: String, listenPort: Int, upstreams: [(host: String, port: Int)], siteWarning: SiteWarningConfiguration) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.upstreams = upstreams
        self.siteWarning = siteWarning
    }
}

/// The consent API for the ISP's member site (``makeConsentAPIApplication(consent:token:host:port:termsVersion:logger:)``).
public struct ConsentAPISettings: Sendable {
    public var host: String
    public var port: Int
    public var token: [UInt8]
    /// The terms version recorded when a request does not name one.
    public var termsVersion: String

    public init(host: String, port: Int, token: [UInt8], termsVersion: String) {
        self.host = host
        self.port = port
        self.token = token
        self.termsVersion = termsVersion
    }
}

/// The guard's configuration file (JSON): every key optional; command-line options win.
///
/// ```json
/// {
///   "dnsListen": "127.0.0.1:5353", "dnsUpstreams": ["127.0.0.1:53"],
///   "warningIPv4": "192.0.2.80", "warningIPv6": "2001:db8::80",
///   "warningConsent": "terms", "warningEnabled": true, "cncBlockEnabled": true,
///   "cncAnswer": "nxdomain",  "cncSinkhole": ["192.0.2.53"],
///   "warningTTL": 60, "blockTTL": 60, "bypassSeconds": 3600, "sessionExpirySeconds": 7200,
///   "terms": { "version": "2026-04", "termsURL": "https://isp.example/terms", "publishedOn": "2026-04-01",
///              "choicePageURL": "https://my.isp.example/security",
///              "sameConditionsStatement": {"ja": "…", "en": "…"},
///              "pageExplanation": {"ja": "…", "en": "…"}, "pageOptOutInstructions": {"ja": "…", "en": "…"} },
///   "radiusListen": "127.0.0.1:1813", "radiusSecretFile": "/etc/mamori/radius.secret",
///   "radiusClientsFile": "/etc/mamori/radius-clients",
///   "radiusDetailFiles": ["/var/log/freeradius/radacct/bras1/detail"], "radiusDetailFromEnd": false,
///   "apiTokenFile": "/etc/mamori/api.token"
/// }
/// ```
public struct GuardFile: Sendable, Decodable {
    public var dnsListen: String?
    public var dnsUpstreams: [String]?
    public var warningIPv4: String?
    public var warningIPv6: String?
    public var warningConsent: WarningConsentModel?
    public var warningEnabled: Bool?
    public var cncBlockEnabled: Bool?
    /// `nxdomain` (default) or `sinkhole` (with ``cncSinkhole``).
    public var cncAnswer: String?
    public var cncSinkhole: [String]?
    public var warningTTL: UInt32?
    public var blockTTL: UInt32?
    public var bypassSeconds: Double?
    public var sessionExpirySeconds: Double?
    public var terms: TermsPublication?
    public var radiusListen: String?
    public var radiusSecretFile: String?
    public var radiusClientsFile: String?
    public var radiusDetailFiles: [String]?
    public var radiusDetailFromEnd: Bool?
    public var apiTokenFile: String?
    public var apiListen: String?
    public var warningListen: String?

    public init() {}

    /// Reads `path`; the error names the file and the key that is wrong.
    public static func load(_ path: String) throws -> GuardFile {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GuardSettingsError("\(name): cannot read the guard configuration")
        }
        do {
            return try JSONDecoder().decode(GuardFile.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw GuardSettingsError("\(name): \(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw GuardSettingsError("\(name): \(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw GuardSettingsError("\(name): \(Self.path(context.codingPath + [key])): missing")
        } catch {
            throw GuardSettingsError("\(name): not a JSON object of guard settings: \(error)")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// The measures' configuration from this file with `warningIPv4`/`warningIPv6` overridden
    /// when given; validated (the error names every missing (ア)(イ)(ウ) field).
    public func siteWarning(warningIPv4 v4: String?, warningIPv6 v6: String?) throws -> SiteWarningConfiguration {
        var c = SiteWarningConfiguration(warningConsent: warningConsent ?? .terms)
        if let warningEnabled { c.warningEnabled = warningEnabled }
        if let cncBlockEnabled { c.cncBlockEnabled = cncBlockEnabled }
        if let text = v4 ?? warningIPv4 {
            guard let address = IPAddress(text) else { throw GuardSettingsError("warningIPv4: \"\(text)\" is not an address") }
            c.warningIPv4 = address
        }
        if let text = v6 ?? warningIPv6 {
            guard let address = IPAddress(text) else { throw GuardSettingsError("warningIPv6: \"\(text)\" is not an address") }
            c.warningIPv6 = address
        }
        switch cncAnswer ?? "nxdomain" {
        case "nxdomain": c.cncAnswer = .nxdomain
        case "sinkhole":
            let addresses = try (cncSinkhole ?? []).map { text in
                guard let address = IPAddress(text) else { throw GuardSettingsError("cncSinkhole: \"\(text)\" is not an address") }
                return address
            }
            c.cncAnswer = .sinkhole(addresses)
        case let other: throw GuardSettingsError("cncAnswer: \"\(other)\": use nxdomain or sinkhole")
        }
        if let warningTTL { c.warningTTL = warningTTL }
        if let blockTTL { c.blockTTL = blockTTL }
        if let bypassSeconds { c.bypassDuration = bypassSeconds }
        if let sessionExpirySeconds { c.sessionExpiry = sessionExpirySeconds }
        c.terms = terms
        do {
            try c.validate()
        } catch {
            throw GuardSettingsError("the DNS guard cannot start: \(error)")
        }
        return c
    }
}

/// A guard setting that is missing or wrong; the description names it.
public struct GuardSettingsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `ADDR:PORT`, `[v6]:PORT`; nil when it is not one.
public func parseHostPort(_ text: String) -> (host: String, port: Int)? {
    var host: Substring
    var portText: Substring
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]") else { return nil }
        host = text[text.index(after: text.startIndex)..<close]
        let rest = text[text.index(after: close)...]
        guard rest.hasPrefix(":") else { return nil }
        portText = rest.dropFirst()
    } else {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        host = text[..<colon]
        portText = text[text.index(after: colon)...]
    }
    guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port) else { return nil }
    return (String(host), port)
}

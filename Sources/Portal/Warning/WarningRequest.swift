public import Addressing
import Foundation
public import Hummingbird
public import NIOCore
import Remediation

/// The request context of the warning server: Hummingbird's basics and the TCP peer's address.
///
/// The peer address is read for one thing only: finding the client's line in the live sessions.
/// It is never logged, put in a page, a metric or an error.
public struct WarningRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer of the connection.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address; an IPv4-mapped IPv6 peer (a dual-stack listener) as its IPv4 address.
    public var peerAddress: IPAddress? {
        guard let text = remoteAddress?.ipAddress, let address = IPAddress(text) else { return nil }
        if address.family == .v6, address.value >> 32 == 0xFFFF {
            return IPAddress(v4: UInt32(truncatingIfNeeded: address.value))
        }
        return address
    }
}

/// What the warning server reads of a request besides the peer address.
enum WarningRequest {
    /// The host name the subscriber asked for, from the `Host` header (the request's authority):
    /// lower case, without port or trailing dot; nil for an address literal or anything that is
    /// not a host name (letters, digits, `-`, `_`; labels of 1–63 octets; at most 253 octets).
    static func host(_ authority: String?) -> String? {
        guard let authority, !authority.isEmpty else { return nil }
        var text = Substring(authority)
        if text.hasPrefix("[") { return nil }  // an IPv6 literal
        if let colon = text.lastIndex(of: ":") {
            let port = text[text.index(after: colon)...]
            guard port.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            text = text[..<colon]
        }
        if text.hasSuffix(".") { text = text.dropLast() }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return nil }
        var label = 0
        var lowered: [UInt8] = []
        lowered.reserveCapacity(bytes.count)
        for byte in bytes {
            let c = (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
            if c == 0x2E {
                guard label > 0 else { return nil }
                label = 0
            } else {
                guard (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x2D || c == 0x5F else { return nil }
                label += 1
                guard label <= 63 else { return nil }
            }
            lowered.append(c)
        }
        guard label > 0 else { return nil }
        let host = String(decoding: lowered, as: UTF8.self)
        return IPAddress(host) == nil ? host : nil
    }

    /// The subscriber's language from `Accept-Language`: English when the header prefers it to
    /// Japanese, Japanese otherwise (also when the header is missing or names neither).
    static func language(acceptLanguage header: String?) -> Language {
        guard let header else { return .ja }
        var best: (language: Language, quality: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased(), !tag.isEmpty else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard let language = Language(rawValue: primary) else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            guard quality > 0 else { continue }
            if best == nil || quality > best!.quality { best = (language, quality) }
        }
        return best?.language ?? .ja
    }
}

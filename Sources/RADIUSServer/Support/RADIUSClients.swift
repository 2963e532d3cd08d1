public import Addressing
import Foundation

/// The NASes the accounting listener answers and each one's shared secret (RFC 2865 §3: a
/// secret per client), like FreeRADIUS's `clients.conf`: the most specific prefix holding the
/// request's source address wins; a default secret, when given, serves every other source; a
/// request from no known client is dropped and counted (`unknown-client`).
///
/// The clients file (`--radius-clients`): one `ADDRESS[/LENGTH] SECRET` a line, `#` comments;
/// the secret is the rest of the line (trailing blanks trimmed). Secrets are never printed.
///
/// ```text
/// # BRAS of the Osaka POP
/// 192.0.2.10        s3cret-osaka
/// 2001:db8:10::/48  s3cret-ipv6-pop
/// ```
public struct RADIUSClients: Sendable, CustomStringConvertible {
    struct Client: Sendable {
        let prefix: IPPrefix
        let secret: [UInt8]
    }

    /// Most specific first.
    let clients: [Client]
    let defaultSecret: [UInt8]?

    /// Every client with one secret (`--radius-secret-file` alone).
    public init(defaultSecret: RADIUSSharedSecret) {
        clients = []
        self.defaultSecret = defaultSecret.bytes
    }

    /// A clients file's entries, with an optional default secret for other sources.
    public init(contentsOfFile path: String, defaultSecret: RADIUSSharedSecret? = nil) throws {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else { throw RADIUSServerError.unreadableSecretFile(path: path) }
        var parsed: [Client] = []
        for (index, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw RADIUSServerError.badClientLine(file: name, line: index + 1, reason: "expected ADDRESS[/LENGTH] SECRET")
            }
            let target = line[..<space]
            let secret = line[space...].trimmingCharacters(in: .whitespaces)
            guard let prefix = IPPrefix(target) ?? IPAddress(target).map({ IPPrefix(host: $0) }) else {
                throw RADIUSServerError.badClientLine(file: name, line: index + 1, reason: "\"\(target)\" is not an address or prefix")
            }
            guard !secret.isEmpty else { throw RADIUSServerError.badClientLine(file: name, line: index + 1, reason: "no secret") }
            guard !parsed.contains(where: { $0.prefix == prefix }) else {
                throw RADIUSServerError.badClientLine(file: name, line: index + 1, reason: "\(prefix) is listed twice")
            }
            parsed.append(Client(prefix: prefix, secret: Array(secret.utf8)))
        }
        guard !parsed.isEmpty || defaultSecret != nil else { throw RADIUSServerError.badClientLine(file: name, line: 0, reason: "no client") }
        clients = parsed.sorted { $0.prefix.length > $1.prefix.length }
        self.defaultSecret = defaultSecret?.bytes
    }

    /// The secret for a request from `address`, or nil when it is no known client's.
    public func secret(for address: IPAddress?) -> [UInt8]? {
        if let address, let client = clients.first(where: { $0.prefix.contains(address) }) { return client.secret }
        return defaultSecret
    }

    /// The number of client entries (the default not counted).
    public var count: Int { clients.count }

    public var description: String { "RADIUSClients(\(clients.count) clients\(defaultSecret == nil ? "" : " and a default"), secrets redacted)" }
}

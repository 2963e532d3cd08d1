public import Foundation

/// Where the PostgreSQL store is: a `postgres://` (or `postgresql://`) URL, with the password
/// from a pgpass file, never from the URL.
///
/// ```
/// postgres://mamori@db.example.net:5432/mamori?sslmode=require
/// postgres://mamori@127.0.0.1:5433/mamori?passfile=/etc/mamori/pgpass
/// ```
///
/// - user: required; host: required (`127.0.0.1`, a name, or `[::1]`); port: default 5432;
///   database: the path, default the user's name.
/// - `sslmode`: `disable`, `prefer` or `require`; default `disable` on a loopback host
///   (`127.0.0.1`, `::1`, `localhost`), `prefer` elsewhere.
/// - The password comes from the pgpass file (`hostname:port:database:username:password`, `*`
///   matches anything, `\:` and `\\` escape, `#` starts a comment): the `passfile` query item,
///   else `PGPASSFILE`, else `~/.pgpass`. The file must not be readable by group or others. No
///   matching line means no password (trust or peer authentication).
/// - A password inside the URL is refused: command lines and configuration files are read by
///   more people than a 0600 file.
public struct PostgresURL: Sendable, Hashable {
    /// How the connection is encrypted.
    public enum SSLMode: String, Sendable, Hashable {
        case disable, prefer, require
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// The pgpass file named by the URL (`passfile=`), if any.
    public var passfile: String?

    /// `host:port/database`: how errors and logs name the store (never a password).
    public var place: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "\(shown):\(port)/\(database)"
    }

    /// Parses `text`.
    ///
    /// - Throws: ``PostgresStoreError/invalidURL(reason:)``, or
    ///   ``PostgresStoreError/passwordInURL`` when the URL holds a password.
    public init(_ text: String) throws(PostgresStoreError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .invalidURL(reason: "not a URL; expected postgres://user@host:port/database")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw .invalidURL(reason: "the scheme must be postgres:// or postgresql://, not \(scheme)://")
        }
        if components.password != nil { throw .passwordInURL }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw .invalidURL(reason: "no user; expected postgres://user@host:port/database")
        }
        guard var host = components.host, !host.isEmpty else {
            throw .invalidURL(reason: "no host; expected postgres://user@host:port/database")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.user = user
        self.host = host
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw .invalidURL(reason: "port \(port) is out of range") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = path.removingPercentEncoding ?? path
        guard !database.contains("/") else { throw .invalidURL(reason: "the path must be one database name") }
        self.database = database.isEmpty ? user : database
        var sslMode: SSLMode = Self.isLoopback(host) ? .disable : .prefer
        var passfile: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw .invalidURL(reason: "sslmode must be disable, prefer or require")
                }
                sslMode = mode
            case "passfile":
                guard let value = item.value, !value.isEmpty else { throw .invalidURL(reason: "passfile needs a path") }
                passfile = value
            case "password":
                throw .passwordInURL
            default:
                throw .invalidURL(reason: "unknown query item \(item.name); known: sslmode, passfile")
            }
        }
        self.sslMode = sslMode
        self.passfile = passfile
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The pgpass file to read: `passfile=`, else `environment["PGPASSFILE"]`, else `~/.pgpass`
    /// (nil when none is named and there is no home directory).
    public func passfilePath(environment: [String: String]) -> String? {
        if let passfile { return passfile }
        if let path = environment["PGPASSFILE"], !path.isEmpty { return path }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.pgpass"
    }

    /// The password for this URL from its pgpass file, or nil when the file is absent or no line
    /// matches.
    ///
    /// - Throws: ``PostgresStoreError/passfile(path:reason:)`` when the file is readable by group
    ///   or others, or cannot be read.
    public func password(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresStoreError) -> String? {
        guard let path = passfilePath(environment: environment) else { return nil }
        guard FileManager.default.fileExists(atPath: path) else {
            if passfile != nil || environment["PGPASSFILE"] != nil { throw .passfile(path: path, reason: "no such file") }
            return nil
        }
        let text: String
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
                throw PostgresStoreError.passfile(
                    path: path, reason: "readable by group or others (mode \(String(mode, radix: 8))); chmod 600 it")
            }
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            throw .passfile(path: path, reason: "cannot read it")
        }
        return Self.lookup(in: text, host: host, port: port, database: database, user: user)
    }

    /// The password of the first line of a pgpass text that matches, if any.
    static func lookup(in text: String, host: String, port: Int, database: String, user: String) -> String? {
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            if line.hasPrefix("#") { continue }
            let fields = splitFields(line)
            guard fields.count == 5 else { continue }
            func matches(_ field: String, _ value: String) -> Bool { field == "*" || field == value }
            let hostMatches = matches(fields[0], host) || (fields[0] == "localhost" && isLoopback(host))
            if hostMatches && matches(fields[1], String(port)) && matches(fields[2], database) && matches(fields[3], user) {
                return fields[4]
            }
        }
        return nil
    }

    /// Splits a pgpass line at unescaped `:`, undoing `\:` and `\\`.
    static func splitFields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

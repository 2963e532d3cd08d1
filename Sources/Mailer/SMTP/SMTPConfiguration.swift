/// Where and how ``SMTPClient`` delivers: the relay, TLS, credentials and timeouts.
///
/// The defaults suit a relay inside the ISP: STARTTLS whenever the relay offers it, verified
/// against the system's trust roots; no AUTH. Credentials are sent only over TLS unless
/// ``allowsAuthenticationWithoutTLS`` says otherwise.
///
/// ```swift
/// var configuration = SMTPConfiguration(host: "relay.isp.example", port: 587, heloName: "mamori.isp.example")
/// configuration.security = .startTLSRequired
/// configuration.tlsTrust = .caFile("/etc/mamori/relay-ca.pem")
/// configuration.credentials = SMTPCredentials(username: "mamori", password: secret)
/// let client = try SMTPClient(configuration: configuration)
/// ```
public struct SMTPConfiguration: Sendable {
    /// When to use STARTTLS (RFC 3207).
    public enum Security: Sendable, Hashable {
        /// Never; the whole session is plaintext (a relay on the same host, tests).
        case none
        /// Use STARTTLS when the server's `EHLO` offers it; otherwise, or when the server then
        /// refuses it, go on in plaintext. The certificate is still verified when TLS is used: a
        /// failed verification fails the delivery, it does not fall back to plaintext.
        case startTLSIfOffered
        /// Use STARTTLS or fail the delivery (stage `starttls`, transient).
        case startTLSRequired
    }

    /// Which certificates the relay's TLS certificate must chain to.
    public enum TLSTrust: Sendable, Hashable {
        /// The operating system's trust roots, with host name verification.
        case systemRoots
        /// Only the CA certificates in this PEM file (a private relay CA), with host name
        /// verification.
        case caFile(String)
        /// No verification at all: encryption without authentication of the server.
        /// **For loopback tests only**; a man in the middle can read everything, credentials
        /// included. Never use it for a real relay.
        case insecureNoVerify
    }

    /// The relay's host name or IP address.
    public var host: String
    /// The relay's port (25 for a relay, 587 for submission).
    public var port: Int
    /// The name this client gives in `EHLO`/`HELO`: a host name or an address literal
    /// (`[192.0.2.1]`); no spaces.
    public var heloName: String
    /// STARTTLS policy; default ``Security/startTLSIfOffered``.
    public var security: Security
    /// How the relay's certificate is verified; default ``TLSTrust/systemRoots``.
    public var tlsTrust: TLSTrust
    /// The name the certificate must match (and the SNI name), when it is not ``host``, e.g.
    /// connecting to `127.0.0.1` while the certificate names `localhost`. When `nil` and
    /// ``host`` is an IP address, the certificate must carry that address. (swift-nio-ssl also
    /// accepts a certificate whose IP address entry is the connected address, whatever the name.)
    public var tlsServerName: String?
    /// Credentials for SMTP AUTH, or `nil` for none. The mechanism is chosen from the `EHLO`
    /// reply: `PLAIN`, else `LOGIN`.
    public var credentials: SMTPCredentials?
    /// Whether credentials may be sent on a connection without TLS. Default `false`: when the
    /// session is not encrypted, the delivery fails at stage `auth` before anything secret is
    /// sent. Set it only for a relay on loopback or on the same host.
    public var allowsAuthenticationWithoutTLS: Bool
    /// How long the TCP connection may take; default 30 s.
    public var connectTimeout: Duration
    /// How long the server may stay silent while a reply is awaited (greeting, each command,
    /// the end of `DATA`); default 5 minutes (RFC 5321 §4.5.3.2 asks for 5–10).
    public var replyTimeout: Duration

    /// Creates a configuration; every parameter after `heloName` has the documented default.
    public init(
        host: String,
        port: Int = 25,
        heloName: String,
        security: Security = .startTLSIfOffered,
        tlsTrust: TLSTrust = .systemRoots,
        tlsServerName: String? = nil,
        credentials: SMTPCredentials? = nil,
        allowsAuthenticationWithoutTLS: Bool = false,
        connectTimeout: Duration = .seconds(30),
        replyTimeout: Duration = .seconds(300)
    ) {
        self.host = host
        self.port = port
        self.heloName = heloName
        self.security = security
        self.tlsTrust = tlsTrust
        self.tlsServerName = tlsServerName
        self.credentials = credentials
        self.allowsAuthenticationWithoutTLS = allowsAuthenticationWithoutTLS
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
    }

    /// `host:port`, as errors and logs name the peer.
    public var peer: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A user name and password for SMTP AUTH. Printing it never shows the password.
public struct SMTPCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The SASL user name.
    public var username: String
    /// The password; sent only inside `AUTH`, never logged or put in an error.
    public var password: String

    /// Creates credentials.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "SMTPCredentials(username: \(username), password: <redacted>)" }
    public var debugDescription: String { description }
}

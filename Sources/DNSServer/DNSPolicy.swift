public import DNS
public import NIOCore

/// What the server does with a query.
public enum DNSPolicyDecision: Sendable {
    /// Answer from the cache or the upstream resolvers.
    case forward
    /// Answer with this message (its id and QR bit are set from the query).
    case answer(DNSMessage)
    /// No answer at all (RPZ `rpz-drop.`).
    case drop
    /// Over UDP, an empty answer with TC set, so the client asks again over TCP; over TCP, forward
    /// (RPZ `rpz-tcp-only.`).
    case tcpOnly
}

/// The hook in front of forwarding: given a query and the client's source address, forward it or
/// answer it here (the site-warning guard answers listed names with the warning address).
///
/// Called for every query, concurrently: keep it to a lookup in memory. The client's address
/// must not be logged in the clear.
public protocol DNSPolicy: Sendable {
    func decide(_ query: DNSMessage, client: SocketAddress) async -> DNSPolicyDecision
}

/// The policy that forwards every query.
public struct ForwardAll: DNSPolicy {
    public init() {}
    public func decide(_ query: DNSMessage, client: SocketAddress) async -> DNSPolicyDecision { .forward }
}

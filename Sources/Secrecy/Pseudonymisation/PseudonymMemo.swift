public import Addressing

/// Remembers the pseudonyms a ``Pseudonymizer`` gave, for one job (a batch of sightings where
/// many rows name the same address and subscriber): each is computed once.
///
/// Not shared between tasks: make one per job. It holds pseudonyms only (and the clear values
/// they were made from, as keys, in memory, as the job itself does); it is emptied when it
/// reaches `limit` entries.
public final class PseudonymMemo {
    public let pseudonymizer: Pseudonymizer
    private let limit: Int
    private var addresses: [IPAddress: String] = [:]
    private var subscribers: [String: String] = [:]

    /// A memo over `pseudonymizer`, keeping at most `limit` pseudonyms of each kind.
    public init(_ pseudonymizer: Pseudonymizer, limit: Int = 1 << 18) {
        self.pseudonymizer = pseudonymizer
        self.limit = max(1, limit)
    }

    /// ``Pseudonymizer/pseudonym(address:)`` as text.
    public func address(_ address: IPAddress) -> String {
        if let known = addresses[address] { return known }
        if addresses.count >= limit { addresses.removeAll(keepingCapacity: true) }
        let text = pseudonymizer.pseudonym(address: address).description
        addresses[address] = text
        return text
    }

    /// ``Pseudonymizer/pseudonym(subscriber:)``.
    public func subscriber(_ subscriber: String) -> String {
        if let known = subscribers[subscriber] { return known }
        if subscribers.count >= limit { subscribers.removeAll(keepingCapacity: true) }
        let text = pseudonymizer.pseudonym(subscriber: subscriber)
        subscribers[subscriber] = text
        return text
    }
}

@available(*, unavailable)
extension PseudonymMemo: Sendable {}

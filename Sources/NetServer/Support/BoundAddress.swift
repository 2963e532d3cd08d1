import NIOCore
import Synchronization

/// The address a listener bound, once it has: waited for by `listeningAddress()`.
final class BoundAddress: Sendable {
    enum State {
        case waiting([CheckedContinuation<SocketAddress, any Error>])
        case bound(SocketAddress)
        case failed(any Error)
    }

    let state = Mutex(State.waiting([]))

    func succeed(_ address: SocketAddress) { resolve(.success(address)) }

    func fail(_ error: any Error) { resolve(.failure(error)) }

    private func resolve(_ result: Result<SocketAddress, any Error>) {
        let waiters: [CheckedContinuation<SocketAddress, any Error>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            switch result {
            case .success(let address): state = .bound(address)
            case .failure(let error): state = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    func wait() async throws -> SocketAddress {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<SocketAddress, any Error>? = state.withLock { state in
                switch state {
                case .waiting(let waiters):
                    state = .waiting(waiters + [continuation])
                    return nil
                case .bound(let address): return .success(address)
                case .failed(let error): return .failure(error)
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// Why a listener stopped or could not start.
public enum NetServerError: Error, Sendable, CustomStringConvertible {
    /// The socket was bound but has no local address (should not happen).
    case noLocalAddress(server: String)

    public var description: String {
        switch self {
        case .noLocalAddress(let server): "\(server): the bound socket has no local address"
        }
    }
}

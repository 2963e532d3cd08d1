public import Foundation
import Synchronization
public import TextScanning

/// "Continue anyway": one domain, for one line, for a while.
///
/// The warning page grants a bypass for the domain the subscriber was warned about; the
/// decision then forwards that domain and the names below it for that line until the bypass
/// ends. It holds the line id, the domain and the end time, nothing else, and forgets expired
/// bypasses on ``purge(now:)``.
public final class BypassSet: Sendable {
    private struct Bypass {
        var domain: [UInt8]
        var until: Date
    }

    private let state = Mutex<[LineID: [Bypass]]>([:])

    public init() {}

    /// Lets `line` reach `domain` (and names below it) until `until`. A later grant extends.
    /// Returns false when `domain` is not a host name.
    @discardableResult
    public func grant(line: LineID, domain: String, until: Date) -> Bool {
        var bytes: [UInt8] = []
        let problem = Array(domain.utf8).withUnsafeBufferPointer { HostName.normalize($0, into: &bytes) }
        guard problem == nil else { return false }
        state.withLock { state in
            var list = state[line, default: []]
            if let i = list.firstIndex(where: { $0.domain == bytes }) {
                list[i].until = max(list[i].until, until)
            } else {
                list.append(Bypass(domain: bytes, until: until))
            }
            state[line] = list
        }
        return true
    }

    /// Whether `line` may reach `name` (lower case text, no trailing dot) at `now`. Allocation-free.
    public func allows(line: LineID, name: Bytes, now: Date) -> Bool {
        state.withLock { state in
            guard let list = state[line] else { return false }
            for bypass in list where bypass.until > now {
                let d = bypass.domain
                guard name.count >= d.count, name.count == d.count || name[name.count - d.count - 1] == ASCII.dot else { continue }
                var equal = true
                var k = 0
                let offset = name.count - d.count
                while k < d.count {
                    if ASCII.lower(name[offset + k]) != d[k] {
                        equal = false
                        break
                    }
                    k += 1
                }
                if equal { return true }
            }
            return false
        }
    }

    /// Removes ended bypasses; returns how many.
    @discardableResult
    public func purge(now: Date) -> Int {
        state.withLock { state in
            var removed = 0
            for (line, list) in state {
                let kept = list.filter { $0.until > now }
                removed += list.count - kept.count
                state[line] = kept.isEmpty ? nil : kept
            }
            return removed
        }
    }
}

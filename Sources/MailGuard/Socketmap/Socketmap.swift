/// Postfix's socketmap protocol (socketmap_table(5)): a netstring `len:name key,` per lookup,
/// answered by a netstring `OK data`, `NOTFOUND `, `TEMP reason`, `TIMEOUT reason` or
/// `PERM reason`. One connection carries many lookups.
public enum Socketmap {
    /// The largest netstring accepted or sent (Postfix's `socketmap_max_reply_len` default).
    public static let maximumLength = 100_000

    /// One lookup: the map's name and the key.
    public struct Request: Sendable, Hashable {
        public var map: String
        public var key: String
        public init(map: String, key: String) {
            self.map = map
            self.key = key
        }
    }

    /// A reply.
    public enum Reply: Sendable, Hashable, CustomStringConvertible {
        /// `OK data`: the key is in the map.
        case ok(String)
        /// `NOTFOUND `: it is not.
        case notFound
        /// `TEMP reason`: try later.
        case temporary(String)
        /// `PERM reason`: a permanent error (e.g. an unknown map).
        case permanent(String)

        public var description: String {
            switch self {
            case .ok(let data): "OK \(data)"
            case .notFound: "NOTFOUND "
            case .temporary(let reason): "TEMP \(reason)"
            case .permanent(let reason): "PERM \(reason)"
            }
        }

        /// The reply as a netstring.
        public var encoded: [UInt8] { Socketmap.netstring(Array(description.utf8)) }
    }

    /// `len:bytes,`.
    public static func netstring(_ payload: [UInt8]) -> [UInt8] {
        var out = Array(String(payload.count).utf8)
        out.reserveCapacity(out.count + payload.count + 2)
        out.append(0x3A)
        out.append(contentsOf: payload)
        out.append(0x2C)
        return out
    }

    /// The first netstring in `bytes`: its payload's range and the index past its `,`; nil when
    /// more bytes are needed. A bad length (not digits, a leading zero, over
    /// ``maximumLength``) or a missing `,` is an error: the server closes the connection.
    public static func frame(in bytes: [UInt8], from start: Int = 0) throws(MailGuardError) -> (payload: Range<Int>, end: Int)? {
        var length = 0
        var index = start
        while true {
            guard index < bytes.count else {
                return nil
            }
            let byte = bytes[index]
            if byte == 0x3A { break }
            guard byte >= 0x30, byte <= 0x39 else { throw .malformedSocketmapFrame(reason: "length is not a decimal number") }
            if index == start + 1, bytes[start] == 0x30 { throw .malformedSocketmapFrame(reason: "length has a leading zero") }
            length = length * 10 + Int(byte - 0x30)
            guard length <= maximumLength else { throw .malformedSocketmapFrame(reason: "longer than \(maximumLength) bytes") }
            index += 1
        }
        guard index > start else { throw .malformedSocketmapFrame(reason: "empty length") }
        let payloadStart = index + 1
        let payloadEnd = payloadStart + length
        guard payloadEnd < bytes.count else { return nil }
        guard bytes[payloadEnd] == 0x2C else { throw .malformedSocketmapFrame(reason: "netstring not ended by `,`") }
        return (payloadStart..<payloadEnd, payloadEnd + 1)
    }

    /// `name key` → a request. The map name is everything before the first space; the key, the
    /// rest (it may itself hold spaces). No space, an empty name, or a NUL is an error.
    public static func request(_ payload: some Collection<UInt8>) throws(MailGuardError) -> Request {
        guard !payload.contains(0) else { throw .malformedSocketmapFrame(reason: "NUL byte in the request") }
        guard let space = payload.firstIndex(of: 0x20) else { throw .malformedSocketmapFrame(reason: "no space between map name and key") }
        let name = payload[payload.startIndex..<space]
        guard !name.isEmpty else { throw .malformedSocketmapFrame(reason: "empty map name") }
        let key = payload[payload.index(after: space)...]
        return Request(map: String(decoding: name, as: UTF8.self), key: String(decoding: key, as: UTF8.self))
    }
}

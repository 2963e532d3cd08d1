import TextScanning

/// Turns family or signature names into their normal form (trimmed, lower-case) and reuses
/// the String for names already seen, so a million rows of `andromeda` allocate it once.
struct FamilyNames {
    /// The longest name kept, in bytes.
    static let maximumLength = 128

    private struct Entry {
        var raw: [UInt8]
        var name: String
    }

    private var cache: [UInt64: Entry] = [:]

    enum Outcome {
        case none
        case name(String)
        case tooLong
    }

    mutating func normalise(_ raw: Bytes) -> Outcome {
        let b = raw.trimmed
        guard b.count > 0 else { return .none }
        guard b.count <= Self.maximumLength else { return .tooLong }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in b { hash = (hash ^ UInt64(c)) &* 0x100_0000_01b3 }
        if let known = cache[hash], known.raw.withUnsafeBufferPointer({ $0.equals(b) }) { return .name(known.name) }
        let name: String
        if b.allSatisfy({ $0 < 0x80 }) {
            name = String(decoding: b.lazy.map(ASCII.lower), as: UTF8.self)
        } else {
            name = b.string.lowercased()
        }
        if cache.count < 4096 { cache[hash] = Entry(raw: Array(b), name: name) }
        return .name(name)
    }
}

/// Builds `file:line` evidence references without intermediate strings.
struct EvidenceText {
    private let prefix: [UInt8]

    /// For `file` (its name as shown in issues).
    init(file: String) { prefix = Array((file + ":").utf8) }

    /// `file:line`.
    @inline(__always) func at(_ line: Int) -> String {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var n = line < 0 ? 0 : line
            var k = scratch.count
            repeat {
                k -= 1
                scratch[k] = ASCII.zero + UInt8(n % 10)
                n /= 10
            } while n > 0 && k > 0
            let count = prefix.count + scratch.count - k
            return String(unsafeUninitializedCapacity: count) { out in
                var j = 0
                for c in prefix {
                    out[j] = c
                    j += 1
                }
                for d in scratch[k...] {
                    out[j] = d
                    j += 1
                }
                return j
            }
        }
    }
}

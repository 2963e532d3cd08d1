/// Lowercase hexadecimal for digests, keys' fingerprints and checkpoints.
///
/// ```swift
/// Hex.encode([0xde, 0xad])   // "dead"
/// Hex.decode("DEAD")         // [0xde, 0xad]
/// ```
public enum Hex {
    /// Two lowercase hex digits a byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        // Contiguous bytes (arrays, `Data`, digests): written straight into the string's storage.
        if let text = bytes.withContiguousStorageIfAvailable({ buffer in
            String(unsafeUninitializedCapacity: buffer.count * 2) { out in
                var at = 0
                for byte in buffer {
                    out[at] = digit(byte >> 4)
                    out[at + 1] = digit(byte & 0x0F)
                    at += 2
                }
                return at
            }
        }) {
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digit(byte >> 4))
            out.append(digit(byte & 0x0F))
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// The bytes of an even-length hex string (either case); `nil` for anything else.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

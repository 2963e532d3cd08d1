import TextScanning

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Strings stored back to back in one byte array, each as a length (LEB128 varint) and its
/// UTF-8 bytes; a string's id is the byte offset of its length. About `length + 1` bytes per
/// string (for strings under 128 bytes), and one memory access to read one.
struct StringTable: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    init() {}

    /// A table read back from a snapshot.
    init(bytes: [UInt8], count: Int) {
        self.bytes = bytes
        self.count = count
    }

    func string(_ id: UInt32) -> String {
        bytes.withUnsafeBufferPointer { b in
            let (s, e) = StringTable.span(b, Int(id))
            return String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
        }
    }

    /// The byte range of the string at `offset`.
    @inline(__always) static func span(_ b: UnsafeBufferPointer<UInt8>, _ offset: Int) -> (Int, Int) {
        var i = offset
        var length = 0
        var shift = 0
        while true {
            let c = b[i]
            i += 1
            length |= Int(c & 0x7F) << shift
            if c & 0x80 == 0 { break }
            shift += 7
        }
        return (i, i + length)
    }

    /// Appends the bytes of a string; returns its id, or nil when the table is full (4 GiB).
    mutating func append(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let id = bytes.count
        guard id + utf8.count + 5 < Int(UInt32.max) else { return nil }
        var n = utf8.count
        repeat {
            let low = UInt8(n & 0x7F)
            n >>= 7
            bytes.append(n == 0 ? low : low | 0x80)
        } while n != 0
        bytes.append(contentsOf: utf8)
        count += 1
        return UInt32(id)
    }

    func equals(_ id: UInt32, _ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { b in
            let (s, e) = StringTable.span(b, Int(id))
            guard e - s == utf8.count else { return false }
            guard let base = b.baseAddress, let other = utf8.baseAddress, utf8.count > 0 else { return true }
            return memcmp(base + s, other, utf8.count) == 0
        }
    }

    func hash(_ id: UInt32) -> UInt64 {
        bytes.withUnsafeBufferPointer { b in
            let (s, e) = StringTable.span(b, Int(id))
            return StringTable.hash(UnsafeBufferPointer(rebasing: b[s..<e]))
        }
    }

    /// A 64-bit hash of the bytes, eight at a time.
    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(b.count)
        guard let base = b.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        let n = b.count
        var i = 0
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(base[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
        }
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }

    mutating func reserve(bytes total: Int) {
        bytes.reserveCapacity(total)
    }

    mutating func shrinkToFit() {
        guard bytes.capacity > bytes.count + bytes.count / 8 + 64 else { return }
        // `Array(bytes)` would share the oversized buffer: copy into one of the exact size.
        let exact = [UInt8](unsafeUninitializedCapacity: bytes.count) { out, initialized in
            bytes.withUnsafeBufferPointer { src in
                if let d = out.baseAddress, let s = src.baseAddress { d.update(from: s, count: src.count) }
            }
            initialized = bytes.count
        }
        bytes = exact
    }

    var memoryBytes: Int { bytes.capacity * MemoryLayout<UInt8>.stride }
}

/// Builds a ``StringTable``, giving equal strings one id (open addressing over ids, so the
/// interner costs about 8 bytes per distinct string on top of the table, and only while building).
struct StringInterner {
    private(set) var table = StringTable()
    private var slots: [UInt32] = []  // 0 = empty, else id + 1
    private var used = 0
    private var lastID: UInt32?

    /// The id of `s`, adding it when new.
    mutating func intern(_ s: String) -> UInt32? {
        var s = s
        return s.withUTF8 { intern(utf8: $0) }
    }

    mutating func intern(utf8: UnsafeBufferPointer<UInt8>) -> UInt32? {
        if slots.isEmpty { slots = Array(repeating: 0, count: 1024) }
        if (used + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: StringTable.hash(utf8)) & mask
        while slots[i] != 0 {
            let id = slots[i] - 1
            if table.equals(id, utf8) { return id }
            i = (i + 1) & mask
        }
        guard let id = table.append(utf8) else { return nil }
        slots[i] = id + 1
        used += 1
        return id
    }

    /// Appends `s` without looking for an equal string, except the one appended last
    /// (sessions come one after another: several prefixes of one session share an id).
    mutating func appendOrRepeat(_ s: String) -> UInt32? {
        var s = s
        return s.withUTF8 { utf8 in
            if let lastID, table.equals(lastID, utf8) { return lastID }
            let id = table.append(utf8)
            lastID = id
            return id
        }
    }

    private mutating func grow() {
        var bigger = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for slot in slots where slot != 0 {
            var i = Int(truncatingIfNeeded: table.hash(slot - 1)) & mask
            while bigger[i] != 0 { i = (i + 1) & mask }
            bigger[i] = slot
        }
        slots = bigger
    }

    mutating func reserve(bytes: Int) { table.reserve(bytes: bytes) }

    /// The finished table (the interner's hash slots are dropped).
    mutating func finish() -> StringTable {
        slots = []
        used = 0
        lastID = nil
        var t = table
        table = StringTable()
        t.shrinkToFit()
        return t
    }
}

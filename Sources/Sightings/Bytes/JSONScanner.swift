import TextScanning

/// A value found by ``JSONScanner``: its kind and where it is. Nothing is decoded until a
/// parser asks for it, so members a parser does not name (passwords, commands, URLs) are
/// stepped over without ever becoming a value.
struct JSONValue {
    enum Kind: Equatable {
        case string
        case number
        case object
        case array
        case bool
        case null
    }

    var kind: Kind
    /// For a string: the bytes between the quotes (still escaped); otherwise the whole value.
    var range: Range<Int>
    /// For a string: whether it contains backslash escapes.
    var escaped: Bool
}

/// A minimal JSON reader for one JSON object per line.
///
/// It checks the object's structure (strings, escapes, nesting, separators) and hands each
/// top-level member to the caller as a key and a ``JSONValue`` location. Nested objects can be
/// walked the same way with ``members(_:in:_:)``.
enum JSONScanner {
    /// The deepest nesting accepted.
    static let maximumDepth = 64

    /// Calls `body` for each member of the object that fills `b` (whitespace around it
    /// allowed). Returns false when `b` is not one well-formed JSON object.
    static func members(_ b: Bytes, _ body: (Bytes, JSONValue) -> Void) -> Bool {
        members(b, in: 0..<b.count, body)
    }

    /// Calls `body` for each member of the object in `range` of `b`.
    static func members(_ b: Bytes, in range: Range<Int>, _ body: (Bytes, JSONValue) -> Void) -> Bool {
        var i = skipSpace(b, range.lowerBound, range.upperBound)
        let end = range.upperBound
        guard i < end, b[i] == 0x7B else { return false }  // {
        i = skipSpace(b, i + 1, end)
        guard i < end else { return false }
        if b[i] == 0x7D {  // }
            return skipSpace(b, i + 1, end) == end
        }
        while true {
            guard i < end, b[i] == ASCII.quote, let (keyEnd, _) = stringEnd(b, i + 1, end) else { return false }
            let key = b.sub((i + 1)..<keyEnd)
            i = skipSpace(b, keyEnd + 1, end)
            guard i < end, b[i] == ASCII.colon else { return false }
            i = skipSpace(b, i + 1, end)
            guard let (value, next) = scanValue(b, i, end) else { return false }
            body(key, value)
            i = skipSpace(b, next, end)
            guard i < end else { return false }
            if b[i] == ASCII.comma {
                i = skipSpace(b, i + 1, end)
                continue
            }
            guard b[i] == 0x7D else { return false }
            return skipSpace(b, i + 1, end) == end
        }
    }

    /// The text of a string value, escapes decoded; nil when an escape is invalid.
    static func string(_ b: Bytes, _ v: JSONValue) -> String? {
        let raw = b.sub(v.range)
        guard v.escaped else { return raw.string }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let c = raw[i]
            guard c == ASCII.backslash else {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < raw.count else { return nil }
            let e = raw[i + 1]
            i += 2
            switch e {
            case ASCII.quote, ASCII.backslash, ASCII.slash: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard var scalar = hex4(raw, i) else { return nil }
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00, i + 6 <= raw.count, raw[i] == ASCII.backslash,
                    raw[i + 1] == 0x75, let low = hex4(raw, i + 2), low >= 0xDC00 && low < 0xE000
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default: return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The raw bytes of a value (for a string: unescaped only when it has no escapes).
    static func rawBytes(_ b: Bytes, _ v: JSONValue) -> Bytes { b.sub(v.range) }

    private static func hex4(_ b: Bytes, _ i: Int) -> UInt32? {
        guard i + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            guard let h = ASCII.hex(b[k]) else { return nil }
            v = v << 4 | UInt32(h)
        }
        return v
    }

    @inline(__always) private static func skipSpace(_ b: Bytes, _ start: Int, _ end: Int) -> Int {
        var i = start
        while i < end {
            let c = b[i]
            guard c == ASCII.space || c == ASCII.tab || c == ASCII.cr || c == ASCII.newline else { break }
            i += 1
        }
        return i
    }

    /// From just after an opening quote: the index of the closing quote and whether escapes occur.
    @inline(__always) private static func stringEnd(_ b: Bytes, _ start: Int, _ end: Int) -> (Int, Bool)? {
        var i = start
        var escaped = false
        while i < end {
            let c = b[i]
            if c == ASCII.quote { return (i, escaped) }
            if c == ASCII.backslash {
                guard i + 1 < end else { return nil }
                let e = b[i + 1]
                switch e {
                case ASCII.quote, ASCII.backslash, ASCII.slash, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 2
                case 0x75:
                    guard i + 6 <= end else { return nil }
                    for k in (i + 2)..<(i + 6) where ASCII.hex(b[k]) == nil { return nil }
                    i += 6
                default: return nil
                }
                escaped = true
                continue
            }
            guard c >= 0x20 else { return nil }  // raw control characters are not JSON
            i += 1
        }
        return nil
    }

    private static func scanValue(_ b: Bytes, _ start: Int, _ end: Int) -> (JSONValue, Int)? {
        guard start < end else { return nil }
        let c = b[start]
        switch c {
        case ASCII.quote:
            guard let (close, escaped) = stringEnd(b, start + 1, end) else { return nil }
            return (JSONValue(kind: .string, range: (start + 1)..<close, escaped: escaped), close + 1)
        case 0x7B, 0x5B:  // { [
            guard let close = containerEnd(b, start, end) else { return nil }
            return (JSONValue(kind: c == 0x7B ? .object : .array, range: start..<close, escaped: false), close)
        case 0x74:  // true
            guard start + 4 <= end, b.sub(start..<(start + 4)).equals("true") else { return nil }
            return (JSONValue(kind: .bool, range: start..<(start + 4), escaped: false), start + 4)
        case 0x66:  // false
            guard start + 5 <= end, b.sub(start..<(start + 5)).equals("false") else { return nil }
            return (JSONValue(kind: .bool, range: start..<(start + 5), escaped: false), start + 5)
        case 0x6E:  // null
            guard start + 4 <= end, b.sub(start..<(start + 4)).equals("null") else { return nil }
            return (JSONValue(kind: .null, range: start..<(start + 4), escaped: false), start + 4)
        default:
            guard let stop = numberEnd(b, start, end) else { return nil }
            return (JSONValue(kind: .number, range: start..<stop, escaped: false), stop)
        }
    }

    /// `-?int(.digits)?([eE][+-]?digits)?`, returning the index after it.
    private static func numberEnd(_ b: Bytes, _ start: Int, _ end: Int) -> Int? {
        var i = start
        if i < end, b[i] == ASCII.minus { i += 1 }
        let intStart = i
        while i < end, ASCII.isDigit(b[i]) { i += 1 }
        guard i > intStart else { return nil }
        if i - intStart > 1, b[intStart] == ASCII.zero { return nil }
        if i < end, b[i] == ASCII.dot {
            i += 1
            let f = i
            while i < end, ASCII.isDigit(b[i]) { i += 1 }
            guard i > f else { return nil }
        }
        if i < end, b[i] == 0x65 || b[i] == 0x45 {
            i += 1
            if i < end, b[i] == ASCII.plus || b[i] == ASCII.minus { i += 1 }
            let e = i
            while i < end, ASCII.isDigit(b[i]) { i += 1 }
            guard i > e else { return nil }
        }
        return i
    }

    /// From an opening `{` or `[`: the index after its matching close. Strings are stepped
    /// over with their escapes; brackets must nest properly.
    private static func containerEnd(_ b: Bytes, _ start: Int, _ end: Int) -> Int? {
        var stack: UInt64 = 0  // bit set = object
        var depth = 0
        var i = start
        while i < end {
            let c = b[i]
            switch c {
            case 0x7B, 0x5B:
                guard depth < maximumDepth else { return nil }
                stack = stack << 1 | (c == 0x7B ? 1 : 0)
                depth += 1
                i += 1
            case 0x7D, 0x5D:
                guard depth > 0, (stack & 1 == 1) == (c == 0x7D) else { return nil }
                stack >>= 1
                depth -= 1
                i += 1
                if depth == 0 { return i }
            case ASCII.quote:
                guard let (close, _) = stringEnd(b, i + 1, end) else { return nil }
                i = close + 1
            default:
                i += 1
            }
        }
        return nil
    }
}

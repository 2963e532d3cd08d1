/// Where one CSV field is in the buffer.
public struct CSVField: Sendable, Hashable {
    /// The field's bytes: for a quoted field, between the quotes (doubled quotes still doubled).
    public var start: Int
    public var end: Int
    /// Whether the field contains `""` (an escaped quote) that must be undoubled.
    public var escapedQuote: Bool

    @inlinable public init(start: Int, end: Int, escapedQuote: Bool) {
        self.start = start
        self.end = end
        self.escapedQuote = escapedQuote
    }
}

/// One CSV record as the scanner found it: the buffer and where its fields are.
public struct CSVRow {
    /// The buffer the field positions refer to.
    public let bytes: Bytes
    /// The fields (at most ``CSVScanner/maximumFields`` are stored).
    public let fields: UnsafeBufferPointer<CSVField>
    /// How many fields the record has (may exceed `fields.count` for an absurd record).
    public let fieldCount: Int

    @inlinable public init(bytes: Bytes, fields: UnsafeBufferPointer<CSVField>, fieldCount: Int) {
        self.bytes = bytes
        self.fields = fields
        self.fieldCount = fieldCount
    }

    /// The field at a 0-based index, or nil past the end of a short row.
    @inlinable @inline(__always) public func field(_ i: Int) -> CSVField? { i < fields.count ? fields[i] : nil }

    /// The bytes of field `i` (doubled quotes undone in `scratch` when needed), or nil past the end.
    @inlinable @inline(__always) public func withValue<R>(_ i: Int, scratch: inout [UInt8], _ body: (Bytes) -> R) -> R? {
        guard i < fields.count else { return nil }
        return CSVScanner.value(bytes, fields[i], scratch: &scratch, body)
    }

    /// Field `i` as a String (quotes undone); "" past the end.
    public func string(_ i: Int) -> String {
        guard i < fields.count else { return "" }
        return CSVScanner.string(bytes, fields[i])
    }
}

/// An RFC 4180 record scanner over bytes: comma-separated fields, optionally in double quotes;
/// a quoted field may hold commas, CR/LF and doubled quotes (`""`). Records end at LF, CRLF
/// or CR. A quote inside an unquoted field is taken literally (as Python's `csv` does).
///
/// The scan looks at eight bytes at a time (SWAR) for the few bytes that matter (`,` `"` CR
/// LF), so field contents are skipped without a branch per byte.
public enum CSVScanner {
    /// The most fields stored per record; a record with more is still scanned (and counted).
    public static let maximumFields = 4096

    public enum Outcome {
        /// A record: `next` is the index after its terminator, `newlines` the line breaks it spans
        /// (its terminator included), `fieldCount` its fields.
        case record(next: Int, newlines: Int, fieldCount: Int)
        /// The record continues beyond the bytes given (and more may come).
        case needMore
        /// The record is malformed at this field (1-based): `reason` names the problem.
        case malformed(field: Int, reason: String)
    }

    @inlinable static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @inlinable static var highs: UInt64 { 0x8080_8080_8080_8080 }
    @inlinable static var commas: UInt64 { 0x2C2C_2C2C_2C2C_2C2C }
    @inlinable static var quotes: UInt64 { 0x2222_2222_2222_2222 }
    @inlinable static var newlines: UInt64 { 0x0A0A_0A0A_0A0A_0A0A }
    @inlinable static var crs: UInt64 { 0x0D0D_0D0D_0D0D_0D0D }

    /// High bit set in each byte of `v` that is zero (exact for the lowest such byte).
    @inlinable @inline(__always) static func zeroBytes(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }

    /// Index of the first `,` CR or LF at or after `i` (or `n`).
    @inlinable @inline(__always) static func unquotedEnd(_ p: UnsafeRawPointer, _ i: Int, _ n: Int) -> Int {
        var i = i
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let m = zeroBytes(w ^ commas) | zeroBytes(w ^ newlines) | zeroBytes(w ^ crs)
            if m != 0 { return i + (m.littleEndian.trailingZeroBitCount >> 3) }
            i += 8
        }
        let b = p.assumingMemoryBound(to: UInt8.self)
        while i < n {
            let c = b[i]
            if c == ASCII.comma || c == ASCII.newline || c == ASCII.cr { return i }
            i += 1
        }
        return n
    }

    /// Index of the first `"` or LF at or after `i` (or `n`).
    @inlinable @inline(__always) static func quoteOrNewline(_ p: UnsafeRawPointer, _ i: Int, _ n: Int) -> Int {
        var i = i
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let m = zeroBytes(w ^ quotes) | zeroBytes(w ^ newlines)
            if m != 0 { return i + (m.littleEndian.trailingZeroBitCount >> 3) }
            i += 8
        }
        let b = p.assumingMemoryBound(to: UInt8.self)
        while i < n {
            let c = b[i]
            if c == ASCII.quote || c == ASCII.newline { return i }
            i += 1
        }
        return n
    }

    /// Scans the record starting at `start`, storing its fields in `fields`.
    ///
    /// With `atEOF` false, a record that runs to the end of `b` yields `.needMore`; with it
    /// true, the end of `b` ends the record.
    @inlinable @inline(__always)
    public static func record(
        _ b: Bytes, from start: Int, atEOF: Bool, fields: UnsafeMutableBufferPointer<CSVField>
    ) -> Outcome {
        let n = b.count
        guard let base = b.baseAddress else { return atEOF ? .record(next: 0, newlines: 0, fieldCount: 0) : .needMore }
        let p = UnsafeRawPointer(base)
        let capacity = fields.count
        var count = 0
        var i = start
        var lines = 0
        while true {
            if i < n, b[i] == ASCII.quote {
                i += 1
                let fieldStart = i
                var escaped = false
                while true {
                    i = quoteOrNewline(p, i, n)
                    guard i < n else {
                        return atEOF ? .malformed(field: count + 1, reason: "quoted field not closed") : .needMore
                    }
                    if b[i] == ASCII.newline {
                        lines += 1
                        i += 1
                        continue
                    }
                    if i + 1 < n {
                        if b[i + 1] == ASCII.quote {
                            escaped = true
                            i += 2
                            continue
                        }
                    } else if !atEOF {
                        return .needMore
                    }
                    break
                }
                if count < capacity { fields[count] = CSVField(start: fieldStart, end: i, escapedQuote: escaped) }
                count += 1
                i += 1  // closing quote
                if i < n {
                    let c = b[i]
                    if c != ASCII.comma && c != ASCII.newline && c != ASCII.cr {
                        return .malformed(field: count, reason: "text after the closing quote")
                    }
                }
            } else {
                let fieldStart = i
                i = unquotedEnd(p, i, n)
                if i == n && !atEOF { return .needMore }
                if count < capacity { fields[count] = CSVField(start: fieldStart, end: i, escapedQuote: false) }
                count += 1
            }
            // After a field: separator, terminator or end.
            guard i < n else {
                return atEOF ? .record(next: n, newlines: lines, fieldCount: count) : .needMore
            }
            let c = b[i]
            if c == ASCII.comma {
                i += 1
                if i == n && atEOF {
                    if count < capacity { fields[count] = CSVField(start: n, end: n, escapedQuote: false) }
                    return .record(next: n, newlines: lines, fieldCount: count + 1)
                }
                continue
            }
            if c == ASCII.newline { return .record(next: i + 1, newlines: lines + 1, fieldCount: count) }
            // CR or CRLF
            if i + 1 < n {
                return .record(next: b[i + 1] == ASCII.newline ? i + 2 : i + 1, newlines: lines + 1, fieldCount: count)
            }
            return atEOF ? .record(next: i + 1, newlines: lines + 1, fieldCount: count) : .needMore
        }
    }

    /// The field's bytes, with doubled quotes undoubled into `scratch` when needed.
    @inlinable @inline(__always)
    public static func value<R>(_ b: Bytes, _ f: CSVField, scratch: inout [UInt8], _ body: (Bytes) -> R) -> R {
        guard f.escapedQuote else { return body(b.sub(f.start..<f.end)) }
        scratch.removeAll(keepingCapacity: true)
        var i = f.start
        while i < f.end {
            let c = b[i]
            scratch.append(c)
            i += (c == ASCII.quote && i + 1 < f.end && b[i + 1] == ASCII.quote) ? 2 : 1
        }
        return scratch.withUnsafeBufferPointer { body($0) }
    }

    /// The field as a String (quotes undoubled).
    public static func string(_ b: Bytes, _ f: CSVField) -> String {
        var scratch: [UInt8] = []
        return value(b, f, scratch: &scratch) { $0.string }
    }
}

extension CSVScanner {
    /// A record of a small CSV text read whole: its first line and its fields.
    public struct TextRow: Sendable, Hashable {
        /// The 1-based line where the record starts.
        public var line: Int
        public var fields: [String]
    }

    /// All records of a small text (a directory, a configuration table), blank lines skipped;
    /// `malformed` gets the line and reason of a record that cannot be read, which is skipped.
    public static func rows(_ text: String, malformed: (Int, String) -> Void = { _, _ in }) -> [TextRow] {
        var out: [TextRow] = []
        var copy = text
        copy.withUTF8 { b in
            let storage = UnsafeMutableBufferPointer<CSVField>.allocate(capacity: 256)
            defer { storage.deallocate() }
            var i = 0
            var line = 1
            if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
            while i < b.count {
                switch record(b, from: i, atEOF: true, fields: storage) {
                case .record(let next, let newlines, let fieldCount):
                    let row = CSVRow(
                        bytes: b, fields: UnsafeBufferPointer(rebasing: storage[0..<min(fieldCount, storage.count)]), fieldCount: fieldCount)
                    let blank = fieldCount == 1 && row.fields[0].start == row.fields[0].end
                    if !blank { out.append(TextRow(line: line, fields: (0..<row.fields.count).map(row.string))) }
                    line += newlines
                    i = max(next, i + 1)
                case .needMore:
                    i = b.count
                case .malformed(let field, let reason):
                    malformed(line, "field \(field): \(reason)")
                    // Skip to the next line and go on.
                    while i < b.count, b[i] != ASCII.newline { i += 1 }
                    i += 1
                    line += 1
                }
            }
        }
        return out
    }
}

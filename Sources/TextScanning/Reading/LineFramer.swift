#if canImport(Glibc)
    public import Glibc
#elseif canImport(Darwin)
    public import Darwin
#endif

/// Splits a byte stream into lines across chunk boundaries (with ``ChunkLoop``), numbering
/// them: the line framing of every line-oriented parser (RADIUS detail, Kea and CGN CSV,
/// dhcpd.leases, Cowrie and Dionaea JSON lines).
///
/// Lines end at LF; a CR before it is dropped. A line longer than `maximumLength` is not
/// delivered: `overlong` gets its number, and the framer skips to the next LF.
///
/// ```swift
/// var framer = LineFramer(maximumLength: 1 << 20)
/// try ChunkLoop.run(file, chunkSize: 4 << 20, maximumRecordLength: 1 << 20, consume: { bytes, atEOF, full in
///     framer.consume(bytes, atEOF: atEOF, full: full, line: { parse($0, $1) }, overlong: { report($0) })
/// }, afterChunk: {})
/// ```
public struct LineFramer {
    /// The longest line delivered, in bytes (CR excluded).
    public let maximumLength: Int
    /// The number of the last line seen.
    public var lineNumber: Int { lines }
    @usableFromInline var lines = 0
    @usableFromInline var skipping = false

    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    /// Consumes whole lines from `b`; returns how many bytes were consumed (the rest is an
    /// incomplete line to present again with more bytes). At `atEOF` the last line needs no LF.
    @inlinable
    public mutating func consume(
        _ b: Bytes, atEOF: Bool, full: Bool, line: (Bytes, Int) throws -> Void, overlong: (Int) throws -> Void
    ) rethrows -> Int {
        guard let base = b.baseAddress else { return 0 }
        let n = b.count
        var i = 0
        while i < n {
            let found = memchr(base + i, Int32(ASCII.newline), n - i)
            guard let p = found else {
                if skipping { return n }
                if atEOF {
                    lines += 1
                    try deliver(b.sub(i..<n), line: line, overlong: overlong)
                    return n
                }
                if full && i == 0 {
                    lines += 1
                    try overlong(lines)
                    skipping = true
                    return n
                }
                return i
            }
            let nl = UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self) - base
            if skipping {
                skipping = false
            } else {
                lines += 1
                try deliver(b.sub(i..<nl), line: line, overlong: overlong)
            }
            i = nl + 1
        }
        return n
    }

    @inlinable @inline(__always)
    func deliver(_ raw: Bytes, line: (Bytes, Int) throws -> Void, overlong: (Int) throws -> Void) rethrows {
        let l = raw.withoutCR
        if l.count > maximumLength {
            try overlong(lines)
        } else {
            try line(l, lines)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file that could not be opened or read; `file` is its name as shown to operators.
public struct FileReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// `cannot open` or `read failed`.
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

/// A file opened for reading with POSIX calls (no `FileHandle`, no `Data` per chunk).
public struct RawFile {
    public let descriptor: Int32
    public let file: String

    /// Opens `path` for reading; `file` names it in errors.
    public init(path: String, file: String) throws(FileReadError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileReadError(file: file, reason: "cannot open") }
        self.descriptor = fd
        self.file = file
    }

    /// Closes the file.
    public func close() {
        #if canImport(Glibc)
            _ = Glibc.close(descriptor)
        #else
            _ = Darwin.close(descriptor)
        #endif
    }

    /// Reads into `buffer`, filling as much of it as the file has; returns the byte count
    /// (less than `buffer.count` only at the end of the file).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileReadError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var total = 0
        while total < buffer.count {
            #if canImport(Glibc)
                let r = Glibc.read(descriptor, base + total, buffer.count - total)
            #else
                let r = Darwin.read(descriptor, base + total, buffer.count - total)
            #endif
            if r > 0 {
                total += r
            } else if r == 0 {
                break
            } else if errno != EINTR {
                throw FileReadError(file: file, reason: "read failed")
            }
        }
        return total
    }
}

/// Drives a framer over a file in chunks through one reusable buffer: the file streaming of
/// every parser (AAA records, sightings), in constant memory.
public enum ChunkLoop {
    /// Reads `file` and calls `consume(bytes, atEOF, full)` with the bytes not yet consumed;
    /// `consume` returns how many it used (the rest, an incomplete record, is presented again
    /// with more bytes). `full` says the buffer cannot grow: an incomplete record filling it is
    /// longer than `maximumRecordLength`. `afterChunk` runs after each call (batch hand-over).
    /// A UTF-8 byte-order mark at the start is dropped.
    public static func run(
        _ file: RawFile, chunkSize: Int, maximumRecordLength: Int,
        consume: (Bytes, Bool, Bool) throws -> Int, afterChunk: () throws -> Void
    ) throws {
        let capacity = chunkSize + maximumRecordLength
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        var first = true
        while true {
            let want = min(capacity - filled, chunkSize)
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + want)]))
            filled += got
            let atEOF = got < want
            var skip = 0
            if first {
                first = false
                if filled >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { skip = 3 }
            }
            let view = UnsafeRawBufferPointer(rebasing: buffer[skip..<filled]).bindMemory(to: UInt8.self)
            let used = try consume(view, atEOF, filled == capacity) + skip
            if used < filled, let base = buffer.baseAddress {
                memmove(base, base + used, filled - used)
            }
            filled -= used
            try afterChunk()
            if atEOF { return }
        }
    }
}

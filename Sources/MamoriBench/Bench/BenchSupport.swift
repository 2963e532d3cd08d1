import Foundation
import MamoriTesting
import Runtime
import TextScanning

#if canImport(Glibc)
    import Glibc
    // `timespec` is attributed to CDispatch's module once a C target (CMamoriPrefetch) joins the graph.
    #if canImport(CDispatch)
        import CDispatch
    #endif
#elseif canImport(Darwin)
    import Darwin
#endif

/// The benchmarks' generator: ``SplitMix64`` from MamoriTesting.
typealias BenchRandom = SplitMix64

/// Wall-clock timing on a monotonic clock.
enum Stopwatch {
    /// Seconds taken by `body`.
    static func seconds<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try body()
        return (value, (clock.now - start).seconds)
    }

    /// Seconds taken by `body`.
    static func seconds<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try await body()
        return (value, (clock.now - start).seconds)
    }
}

/// CPU time of the calling thread (immune to other processes competing for the cores; not to
/// what they do to the caches).
enum ThreadCPU {
    static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Wall-clock and thread-CPU seconds taken by `body`.
    static func measure<T>(_ body: () throws -> T) rethrows -> (T, wall: Double, cpu: Double) {
        let cpu0 = seconds()
        let (value, wall) = try Stopwatch.seconds(body)
        return (value, wall, seconds() - cpu0)
    }
}

/// CPU time of the whole process (async work hops threads, so the calling thread's time would
/// miss some of it; run nothing else in the process meanwhile).
enum ProcessCPU {
    static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Wall-clock and process-CPU seconds taken by `body`.
    static func measure<T>(_ body: () async throws -> T) async rethrows -> (T, wall: Double, cpu: Double) {
        let cpu0 = seconds()
        let (value, wall) = try await Stopwatch.seconds(body)
        return (value, wall, seconds() - cpu0)
    }
}

/// The 1-minute load average (other work on the machine during a run), from `/proc/loadavg`.
enum LoadAverage {
    static func oneMinute() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

/// Resident memory of this process, from `/proc/self/statm` (Linux; nil elsewhere).
enum ProcessMemory {
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Appends text to a file through a large buffer (benchmark inputs of hundreds of MB).
struct BufferedWriter {
    private let handle: FileHandle
    private(set) var buffer: [UInt8] = []
    private(set) var written = 0
    private let flushAt = 4 << 20

    init(creating url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        buffer.reserveCapacity(flushAt + 4096)
    }

    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    mutating func append(_ s: String) {
        buffer.append(contentsOf: s.utf8)
    }

    mutating func byte(_ b: UInt8) { buffer.append(b) }

    /// A decimal number.
    mutating func decimal<T: BinaryInteger>(_ value: T) {
        var v = UInt64(value)
        if v == 0 {
            buffer.append(0x30)
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[n] = UInt8(0x30 + v % 10)
                v /= 10
                n += 1
            }
            for i in stride(from: n - 1, through: 0, by: -1) { buffer.append(d[i]) }
        }
    }

    /// A decimal number left-padded with zeros to `width` digits.
    mutating func decimal<T: BinaryInteger>(_ value: T, width: Int) {
        var pad = width - 1
        var v = UInt64(value)
        while v >= 10 && pad > 0 {
            v /= 10
            pad -= 1
        }
        for _ in 0..<pad { buffer.append(0x30) }
        decimal(value)
    }

    /// Lower-case hexadecimal without leading zeros.
    mutating func hex(_ value: UInt64) {
        if value == 0 {
            buffer.append(0x30)
            return
        }
        var shift = (63 - value.leadingZeroBitCount) / 4 * 4
        while shift >= 0 {
            buffer.append(Self.hexDigits[Int((value >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }

    /// Lower-case hexadecimal, exactly `digits` digits.
    mutating func hex(_ value: UInt64, digits: Int) {
        var shift = (digits - 1) * 4
        while shift >= 0 {
            buffer.append(Self.hexDigits[Int((value >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }

    /// A dotted-quad IPv4 address.
    mutating func ipv4(_ a: UInt32) {
        decimal(a >> 24)
        buffer.append(0x2E)
        decimal((a >> 16) & 0xFF)
        buffer.append(0x2E)
        decimal((a >> 8) & 0xFF)
        buffer.append(0x2E)
        decimal(a & 0xFF)
    }

    /// An IPv6 prefix whose low 64 bits are zero: `a:b:c:d::/len`.
    mutating func ipv6Prefix(high: UInt64, length: Int) {
        for g in 0..<4 {
            hex((high >> UInt64(48 - 16 * g)) & 0xFFFF)
            buffer.append(0x3A)
        }
        buffer.append(0x3A)
        buffer.append(0x2F)
        decimal(length)
    }

    /// `YYYY-MM-DD HH:MM:SS` of seconds since 1970 (UTC, or shifted by the caller).
    mutating func isoTime(_ seconds: Int64, separator: UInt8 = 0x20) {
        let c = CivilDate(seconds: seconds)
        decimal(c.year, width: 4)
        buffer.append(0x2D)
        decimal(c.month, width: 2)
        buffer.append(0x2D)
        decimal(c.day, width: 2)
        buffer.append(separator)
        clock(c)
    }

    mutating func clock(_ c: CivilDate) {
        decimal(c.hour, width: 2)
        buffer.append(0x3A)
        decimal(c.minute, width: 2)
        buffer.append(0x3A)
        decimal(c.second, width: 2)
    }

    mutating func flushIfFull() throws {
        if buffer.count >= flushAt { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        try flush()
        try handle.close()
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// A UTC calendar date and time from seconds since 1970 (proleptic Gregorian).
struct CivilDate {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// 0 = Sunday.
    var weekday: Int

    init(seconds: Int64) {
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        hour = Int(rest / 3600)
        minute = Int(rest / 60 % 60)
        second = Int(rest % 60)
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
    }

    static let monthNames: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let weekdayNames: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
}

/// Human-readable result tables.
struct BenchTable {
    private var rows: [(String, String)] = []
    let title: String

    init(_ title: String) { self.title = title }

    mutating func row(_ name: String, _ value: String) { rows.append((name, value)) }

    func print() {
        Output.line(title)
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows {
            Output.line("  " + name + String(repeating: " ", count: width - name.count) + "  " + value)
        }
    }
}

enum BenchFormat {
    /// `12,345,678`.
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A rate per second, rounded to whole units with separators.
    static func rate(_ r: Double) -> String { count(Int(r.rounded())) + "/s" }

    static func seconds(_ s: Double) -> String { String(format: "%.3f s", s) }

    static func fixed(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    /// Rounds for JSON (keeps a few significant decimals).
    static func json(_ x: Double, _ digits: Int = 3) -> Double {
        let scale = pow(10.0, Double(digits))
        return (x * scale).rounded() / scale
    }

    static func goal(_ met: Bool) -> String { met ? "met" : "NOT met" }
}

/// Finds a file of the repository's `scripts/` directory.
enum ScriptLocator {
    /// Looks for `scripts/<name>` in the current directory and its parents, then next to the
    /// executable and its parents (the repository of a `.build*/release/mamori`).
    static func find(_ name: String) -> URL? {
        var starts: [URL] = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            starts.append(exe.deletingLastPathComponent())
        }
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("scripts").appendingPathComponent(name)
                if FileManager.default.isReadableFile(atPath: candidate.path) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }
}

/// A temporary directory removed on `remove()`.
struct BenchTemporaryDirectory {
    let url: URL

    init(prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

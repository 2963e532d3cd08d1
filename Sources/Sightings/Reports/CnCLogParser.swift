import Addressing
import Foundation
import TextScanning

/// The per-record work shared by the CSV and JSON-lines readers of a C&C log.
struct CnCRecordReader {
    let layout: CnCLogLayout
    let file: String
    var families = FamilyNames()

    /// Makes the sighting from the raw column values, or says what is wrong.
    mutating func sighting(ip: Bytes?, port: Bytes?, time: Bytes?, family: Bytes?, line: Int) -> Result<Sighting, Problem> {
        guard let ipBytes = ip?.trimmed, ipBytes.count > 0 else { return .failure(Problem(layout.ipColumn + ": missing")) }
        guard let address = ByteParse.ip(ipBytes) else { return .failure(Problem(layout.ipColumn + ": not an IP address")) }
        var sourcePort: UInt16?
        if let portColumn = layout.portColumn, let p = port?.trimmed, p.count > 0 {
            guard let value = ByteParse.port(p) else { return .failure(Problem(portColumn + ": not a port number")) }
            sourcePort = value
        }
        guard let t = time?.trimmed, t.count > 0 else { return .failure(Problem(layout.timeColumn + ": missing")) }
        let parsed: Result<Double, TimeText.Failure>
        let expected: String
        switch layout.timeFormat {
        case .rfc3339:
            parsed = TimeText.iso(t, zoneless: .refuse, strict: true)
            expected = "RFC 3339 with Z or ±HH:MM"
        case .epochSeconds:
            parsed = TimeText.epochSeconds(t)
            expected = "seconds since 1970"
        }
        let seconds: Double
        switch parsed {
        case .success(let s): seconds = s
        case .failure(let e): return .failure(Problem(layout.timeColumn + ": " + e.reason(expected: expected)))
        }
        var familyName = layout.family
        if let familyColumn = layout.familyColumn, let f = family {
            switch families.normalise(f) {
            case .none: break
            case .name(let n): familyName = n
            case .tooLong: return .failure(Problem(familyColumn + ": longer than \(FamilyNames.maximumLength) bytes"))
            }
        }
        return .success(
            Sighting(
                source: address, sourcePort: sourcePort, time: Date(timeIntervalSince1970: seconds), kind: .cncLogEntry,
                family: familyName, feed: CnCLogLayout.feedName, evidence: "\(file):\(line)"))
    }

    struct Problem: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

/// A C&C log in CSV: the header names the columns; only the layout's columns are read.
struct CnCCSVParser: CSVRecordParser {
    let feedName = CnCLogLayout.feedName
    private(set) var expectsHeader = true
    private var reader: CnCRecordReader
    private var header: [String] = []
    private var ipIndex = 0
    private var portIndex: Int?
    private var timeIndex = 0
    private var familyIndex: Int?
    private var scratch: [UInt8] = []

    init(file: String, layout: CnCLogLayout) {
        reader = CnCRecordReader(layout: layout, file: file)
    }

    func columnName(_ field: Int) -> String? { field >= 1 && field <= header.count ? header[field - 1] : nil }

    mutating func header(_ row: CSVRow, line: Int) throws(SightingError) {
        header = (0..<row.fields.count).map { row.string($0).trimmingSpaces }
        let layout = reader.layout
        func index(_ name: String, _ role: String) throws(SightingError) -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw .missingColumn(file: reader.file, role: role, candidates: [name])
            }
            return i
        }
        ipIndex = try index(layout.ipColumn, "IP address")
        timeIndex = try index(layout.timeColumn, "time")
        if let p = layout.portColumn { portIndex = try index(p, "port") }
        if let f = layout.familyColumn { familyIndex = try index(f, "family") }
        expectsHeader = false
    }

    mutating func row(_ row: CSVRow, line: Int, newlines: Int, into out: inout SightingOutput) -> RowVerdict {
        out.summary.recordsSeen += 1
        guard row.fieldCount == header.count else {
            out.reject(line: line, "row has \(row.fieldCount) fields, the header \(header.count)")
            return newlines > 1 ? .resync : .done
        }
        // Copy the few values needed (a field may need its doubled quotes undone).
        func value(_ i: Int?) -> [UInt8]? {
            guard let i else { return nil }
            return row.withValue(i, scratch: &scratch) { Array($0) }
        }
        let ip = value(ipIndex)
        let port = value(portIndex)
        let time = value(timeIndex)
        let family = value(familyIndex)
        let result = ip.withOptionalBuffer { ipB in
            port.withOptionalBuffer { portB in
                time.withOptionalBuffer { timeB in
                    family.withOptionalBuffer { famB in
                        reader.sighting(ip: ipB, port: portB, time: timeB, family: famB, line: line)
                    }
                }
            }
        }
        switch result {
        case .success(let s): out.add(s)
        case .failure(let p): out.reject(line: line, p.reason)
        }
        return .done
    }
}

/// A C&C log in JSON lines: the layout's columns are top-level keys; nothing else is decoded.
struct CnCJSONParser: LineRecordParser {
    let feedName = CnCLogLayout.feedName
    private var reader: CnCRecordReader
    private let ipKey: [UInt8]
    private let portKey: [UInt8]?
    private let timeKey: [UInt8]
    private let familyKey: [UInt8]?

    init(file: String, layout: CnCLogLayout) {
        reader = CnCRecordReader(layout: layout, file: file)
        ipKey = Array(layout.ipColumn.utf8)
        portKey = layout.portColumn.map { Array($0.utf8) }
        timeKey = Array(layout.timeColumn.utf8)
        familyKey = layout.familyColumn.map { Array($0.utf8) }
    }

    mutating func line(_ b: Bytes, number: Int, into out: inout SightingOutput) {
        out.summary.recordsSeen += 1
        var ip: JSONValue?
        var port: JSONValue?
        var time: JSONValue?
        var family: JSONValue?
        let ok = JSONScanner.members(b) { key, value in
            if key.elementsEqual(ipKey) {
                ip = value
            } else if key.elementsEqual(timeKey) {
                time = value
            } else if let portKey, key.elementsEqual(portKey) {
                port = value
            } else if let familyKey, key.elementsEqual(familyKey) {
                family = value
            }
        }
        guard ok else {
            out.reject(line: number, "not a JSON object")
            return
        }
        let layout = reader.layout
        // Decode only the named values; a JSON string may hold escapes.
        func text(_ v: JSONValue?, _ name: String, numberAllowed: Bool) -> Result<[UInt8]?, CnCRecordReader.Problem> {
            guard let v, v.kind != .null else { return .success(nil) }
            switch v.kind {
            case .string:
                guard let s = JSONScanner.string(b, v) else { return .failure(.init(name + ": invalid escape")) }
                return .success(Array(s.utf8))
            case .number where numberAllowed:
                return .success(Array(b.sub(v.range)))
            default:
                return .failure(.init(name + (numberAllowed ? ": not a string or number" : ": not a string")))
            }
        }
        let values = [
            text(ip, layout.ipColumn, numberAllowed: false),
            text(port, layout.portColumn ?? "", numberAllowed: true),
            text(time, layout.timeColumn, numberAllowed: layout.timeFormat == .epochSeconds),
            text(family, layout.familyColumn ?? "", numberAllowed: false),
        ]
        var decoded: [[UInt8]?] = []
        for v in values {
            switch v {
            case .success(let d): decoded.append(d)
            case .failure(let p):
                out.reject(line: number, p.reason)
                return
            }
        }
        let result = decoded[0].withOptionalBuffer { ipB in
            decoded[1].withOptionalBuffer { portB in
                decoded[2].withOptionalBuffer { timeB in
                    decoded[3].withOptionalBuffer { famB in
                        reader.sighting(ip: ipB, port: portB, time: timeB, family: famB, line: number)
                    }
                }
            }
        }
        switch result {
        case .success(let s): out.add(s)
        case .failure(let p): out.reject(line: number, p.reason)
        }
    }
}

extension Optional where Wrapped == [UInt8] {
    /// Calls `body` with the bytes, or nil.
    func withOptionalBuffer<R>(_ body: (Bytes?) -> R) -> R {
        switch self {
        case .some(let a): a.withUnsafeBufferPointer { body($0) }
        case .none: body(nil)
        }
    }
}

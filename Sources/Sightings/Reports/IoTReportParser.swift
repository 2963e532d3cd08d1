import Addressing
import Foundation
import TextScanning

/// Reads a NOTICE/NICTER-style IoT device report (`docs/formats/iot-report.md`).
///
/// CSV with a header naming `ip`, `observed_at` and `status`, optionally `port` and `detail`;
/// other columns are never read. `status` `infected` makes a sighting (kind
/// `thirdPartyReport`, family from `detail`); `vulnerable` is counted as not infected and
/// dropped (a vulnerability notice is another flow); any other status is rejected.
struct IoTReportParser: CSVRecordParser {
    static let feedName = "iot-report"
    static let requiredColumns = ["ip", "observed_at", "status"]

    var feedName: String { Self.feedName }
    let file: String
    private(set) var expectsHeader = true
    private var header: [String] = []
    private var ipIndex = 0
    private var portIndex: Int?
    private var timeIndex = 0
    private var statusIndex = 0
    private var detailIndex: Int?
    private var families = FamilyNames()
    private var scratch: [UInt8] = []

    init(file: String) { self.file = file }

    func columnName(_ field: Int) -> String? { field >= 1 && field <= header.count ? header[field - 1] : nil }

    mutating func header(_ row: CSVRow, line: Int) throws(SightingError) {
        header = (0..<row.fields.count).map { row.string($0).trimmingSpaces.lowercased() }
        func index(_ name: String) throws(SightingError) -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw .missingColumn(file: file, role: name, candidates: [name])
            }
            return i
        }
        ipIndex = try index("ip")
        timeIndex = try index("observed_at")
        statusIndex = try index("status")
        portIndex = header.firstIndex(of: "port")
        detailIndex = header.firstIndex(of: "detail")
        expectsHeader = false
    }

    mutating func row(_ row: CSVRow, line: Int, newlines: Int, into out: inout SightingOutput) -> RowVerdict {
        out.summary.recordsSeen += 1
        guard row.fieldCount == header.count else {
            out.reject(line: line, "row has \(row.fieldCount) fields, the header \(header.count)")
            return newlines > 1 ? .resync : .done
        }
        var status = 0  // 1 infected, 2 vulnerable
        _ = row.withValue(statusIndex, scratch: &scratch) { v in
            let t = v.trimmed
            if t.equalsIgnoringCase("infected") {
                status = 1
            } else if t.equalsIgnoringCase("vulnerable") {
                status = 2
            }
        }
        switch status {
        case 1: break
        case 2:
            out.summary.notInfected += 1
            return .done
        default:
            out.reject(line: line, "status: not infected or vulnerable")
            return .done
        }
        var problem: String?
        var address: IPAddress?
        _ = row.withValue(ipIndex, scratch: &scratch) { v in
            let t = v.trimmed
            if t.count == 0 {
                problem = "ip: empty"
            } else if let a = ByteParse.ip(t) {
                address = a
            } else {
                problem = "ip: not an IP address"
            }
        }
        guard let address, problem == nil else {
            out.reject(line: line, problem ?? "ip: empty")
            return .done
        }
        var port: UInt16?
        if let portIndex {
            _ = row.withValue(portIndex, scratch: &scratch) { v in
                let t = v.trimmed
                guard t.count > 0 else { return }
                if let p = ByteParse.port(t) { port = p } else { problem = "port: not a port number" }
            }
        }
        var time = 0.0
        _ = row.withValue(timeIndex, scratch: &scratch) { v in
            switch TimeText.iso(v.trimmed, zoneless: .refuse, strict: true) {
            case .success(let t): time = t
            case .failure(let e): problem = problem ?? "observed_at: " + e.reason(expected: "RFC 3339 with Z or ±HH:MM")
            }
        }
        var family: String?
        if let detailIndex {
            _ = row.withValue(detailIndex, scratch: &scratch) { v in
                switch families.normalise(v) {
                case .none: break
                case .name(let n): family = n
                case .tooLong: problem = problem ?? "detail: longer than \(FamilyNames.maximumLength) bytes"
                }
            }
        }
        if let problem {
            out.reject(line: line, problem)
            return .done
        }
        out.add(
            Sighting(
                source: address, sourcePort: port, time: Date(timeIntervalSince1970: time), kind: .thirdPartyReport,
                family: family, feed: Self.feedName, evidence: "\(file):\(line)"))
        return .done
    }
}

import Addressing
import Foundation
import TextScanning

/// Reads a Shadowserver report CSV into sightings, driven by a ``ShadowserverReport`` mapping.
///
/// The header row decides the report type (when not given: from the file name, else from the
/// header) and which columns are read. Per row: a row that means "not infected" is counted and
/// dropped without reading any field; an infected row yields one sighting from the time,
/// address, port and family columns only. A row with more fields than the header is rejected;
/// a shorter row reads its missing trailing fields as empty (as Python's `csv.DictReader`
/// does). Times are `YYYY-MM-DD HH:MM:SS` in UTC (Shadowserver's documented form; `T`, a
/// fraction, `Z` or an offset are accepted too).
struct ShadowserverParser: CSVRecordParser {
    private struct ResolvedRule {
        var index: Int
        var equals: [[UInt8]]
        var contains: [UInt8]?
        var infected: Bool
        var kind: Sighting.Kind?
        var family: String?
    }

    let file: String
    let mappings: ShadowserverMappings
    let givenType: String?
    private(set) var feedName = "shadowserver"
    private(set) var expectsHeader = true

    private var header: [String] = []
    private var reportInfected = false
    private var needsFields = false
    private var kind: Sighting.Kind = .thirdPartyReport
    private var rules: [ResolvedRule] = []
    private var timeIndex = 0
    private var ipIndex = 0
    private var portIndex: Int?
    private var familyIndices: [Int] = []
    private var timeName = ""
    private var ipName = ""
    private var portName = ""
    private var families = FamilyNames()
    private var scratch: [UInt8] = []
    private let evidence: EvidenceText

    init(file: String, mappings: ShadowserverMappings, report: String?) {
        self.file = file
        self.mappings = mappings
        self.givenType = report
        self.evidence = EvidenceText(file: file)
        if let report { feedName = "shadowserver:" + report }
    }

    func columnName(_ field: Int) -> String? {
        field >= 1 && field <= header.count ? header[field - 1] : nil
    }

    mutating func header(_ row: CSVRow, line: Int) throws(SightingError) {
        header = (0..<row.fields.count).map { row.string($0).trimmingSpaces.lowercased() }
        guard header.contains(where: { !$0.isEmpty }) else { throw .badHeader(file: file, reason: "empty header row") }
        let name: String
        if let givenType {
            name = givenType
        } else {
            switch mappings.reportType(fromFileName: file) {
            case .known(let n): name = n
            case .unknown(let t): throw .unknownReportType(file: file, type: t)
            case .none:
                guard let n = mappings.reportType(fromHeader: header) else {
                    throw .undetectableReportType(
                        file: file, reason: "file name has no report type and the header matches no single mapping")
                }
                name = n
            }
        }
        guard let report = mappings.report(named: name) else { throw .unknownReportType(file: file, type: name) }
        feedName = "shadowserver:" + name
        reportInfected = report.meaning == .infected
        kind = report.kind ?? .thirdPartyReport
        needsFields = report.canBeInfected
        if needsFields {
            (timeIndex, timeName) = try column(report.timeColumns, role: "time")
            (ipIndex, ipName) = try column(report.ipColumns, role: "source IP")
            if let (i, n) = try? column(report.portColumns, role: "source port") {
                portIndex = i
                portName = n
            }
            familyIndices = report.familyColumns.compactMap { header.firstIndex(of: $0.lowercased()) }
        }
        for rule in report.rules {
            guard let index = header.firstIndex(of: rule.column.lowercased()) else {
                throw .missingColumn(file: file, role: "rule", candidates: [rule.column])
            }
            rules.append(
                ResolvedRule(
                    index: index, equals: rule.equals.map { Array($0.lowercased().utf8) },
                    contains: rule.contains.map { Array($0.lowercased().utf8) }, infected: rule.meaning == .infected,
                    kind: rule.kind, family: rule.family?.lowercased()))
        }
        expectsHeader = false
    }

    private func column(_ candidates: [String], role: String) throws(SightingError) -> (Int, String) {
        for c in candidates {
            let lower = c.lowercased()
            if let i = header.firstIndex(of: lower) { return (i, lower) }
        }
        throw .missingColumn(file: file, role: role, candidates: candidates)
    }

    mutating func row(_ row: CSVRow, line: Int, newlines: Int, into out: inout SightingOutput) -> RowVerdict {
        out.summary.recordsSeen += 1
        guard row.fieldCount <= header.count else {
            out.reject(line: line, "row has \(row.fieldCount) fields, the header \(header.count)")
            return newlines > 1 ? .resync : .done
        }
        guard needsFields else {
            out.summary.notInfected += 1
            return .done
        }
        var infected = reportInfected
        var rowKind = kind
        var fixedFamily: String?
        for rule in rules {
            var matched = false
            _ = row.withValue(rule.index, scratch: &scratch) { v in
                let t = v.trimmed
                if let needle = rule.contains, t.containsIgnoringCase(needle) { matched = true }
                for e in rule.equals where t.count == e.count && t.containsIgnoringCase(e) { matched = true }
            }
            if matched {
                infected = rule.infected
                rowKind = rule.kind ?? kind
                fixedFamily = rule.family
                break
            }
        }
        guard infected else {
            out.summary.notInfected += 1
            return .done
        }

        // Time.
        var time = 0.0
        var problem: String?
        let timeResult = row.withValue(timeIndex, scratch: &scratch) { v in
            TimeText.iso(v.trimmed, zoneless: .utc, strict: false)
        }
        switch timeResult {
        case .success(let t): time = t
        case .failure(let e): problem = timeName + ": " + e.reason(expected: "YYYY-MM-DD HH:MM:SS")
        case nil: problem = timeName + ": missing"
        }
        if let problem {
            out.reject(line: line, problem)
            return .done
        }

        // Address.
        var address: IPAddress?
        let found: Void? = row.withValue(ipIndex, scratch: &scratch) { v in
            let t = v.trimmed
            if t.count == 0 {
                problem = ipName + ": empty"
            } else if let a = ByteParse.ip(t) {
                address = a
            } else {
                problem = ipName + ": not an IP address"
            }
        }
        if found == nil { problem = ipName + ": missing" }
        guard let address, problem == nil else {
            out.reject(line: line, problem ?? ipName + ": missing")
            return .done
        }

        // Port (optional).
        var port: UInt16?
        if let pi = portIndex {
            _ = row.withValue(pi, scratch: &scratch) { v in
                let t = v.trimmed
                guard t.count > 0 else { return }
                if let p = ByteParse.port(t) { port = p } else { problem = portName + ": not a port number" }
            }
        }
        if let problem {
            out.reject(line: line, problem)
            return .done
        }

        // Family (optional).
        var family = fixedFamily
        if family == nil {
            for fi in familyIndices {
                let outcome = row.withValue(fi, scratch: &scratch) { v in families.normalise(v) } ?? .none
                switch outcome {
                case .none: continue
                case .name(let n): family = n
                case .tooLong: problem = header[fi] + ": longer than \(FamilyNames.maximumLength) bytes"
                }
                break
            }
        }
        if let problem {
            out.reject(line: line, problem)
            return .done
        }

        out.add(
            Sighting(
                source: address, sourcePort: port, time: Date(timeIntervalSince1970: time), kind: rowKind,
                family: family, feed: feedName, evidence: evidence.at(line)))
        return .done
    }
}

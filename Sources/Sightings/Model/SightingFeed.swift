import Foundation
import TextScanning

/// The feeds Mamori reads sightings from.
///
/// ```swift
/// let feed = SightingFeed.detect(fileName: "cowrie.json.2018-05-06", firstBytes: head) // .cowrie
/// let summary = try SightingReader().stream(contentsOf: url, feed: feed) { batch in cases.apply(batch) }
/// ```
public enum SightingFeed: Sendable, Hashable {
    /// Cowrie JSON lines (`cowrie.json`): one sighting per session, from `cowrie.session.connect`.
    case cowrie
    /// Dionaea: its `log_json` lines, or sessions exported from an MHN MongoDB (`mongoexport`
    /// extended JSON). One sighting per inbound connection.
    case dionaea
    /// A Shadowserver report CSV. `report` is the report type (`event4_sinkhole_http`); nil
    /// detects it from the file name, then from the header (see ``ShadowserverMappings``).
    case shadowserver(report: String?)
    /// A seized C&C server's connection log in the given layout (`docs/formats/cnc-takedown.md`).
    case cncTakedown(CnCLogLayout)
    /// A NOTICE/NICTER-style IoT device report (`docs/formats/iot-report.md`).
    case iotReport

    /// The feed's name as in ``Sighting/feed`` (Shadowserver: `shadowserver` or
    /// `shadowserver:<type>` when the type is given).
    public var name: String {
        switch self {
        case .cowrie: "cowrie"
        case .dionaea: "dionaea"
        case .shadowserver(let report): report.map { "shadowserver:" + $0 } ?? "shadowserver"
        case .cncTakedown: CnCLogLayout.feedName
        case .iotReport: IoTReportParser.feedName
        }
    }

    /// The feed named `name` as on a command line: `cowrie`, `dionaea`, `shadowserver`
    /// (type detected), `shadowserver:<type>`, `iot-report`, `cnc-takedown` (the default CSV
    /// layout) or `cnc-takedown:json-lines` (the default JSON-lines layout); nil otherwise.
    /// Another C&C layout is given as a ``CnCLogLayout`` value, not by name.
    public init?(name: String) {
        switch name {
        case "cowrie": self = .cowrie
        case "dionaea": self = .dionaea
        case "shadowserver": self = .shadowserver(report: nil)
        case "iot-report": self = .iotReport
        case CnCLogLayout.feedName: self = .cncTakedown(.default)
        case CnCLogLayout.feedName + ":json-lines": self = .cncTakedown(.defaultJSONLines)
        default:
            guard name.hasPrefix("shadowserver:"), name.count > "shadowserver:".count else { return nil }
            self = .shadowserver(report: String(name.dropFirst("shadowserver:".count)))
        }
    }

    /// Guesses the feed from a file's name and first bytes (a few KiB are enough); nil when
    /// neither tells, and the caller should then name the feed rather than guess.
    ///
    /// - The name: `cowrie.json…` is Cowrie; `YYYY-MM-DD-<type>-….csv`, `event4_….csv`,
    ///   `event6_….csv` and the name of a report type in the bundled mappings are Shadowserver.
    /// - Else the first line: JSON with `"eventid"` and `"cowrie.` is Cowrie; JSON with
    ///   `"connection"` and `"src_ip"`, or `"$date"` and `"source_ip"` is Dionaea; a CSV header
    ///   with `ip`, `observed_at` and `status` is an IoT report; one with `timestamp` and `src_ip`
    ///   or `ip` is Shadowserver; a CSV header with the columns `ip,port,time,family` of
    ///   ``CnCLogLayout/default``, or a JSON line with its `ip` and `time` keys, is a C&C log in
    ///   that layout. A C&C log in another layout is never guessed.
    public static func detect(fileName: String, firstBytes: some Collection<UInt8>) -> SightingFeed? {
        let name = fileName.split(separator: "/").last.map(String.init) ?? fileName
        if name.hasPrefix("cowrie.json") || name.hasPrefix("cowrie-") && name.contains(".json") { return .cowrie }
        if ShadowserverNames.looksLikeReport(name) {
            return .shadowserver(report: nil)
        }
        var bytes = Array(firstBytes.prefix(8192))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let blank: Set<UInt8> = [ASCII.space, ASCII.tab, ASCII.cr, ASCII.newline]
        guard let firstNonSpace = bytes.firstIndex(where: { !blank.contains($0) }) else { return nil }
        let rest = bytes[firstNonSpace...]
        let lineEnd = rest.firstIndex(of: ASCII.newline) ?? rest.endIndex
        let firstLine = String(decoding: rest[..<lineEnd], as: UTF8.self)
        if firstLine.hasPrefix("{") {
            if firstLine.contains("\"eventid\"") && firstLine.contains("\"cowrie.") { return .cowrie }
            if firstLine.contains("\"connection\"") && firstLine.contains("\"src_ip\"") { return .dionaea }
            if firstLine.contains("\"$date\"") && firstLine.contains("\"source_ip\"") { return .dionaea }
            let layout = CnCLogLayout.defaultJSONLines
            if firstLine.contains("\"\(layout.ipColumn)\"") && firstLine.contains("\"\(layout.timeColumn)\"") {
                return .cncTakedown(layout)
            }
            return nil
        }
        let columns = Set(
            firstLine.split(separator: ",", omittingEmptySubsequences: false).map { column in
                column.trimmingCharacters(in: [" ", "\"", "\r", "\t"]).lowercased()
            })
        if columns.isSuperset(of: ["ip", "observed_at", "status"]) { return .iotReport }
        if columns.contains("timestamp") && (columns.contains("src_ip") || columns.contains("ip")) {
            return .shadowserver(report: nil)
        }
        let layout = CnCLogLayout.default
        let named = [layout.ipColumn, layout.portColumn, layout.timeColumn, layout.familyColumn].compactMap { $0 }
        if columns.isSuperset(of: named) { return .cncTakedown(layout) }
        return nil
    }
}

import Foundation

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

    /// Guesses the feed from a file's name and first bytes (a few KiB are enough); nil when
    /// neither tells, and the caller should then name the feed rather than guess.
    ///
    /// - The name: `cowrie.json…` is Cowrie; `YYYY-MM-DD-<type>-….csv`, `event4_….csv`,
    ///   `event6_….csv` and the name of a report type in the bundled mappings are Shadowserver.
    /// - Else the first line: JSON with `"eventid"` and `"cowrie.` is Cowrie; JSON with
    ///   `"connection"` and `"src_ip"`, or `"$date"` and `"source_ip"` is Dionaea; a CSV header
    ///   with `ip`, `observed_at` and `status` is an IoT report; one with `timestamp` and `src_ip`
    ///   or `ip` is Shadowserver; a CSV header or JSON line with the columns of
    ///   ``CnCLogLayout/default`` is a C&C log in that layout. A C&C log in another layout is
    ///   never guessed.
    public static func detect(fileName: String, firstBytes: some Collection<UInt8>) -> SightingFeed? {
        let name = fileName.split(separator: "/").last.map(String.init) ?? fileName
        if name.hasPrefix("cowrie.json") || name.hasPrefix("cowrie-") && name.contains(".json") { return .cowrie }
        if ShadowserverNames.looksLikeReport(name) {
            return .shadowserver(report: nil)
        }
        var bytes = Array(firstBytes.prefix(8192))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let firstNonSpace = bytes.firstIndex(where: { $0 != ASCII.space && $0 != ASCII.tab && $0 != ASCII.cr && $0 != ASCII.newline })
        else { return nil }
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
        if columns.contains(layout.ipColumn) && columns.contains(layout.timeColumn) { return .cncTakedown(layout) }
        return nil
    }
}

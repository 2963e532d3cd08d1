import Foundation
public import SiteWarning

/// How both stores keep a site-owner notice's machine-readable parts: one JSON text column.
public enum SiteReportRows {
    public static func encodeParts(_ parts: [SiteOwnerReport.Part]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(parts), as: UTF8.self)
    }

    public static func decodeParts(_ text: String) throws -> [SiteOwnerReport.Part] {
        try JSONDecoder().decode([SiteOwnerReport.Part].self, from: Data(text.utf8))
    }
}

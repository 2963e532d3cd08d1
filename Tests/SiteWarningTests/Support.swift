import DNS
import Foundation
import MamoriTesting
import SiteWarning
import Testing

/// The DNS corpus (`../shared/corpus/dns`), read in place.
enum DNSCorpus {
    static let directory = Corpus.file("dns")
    static let isPresent = FileManager.default.fileExists(atPath: directory.appendingPathComponent("pdns-basic.rpz").path)
    static var missingMessage: String { "the DNS corpus (dns/pdns-basic.rpz …) is missing: \(Corpus.missingMessage)" }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func text(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    /// The 1-based number of the first line of `name` containing `needle`.
    static func line(of needle: String, in name: String) throws -> Int? {
        try text(name).split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(needle) }.map { $0 + 1 }
    }

    /// The zones inside an Unbound replay file: (TEMPFILE_NAME, text between TEMPFILE_CONTENTS and TEMPFILE_END).
    static func unboundZones(_ name: String) throws -> [(zone: String, text: String)] {
        var zones: [(String, String)] = []
        var current: String?
        var body: [Substring] = []
        var inside = false
        for line in try text(name).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("TEMPFILE_NAME ") {
                current = String(line.dropFirst("TEMPFILE_NAME ".count)).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("TEMPFILE_CONTENTS") {
                inside = true
                body = []
            } else if line.hasPrefix("TEMPFILE_END") {
                inside = false
                zones.append((current ?? ".", body.joined(separator: "\n")))
            } else if inside {
                body.append(line)
            }
        }
        return zones
    }
}

func dnsName(_ text: String) -> DNSName {
    do { return try DNSName(text) } catch { fatalError("bad test name \(text)") }
}

extension Blocklist {
    /// The match for `text` by both entry points, which must agree.
    func matching(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> BlocklistMatch {
        let byName = match(dnsName(text))
        var bytes = Array(text.utf8)
        let byText = bytes.withUnsafeMutableBufferPointer { match(text: UnsafeBufferPointer($0)) }
        #expect(byName == byText, "match(DNSName) and match(text:) differ for \(text)", sourceLocation: sourceLocation)
        return byName
    }

    /// The listed name and action of the entry of `kind` matching `text`, or nil.
    func hit(_ text: String, _ kind: ListKind) -> (name: String, action: ListAction)? {
        let m = matching(text)
        let id: BlocklistEntryID? =
            switch kind {
            case .allow: m.allow
            case .cnc: m.cnc
            case .malwareSite: m.malwareSite
            }
        return id.map { (self.name(of: $0), action(of: $0)) }
    }
}

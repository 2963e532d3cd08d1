public import Foundation
import TextScanning

/// A CSV report carried by a report e-mail (Shadowserver sends them zipped).
public struct ReportAttachment: Sendable, Hashable {
    /// The CSV's file name (inside the zip, or the attachment's name).
    public var name: String
    /// The CSV bytes.
    public var bytes: [UInt8]

    /// Creates an attachment.
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// Takes the CSV reports out of a report e-mail: a MIME message (RFC 2045/2046) whose
/// attachments are `….csv` files or `….csv.zip` archives, as `autoreports@shadowserver.org`
/// sends them.
///
/// Only attachments are looked at; the message text is not read. Base64 and 7bit/8bit/binary
/// transfer encodings are understood; zip entries may be stored or deflated (CRC-checked).
///
/// ```swift
/// let mail = try Data(contentsOf: url)
/// for attachment in try ReportMail.csvAttachments(in: mail, file: url.lastPathComponent) {
///     let result = try SightingReader().parse(bytes: attachment.bytes, fileName: attachment.name)
/// }
/// ```
public enum ReportMail {
    /// The most bytes one CSV may decompress to, and all the CSVs of one zip together (entries
    /// of a zip may share their compressed data: a "zip bomb" of many entries).
    public static let maximumAttachmentSize = 1 << 30

    /// The CSV attachments of a mail, in order; `file` names the mail in errors.
    public static func csvAttachments(
        in mail: some Collection<UInt8>, file: String
    ) throws(SightingError)
        -> [ReportAttachment]
    {
        var out: [ReportAttachment] = []
        try collect(Array(mail)[...], file: file, depth: 0, into: &out)
        return out
    }

    // MARK: MIME

    private static func collect(
        _ entity: ArraySlice<UInt8>, file: String, depth: Int, into out: inout [ReportAttachment]
    )
        throws(SightingError)
    {
        guard depth < 8 else { throw .malformedMail(file: file, reason: "MIME nesting too deep") }
        let (headers, body) = split(entity)
        let contentType = headers["content-type"] ?? "text/plain"
        if contentType.lowercased().hasPrefix("multipart/") {
            guard let boundary = parameter("boundary", in: contentType), !boundary.isEmpty else {
                throw .malformedMail(file: file, reason: "multipart without boundary")
            }
            for part in parts(body, boundary: boundary) {
                try collect(part, file: file, depth: depth + 1, into: &out)
            }
            return
        }
        let name =
            headers["content-disposition"].flatMap { parameter("filename", in: $0) }
            ?? parameter("name", in: contentType)
        guard let name, !name.isEmpty else { return }  // not an attachment: the message text is not read
        let lower = name.lowercased()
        guard lower.hasSuffix(".csv") || lower.hasSuffix(".zip") else { return }
        let encoding = (headers["content-transfer-encoding"] ?? "7bit").lowercased().trimmingSpaces
        let bytes: [UInt8]
        if encoding == "base64" {
            guard let data = Data(base64Encoded: Data(body), options: .ignoreUnknownCharacters) else {
                throw .malformedMail(file: file, reason: "attachment \(name): bad base64")
            }
            bytes = Array(data)
        } else if ["7bit", "8bit", "binary"].contains(encoding) {
            bytes = Array(body)
        } else {
            throw .malformedMail(file: file, reason: "attachment \(name): transfer encoding \(encoding) not supported")
        }
        if lower.hasSuffix(".zip") {
            for entry in try ZipArchive.entries(bytes, file: file, attachment: name)
            where entry.name.lowercased().hasSuffix(".csv") {
                out.append(entry)
            }
        } else {
            out.append(ReportAttachment(name: name, bytes: bytes))
        }
    }

    /// Headers (lower-case names, unfolded) and the body after the first blank line.
    private static func split(_ entity: ArraySlice<UInt8>) -> ([String: String], ArraySlice<UInt8>) {
        var headers: [String: String] = [:]
        var lastName: String?
        var i = entity.startIndex
        while i < entity.endIndex {
            let end = entity[i...].firstIndex(of: ASCII.newline) ?? entity.endIndex
            var line = entity[i..<end]
            if line.last == ASCII.cr { line = line.dropLast() }
            i = end < entity.endIndex ? end + 1 : end
            if line.isEmpty { return (headers, entity[i...]) }
            let text = String(decoding: line, as: UTF8.self)
            if let first = line.first, first == ASCII.space || first == ASCII.tab, let name = lastName {
                headers[name, default: ""] += " " + text.trimmingSpaces
            } else if let colon = text.firstIndex(of: ":") {
                let name = text[..<colon].lowercased()
                headers[name] = String(text[text.index(after: colon)...]).trimmingSpaces
                lastName = name
            }
        }
        return (headers, entity[entity.endIndex...])
    }

    /// A parameter of a header value (`name="x.zip"`, `boundary=abc`).
    private static func parameter(_ key: String, in value: String) -> String? {
        for piece in value.split(separator: ";").dropFirst() {
            let p = String(piece).trimmingSpaces
            guard let eq = p.firstIndex(of: "="), String(p[..<eq]).trimmingSpaces.lowercased() == key else { continue }
            var v = String(p[p.index(after: eq)...]).trimmingSpaces
            if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") { v = String(v.dropFirst().dropLast()) }
            return v
        }
        return nil
    }

    /// The body parts between `--boundary` lines.
    private static func parts(_ body: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>] {
        let marker = Array(("--" + boundary).utf8)
        var result: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var i = body.startIndex
        while i < body.endIndex {
            let end = body[i...].firstIndex(of: ASCII.newline) ?? body.endIndex
            var line = body[i..<end]
            if line.last == ASCII.cr { line = line.dropLast() }
            if line.starts(with: marker) {
                if let s = partStart {
                    // The line break before the delimiter belongs to the delimiter.
                    var e = i
                    if e > s, body[e - 1] == ASCII.newline { e -= 1 }
                    if e > s, body[e - 1] == ASCII.cr { e -= 1 }
                    result.append(body[s..<e])
                }
                let rest = line.dropFirst(marker.count)
                if rest.starts(with: [ASCII.minus, ASCII.minus]) { return result }
                partStart = end < body.endIndex ? end + 1 : end
            }
            i = end < body.endIndex ? end + 1 : end
        }
        return result
    }
}

/// Reads the entries of a zip archive (PKWARE APPNOTE: central directory, stored or deflated).
enum ZipArchive {
    /// The entries of `zip`; all of them together may not decompress to more than `limit` bytes.
    static func entries(
        _ zip: [UInt8], file: String, attachment: String, limit: Int = ReportMail.maximumAttachmentSize
    ) throws(SightingError) -> [ReportAttachment] {
        func fail(_ reason: String) -> SightingError { .malformedMail(file: file, reason: "attachment \(attachment): \(reason)") }
        func u16(_ i: Int) -> Int? { i >= 0 && i + 2 <= zip.count ? Int(zip[i]) | Int(zip[i + 1]) << 8 : nil }
        func u32(_ i: Int) -> Int? {
            guard let lo = u16(i), let hi = u16(i + 2) else { return nil }
            return lo | hi << 16
        }
        // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes.
        var eocd: Int?
        var i = zip.count - 22
        while i >= max(0, zip.count - 22 - 65_535) {
            if u32(i) == 0x0605_4B50 {
                eocd = i
                break
            }
            i -= 1
        }
        guard let e = eocd, let count = u16(e + 10), let dirOffset = u32(e + 16) else { throw fail("not a zip archive") }
        var entries: [ReportAttachment] = []
        var budget = limit
        var p = dirOffset
        for _ in 0..<count {
            guard u32(p) == 0x0201_4B50, let flags = u16(p + 8), let method = u16(p + 10), let crc = u32(p + 16),
                let compressed = u32(p + 20), let size = u32(p + 24), let nameLength = u16(p + 28),
                let extraLength = u16(p + 30), let commentLength = u16(p + 32), let local = u32(p + 42),
                p + 46 + nameLength <= zip.count
            else { throw fail("damaged central directory") }
            let name = String(decoding: zip[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            p += 46 + nameLength + extraLength + commentLength
            guard flags & 1 == 0 else { throw fail("encrypted entry") }
            guard !name.hasSuffix("/") else { continue }
            guard size <= budget else { throw fail("entries larger than the limit") }
            guard u32(local) == 0x0403_4B50, let localName = u16(local + 26), let localExtra = u16(local + 28) else {
                throw fail("damaged local header")
            }
            let dataStart = local + 30 + localName + localExtra
            guard dataStart + compressed <= zip.count else { throw fail("entry runs past the end") }
            let data = Array(zip[dataStart..<(dataStart + compressed)])
            let bytes: [UInt8]
            switch method {
            case 0: bytes = data
            case 8:
                do {
                    bytes = try Inflater.inflate(data, expectedSize: size, limit: size)
                } catch {
                    throw fail("damaged deflate data")
                }
            default: throw fail("compression method \(method) not supported")
            }
            guard bytes.count == size, CRC32.checksum(bytes) == UInt32(truncatingIfNeeded: crc) else {
                throw fail("entry \(name): size or CRC mismatch")
            }
            budget -= size
            entries.append(ReportAttachment(name: SightingReader.displayName(name), bytes: bytes))
        }
        return entries
    }
}

extension SightingReader {
    /// Parses every CSV report attached to a report e-mail (see ``ReportMail``); the feed of
    /// each is detected from its name and header (Shadowserver, or an IoT report).
    public func parse(mail url: URL) throws(SightingError) -> [SightingParseResult] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(file: url.lastPathComponent, reason: "cannot read")
        }
        var results: [SightingParseResult] = []
        for attachment in try ReportMail.csvAttachments(in: data, file: url.lastPathComponent) {
            results.append(try parse(bytes: attachment.bytes, fileName: attachment.name))
        }
        return results
    }
}

extension ReportMail {
    /// The entries of a zip archive, as for a `….zip` attachment. For the fuzz targets (`Fuzz/`),
    /// which reach the zip reader without wrapping the archive in a MIME message and base64.
    @_spi(Fuzzing) public static func zipEntries(_ zip: [UInt8]) throws(SightingError) -> [ReportAttachment] {
        try ZipArchive.entries(zip, file: "fuzz.eml", attachment: "fuzz.zip")
    }
}

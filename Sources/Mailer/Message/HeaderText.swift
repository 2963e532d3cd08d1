/// RFC 5322 / RFC 2047 header building blocks: encoded-words, phrases, folding.
enum HeaderText {
    /// The folding target: lines of at most 76 characters, so encoded-words stay within
    /// RFC 2047's limit and every line within RFC 5322's 78.
    static let foldColumn = 76
    /// RFC 5322 §2.1.1: a line is at most 998 characters without its CRLF.
    static let hardLineLimit = 998

    /// CR, LF, NUL and every other C0/C1 control except HTAB are refused in header values.
    static func isForbiddenControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x00...0x1F, 0x7F, 0x80...0x9F, 0x2028, 0x2029: return true
        default: return false
        }
    }

    static func isPlainASCII(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F || $0 == 0x09 }
    }

    // MARK: - RFC 2047 encoded-words

    private static let prefix = "=?UTF-8?B?"
    private static let suffix = "?="

    /// `text` as a sequence of `=?UTF-8?B?…?=` words separated by single spaces. The first word
    /// is at most `firstWidth` characters long, the others at most `width` (RFC 2047: 75). Words
    /// split only between characters (grapheme clusters where they fit, else Unicode scalars), so
    /// each decodes to whole characters on its own.
    static func encodedWords(_ text: String, firstWidth: Int, width: Int = 75) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        func capacity() -> Int {
            let w = words.isEmpty ? firstWidth : width
            return max(1, (w - prefix.utf8.count - suffix.utf8.count) / 4) * 3
        }
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append(prefix + Base64.encode(chunk) + suffix)
            chunk.removeAll(keepingCapacity: true)
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > capacity() { flush() }
            if bytes.count <= capacity() {
                chunk.append(contentsOf: bytes)
                continue
            }
            // A grapheme cluster too long for a whole word: split it between its scalars.
            for scalar in character.unicodeScalars {
                let scalarBytes = Array(String(scalar).utf8)
                if chunk.count + scalarBytes.count > capacity() { flush() }
                chunk.append(contentsOf: scalarBytes)
            }
        }
        flush()
        return words.joined(separator: " ")
    }

    /// Whether an ASCII value would be misread by an RFC 2047 decoder.
    static func looksEncoded(_ text: some StringProtocol) -> Bool {
        text.contains("=?")
    }

    /// An unstructured header value (`Subject`, extra headers): as is when it is plain ASCII,
    /// else encoded-words. `nameWidth` is the length of `Name: `.
    static func unstructured(_ value: String, nameWidth: Int) -> String {
        if isPlainASCII(value), !looksEncoded(value) { return value }
        return encodedWords(value, firstWidth: foldColumn - nameWidth)
    }

    /// A display name as an RFC 5322 phrase: atoms, a quoted string, or encoded-words.
    static func phrase(_ name: String) -> String {
        if isPlainASCII(name), !looksEncoded(name) {
            let isAtomText = name.utf8.allSatisfy { EmailAddress.isAtext($0) || $0 == UInt8(ascii: " ") }
            if isAtomText, name.first != " ", name.last != " ", !name.contains("  ") { return name }
            var quoted = "\""
            for character in name {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            return quoted + "\""
        }
        // The first word leaves room for `From: ` or `To: ` on the first line.
        return encodedWords(name, firstWidth: 64)
    }

    // MARK: - Folding

    /// `Name: value` folded at its spaces into lines of at most 76 characters where the value
    /// allows, joined by CRLF (the space stays at the start of the continuation line, so
    /// unfolding restores the value exactly). The result has no trailing CRLF.
    static func fold(name: String, value: String) throws -> String {
        var remaining = Substring(name + ": " + value)
        var lines: [Substring] = []
        let minimumBreak = name.count + 2
        while remaining.count > foldColumn {
            let characters = Array(remaining.indices)
            var breakAt: String.Index?
            // The last space at a column ≤ 76 (not inside the `Name: ` prefix of the first line).
            let floor = lines.isEmpty ? minimumBreak : 1
            var column = min(foldColumn, characters.count - 1)
            while column >= floor {
                if remaining[characters[column]] == " " {
                    breakAt = characters[column]
                    break
                }
                column -= 1
            }
            if breakAt == nil {
                // No space early enough: break at the first space after the limit.
                breakAt = remaining[characters[min(foldColumn, characters.count - 1)]...].firstIndex(of: " ")
            }
            guard let split = breakAt, split != remaining.startIndex else { break }
            lines.append(remaining[..<split])
            remaining = remaining[split...]
        }
        lines.append(remaining)
        guard lines.allSatisfy({ $0.utf8.count <= hardLineLimit }) else {
            throw MailMessageError.headerLineTooLong(header: name)
        }
        return lines.joined(separator: "\r\n")
    }
}

/// Base64 (RFC 4648) without line breaks, and MIME bodies in lines of 76.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: encodeBytes(bytes), as: UTF8.self)
    }

    static func encodeBytes(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = iterator.next()
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            output.append(b1.map { alphabet[Int(($0 & 0x0F) << 2 | (b2 ?? 0) >> 6)] } ?? UInt8(ascii: "="))
            output.append(b2.map { alphabet[Int($0 & 0x3F)] } ?? UInt8(ascii: "="))
        }
        return output
    }

    /// A MIME `base64` body: lines of 76 characters, each ended by CRLF.
    static func mimeBody(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let encoded = encodeBytes(bytes)
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count + encoded.count / 38 + 2)
        var start = 0
        while start < encoded.count {
            let end = min(start + 76, encoded.count)
            output.append(contentsOf: encoded[start..<end])
            output.append(contentsOf: [0x0D, 0x0A])
            start = end
        }
        return output
    }
}

/// Syslog messages (RFC 3164 and RFC 5424) as Postfix log lines, and the TCP framings of
/// RFC 6587 (octet counting, and LF-delimited "non-transparent framing").
///
/// ```swift
/// try Syslog.logLine("<22>Nov 24 03:20:23 mx postfix/smtpd[7]: warning: …")
/// // "Nov 24 03:20:23 mx postfix/smtpd[7]: warning: …"
/// try Syslog.logLine("<22>1 2026-12-04T16:40:00.5+09:00 mx postfix/smtpd 7 - - warning: …")
/// // "2026-12-04T16:40:00.5+09:00 mx postfix/smtpd[7]: warning: …"
/// ```
public enum Syslog {
    /// The longest message kept (RFC 5424 receivers must take 480 bytes and should take 2048).
    public static let maximumMessage = 16_384

    /// The message as the log line ``PostfixLogParser`` reads: an RFC 3164 message without its
    /// `<PRI>`, or an RFC 5424 message rewritten `TIMESTAMP HOST APP[PROCID]: MSG` (structured
    /// data dropped). Throws, naming the problem only, when there is no `<PRI>`.
    public static func logLine(_ message: Substring) throws(MailGuardError) -> String {
        var text = message
        while let last = text.last, last == "\n" || last == "\r" || last == "\0" { text = text.dropLast() }
        guard text.first == "<", let close = text.firstIndex(of: ">"), text.distance(from: text.startIndex, to: close) <= 4,
            text[text.index(after: text.startIndex)..<close].allSatisfy({ $0.isASCII && $0.isNumber }), close > text.index(after: text.startIndex)
        else { throw .malformedSyslogMessage(reason: "no <PRI> at the start") }
        let body = text[text.index(after: close)...]
        // RFC 5424: VERSION (1) and a space right after the PRI.
        guard body.hasPrefix("1 ") else { return String(body) }
        var fields = body.dropFirst(2)
        func field() -> Substring? {
            guard let space = fields.firstIndex(of: " ") else { return nil }
            defer { fields = fields[fields.index(after: space)...] }
            return fields[..<space]
        }
        guard let timestamp = field(), let host = field(), let app = field(), let procID = field(), field() != nil else {
            throw .malformedSyslogMessage(reason: "RFC 5424 header incomplete")
        }
        // STRUCTURED-DATA: `-` or one or more `[…]` (quoted values may hold `]` escaped as `\]`).
        var rest = fields
        if rest.hasPrefix("-") {
            rest = rest.dropFirst()
        } else {
            while rest.first == "[" {
                var index = rest.index(after: rest.startIndex)
                var quoted = false
                var closed = false
                while index < rest.endIndex {
                    let c = rest[index]
                    if c == "\\" {
                        index = rest.index(after: index)
                        if index < rest.endIndex { index = rest.index(after: index) }
                        continue
                    }
                    if c == "\"" { quoted.toggle() }
                    index = rest.index(after: index)
                    if c == "]", !quoted {
                        closed = true
                        break
                    }
                }
                guard closed else { throw .malformedSyslogMessage(reason: "RFC 5424 structured data not closed") }
                rest = rest[index...]
            }
        }
        if rest.first == " " { rest = rest.dropFirst() }
        if rest.hasPrefix("\u{FEFF}") { rest = rest.dropFirst() }
        let tag = procID == "-" ? "\(app):" : "\(app)[\(procID)]:"
        return "\(timestamp) \(host) \(tag) \(rest)"
    }

    /// One message framed at the start of `bytes` (RFC 6587): `LEN SP MSG` when it starts with a
    /// digit, else up to a LF. Returns nil when more bytes are needed; throws on a bad or
    /// oversized frame.
    public static func frame(in bytes: some Collection<UInt8>) throws(MailGuardError) -> (message: Range<Int>, end: Int)? {
        let array = Array(bytes.prefix(maximumMessage + 8))
        guard let first = array.first else { return nil }
        if first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") {
            var length = 0
            var index = 0
            while index < array.count, array[index] >= UInt8(ascii: "0"), array[index] <= UInt8(ascii: "9") {
                length = length * 10 + Int(array[index] - UInt8(ascii: "0"))
                index += 1
                guard length <= maximumMessage else { throw .malformedSyslogMessage(reason: "frame over \(maximumMessage) bytes") }
            }
            guard index < array.count else { return nil }
            guard array[index] == UInt8(ascii: " "), length > 0 else { throw .malformedSyslogMessage(reason: "bad octet count") }
            let start = index + 1
            guard array.count >= start + length else { return nil }
            return (start..<(start + length), start + length)
        }
        guard let newline = array.firstIndex(of: 0x0A) else {
            if array.count > maximumMessage { throw .malformedSyslogMessage(reason: "line over \(maximumMessage) bytes") }
            return nil
        }
        return (0..<newline, newline + 1)
    }
}

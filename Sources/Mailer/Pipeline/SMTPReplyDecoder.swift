import NIOCore

/// The server broke the SMTP protocol (a malformed or oversized reply, data injected after the
/// `STARTTLS` reply). Internal: the client turns it into ``SMTPError/protocolViolation(peer:stage:reason:)``.
struct SMTPProtocolViolation: Error, Hashable {
    let reason: String
}

/// No reply arrived within the configured reply timeout. Internal: becomes ``SMTPError/timeout(peer:stage:)``.
struct SMTPReplyTimeout: Error, Hashable {}

/// Decodes bytes from the server into ``SMTPReply`` values, one per complete (possibly
/// multi-line) reply: `250-first`, `250-second`, `250 last`.
///
/// Lines end in CRLF (a bare LF is tolerated). Every line of a reply must carry the same code.
/// A line longer than ``maximumLineLength`` or a reply of more than ``maximumLines`` lines is a
/// protocol violation, so a hostile server cannot make the client buffer without bound.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    /// RFC 5321 allows 512 octets per reply line; real servers stay far below this.
    static let maximumLineLength = 4096
    static let maximumLines = 256

    private var pendingCode: Int?
    private var pendingLines: [String] = []

    init() {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        while true {
            switch try Self.nextLine(from: &buffer, code: &pendingCode, lines: &pendingLines) {
            case .incomplete:
                return .needMoreData
            case .continuation:
                continue
            case .reply(let reply):
                context.fireChannelRead(Self.wrapInboundOut(reply))
                return .continue
            }
        }
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // An incomplete reply at end of stream is dropped: the client sees the connection close.
        return .needMoreData
    }

    enum LineResult {
        /// No complete line in the buffer yet.
        case incomplete
        /// A `250-…` line was consumed; the reply goes on.
        case continuation
        /// The final line of a reply was consumed.
        case reply(SMTPReply)
    }

    /// Consumes at most one line from `buffer`.
    static func nextLine(
        from buffer: inout ByteBuffer, code pendingCode: inout Int?, lines: inout [String]
    ) throws
        -> LineResult
    {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: 0x0A) else {
            if buffer.readableBytes > maximumLineLength {
                throw SMTPProtocolViolation(reason: "a reply line is longer than \(maximumLineLength) bytes")
            }
            return .incomplete
        }
        let length = newline - view.startIndex
        guard length <= maximumLineLength else {
            throw SMTPProtocolViolation(reason: "a reply line is longer than \(maximumLineLength) bytes")
        }
        var line = buffer.readBytes(length: length + 1) ?? []
        line.removeLast()  // LF
        if line.last == 0x0D { line.removeLast() }

        guard line.count >= 3,
            (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0]),
            line[1...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw SMTPProtocolViolation(reason: "a reply line does not start with a reply code")
        }
        let code = Int(line[0] - 0x30) * 100 + Int(line[1] - 0x30) * 10 + Int(line[2] - 0x30)
        let isFinal: Bool
        if line.count == 3 {
            isFinal = true
        } else if line[3] == UInt8(ascii: " ") {
            isFinal = true
        } else if line[3] == UInt8(ascii: "-") {
            isFinal = false
        } else {
            throw SMTPProtocolViolation(reason: "a reply line has no '-' or ' ' after its code")
        }
        if let pendingCode, pendingCode != code {
            throw SMTPProtocolViolation(reason: "the lines of a multi-line reply carry different codes")
        }
        let text = line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : ""
        lines.append(text)
        guard lines.count <= maximumLines else {
            throw SMTPProtocolViolation(reason: "a reply has more than \(maximumLines) lines")
        }
        if isFinal {
            let reply = SMTPReply(code: code, lines: lines)
            pendingCode = nil
            lines = []
            return .reply(reply)
        }
        pendingCode = code
        return .continuation
    }
}

import NIOCore

/// A command the client sends. The ``SMTPCommandEncoder`` writes it on the wire; ``logName``
/// is what may be logged (never a credential, an address or the message).
enum SMTPCommand: Sendable, Hashable {
    case ehlo(String)
    case helo(String)
    case startTLS
    /// `AUTH <mechanism> [initial-response]`; the initial response is a credential.
    case auth(mechanism: String, initialResponse: String?)
    /// A base64 line answering a `334` challenge; a credential.
    case authResponse(String)
    case mailFrom(String, size: Int?)
    case rcptTo(String)
    case data
    /// The message after `354`: dot-stuffed and terminated by the encoder.
    case messageData([UInt8])
    case rset
    case quit

    /// The command's verb, safe for a log line.
    var logName: String {
        switch self {
        case .ehlo: "EHLO"
        case .helo: "HELO"
        case .startTLS: "STARTTLS"
        case .auth(let mechanism, _): "AUTH \(mechanism)"
        case .authResponse: "AUTH response"
        case .mailFrom: "MAIL FROM"
        case .rcptTo: "RCPT TO"
        case .data: "DATA"
        case .messageData: "message data"
        case .rset: "RSET"
        case .quit: "QUIT"
        }
    }

    func write(into buffer: inout ByteBuffer) {
        switch self {
        case .ehlo(let name): buffer.writeString("EHLO \(name)\r\n")
        case .helo(let name): buffer.writeString("HELO \(name)\r\n")
        case .startTLS: buffer.writeString("STARTTLS\r\n")
        case .auth(let mechanism, let initial?): buffer.writeString("AUTH \(mechanism) \(initial)\r\n")
        case .auth(let mechanism, nil): buffer.writeString("AUTH \(mechanism)\r\n")
        case .authResponse(let line): buffer.writeString("\(line)\r\n")
        case .mailFrom(let address, let size?): buffer.writeString("MAIL FROM:<\(address)> SIZE=\(size)\r\n")
        case .mailFrom(let address, nil): buffer.writeString("MAIL FROM:<\(address)>\r\n")
        case .rcptTo(let address): buffer.writeString("RCPT TO:<\(address)>\r\n")
        case .data: buffer.writeString("DATA\r\n")
        case .messageData(let bytes): buffer.writeBytes(SMTPDataEncoding.encode(bytes))
        case .rset: buffer.writeString("RSET\r\n")
        case .quit: buffer.writeString("QUIT\r\n")
        }
    }
}

/// Writes ``SMTPCommand`` values as bytes.
struct SMTPCommandEncoder: MessageToByteEncoder {
    typealias OutboundIn = SMTPCommand

    func encode(data: SMTPCommand, out: inout ByteBuffer) throws {
        data.write(into: &out)
    }
}

/// The `DATA` payload transformation of RFC 5321 §4.5.2.
enum SMTPDataEncoding {
    /// `message` made safe for the `DATA` phase: every line break becomes CRLF (a bare CR or LF
    /// would let a receiver see a different end of data than we mean: "SMTP smuggling"), a line
    /// that starts with `.` gets a second `.`, the last line is ended by CRLF, and `.` CRLF
    /// terminates the data.
    static func encode(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + message.count / 64 + 5)
        var atLineStart = true
        var index = message.startIndex
        while index < message.endIndex {
            let byte = message[index]
            switch byte {
            case 0x0D:
                output.append(contentsOf: [0x0D, 0x0A])
                atLineStart = true
                if message.index(after: index) < message.endIndex, message[message.index(after: index)] == 0x0A {
                    index = message.index(after: index)
                }
            case 0x0A:
                output.append(contentsOf: [0x0D, 0x0A])
                atLineStart = true
            default:
                if atLineStart, byte == UInt8(ascii: ".") { output.append(byte) }
                output.append(byte)
                atLineStart = false
            }
            index = message.index(after: index)
        }
        if !atLineStart { output.append(contentsOf: [0x0D, 0x0A]) }
        output.append(contentsOf: [UInt8(ascii: "."), 0x0D, 0x0A])
        return output
    }
}

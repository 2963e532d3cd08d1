/// Why a DNS message could not be read: the field and the byte offset in the message, so a log
/// line names the place (the listener adds the peer).
public enum DNSWireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message ends inside `field`, which starts at `offset`.
    case truncated(field: String, offset: Int)
    /// A compression pointer at `offset` points at or after itself, or outside the message.
    case badPointer(offset: Int, target: Int)
    /// A name at `offset` uses the reserved label types (0x40, 0x80).
    case badLabelType(offset: Int, byte: UInt8)
    /// A name at `offset` is longer than 255 octets once decompressed.
    case nameTooLong(offset: Int)
    /// An RDATA at `offset` is not what its type says (`reason`).
    case badRData(type: UInt16, offset: Int, reason: String)
    /// More than one OPT record, or one outside the additional section or not at the root.
    case badOPT(offset: Int, reason: String)
    /// Bytes after the last record.
    case trailingBytes(offset: Int, count: Int)
    /// A name built from text or labels is not a valid name.
    case invalidName(String)
    /// The message does not fit `limit` even without any record (encoding).
    case tooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .truncated(let field, let offset): "offset \(offset): message ends inside the \(field)"
        case .badPointer(let offset, let target): "offset \(offset): compression pointer to \(target) (not strictly before it)"
        case .badLabelType(let offset, let byte): "offset \(offset): reserved label type 0x\(String(byte, radix: 16))"
        case .nameTooLong(let offset): "offset \(offset): name longer than 255 octets"
        case .badRData(let type, let offset, let reason): "offset \(offset): RDATA of type \(type): \(reason)"
        case .badOPT(let offset, let reason): "offset \(offset): OPT record: \(reason)"
        case .trailingBytes(let offset, let count): "offset \(offset): \(count) bytes after the last record"
        case .invalidName(let reason): "invalid name: \(reason)"
        case .tooLarge(let size, let limit): "message of \(size) bytes does not fit \(limit)"
        }
    }
}

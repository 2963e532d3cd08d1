public import NIOCore

/// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each message is preceded by its length, two octets
/// big-endian. Emits each message's bytes as a `ByteBuffer`, across any split of the stream.
public struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// A frame that cannot hold a DNS header (under 12 bytes, e.g. length 0).
    public struct FrameTooShort: Error, Equatable, CustomStringConvertible {
        public var length: Int
        public var description: String { "TCP frame of \(length) bytes: shorter than a DNS header (12)" }
    }

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) else { return .needMoreData }
        guard length >= 12 else { throw FrameTooShort(length: Int(length)) }
        guard buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is dropped: the peer closed mid-message.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Prefixes each outbound message with its two-octet length (messages over 65,535 bytes are refused).
public struct DNSTCPFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    public struct FrameTooLong: Error, Equatable {
        public var length: Int
    }

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        guard data.readableBytes <= Int(UInt16.max) else { throw FrameTooLong(length: data.readableBytes) }
        out.writeInteger(UInt16(data.readableBytes))
        var data = data
        out.writeBuffer(&data)
    }
}

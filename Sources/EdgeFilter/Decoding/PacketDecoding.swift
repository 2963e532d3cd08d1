import Addressing

/// Where the source address of a packet or record lies in the input, not read: only the darknet
/// view, which may know it (the sensor is the party), turns it into an address.
struct SourceReference {
    /// Byte offset of the address, or -1 when the input has none.
    var offset: Int
    var family: IPAddress.Family
}

/// The fields every view may draw from, without the source.
struct DecodedFields {
    var destination: IPAddress
    var destinationPort: UInt16
    var transport: UInt8
    var direction: FlowDirection
    var bytes: UInt64
    var packets: UInt64
    var time: Int64
}

/// A view a decoder can produce: built from the common fields and, only if the view has one,
/// the source read at its reference.
protocol EdgeViewMaking {
    static func make(_ fields: DecodedFields, source: SourceReference, in buffer: UnsafeRawBufferPointer) -> Self?
}

extension AmplificationView: EdgeViewMaking {
    /// Ignores `source` by construction: the reference is an offset, never read here.
    static func make(_ fields: DecodedFields, source: SourceReference, in buffer: UnsafeRawBufferPointer) -> AmplificationView? {
        AmplificationView(
            destination: fields.destination, destinationPort: fields.destinationPort, transport: fields.transport,
            direction: fields.direction, bytes: fields.bytes, packets: fields.packets, time: fields.time)
    }
}

extension DarknetView: EdgeViewMaking {
    static func make(_ fields: DecodedFields, source: SourceReference, in buffer: UnsafeRawBufferPointer) -> DarknetView? {
        guard source.offset >= 0 else { return nil }
        let address: IPAddress
        if source.family == .v4 {
            guard source.offset + 4 <= buffer.count else { return nil }
            address = IPAddress(v4: buffer.u32(source.offset))
        } else {
            guard source.offset + 16 <= buffer.count else { return nil }
            address = IPAddress(v6: buffer.u128(source.offset))
        }
        return DarknetView(
            source: address, destination: fields.destination, destinationPort: fields.destinationPort, transport: fields.transport,
            packets: fields.packets, time: fields.time)
    }
}

/// The outcome of decoding one captured frame.
enum FrameOutcome {
    case fields(DecodedFields, SourceReference)
    case notIP
    case bad(BadReason)
}

/// Link-layer types of pcap and pcapng (tcpdump.org LINKTYPE_*).
enum LinkType {
    static let null: UInt32 = 0
    static let ethernet: UInt32 = 1
    static let raw: UInt32 = 101
    static let rawAlt12: UInt32 = 12
    static let rawAlt14: UInt32 = 14
    static let linuxSLL: UInt32 = 113
    static let linuxSLL2: UInt32 = 276
    static let ipv4: UInt32 = 228
    static let ipv6: UInt32 = 229

    static func isSupported(_ type: UInt32) -> Bool {
        [null, ethernet, raw, rawAlt12, rawAlt14, linuxSLL, linuxSLL2, ipv4, ipv6].contains(type)
    }
}

enum PacketDecoding {
    /// Decodes the frame `buffer[start..<end]` of `linkType` down to the transport ports.
    @inline(__always)
    static func frame(_ buffer: UnsafeRawBufferPointer, start: Int, end: Int, linkType: UInt32, time: Int64) -> FrameOutcome {
        var offset = start
        var etherType: UInt16
        switch linkType {
        case LinkType.ethernet:
            guard end - offset >= 14 else { return .bad(.truncatedRecord) }
            etherType = buffer.u16(offset + 12)
            offset += 14
            // 802.1Q / 802.1ad / QinQ tags.
            while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
                guard end - offset >= 4 else { return .bad(.truncatedRecord) }
                etherType = buffer.u16(offset + 2)
                offset += 4
            }
        case LinkType.linuxSLL:
            guard end - offset >= 16 else { return .bad(.truncatedRecord) }
            etherType = buffer.u16(offset + 14)
            offset += 16
        case LinkType.linuxSLL2:
            guard end - offset >= 20 else { return .bad(.truncatedRecord) }
            etherType = buffer.u16(offset)
            offset += 20
        case LinkType.null:
            guard end - offset >= 4 else { return .bad(.truncatedRecord) }
            // The address family in the capturing host's byte order: 2 is AF_INET, 24/28/30 AF_INET6.
            let family = max(buffer.u32(offset), buffer.u32(offset, littleEndian: true))
            offset += 4
            switch family {
            case 2: etherType = 0x0800
            case 24, 28, 30: etherType = 0x86DD
            default: return .notIP
            }
        case LinkType.raw, LinkType.rawAlt12, LinkType.rawAlt14, LinkType.ipv4, LinkType.ipv6:
            guard end > offset else { return .bad(.truncatedIPHeader) }
            etherType = buffer.u8(offset) >> 4 == 6 ? 0x86DD : 0x0800
        default:
            return .bad(.unsupportedLinkType)
        }
        switch etherType {
        case 0x0800: return ipv4(buffer, offset: offset, end: end, time: time)
        case 0x86DD: return ipv6(buffer, offset: offset, end: end, time: time)
        default: return .notIP
        }
    }

    @inline(__always)
    static func ipv4(_ buffer: UnsafeRawBufferPointer, offset: Int, end: Int, time: Int64) -> FrameOutcome {
        guard end - offset >= 20 else { return .bad(.truncatedIPHeader) }
        let versionIHL = buffer.u8(offset)
        let headerLength = Int(versionIHL & 0x0F) * 4
        guard versionIHL >> 4 == 4, headerLength >= 20 else { return .bad(.badIPHeader) }
        guard end - offset >= headerLength else { return .bad(.truncatedIPHeader) }
        let totalLength = Int(buffer.u16(offset + 2))
        guard totalLength >= headerLength else { return .bad(.badIPHeader) }
        let fragmentOffset = buffer.u16(offset + 6) & 0x1FFF
        let transport = buffer.u8(offset + 9)
        let destination = IPAddress(v4: buffer.u32(offset + 16))
        var port: UInt16 = 0
        let transportStart = offset + headerLength
        if fragmentOffset == 0, transport == 6 || transport == 17 {
            guard end - transportStart >= 4 else { return .bad(.truncatedTransportHeader) }
            port = buffer.u16(transportStart + 2)
        }
        return .fields(
            DecodedFields(
                destination: destination, destinationPort: port, transport: transport, direction: .unknown,
                bytes: UInt64(totalLength), packets: 1, time: time),
            SourceReference(offset: offset + 12, family: .v4))
    }

    @inline(__always)
    static func ipv6(_ buffer: UnsafeRawBufferPointer, offset: Int, end: Int, time: Int64) -> FrameOutcome {
        guard end - offset >= 40 else { return .bad(.truncatedIPHeader) }
        guard buffer.u8(offset) >> 4 == 6 else { return .bad(.badIPHeader) }
        let payloadLength = Int(buffer.u16(offset + 4))
        var next = buffer.u8(offset + 6)
        let destination = IPAddress(v6: buffer.u128(offset + 24))
        var cursor = offset + 40
        var firstFragment = true
        // Extension headers: hop-by-hop, routing, destination options, fragment, AH.
        var hops = 0
        while next == 0 || next == 43 || next == 60 || next == 44 || next == 51 {
            hops += 1
            guard hops <= 8, end - cursor >= 8 else { return .bad(.truncatedIPHeader) }
            let headerNext = buffer.u8(cursor)
            let length: Int
            switch next {
            case 44:
                length = 8
                if buffer.u16(cursor + 2) >> 3 != 0 { firstFragment = false }
            case 51: length = (Int(buffer.u8(cursor + 1)) + 2) * 4
            default: length = (Int(buffer.u8(cursor + 1)) + 1) * 8
            }
            next = headerNext
            cursor += length
            if !firstFragment { break }
        }
        var port: UInt16 = 0
        if firstFragment, next == 6 || next == 17 {
            guard end - cursor >= 4 else { return .bad(.truncatedTransportHeader) }
            port = buffer.u16(cursor + 2)
        }
        return .fields(
            DecodedFields(
                destination: destination, destinationPort: port, transport: next, direction: .unknown,
                bytes: UInt64(40 + payloadLength), packets: 1, time: time),
            SourceReference(offset: offset + 8, family: .v6))
    }
}

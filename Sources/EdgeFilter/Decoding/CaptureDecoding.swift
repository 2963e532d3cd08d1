import Addressing

/// pcap (libpcap) and pcapng capture files.
extension EdgeDecoder {
    mutating func pcap<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, into sink: inout S
    ) {
        guard buffer.count >= 24 else {
            counts.refuse(.truncatedFileHeader, at: 0)
            return
        }
        let magicLE = buffer.u32(0, littleEndian: true)
        let littleEndian = magicLE == 0xA1B2_C3D4 || magicLE == 0xA1B2_3C4D
        let linkType = buffer.u32(20, littleEndian: littleEndian) & 0x0FFF_FFFF
        guard LinkType.isSupported(linkType) else {
            counts.refuse(.unsupportedLinkType, at: 20)
            return
        }
        var offset = 24
        while offset < buffer.count {
            guard buffer.count - offset >= 16 else {
                counts.refuse(.truncatedRecord, at: offset)
                return
            }
            let seconds = Int64(buffer.u32(offset, littleEndian: littleEndian))
            let captured = Int(buffer.u32(offset + 8, littleEndian: littleEndian))
            let start = offset + 16
            guard captured <= buffer.count - start else {
                counts.refuse(.truncatedRecord, at: offset)
                return
            }
            frame(buffer, start: start, end: start + captured, linkType: linkType, time: seconds, into: &sink)
            offset = start + captured
        }
    }

    mutating func pcapng<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, into sink: inout S
    ) {
        var littleEndian = true
        var interfaces: [(linkType: UInt32, unitsPerSecond: UInt64)] = []
        var offset = 0
        while offset < buffer.count {
            guard buffer.count - offset >= 12 else {
                counts.refuse(.badBlock, at: offset)
                return
            }
            var type = buffer.u32(offset, littleEndian: littleEndian)
            if buffer.u32(offset) == 0x0A0D_0D0A {
                let order = buffer.u32(offset + 8, littleEndian: true)
                if order == 0x1A2B_3C4D {
                    littleEndian = true
                } else if order == 0x4D3C_2B1A {
                    littleEndian = false
                } else {
                    counts.refuse(.badBlock, at: offset + 8)
                    return
                }
                type = 0x0A0D_0D0A
                interfaces = []
            }
            let total = Int(buffer.u32(offset + 4, littleEndian: littleEndian))
            guard total >= 12, total % 4 == 0, total <= buffer.count - offset else {
                counts.refuse(.badBlock, at: offset + 4)
                return
            }
            let bodyEnd = offset + total - 4
            switch type {
            case 1:  // Interface Description Block
                guard total >= 20 else {
                    counts.refuse(.badBlock, at: offset)
                    break
                }
                let linkType = UInt32(buffer.u16(offset + 8, littleEndian: littleEndian))
                var units: UInt64 = 1_000_000
                var option = offset + 16
                while bodyEnd - option >= 4 {
                    let code = buffer.u16(option, littleEndian: littleEndian)
                    let length = Int(buffer.u16(option + 2, littleEndian: littleEndian))
                    if code == 0 { break }
                    guard length <= bodyEnd - option - 4 else { break }
                    if code == 9, length >= 1 {
                        let resolution = buffer.u8(option + 4)
                        let exponent = UInt64(resolution & 0x7F)
                        if resolution & 0x80 != 0 {
                            units = exponent < 64 ? 1 << exponent : 1
                        } else {
                            units = exponent <= 19 ? (0..<exponent).reduce(UInt64(1)) { value, _ in value * 10 } : 1
                        }
                    }
                    option += 4 + (length + 3) & ~3
                }
                interfaces.append((linkType, max(units, 1)))
            case 6, 2:  // Enhanced Packet Block; the obsolete Packet Block
                guard total >= 32 else {
                    counts.refuse(.badBlock, at: offset)
                    break
                }
                let interface =
                    type == 6
                    ? Int(buffer.u32(offset + 8, littleEndian: littleEndian)) : Int(buffer.u16(offset + 8, littleEndian: littleEndian))
                guard interface < interfaces.count else {
                    counts.refuse(.unknownInterface, at: offset + 8)
                    break
                }
                let high = UInt64(buffer.u32(offset + 12, littleEndian: littleEndian))
                let low = UInt64(buffer.u32(offset + 16, littleEndian: littleEndian))
                let captured = Int(buffer.u32(offset + 20, littleEndian: littleEndian))
                let start = offset + 28
                guard captured <= bodyEnd - start else {
                    counts.refuse(.truncatedRecord, at: offset + 20)
                    break
                }
                let time = Int64(clamping: (high << 32 | low) / interfaces[interface].unitsPerSecond)
                frame(
                    buffer, start: start, end: start + captured, linkType: interfaces[interface].linkType, time: time, into: &sink)
            case 3:  // Simple Packet Block: interface 0, no time
                guard total >= 16, let first = interfaces.first else {
                    counts.refuse(.unknownInterface, at: offset)
                    break
                }
                let original = Int(buffer.u32(offset + 8, littleEndian: littleEndian))
                let start = offset + 12
                frame(
                    buffer, start: start, end: start + min(original, bodyEnd - start), linkType: first.linkType, time: 0, into: &sink)
            default:
                break
            }
            offset += total
        }
    }

    @inline(__always)
    mutating func frame<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, start: Int, end: Int, linkType: UInt32, time: Int64, into sink: inout S
    ) {
        switch PacketDecoding.frame(buffer, start: start, end: end, linkType: linkType, time: time) {
        case .fields(let fields, let source):
            counts.decoded += 1
            guard sink.wants(fields.destination, transport: fields.transport, port: fields.destinationPort) else {
                sink.passes(packets: fields.packets)
                return
            }
            guard let view = S.View.make(fields, source: source, in: buffer) else { return }
            sink.take(view)
        case .notIP:
            counts.notIP += 1
        case .bad(let reason):
            counts.refuse(reason, at: start)
        }
    }
}

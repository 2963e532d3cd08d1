import Foundation

/// A minimal, independent pcap reader and writer for the tests (little-endian, microseconds):
/// it lifts UDP payloads out of captured exports and wraps bytes into frames for tshark.
enum CaptureFiles {
    struct Frame {
        var seconds: UInt32
        var micros: UInt32
        var data: [UInt8]
    }

    static func frames(_ bytes: [UInt8]) -> (linkType: UInt32, frames: [Frame]) {
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        var frames: [Frame] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let length = Int(u32(offset + 8))
            guard offset + 16 + length <= bytes.count else { break }
            frames.append(Frame(seconds: u32(offset), micros: u32(offset + 4), data: Array(bytes[(offset + 16)..<(offset + 16 + length)])))
            offset += 16 + length
        }
        return (u32(20), frames)
    }

    /// The UDP payloads of Ethernet/IPv4 frames, in capture order.
    static func udpPayloads(_ bytes: [UInt8]) -> [[UInt8]] {
        frames(bytes).frames.compactMap { frame in
            let data = frame.data
            guard data.count > 34, data[12] == 0x08, data[13] == 0x00, data[23] == 17 else { return nil }
            let ihl = Int(data[14] & 0x0F) * 4
            let udp = 14 + ihl
            guard data.count >= udp + 8 else { return nil }
            let length = Int(data[udp + 4]) << 8 | Int(data[udp + 5])
            return Array(data[(udp + 8)..<min(data.count, udp + length)])
        }
    }

    /// A pcap of `linkType` holding `frames`.
    static func pcap(linkType: UInt32, frames: [Frame]) -> [UInt8] {
        var out: [UInt8] = []
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        put32(0xA1B2_C3D4)
        put16(2)
        put16(4)
        put32(0)
        put32(0)
        put32(262_144)
        put32(linkType)
        for frame in frames {
            put32(frame.seconds)
            put32(frame.micros)
            put32(UInt32(frame.data.count))
            put32(UInt32(frame.data.count))
            out += frame.data
        }
        return out
    }

    /// An Ethernet/IPv4/UDP frame from 192.0.2.1:4739 to 192.0.2.2:`port` carrying `payload`.
    static func udpFrame(_ payload: [UInt8], port: UInt16) -> [UInt8] {
        var ip: [UInt8] = [0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]
        let total = 20 + 8 + payload.count
        ip[2] = UInt8(total >> 8)
        ip[3] = UInt8(total & 0xFF)
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[index]) << 8 | UInt32(ip[index + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        ip[10] = UInt8((~sum >> 8) & 0xFF)
        ip[11] = UInt8(~sum & 0xFF)
        let udpLength = 8 + payload.count
        let udp: [UInt8] = [0x12, 0x83, UInt8(port >> 8), UInt8(port & 0xFF), UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
        return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00] + ip + udp + payload
    }
}

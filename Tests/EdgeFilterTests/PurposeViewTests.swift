import Addressing
import Foundation
import MamoriTesting
import Testing

@testable import EdgeFilter

/// Data minimisation by construction: what each measure's view holds, and that the
/// amplification decoder never depends on (so never reads) a source address or port.
@Suite struct PurposeViewTests {
    @Test func amplificationViewHasNoSourceField() {
        let view = AmplificationView(
            destination: IPAddress("198.51.100.1")!, destinationPort: 53, transport: 17, direction: .unknown, bytes: 60, packets: 1, time: 0)
        let labels = Mirror(reflecting: view).children.compactMap(\.label)
        #expect(labels == ["destination", "destinationPort", "transport", "direction", "bytes", "packets", "time"])
    }

    @Test func darknetViewHoldsExactlyTheDeclaredItems() {
        let view = DarknetView(
            source: IPAddress("192.0.2.1")!, destination: IPAddress("203.0.113.9")!, destinationPort: 23, transport: 6, packets: 1, time: 0)
        #expect(
            Mirror(reflecting: view).children.compactMap(\.label) == ["source", "destination", "destinationPort", "transport", "packets", "time"])
    }

    /// Overwriting every source address and source port in a real capture with random bytes
    /// changes nothing the amplification decoder yields: it reads no source.
    @Test(.enabled(if: Corpus.isPresent, "needs the shared corpus"))
    func scramblingSourcesChangesNothing() throws {
        var bytes = [UInt8](try Data(contentsOf: Corpus.file("dns/zeek-dns-edns-ecs.pcap")))
        var reference: [AmplificationView] = []
        var decoder = EdgeDecoder()
        decoder.decodeAmplification(bytes) { reference.append($0) }
        var random = SplitMix64(seed: 7)
        var offset = 24
        var scrambled = 0
        while offset + 16 <= bytes.count {
            let length = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8
            let frame = offset + 16
            let ethertype = Int(bytes[frame + 12]) << 8 | Int(bytes[frame + 13])
            let ip = frame + 14
            var sourceRange: Range<Int>?
            var transport = 0
            var next = 0
            if ethertype == 0x0800 {
                sourceRange = (ip + 12)..<(ip + 16)
                transport = ip + Int(bytes[ip] & 0x0F) * 4
                next = Int(bytes[ip + 9])
            } else if ethertype == 0x86DD {
                sourceRange = (ip + 8)..<(ip + 24)
                transport = ip + 40
                next = Int(bytes[ip + 6])
            }
            if let sourceRange {
                for index in sourceRange { bytes[index] = UInt8(truncatingIfNeeded: random.next()) }
                if next == 6 || next == 17 {
                    bytes[transport] = UInt8(truncatingIfNeeded: random.next())
                    bytes[transport + 1] = UInt8(truncatingIfNeeded: random.next())
                }
                scrambled += 1
            }
            offset = frame + length
        }
        #expect(scrambled == 89)
        var after: [AmplificationView] = []
        var again = EdgeDecoder()
        again.decodeAmplification(bytes) { after.append($0) }
        #expect(after == reference)
    }

    /// The darknet decoder looks only at packets to the darknet: a filter that accepts nothing
    /// yields nothing, and the sources it yields are the capture's.
    @Test(.enabled(if: Corpus.isPresent, "needs the shared corpus"))
    func darknetReadsSourcesOnlyForDarknetDestinations() throws {
        let bytes = [UInt8](try Data(contentsOf: Corpus.file("dns/zeek-long-connection.pcap")))
        var none = EdgeDecoder()
        var count = 0
        none.decodeDarknet(bytes, darknet: { _ in false }) { _ in count += 1 }
        #expect(count == 0)
        #expect(none.counts.decoded == 22)
        var all = EdgeDecoder()
        var sources: Set<IPAddress> = []
        all.decodeDarknet(bytes, darknet: { _ in true }) { sources.insert($0.source) }
        let tshark = try Tool.run(
            "tshark", ["-r", Corpus.file("dns/zeek-long-connection.pcap").path, "-T", "fields", "-e", "ip.src", "-e", "ipv6.src"])
        let expected = Set(
            tshark.output.split(separator: "\n").compactMap { line in
                line.split(separator: "\t").first.flatMap { IPAddress($0) }
            })
        #expect(sources == expected)
    }
}

/// IPFIX template handling (RFC 7011 §8): announcement, use, withdrawal, expiry.
@Suite struct TemplateTests {
    /// An IPFIX message of `sets` (each `(id, body)`), export time `time`, domain 1.
    static func message(time: UInt32, _ sets: [(UInt16, [UInt8])]) -> [UInt8] {
        var body: [UInt8] = []
        for (id, content) in sets {
            let length = 4 + content.count
            body += [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)] + content
        }
        let length = 16 + body.count
        return [0, 10, UInt8(length >> 8), UInt8(length & 0xFF)] + be32(time) + be32(1) + be32(1) + body
    }

    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// Template 300: destinationIPv4Address, destinationTransportPort, protocolIdentifier, octetDeltaCount(4), packetDeltaCount(4).
    static let template: [UInt8] = [1, 44, 0, 5, 0, 12, 0, 4, 0, 11, 0, 2, 0, 4, 0, 1, 0, 1, 0, 4, 0, 2, 0, 4]
    static let withdrawal: [UInt8] = [1, 44, 0, 0]
    /// 198.51.100.7:53/udp, 120 bytes, 2 packets.
    static let record: [UInt8] = [198, 51, 100, 7, 0, 53, 17, 0, 0, 0, 120, 0, 0, 0, 2]

    @Test func templateWithdrawalStopsItsUse() {
        var decoder = EdgeDecoder()
        var views: [AmplificationView] = []
        decoder.decodeAmplification(Self.message(time: 1000, [(2, Self.template), (300, Self.record + Self.record)])) { views.append($0) }
        #expect(views.count == 2)
        #expect(views.first?.destination == IPAddress("198.51.100.7"))
        #expect(views.first?.bytes == 120)
        decoder.decodeAmplification(Self.message(time: 1001, [(2, Self.withdrawal), (300, Self.record)])) { views.append($0) }
        #expect(views.count == 2)
        #expect(decoder.counts.bad[.unknownTemplate] == 1)
    }

    @Test func templatesExpire() {
        var decoder = EdgeDecoder()
        decoder.templateLifetime = 600
        var count = 0
        decoder.decodeAmplification(Self.message(time: 1000, [(2, Self.template)])) { _ in count += 1 }
        decoder.decodeAmplification(Self.message(time: 1600, [(300, Self.record)])) { _ in count += 1 }
        #expect(count == 1)
        decoder.decodeAmplification(Self.message(time: 1601, [(300, Self.record)])) { _ in count += 1 }
        #expect(count == 1)
        #expect(decoder.counts.bad[.expiredTemplate] == 1)
        // Re-announced, it works again.
        decoder.decodeAmplification(Self.message(time: 1700, [(2, Self.template), (300, Self.record)])) { _ in count += 1 }
        #expect(count == 2)
    }

    @Test func truncatedSetsAreCounted() {
        var decoder = EdgeDecoder()
        var message = Self.message(time: 1, [(2, Self.template)])
        message[19] = 200  // set length beyond the message
        decoder.decodeAmplification(message) { _ in }
        #expect(decoder.counts.bad[.badSetLength] == 1)
    }
}

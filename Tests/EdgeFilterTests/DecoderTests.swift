import Addressing
import Foundation
import MamoriTesting
import Testing

@testable import EdgeFilter

/// The decoders on the real captures and exports of shared/corpus/dns, against tshark's reading
/// of the same bytes.
@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct DecoderTests {
    struct Flow: Hashable, CustomStringConvertible {
        var destination: String
        var port: UInt16
        var transport: UInt8
        var bytes: UInt64
        var packets: UInt64
        var description: String { "\(destination):\(port)/\(transport) \(bytes)B \(packets)p" }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Corpus.file("dns/\(name)")))
    }

    /// tshark's flow records (`cflow.*`, one "Flow N" object each in its JSON) of a capture of
    /// exports to `port`, in order.
    static func tsharkFlows(_ capture: URL, port: Int) throws -> [Flow] {
        let result = try Tool.run("tshark", ["-r", capture.path, "-d", "udp.port==\(port),cflow", "-T", "json"])
        #expect(result.status == 0, "tshark: \(result.error)")
        let packets = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]] ?? []
        var flows: [Flow] = []
        /// Keys in their numeric order ("FlowSet 2 …" before "FlowSet 10 …").
        func ordered(_ object: [String: Any]) -> [(String, Any)] {
            func number(_ key: String) -> Int { Int(key.split(separator: " ").dropFirst().first.map { $0.filter(\.isNumber) } ?? "") ?? -1 }
            return object.sorted { (number($0.key), $0.key) < (number($1.key), $1.key) }
        }
        func walk(_ value: Any) {
            if let list = value as? [Any] {
                list.forEach(walk)
                return
            }
            guard let object = value as? [String: Any] else { return }
            if object["cflow.dstport"] != nil || object["cflow.dstaddr"] != nil || object["cflow.dstaddrv6"] != nil {
                let v4 = object["cflow.dstaddr"] as? String
                let v6 = object["cflow.dstaddrv6"] as? String
                flows.append(
                    Flow(
                        destination: (v6 == nil || v6 == "::") ? (v4 ?? "") : (v6 ?? ""),
                        port: UInt16(object["cflow.dstport"] as? String ?? "") ?? 0,
                        transport: UInt8(object["cflow.protocol"] as? String ?? "") ?? 0,
                        bytes: UInt64(object["cflow.octets"] as? String ?? "") ?? 0,
                        packets: UInt64(object["cflow.packets"] as? String ?? "") ?? 0))
                return
            }
            for (_, child) in ordered(object) { walk(child) }
        }
        for packet in packets {
            walk(((packet["_source"] as? [String: Any])?["layers"] as? [String: Any])?["cflow"] as Any)
        }
        return flows
    }

    /// The export messages of a file of them back to back (v5: by count; IPFIX: by length; a
    /// NetFlow v9 file is one packet).
    static func messages(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let version = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            let field = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let length = version == 5 ? 24 + 48 * field : version == 10 ? field : bytes.count - offset
            guard length > 0, offset + length <= bytes.count else { break }
            out.append(Array(bytes[offset..<(offset + length)]))
            offset += length
        }
        return out
    }

    static func ours(_ datagrams: [[UInt8]], decoder: inout EdgeDecoder) -> [Flow] {
        var flows: [Flow] = []
        for datagram in datagrams {
            decoder.decodeAmplification(datagram) { view in
                flows.append(
                    Flow(
                        destination: view.destination.description, port: view.destinationPort, transport: view.transport,
                        bytes: view.bytes, packets: view.packets))
            }
        }
        return flows
    }

    /// NetFlow v9 and IPFIX from a Cisco exporter (templates in earlier datagrams than data).
    @Test(arguments: [("pmacct-nfv9-cisco.pcap", 51), ("pmacct-ipfix-cisco.pcap", 12)])
    func ciscoExportsMatchTshark(name: String, records: Int) throws {
        let datagrams = CaptureFiles.udpPayloads(try Self.bytes(name))
        var decoder = EdgeDecoder()
        let flows = Self.ours(datagrams, decoder: &decoder)
        let oracle = try Self.tsharkFlows(Corpus.file("dns/\(name)"), port: 9991)
        #expect(oracle.count == records)
        #expect(flows == oracle)
        #expect(decoder.counts.badTotal == 0, "\(decoder.counts.bad)")
    }

    /// A fixed-length template's records are read through its compiled layout; the field walk
    /// (the path of variable-length IPFIX templates) reads the same views from the same records,
    /// time and direction included, and so does the darknet view's source.
    @Test(arguments: ["pmacct-nfv9-cisco.pcap", "pmacct-ipfix-cisco.pcap"])
    func compiledLayoutsReadWhatTheFieldWalkReads(name: String) throws {
        let datagrams = CaptureFiles.udpPayloads(try Self.bytes(name))
        var compiled = EdgeDecoder()
        var walked = EdgeDecoder()
        var fast: [AmplificationView] = []
        var slow: [AmplificationView] = []
        var fastSources: [IPAddress] = []
        var slowSources: [IPAddress] = []
        for datagram in datagrams {
            compiled.decodeAmplification(datagram) { fast.append($0) }
            compiled.decodeDarknet(datagram, darknet: { _ in true }) { fastSources.append($0.source) }
            // Templates arrive in earlier datagrams than their data here: without their layouts,
            // the next datagrams' records go through the field walk.
            for key in Array(walked.templates.keys) { walked.templates[key]?.layout = nil }
            walked.decodeAmplification(datagram) { slow.append($0) }
            for key in Array(walked.templates.keys) { walked.templates[key]?.layout = nil }
            walked.decodeDarknet(datagram, darknet: { _ in true }) { slowSources.append($0.source) }
        }
        #expect(!fast.isEmpty)
        #expect(compiled.templates.values.contains { $0.layout != nil })
        #expect(fast == slow)
        #expect(fastSources == slowSources)
    }

    /// The raw export payloads of logstash's tests, wrapped in frames so that tshark reads them too.
    @Test(arguments: [
        "logstash-netflow5.dat", "logstash-netflow5_test_juniper_mx80.dat", "logstash-netflow9_test_softflowd_tpl_data.dat",
        "logstash-ipfix.dat",
    ])
    func logstashPayloadsMatchTshark(name: String) throws {
        let payload = try Self.bytes(name)
        var decoder = EdgeDecoder()
        let flows = Self.ours([payload], decoder: &decoder)
        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let capture = directory.appendingPathComponent("wrapped.pcap")
        let frames = Self.messages(payload).map { CaptureFiles.Frame(seconds: 0, micros: 0, data: CaptureFiles.udpFrame($0, port: 2055)) }
        #expect(frames.map(\.data.count).reduce(0, +) == payload.count + frames.count * 42)
        try Data(CaptureFiles.pcap(linkType: 1, frames: frames)).write(to: capture)
        let oracle = try Self.tsharkFlows(capture, port: 2055)
        #expect(!oracle.isEmpty)
        #expect(flows == oracle)
        #expect(decoder.counts.badTotal == 0, "\(decoder.counts.bad)")
    }

    /// The logstash v5 files are several export packets back to back (12 and 1): all are read.
    @Test func netflow5RecordCountsAreRead() throws {
        var decoder = EdgeDecoder()
        #expect(decoder.decodeAmplification(try Self.bytes("logstash-netflow5.dat")) { _ in } == .netflowV5)
        #expect(decoder.counts.decoded == 30)
        decoder.decodeAmplification(try Self.bytes("logstash-netflow5_test_juniper_mx80.dat")) { _ in }
        #expect(decoder.counts.decoded == 59)
    }

    /// Corrupt exports are counted with their reason and offset; nothing traps, the run goes on.
    @Test func invalidExportsAreCountedWithTheirReason() throws {
        var decoder = EdgeDecoder()
        decoder.decodeAmplification(try Self.bytes("logstash-netflow5_test_invalid01.dat")) { _ in }
        #expect(decoder.counts.bad[.badFlowCount] == 1)
        #expect(decoder.counts.firstOffset[.badFlowCount] == 2)
        // The same decoder goes on with good input.
        decoder.decodeAmplification(try Self.bytes("logstash-netflow5.dat")) { _ in }
        #expect(decoder.counts.decoded == 30)
        // logstash's "invalid" v9 packet: its header counts 2 records while six sets follow
        // (tshark stops after two). The count is not trusted (exporters get it wrong); every set
        // is read by its own length: two templates, an options template and its data, and one
        // IPv6 and one IPv4 flow.
        var v9 = EdgeDecoder()
        var flows: [AmplificationView] = []
        v9.decodeAmplification(try Self.bytes("logstash-netflow9_test_invalid01.dat")) { flows.append($0) }
        #expect(v9.counts.badTotal == 0)
        #expect(flows.map(\.destination.family) == [.v6, .v4])
    }

    /// Captures: every IP packet read, the UDP/53 ones and their bytes as tshark counts them.
    @Test(arguments: ["zeek-dns-edns-ecs.pcap", "zeek-long-connection.pcap", "zeek-rrsig.pcap", "zeek-dns-tsig.pcap", "pmacct-nfv9-cisco.pcap"])
    func capturesMatchTshark(name: String) throws {
        var decoder = EdgeDecoder()
        var udp53 = 0
        var udp53Bytes: UInt64 = 0
        #expect(
            decoder.decodeAmplification(try Self.bytes(name)) { view in
                if view.transport == 17, view.destinationPort == 53 {
                    udp53 += 1
                    udp53Bytes += view.bytes
                }
            } == .pcap)
        let all = try Tool.run("tshark", ["-r", Corpus.file("dns/\(name)").path, "-Y", "ip or ipv6", "-T", "fields", "-e", "frame.number"])
        let dns = try Tool.run(
            "tshark", ["-r", Corpus.file("dns/\(name)").path, "-Y", "udp.dstport == 53", "-T", "fields", "-e", "ip.len", "-e", "ipv6.plen"])
        #expect(decoder.counts.decoded == all.output.split(separator: "\n").count)
        let lengths = dns.output.split(separator: "\n").map { line -> UInt64 in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if let v4 = UInt64(fields[0]) { return v4 }
            return 40 + (UInt64(fields.count > 1 ? fields[1] : "") ?? 0)
        }
        #expect(udp53 == lengths.count)
        #expect(udp53Bytes == lengths.reduce(0, +))
        #expect(decoder.counts.badTotal == 0)
    }

    /// The same packets in pcapng (written by editcap), and behind raw-IP and Linux SLL link
    /// layers, decode to the same views.
    @Test func pcapngAndOtherLinkLayersGiveTheSameViews() throws {
        let original = try Self.bytes("zeek-dns-edns-ecs.pcap")
        var reference: [AmplificationView] = []
        var decoder = EdgeDecoder()
        decoder.decodeAmplification(original) { reference.append($0) }
        #expect(reference.count == 89)

        let directory = try Loopback.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pcapng = directory.appendingPathComponent("capture.pcapng")
        let converted = try Tool.run("editcap", ["-F", "pcapng", Corpus.file("dns/zeek-dns-edns-ecs.pcap").path, pcapng.path])
        #expect(converted.status == 0, "\(converted.error)")
        var fromPcapng: [AmplificationView] = []
        var ngDecoder = EdgeDecoder()
        #expect(ngDecoder.decodeAmplification([UInt8](try Data(contentsOf: pcapng))) { fromPcapng.append($0) } == .pcapng)
        #expect(fromPcapng == reference)

        let frames = CaptureFiles.frames(original).frames
        let raw = CaptureFiles.pcap(
            linkType: 101, frames: frames.map { .init(seconds: $0.seconds, micros: $0.micros, data: Array($0.data.dropFirst(14))) })
        let sll = CaptureFiles.pcap(
            linkType: 113,
            frames: frames.map {
                .init(seconds: $0.seconds, micros: $0.micros, data: [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0] + Array($0.data[12...]))
            })
        for (name, bytes) in [("raw", raw), ("sll", sll)] {
            var views: [AmplificationView] = []
            var other = EdgeDecoder()
            other.decodeAmplification(bytes) { views.append($0) }
            #expect(views == reference, "\(name)")
        }
    }

    /// Truncated captures: the cut record is counted, what came before is kept.
    @Test func truncatedCaptureKeepsWhatCameBefore() throws {
        let original = try Self.bytes("zeek-long-connection.pcap")
        var decoder = EdgeDecoder()
        var count = 0
        decoder.decodeAmplification(Array(original.dropLast(10))) { _ in count += 1 }
        #expect(count == 21)
        #expect(decoder.counts.bad[.truncatedRecord] == 1)
        var empty = EdgeDecoder()
        empty.decodeAmplification(Array(original.prefix(10))) { _ in }
        #expect(empty.counts.bad[.truncatedFileHeader] == 1)
    }
}

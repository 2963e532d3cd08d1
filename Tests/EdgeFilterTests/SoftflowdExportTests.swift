import Addressing
import Foundation
import MamoriTesting
import Testing

@testable import EdgeFilter

#if canImport(Glibc)
    import Glibc
#endif

/// The decoders on what a real exporter sends: softflowd reads a corpus capture and exports its
/// flows (NetFlow v5, v9, IPFIX) to a UDP socket this test opens on 127.0.0.1. The datagrams are
/// decoded by ``EdgeDecoder``; the oracles are softflowd's own count of exported records and
/// tshark's NetFlow/IPFIX dissector on the same datagrams (same destination address and port,
/// protocol, bytes, packets). Needs softflowd, softflowctl and tshark (.ci/run installs them); a
/// missing one fails the test with one message.
@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus"), .serialized) struct SoftflowdExportTests {
    static let captures = ["dns/zeek-dns-edns-ecs.pcap", "dns/zeek-long-connection.pcap"]

    @Test(arguments: [5, 9, 10], captures)
    func decodesWhatSoftflowdExports(version: Int, capture: String) throws {
        for tool in ["softflowd", "softflowctl", "tshark"] where Tool.find(tool) == nil {
            throw Tool.ToolMissing(name: tool)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-softflowd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let receiver = try UDPReceiver()
        let (datagrams, exportedRecords) = try Self.softflowd(
            capture: Corpus.file(capture), version: version, port: receiver.port, directory: directory, receiver: receiver)
        #expect(!datagrams.isEmpty, "softflowd sent nothing")

        var decoder = EdgeDecoder()
        var ours: [String] = []
        for datagram in datagrams {
            decoder.decodeAmplification(datagram) {
                ours.append(Self.key($0.destination.description, $0.destinationPort, $0.transport, $0.bytes, $0.packets))
            }
        }
        #expect(decoder.counts.badTotal == 0, "refused: \(decoder.counts.bad)")
        #expect(decoder.counts.decoded == exportedRecords, "softflowd says it exported \(exportedRecords) records")

        // tshark's NetFlow/IPFIX dissector on the same datagrams, wrapped in frames to port 2055.
        let exports = directory.appendingPathComponent("exports.pcap")
        let frames = datagrams.enumerated().map {
            CaptureFiles.Frame(seconds: UInt32($0.offset), micros: 0, data: CaptureFiles.udpFrame($0.element, port: 2055))
        }
        try Data(CaptureFiles.pcap(linkType: 1, frames: frames)).write(to: exports)
        let oracle = try DecoderTests.tsharkFlows(exports, port: 2055).map {
            Self.key(IPAddress($0.destination)?.description ?? $0.destination, $0.port, $0.transport, $0.bytes, $0.packets)
        }
        // tshark 4.0 reads no flow from softflowd's v9 export of zeek-long-connection.pcap, while it
        // reads the same two flows, with the values decoded here, from the v5 and IPFIX exports.
        withKnownIssue("tshark reads no flow from this v9 export") {
            #expect(oracle.count == exportedRecords)
            #expect(ours.sorted() == oracle.sorted())
        } when: {
            version == 9 && capture.hasSuffix("zeek-long-connection.pcap")
        }
    }

    /// A flow's comparable fields; ports only for TCP and UDP (exporters put ICMP type and code there).
    static func key(_ destination: String, _ port: UInt16, _ transport: UInt8, _ bytes: UInt64, _ packets: UInt64) -> String {
        let shownPort = transport == 6 || transport == 17 ? "\(port)" : "-"
        return "\(destination) \(shownPort) \(transport) \(bytes) \(packets)"
    }

    /// Runs softflowd over `capture`, exporting to 127.0.0.1:`port`; returns the datagrams it
    /// sent and the records it says it exported.
    static func softflowd(capture: URL, version: Int, port: Int, directory: URL, receiver: UDPReceiver) throws -> ([[UInt8]], Int) {
        let control = directory.appendingPathComponent("softflowd.ctl").path
        let output = directory.appendingPathComponent("softflowd.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        // Spawned with an empty signal mask (CleanChild), killed by pid whatever happens.
        let child = try CleanChild(
            executable: URL(fileURLWithPath: Tool.find("softflowd") ?? "softflowd"),
            arguments: [
                "-d", "-r", capture.path, "-n", "127.0.0.1:\(port)", "-v", "\(version)", "-p",
                directory.appendingPathComponent("softflowd.pid").path, "-c", control,
            ],
            output: output)
        var exited = false
        defer { if !exited { _ = child.wait(timeout: 0) } }
        // softflowd reads the file as its loop turns (a control request turns it); once every
        // packet is processed, `shutdown` expires and exports all flows, and the process exits.
        let expectedPackets = CaptureFiles.frames([UInt8](try Data(contentsOf: capture))).frames.count
        // After the last packet softflowd may also export and exit by itself (its socket goes).
        var processed = false
        var seen = false
        for _ in 0..<300 where !processed {
            if FileManager.default.fileExists(atPath: control) {
                seen = true
                let stats = try Tool.run("softflowctl", ["-c", control, "statistics"])
                processed = Self.accounted(stats.output) == expectedPackets
            } else if seen {
                break
            }
            if !processed { usleep(100_000) }
        }
        if FileManager.default.fileExists(atPath: control) { try Tool.run("softflowctl", ["-c", control, "shutdown"]) }
        #expect(child.wait(timeout: 60) == 0, "softflowd did not exit after shutdown")
        exited = true
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(Self.accounted(text) == expectedPackets, "softflowd: \(text)")
        // "Flows exported: 73 (88 records) in 4 packets (0 failures)"
        let records = text.split(separator: "\n").first { $0.hasPrefix("Flows exported:") }
            .flatMap { line in line.split(separator: "(").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) } }
        return (receiver.drain(), records ?? -1)
    }

    /// Packets softflowd processed plus those it ignored (v5 ignores IPv6), from its statistics.
    static func accounted(_ text: String) -> Int {
        var total = 0
        for line in text.split(separator: "\n") where line.hasPrefix("Packets processed:") || line.hasPrefix("Ignored packets:") {
            total += line.split(separator: ":").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) } ?? 0
        }
        return total
    }
}

/// A UDP socket on 127.0.0.1 that collects what is sent to it (read without blocking).
final class UDPReceiver {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = UDPLoopback.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else {
            close(fd)
            throw MissingPeer("cannot bind a UDP socket on 127.0.0.1")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    /// Every datagram queued, in arrival order.
    func drain() -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard count >= 0 else { break }
            datagrams.append(Array(buffer[0..<count]))
        }
        return datagrams
    }
}

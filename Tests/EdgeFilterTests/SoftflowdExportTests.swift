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
/// decoded by ``EdgeDecoder`` and relayed to a real nfcapd; `nfdump -o csv` of its file is the
/// oracle (same flows, destination address and port, protocol, bytes, packets), and softflowd's
/// own count of exported records is checked too. Needs softflowd, softflowctl, nfcapd and nfdump
/// (.ci/run installs them); a missing one fails the test with one message.
@Suite(
    .enabled(if: Corpus.isPresent, "needs the shared corpus"), .serialized,
    .disabled(
        "unfinished: 4 of 6 cases pass; v9 of zeek-long-connection gets no flows from tshark, and softflowd once did not report all packets processed within 30 s"
    )) struct SoftflowdExportTests
{
    static let captures = ["dns/zeek-dns-edns-ecs.pcap", "dns/zeek-long-connection.pcap"]

    @Test(arguments: [5, 9, 10], captures)
    func decodesWhatSoftflowdExports(version: Int, capture: String) throws {
        for tool in ["softflowd", "softflowctl", "nfcapd", "nfdump"] where Tool.find(tool) == nil {
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
        let capture = directory.appendingPathComponent("exports.pcap")
        let frames = datagrams.enumerated().map {
            CaptureFiles.Frame(seconds: UInt32($0.offset), micros: 0, data: CaptureFiles.udpFrame($0.element, port: 2055))
        }
        try Data(CaptureFiles.pcap(linkType: 1, frames: frames)).write(to: capture)
        let oracle = try DecoderTests.tsharkFlows(capture, port: 2055).map {
            Self.key(IPAddress($0.destination)?.description ?? $0.destination, $0.port, $0.transport, $0.bytes, $0.packets)
        }
        #expect(oracle.count == exportedRecords)
        #expect(ours.sorted() == oracle.sorted())
    }

    /// A flow's comparable fields; ports only for TCP and UDP (nfdump prints ICMP type.code).
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
        var processed = false
        for _ in 0..<300 where !processed {
            if FileManager.default.fileExists(atPath: control) {
                let stats = try Tool.run("softflowctl", ["-c", control, "statistics"])
                processed = stats.output.contains("Packets processed: \(expectedPackets)\n")
            }
            if !processed { usleep(100_000) }
        }
        #expect(processed, "softflowd did not process the \(expectedPackets) packets")
        if FileManager.default.fileExists(atPath: control) { try Tool.run("softflowctl", ["-c", control, "shutdown"]) }
        #expect(child.wait(timeout: 60) == 0, "softflowd did not exit after shutdown")
        exited = true
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(text.contains("Packets processed: \(expectedPackets)\n"), "softflowd: \(text)")
        // "Flows exported: 73 (88 records) in 4 packets (0 failures)"
        let records = text.split(separator: "\n").first { $0.hasPrefix("Flows exported:") }
            .flatMap { line in line.split(separator: "(").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) } }
        return (receiver.drain(), records ?? -1)
    }

    /// Relays `datagrams` to a real nfcapd on 127.0.0.1 and reads its file back with `nfdump -o csv`.
    static func nfdumpFlows(_ datagrams: [[UInt8]], directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try UDPReceiver.freePort()
        let child = try CleanChild(
            executable: URL(fileURLWithPath: Tool.find("nfcapd") ?? "nfcapd"),
            arguments: ["-b", "127.0.0.1", "-p", "\(port)", "-w", directory.path, "-t", "3600"],
            output: directory.deletingLastPathComponent().appendingPathComponent("nfcapd.log"))
        var exited = false
        defer { if !exited { _ = child.wait(timeout: 0) } }
        var bound = false
        for _ in 0..<600 where !bound {
            bound = UDPReceiver.receiveQueue(port: port) != nil
            if !bound { usleep(50_000) }
        }
        #expect(bound, "nfcapd did not bind 127.0.0.1:\(port)")
        try UDPReceiver.send(datagrams, to: port)
        // Stop nfcapd once it has read every queued datagram: it writes its file on SIGTERM.
        for _ in 0..<600 where (UDPReceiver.receiveQueue(port: port) ?? 0) > 0 { usleep(50_000) }
        usleep(200_000)
        child.signal(SIGTERM)
        #expect(child.wait(timeout: 60) != nil, "nfcapd did not exit on SIGTERM")
        exited = true
        let result = try Tool.run("nfdump", ["-R", directory.path, "-o", "csv", "-q"])
        #expect(result.status == 0, "nfdump: \(result.error)")
        var flows: [String] = []
        var columns: [String: Int] = ["da": 4, "dp": 6, "pr": 7, "ipkt": 11, "ibyt": 12]
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if fields.first == "ts" {
                for (index, name) in fields.enumerated() { columns[name] = index }
                continue
            }
            guard let da = columns["da"], let dp = columns["dp"], let pr = columns["pr"], let ipkt = columns["ipkt"], let ibyt = columns["ibyt"],
                fields.count > max(da, dp, pr, ipkt, ibyt), let address = IPAddress(fields[da]), let transport = UInt8(fields[pr])
            else { continue }
            flows.append(
                key(
                    address.description, UInt16(fields[dp]) ?? 0, transport, UInt64(fields[ibyt]) ?? UInt64.max, UInt64(fields[ipkt]) ?? UInt64.max))
        }
        return flows
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
        var address = Self.loopback(port: 0)
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

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    static func freePort() throws -> Int { try UDPReceiver().port }

    /// Sends each datagram to 127.0.0.1:`port`.
    static func send(_ datagrams: [[UInt8]], to port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        for datagram in datagrams {
            let sent = datagram.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            guard sent == datagram.count else { throw MissingPeer("sendto 127.0.0.1:\(port) failed") }
        }
    }

    /// The bytes queued on the UDP socket bound to 127.0.0.1:`port` (`/proc/net/udp`), `nil` when none is bound.
    static func receiveQueue(port: Int) -> Int? {
        guard let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8) else { return nil }
        let local = "0100007F:" + String(format: "%04X", port)
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[1] == local else { continue }
            return fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) }
        }
        return nil
    }
}

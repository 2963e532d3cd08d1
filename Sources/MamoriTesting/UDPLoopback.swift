public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// UDP on 127.0.0.1 for tests and benchmarks that feed real collectors (nfcapd) or read what
/// real exporters (softflowd) send.
public enum UDPLoopback {
    /// A free UDP port on 127.0.0.1.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw MissingPeer("no free loopback UDP port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The address 127.0.0.1:`port`.
    public static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// Whether a socket is bound to 127.0.0.1:`port`, polled for up to `seconds`.
    public static func waitUntilBound(port: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if receiveQueue(port: port) != nil { return true }
            usleep(20_000)
        }
        return false
    }

    /// The bytes queued on the UDP socket bound to 127.0.0.1:`port` (`/proc/net/udp`), `nil` when none is bound.
    public static func receiveQueue(port: Int) -> Int? {
        guard let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8) else { return nil }
        let local = "0100007F:" + String(format: "%04X", port)
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[1] == local else { continue }
            return fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) }
        }
        return nil
    }

    /// Sends each message as one datagram, paced (a burst of 16, then 0.2 ms) so a collector keeps up.
    public static func sendAll(_ messages: [[UInt8]], port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw MissingPeer("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw MissingPeer("connect: \(String(cString: strerror(errno)))") }
        for (index, message) in messages.enumerated() {
            let sent = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard sent == message.count else { throw MissingPeer("send: \(String(cString: strerror(errno)))") }
            if index % 16 == 15 { usleep(200) }
        }
    }
}

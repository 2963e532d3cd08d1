import DNS
import Foundation
import MamoriTesting
import NIOCore
import Testing

/// The wire format on real packets (`../shared/corpus/dns/`: captured by swift-dns, framed by
/// dnsperf) and on damaged ones.
@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct DNSWireTests {
    /// The DNS message inside one Ethernet + IPv4 + UDP frame.
    static func payload(_ name: String) throws -> [UInt8] {
        let frame = [UInt8](try Data(contentsOf: Corpus.file("dns/swiftdns-\(name)-packet.bin")))
        let ipHeader = Int(frame[14] & 0x0F) * 4
        return Array(frame[(14 + ipHeader + 8)...])
    }

    static let packets = [
        "example.com-a-query", "example.com-a-response", "cloudflare.com-opt-response", "cloudflare.com-caa-response",
        "cdn.discordapp.com-https-response", "www.github.com-cname-response", "apple.com-ns-response", "9dot9dot9dot9-ptr-response",
    ]

    @Test(arguments: packets) func realPacketsDecodeAndRoundTrip(name: String) throws {
        let bytes = try Self.payload(name)
        let message = try DNSMessage(bytes: bytes)
        #expect(message.questions.count == 1)
        #expect(message.header.isResponse == name.hasSuffix("response"))
        // Written again (compressed our way) and read back: the same message.
        let again = try DNSMessage(bytes: try message.bytes())
        #expect(again == message)
        #expect(try message.bytes().count <= bytes.count + 16)
    }

    @Test func whatTheRealPacketsSay() throws {
        let a = try DNSMessage(bytes: try Self.payload("example.com-a-response"))
        #expect(a.questions.first?.name == (try DNSName("EXAMPLE.com")))
        #expect(a.questions.first?.type == .a)
        #expect(a.answers.count == 6 && a.answers.allSatisfy { $0.type == .a })
        if case .a(let octets) = a.answers[0].data { #expect(octets.count == 4) } else { Issue.record("not an A record") }

        let caa = try DNSMessage(bytes: try Self.payload("cloudflare.com-caa-response"))
        #expect(caa.answers.count == 11 && caa.answers.allSatisfy { $0.type == .caa })

        let cname = try DNSMessage(bytes: try Self.payload("www.github.com-cname-response"))
        #expect(cname.answers.first?.type == .cname)
        #expect(cname.answers.first?.data == .name(try DNSName("github.com")))

        let ptr = try DNSMessage(bytes: try Self.payload("9dot9dot9dot9-ptr-response"))
        #expect(ptr.questions.first?.name == (try DNSName("9.9.9.9.in-addr.arpa")))
        #expect(ptr.answers.first?.type == .ptr)

        let ns = try DNSMessage(bytes: try Self.payload("apple.com-ns-response"))
        #expect(!ns.answers.isEmpty && ns.answers.allSatisfy { $0.type == .ns })

        let opt = try DNSMessage(bytes: try Self.payload("cloudflare.com-opt-response"))
        #expect(opt.edns != nil)
        #expect(try Self.payload("cloudflare.com-opt-response").count > 1200)

        let https = try DNSMessage(bytes: try Self.payload("cdn.discordapp.com-https-response"))
        #expect(https.questions.first?.type == .https)
    }

    @Test func everyCutOfARealPacketIsRefusedWithAPlace() throws {
        let bytes = try Self.payload("example.com-a-response")
        for cut in 0..<bytes.count {
            do {
                _ = try DNSMessage(bytes: Array(bytes.prefix(cut)))
                Issue.record("a cut at \(cut) was accepted")
            } catch {
                #expect(error.description.hasPrefix("offset "), "\(error)")
            }
        }
        #expect(throws: DNSWireError.trailingBytes(offset: bytes.count, count: 1)) { try DNSMessage(bytes: bytes + [0]) }
    }

    @Test func loopsForwardPointersAndReservedLabelsAreRefused() throws {
        let header: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        // A pointer to itself, a pointer forward, a label type 0x40.
        #expect(throws: DNSWireError.badPointer(offset: 12, target: 12)) { try DNSMessage(bytes: header + [0xC0, 12, 0, 1, 0, 1]) }
        #expect(throws: DNSWireError.badPointer(offset: 12, target: 14)) { try DNSMessage(bytes: header + [0xC0, 14, 0, 0, 1, 0, 1]) }
        #expect(throws: DNSWireError.badLabelType(offset: 12, byte: 0x41)) { try DNSMessage(bytes: header + [0x41, 0, 0, 1, 0, 1]) }
        // Two labels pointing at each other: the second pointer is not before the first target.
        let loop = header + [1, 0x61, 0xC0, 16, 1, 0x62, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSWireError.self) { try DNSMessage(bytes: loop) }
        // A name over 255 octets.
        var long = header
        for _ in 0..<5 { long += [63] + [UInt8](repeating: 0x61, count: 63) }
        long += [0, 0, 1, 0, 1]
        #expect(throws: DNSWireError.nameTooLong(offset: 12)) { try DNSMessage(bytes: long) }
    }

    @Test func compressionAndCaseInsensitiveNames() throws {
        var response = DNSMessage(header: DNSHeader(id: 7))
        response.header.isResponse = true
        let name = try DNSName("malware.example.jp")
        response.questions = [DNSQuestion(name: name, type: .a)]
        response.answers = [
            DNSRecord(name: try DNSName("MALWARE.example.jp"), type: .cname, ttl: 60, data: .name(try DNSName("warn.isp.example"))),
            DNSRecord(name: try DNSName("warn.isp.example"), type: .a, ttl: 30, data: .a([192, 0, 2, 80])),
        ]
        let bytes = try response.bytes()
        let uncompressed = 12 + (name.wireLength + 4) + (name.wireLength + 10 + 18) + (18 + 10 + 4)
        #expect(bytes.count < uncompressed)
        #expect(try DNSMessage(bytes: bytes) == response)
        #expect(try DNSName("Example.JP") == (try DNSName("example.jp.")))
        #expect(try DNSName("a.b.example.jp").isSubdomain(of: try DNSName("EXAMPLE.jp")))
        #expect(throws: DNSWireError.self) { try DNSName(String(repeating: "a", count: 64) + ".jp") }
    }

    @Test func truncationKeepsOPTAndSetsTC() throws {
        var response = DNSMessage(header: DNSHeader(id: 9))
        response.header.isResponse = true
        response.questions = [DNSQuestion(name: try DNSName("big.example.jp"), type: .a)]
        response.answers = (0..<100).map { i in
            DNSRecord(name: try! DNSName("big.example.jp"), type: .a, ttl: 60, data: .a([198, 51, 100, UInt8(i)]))
        }
        response.edns = EDNS(udpPayloadSize: 512)
        let bytes = try response.bytes(limit: 512)
        #expect(bytes.count <= 512)
        let read = try DNSMessage(bytes: bytes)
        #expect(read.header.truncated)
        #expect(read.answers.count < 100 && read.answers == Array(response.answers.prefix(read.answers.count)))
        #expect(read.edns?.udpPayloadSize == 512)
        #expect(try DNSMessage(bytes: try response.bytes()).header.truncated == false)
    }
}

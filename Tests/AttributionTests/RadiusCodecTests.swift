import Addressing
import Attribution
import Foundation
import MamoriTesting
import Testing

/// The RFC 2865/2866 codec: framing, authenticators (known answers computed with Python's
/// hashlib.md5), and the mapping to the events the detail parser makes of the same records.
@Suite("RADIUS accounting codec")
struct RadiusCodecTests {
    static let secret = Array("testing123".utf8)

    /// An Accounting-Request, id 0x2a: Acct-Status-Type Start, User-Name "alice",
    /// Acct-Session-Id "0A000001", Framed-IP-Address 198.51.100.10; Request Authenticator with
    /// secret "testing123" computed by
    /// `hashlib.md5(hdr + b"\0"*16 + attrs + b"testing123")`.
    static let knownRequest: [UInt8] = [
        0x04, 0x2a, 0x00, 0x31, 0xda, 0xaa, 0x28, 0xfa, 0x54, 0x73, 0x2b, 0x10, 0x91, 0x27, 0x47, 0xa7, 0x2a, 0xe2, 0x6f, 0x84,
        0x28, 0x06, 0x00, 0x00, 0x00, 0x01, 0x01, 0x07, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x2c, 0x0a, 0x30, 0x41, 0x30, 0x30, 0x30,
        0x30, 0x30, 0x31, 0x08, 0x06, 0xc6, 0x33, 0x64, 0x0a,
    ]
    /// Its Accounting-Response: `hashlib.md5(b"\x05\x2a\x00\x14" + request_auth + b"testing123")`.
    static let knownResponse: [UInt8] = [
        0x05, 0x2a, 0x00, 0x14, 0xa4, 0x74, 0x15, 0xdb, 0x3c, 0x64, 0xcb, 0x9b, 0xa0, 0x19, 0xc5, 0x23, 0xd1, 0x14, 0x0e, 0x7d,
    ]

    static let now = Date(timeIntervalSince1970: 1_795_737_600)

    static func request(_ attributes: [RadiusAttribute], id: UInt8 = 1) -> [UInt8] {
        RadiusAuthenticator.signedAccountingRequest(identifier: id, attributes: attributes, secret: secret)
    }

    static func record(_ attributes: [RadiusAttribute], at time: Date = now) throws -> RadiusAccountingRecord {
        try RadiusAccountingRecord(RadiusPacket(decoding: request(attributes)), receivedAt: time)
    }

    @Test func knownAnswerAuthenticators() throws {
        try RadiusAuthenticator.verifyAccountingRequest(Self.knownRequest, secret: Self.secret)
        #expect(throws: RadiusError.badAuthenticator) {
            try RadiusAuthenticator.verifyAccountingRequest(Self.knownRequest, secret: Array("wrong".utf8))
        }
        var tampered = Self.knownRequest
        tampered[30] ^= 1
        #expect(throws: RadiusError.badAuthenticator) { try RadiusAuthenticator.verifyAccountingRequest(tampered, secret: Self.secret) }

        let packet = try RadiusPacket(decoding: Self.knownRequest)
        #expect(packet.code == .accountingRequest)
        #expect(packet.identifier == 0x2a)
        #expect(packet.attributes.map(\.type) == [.acctStatusType, .userName, .acctSessionID, .framedIPAddress])
        #expect(packet.encoded() == Self.knownRequest)
        let signed = RadiusAuthenticator.signedAccountingRequest(identifier: 0x2a, attributes: packet.attributes, secret: Self.secret)
        #expect(signed == Self.knownRequest)

        let response = RadiusAuthenticator.accountingResponse(to: packet, secret: Self.secret)
        #expect(response == Self.knownResponse)
        #expect(RadiusAuthenticator.isValidResponse(response, requestAuthenticator: packet.authenticator, secret: Self.secret))
        #expect(!RadiusAuthenticator.isValidResponse(response, requestAuthenticator: packet.authenticator, secret: Array("x".utf8)))
    }

    @Test func knownRequestMapsToAStartEvent() throws {
        let record = try RadiusAccountingRecord(RadiusPacket(decoding: Self.knownRequest), receivedAt: Self.now.addingTimeInterval(0.7))
        #expect(record.status == .start)
        #expect(record.problem == nil)
        let event = try #require(record.event)
        #expect(event.format == .radiusDetail)
        #expect(event.kind == .start)
        #expect(event.subscriber == "alice")
        #expect(event.session == "0A000001")
        #expect(event.prefixes == [IPPrefix("198.51.100.10/32")!])
        #expect(event.eventTime == Self.now)  // arrival, to the second
        #expect(event.sessionStart == Self.now)
        #expect(event.end == nil)
    }

    @Test func timesFollowTheDetailRules() throws {
        // Timestamp (arrival) − Acct-Delay-Time; Stop: start = time − Acct-Session-Time.
        let stop = try Self.record([
            RadiusAttribute(.acctStatusType, integer: 2), RadiusAttribute(.userName, text: "bob"),
            RadiusAttribute(.acctSessionID, text: "s1"), RadiusAttribute(.acctDelayTime, integer: 5),
            RadiusAttribute(.acctSessionTime, integer: 100), RadiusAttribute(.acctInterimInterval, integer: 300),
        ])
        let e = try #require(stop.event)
        #expect(e.kind == .stop)
        #expect(e.eventTime == Self.now.addingTimeInterval(-5))
        #expect(e.end == Self.now.addingTimeInterval(-5))
        #expect(e.sessionStart == Self.now.addingTimeInterval(-105))
        #expect(e.interimInterval == 300)
        // Event-Timestamp wins over arrival and delay.
        let interim = try Self.record([
            RadiusAttribute(.acctStatusType, integer: 3), RadiusAttribute(.userName, text: "bob"),
            RadiusAttribute(.acctSessionID, text: "s1"), RadiusAttribute(.acctDelayTime, integer: 5),
            RadiusAttribute(.eventTimestamp, integer: 1_700_000_000),
        ])
        #expect(interim.event?.kind == .interim)
        #expect(interim.event?.eventTime == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(interim.event?.sessionStart == nil)
        // A delay reaching before 1970 is a problem, not an event.
        let early = try Self.record(
            [
                RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.userName, text: "bob"),
                RadiusAttribute(.acctSessionID, text: "s1"), RadiusAttribute(.acctDelayTime, integer: 50),
            ], at: Date(timeIntervalSince1970: 10))
        #expect(early.event == nil)
        #expect(early.problem?.hasPrefix("time:") == true)
    }

    @Test func ipv6PrefixesAndAddresses() throws {
        // Delegated /56 sent with its 7 significant octets, Framed /64 with all 16, a Framed-IPv6-Address.
        let r = try Self.record([
            RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.userName, text: "carol"),
            RadiusAttribute(.acctSessionID, text: "s6"),
            RadiusAttribute(.delegatedIPv6Prefix, [0, 56, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x01]),
            RadiusAttribute(.framedIPv6Prefix, [0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            RadiusAttribute(.framedIPv6Address, IPAddress("2001:db8:3::1")!.bytes),
            RadiusAttribute(.framedIPAddress, [255, 255, 255, 254]),  // RFC 2865 special value: no address
        ])
        #expect(
            r.event?.prefixes == [IPPrefix("2001:db8:1:100::/56")!, IPPrefix("2001:db8:2::/64")!, IPPrefix("2001:db8:3::1/128")!])
        let hostBits = [
            RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.delegatedIPv6Prefix, [0, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 1]),
        ]
        #expect(throws: RadiusError.badAttribute(field: "Delegated-IPv6-Prefix", reason: "not an IPv6 prefix (host bits zero)")) {
            try Self.record(hostBits)
        }
        #expect(throws: RadiusError.badAttribute(field: "Framed-IPv6-Prefix", reason: "fewer prefix octets than the length needs")) {
            try Self.record([RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.framedIPv6Prefix, [0, 64, 0x20, 0x01])])
        }
        #expect(throws: RadiusError.badAttribute(field: "Framed-IPv6-Prefix", reason: "prefix length over 128")) {
            try Self.record([RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.framedIPv6Prefix, [0, 129])])
        }
    }

    @Test func accountingOnOffAndIncompleteRecords() throws {
        let on = try Self.record([RadiusAttribute(.acctStatusType, integer: 7), RadiusAttribute(.nasIPAddress, [192, 0, 2, 1])])
        #expect(on.status == .accountingOn)
        #expect(on.nas == .address(IPAddress("192.0.2.1")!))
        #expect(on.event == nil && on.problem == nil)
        let off = try Self.record([RadiusAttribute(.acctStatusType, integer: 8), RadiusAttribute(.nasIdentifier, text: "bras-1")])
        #expect(off.status == .accountingOff)
        #expect(off.nas == .identifier("bras-1"))
        let noUser = try Self.record([RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.acctSessionID, text: "s")])
        #expect(noUser.event == nil)
        #expect(noUser.problem == "User-Name: missing")
        let noSession = try Self.record([RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.userName, text: "u")])
        #expect(noSession.problem == "Acct-Session-Id: missing")
        #expect(throws: RadiusError.badAttribute(field: "Acct-Status-Type", reason: "missing")) {
            try Self.record([RadiusAttribute(.userName, text: "u")])
        }
        #expect(throws: RadiusError.badAttribute(field: "Acct-Status-Type", reason: "unknown value")) {
            try Self.record([RadiusAttribute(.acctStatusType, integer: 5)])
        }
        #expect(throws: RadiusError.badAttribute(field: "Acct-Session-Time", reason: "not 4 octets")) {
            try Self.record([RadiusAttribute(.acctStatusType, integer: 2), RadiusAttribute(.acctSessionTime, [0, 1])])
        }
        #expect(throws: RadiusError.badAttribute(field: "User-Name", reason: "empty")) {
            try Self.record([RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.userName, [])])
        }
    }

    @Test func vendorSpecificStaysOpaqueAndIsIgnored() throws {
        let vsa: [UInt8] = [0, 0, 0x28, 0xaf, 1, 6, 1, 2, 3, 4]  // vendor 10415, sub-attribute 1
        let bytes = Self.request([
            RadiusAttribute(.acctStatusType, integer: 1), RadiusAttribute(.userName, text: "u"),
            RadiusAttribute(.acctSessionID, text: "s"), RadiusAttribute(.vendorSpecific, vsa),
        ])
        let packet = try RadiusPacket(decoding: bytes)
        #expect(packet.values(.vendorSpecific) == [vsa])
        #expect(try RadiusAccountingRecord(packet, receivedAt: Self.now).event?.prefixes == [])
    }

    @Test func framingErrorsNameTheField() throws {
        #expect(throws: RadiusError.badLength(declared: 0, received: 3)) { try RadiusPacket(decoding: [4, 1, 0]) }
        var short = Self.knownRequest
        short[3] = 19
        #expect(throws: RadiusError.badLength(declared: 19, received: 49)) { try RadiusPacket(decoding: short) }
        #expect(throws: RadiusError.truncated(declared: 49, received: 48)) { try RadiusPacket(decoding: Self.knownRequest.dropLast()) }
        var zeroLength = Self.knownRequest
        zeroLength[21] = 1  // the first attribute's length
        #expect(throws: RadiusError.badAttributeLength(type: 40, offset: 20)) { try RadiusPacket(decoding: zeroLength) }
        var overrun = Self.knownRequest
        overrun[44] = 7  // the last attribute (Framed-IP-Address) claims one octet more than there is
        #expect(throws: RadiusError.badAttributeLength(type: 8, offset: 43)) { try RadiusPacket(decoding: overrun) }
        // Octets past Length are padding: ignored, and not covered by the authenticator.
        let padded = Self.knownRequest + [0, 0, 0]
        #expect(try RadiusPacket(decoding: padded) == RadiusPacket(decoding: Self.knownRequest))
        try RadiusAuthenticator.verifyAccountingRequest(padded, secret: Self.secret)
        // An Access-Request (code 1) is not accounting.
        let access = RadiusPacket(code: RadiusCode(rawValue: 1), identifier: 1, authenticator: [UInt8](repeating: 0, count: 16), attributes: [])
        #expect(throws: RadiusError.unexpectedCode(RadiusCode(rawValue: 1))) { try RadiusAccountingRecord(access, receivedAt: Self.now) }
        #expect(throws: RadiusError.unexpectedCode(RadiusCode(rawValue: 1))) {
            try RadiusAuthenticator.verifyAccountingRequest(access.encoded(), secret: Self.secret)
        }
        #expect(RadiusError.badAttribute(field: "User-Name", reason: "empty").description == "User-Name: empty")
    }

    // MARK: the same records as the detail files

    @Test(
        arguments: [
            ("radius/freeradius-detail-one.txt", true), ("abuse/radius-detail-livingston-2stop.txt", true),
            ("detail-sessions.txt", false), ("detail-handover.txt", false),
        ])
    func detailRecordsSentAsPacketsMakeTheSameEvents(file: String, corpus: Bool) throws {
        if corpus, !Corpus.isPresent { return }
        let url = corpus ? Paths.corpus(file) : Paths.fixture(file)
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        // Acct-Unique-Session-Id is FreeRADIUS's own, never on the wire: a record that has only it
        // is sent with it as Acct-Session-Id, and the detail parser is given the same.
        let wireText = DetailToPacket.wireEquivalent(text)
        let parsed = try AssignmentReader.parse(bytes: Array(wireText.utf8), fileName: file, format: .radiusDetail)
        #expect(parsed.issues.isEmpty)
        var live: [AssignmentEvent] = []
        for record in DetailToPacket.records(wireText) {
            let (attributes, timestamp) = try DetailToPacket.attributes(of: record)
            let datagram = Self.request(attributes)
            try RadiusAuthenticator.verifyAccountingRequest(datagram, secret: Self.secret)
            let mapped = try RadiusAccountingRecord(
                RadiusPacket(decoding: datagram), receivedAt: Date(timeIntervalSince1970: TimeInterval(timestamp)))
            if let event = mapped.event { live.append(event) }
        }
        #expect(!live.isEmpty)
        #expect(live == parsed.events)
        #expect(live.map(\.stableKey) == parsed.events.map(\.stableKey))
    }
}

/// Turns detail-file records into Accounting-Request attributes, with a small dictionary of
/// the attributes those files use (the others are left out: the mapping ignores them anyway).
enum DetailToPacket {
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    static func wireEquivalent(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [Substring] = []
        var record: [Substring] = []
        func flush() {
            let hasSessionID = record.contains { $0.hasPrefix("\tAcct-Session-Id ") }
            for line in record {
                if line.hasPrefix("\tAcct-Unique-Session-Id ") {
                    if !hasSessionID { out.append("\tAcct-Session-Id " + line.dropFirst("\tAcct-Unique-Session-Id ".count)) }
                } else {
                    out.append(line)
                }
            }
            record = []
        }
        for line in lines {
            if line.hasPrefix("\t") {
                record.append(line)
            } else {
                flush()
                out.append(line)
            }
        }
        flush()
        return out.joined(separator: "\n")
    }

    /// The records of a detail text: header and attribute lines, blank lines between.
    static func records(_ text: String) -> [[Substring]] {
        var records: [[Substring]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if !line.hasPrefix("\t") { records.append([]) } else if !records.isEmpty { records[records.count - 1].append(line) }
        }
        return records
    }

    static let strings: [String: UInt8] = [
        "User-Name": 1, "Acct-Session-Id": 44, "Calling-Station-Id": 31, "Called-Station-Id": 30, "Connect-Info": 77,
    ]
    static let integers: [String: UInt8] = [
        "NAS-Port": 5, "Acct-Session-Time": 46, "Acct-Delay-Time": 41, "Acct-Interim-Interval": 85, "Acct-Input-Octets": 42,
        "Acct-Output-Octets": 43,
    ]
    static let statuses: [String: UInt32] = ["Start": 1, "Stop": 2, "Interim-Update": 3, "Accounting-On": 7, "Accounting-Off": 8]

    /// The attributes of one record and its `Timestamp` (the arrival time to decode it at).
    static func attributes(of record: [Substring]) throws -> ([RadiusAttribute], Int64) {
        var attributes: [RadiusAttribute] = []
        var timestamp: Int64?
        for line in record {
            let parts = line.dropFirst().split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw Unsupported(description: "line \(line)") }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            var value = parts[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if let type = strings[name] {
                attributes.append(RadiusAttribute(RadiusAttributeType(rawValue: type), text: value))
            } else if let type = integers[name], let n = UInt32(value) {
                attributes.append(RadiusAttribute(RadiusAttributeType(rawValue: type), integer: n))
            } else if name == "Acct-Status-Type", let n = statuses[value] {
                attributes.append(RadiusAttribute(.acctStatusType, integer: n))
            } else if name == "NAS-IP-Address" || name == "Framed-IP-Address", let a = IPAddress(value) {
                attributes.append(RadiusAttribute(name == "NAS-IP-Address" ? .nasIPAddress : .framedIPAddress, a.bytes))
            } else if name == "Framed-IPv6-Prefix" || name == "Delegated-IPv6-Prefix", let p = IPPrefix(value) {
                let octets = Array(p.network.bytes.prefix((p.length + 7) / 8))
                attributes.append(
                    RadiusAttribute(name == "Framed-IPv6-Prefix" ? .framedIPv6Prefix : .delegatedIPv6Prefix, [0, UInt8(p.length)] + octets))
            } else if name == "Event-Timestamp" {
                attributes.append(RadiusAttribute(.eventTimestamp, integer: UInt32(try eventTimestamp(value))))
            } else if name == "Timestamp", let t = Int64(value) {
                timestamp = t
            }
        }
        guard let timestamp else { throw Unsupported(description: "a record without Timestamp") }
        return (attributes, timestamp)
    }

    /// The seconds of an Event-Timestamp text, as the detail parser reads it.
    static func eventTimestamp(_ value: String) throws -> Int64 {
        if let n = Int64(value) { return n }
        let text =
            "Fri Nov 27 10:00:00 2026\n\tUser-Name = \"u\"\n\tAcct-Session-Id = \"s\"\n\tAcct-Status-Type = Start\n\tEvent-Timestamp = \"\(value)\"\n"
        let r = try AssignmentReader.parse(bytes: Array(text.utf8), fileName: "t", format: .radiusDetail)
        guard let e = r.events.first else { throw Unsupported(description: "Event-Timestamp \(value)") }
        return Int64(e.eventTime.timeIntervalSince1970)
    }
}

import Addressing
import Attribution
import Foundation
import Storage
import Testing

/// The stored row written by hand (``EventRowWriter``) is the row `JSONEncoder` wrote before:
/// one store format whichever version wrote it.
@Suite struct EventRowTests {
    static let t = Date(timeIntervalSince1970: 1_795_737_600)

    static var events: [AssignmentEvent] {
        let v6 = IPPrefix("2001:db8:12:3400::/56")!
        let v4 = IPPrefix("192.0.2.77/32")!
        let mapped = IPPrefix(host: IPAddress("::ffff:198.51.100.1")!)
        return [
            AssignmentEvent(
                format: .radiusDetail, kind: .start, subscriber: "u1@example.jp", session: "S1", prefixes: [v4, v6], eventTime: t,
                sessionStart: t, interimInterval: 600),
            AssignmentEvent(
                format: .radiusDetail, kind: .stop, subscriber: "a|b,c%d/e", session: "s\"q\\\n\u{1}x", prefixes: [v6, v4, mapped],
                eventTime: t.addingTimeInterval(0.25), sessionStart: t.addingTimeInterval(-86_400), end: t.addingTimeInterval(7.5)),
            AssignmentEvent(
                format: .cgnCSV, kind: .portBlock, subscriber: "加入者", session: "x", prefixes: [IPPrefix("2001:db8::1/128")!],
                portRange: 1024...2047, eventTime: Date(timeIntervalSince1970: 0), sessionStart: nil, end: nil),
            AssignmentEvent(
                format: .keaCSV, kind: .lease, subscriber: "01:02", session: "s", prefixes: [],
                eventTime: Date(timeIntervalSince1970: 4_102_444_800.5), interimInterval: 1e-3),
            AssignmentEvent(
                format: .dhcpdLeases, kind: .release, subscriber: "x", session: "y", prefixes: [IPPrefix("0.0.0.0/0")!, IPPrefix("::/0")!],
                eventTime: Date(timeIntervalSince1970: -5), end: Date(timeIntervalSinceReferenceDate: 1e12)),
        ]
    }

    @Test func bodyIsWhatJSONEncoderWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var row = EventRowWriter()
        for event in Self.events {
            row.write(event)
            let expected = try encoder.encode(event)
            #expect(String(decoding: row.body, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            #expect(try JSONDecoder().decode(AssignmentEvent.self, from: Data(row.body)) == event)
        }
    }

    @Test func keyIsTheStableKey() {
        // The keys as the string-built `stableKey` wrote them before (stored keys must not change).
        let expected = [
            "v1|radius-detail|start|u1@example.jp|S1|192.0.2.77/32,2001:db8:12:3400::/56||1795737600|1795737600||600",
            "v1|radius-detail|stop|a%7Cb%2Cc%25d/e|s\"q\\\n\u{1}x|192.0.2.77/32,::ffff:198.51.100.1/128,2001:db8:12:3400::/56|"
                + "|1795737600.25|1795651200|1795737607.5|",
            "v1|cgn-csv|portBlock|加入者|x|2001:db8::1/128|1024-2047|0|||",
        ]
        var row = EventRowWriter()
        for (event, key) in zip(Self.events, expected) {
            row.write(event)
            #expect(String(decoding: row.key, as: UTF8.self) == key)
            #expect(event.stableKey == key)
        }
    }
}

import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import Testing
import TextScanning

@Suite("CGN port-block CSV")
struct CGNTests {
    @Test func parsesStrictlyAndReportsBadRows() throws {
        let r = try parse(Paths.fixture("cgn-blocks.csv"))
        #expect(r.recordsSeen == 9)
        #expect(r.events.count == 6)
        #expect(r.issues.map(\.line) == [6, 7, 8])
        #expect(r.issues[0].reason == "start: time has no zone: RFC 3339 requires Z or ±HH:MM")
        #expect(r.issues[1].reason == "port_end: before port_start")
        #expect(r.issues[2].reason == "expected 7 columns, found 6")
        let a = r.events[0]
        #expect(a.kind == .portBlock)
        #expect(a.subscriber == "sub-a")
        #expect(a.portRange == 1024...2047)
        #expect(a.sessionStart == t0)
        #expect(a.end == at("2026-11-27T02:00:00Z"))
        #expect(a.session == "203.0.113.5:1024-2047@2026-11-27T00:00:00Z")
        #expect(r.events[2].subscriber == "100.64.0.12")  // empty subscriber: the private address
        #expect(r.events[3].session.hasPrefix("[2001:db8:cafe::5]:1024-2047@"))
    }

    @Test func portDecidesAndNoPortIsAmbiguous() throws {
        let r = try parse(Paths.fixture("cgn-blocks.csv"))
        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 60))
        let pub = ip("203.0.113.5")
        let t = at("2026-11-27T00:30:00Z")
        #expect(index.holder(of: pub, at: t) == .ambiguous(candidates: 3, reason: .sharedAddressWithoutPort))
        #expect(index.holder(of: pub, at: t, port: 1500).subscriber == "sub-a")
        #expect(index.holder(of: pub, at: t, port: 1024).subscriber == "sub-a")
        #expect(index.holder(of: pub, at: t, port: 2047).subscriber == "sub-a")
        let b = try #require(index.holder(of: pub, at: t, port: 2500).holding)
        #expect(b.subscriber == "sub-b")
        #expect(b.portRange == 2048...3071)
        #expect(b.to == nil)  // still allocated
        #expect(index.holder(of: pub, at: at("2027-01-01T00:00:00Z"), port: 3000).subscriber == "sub-b")
        #expect(index.holder(of: pub, at: t, port: 3500).subscriber == "100.64.0.12")
        #expect(index.holder(of: pub, at: t, port: 6000).isNotFound)
        #expect(index.holder(of: pub, at: at("2026-11-26T00:00:00Z")).isNotFound)
        // The allocation seen open and then with its end: closed at 00:30.
        #expect(index.report.portBlockUpdates == 1)
        #expect(index.holder(of: ip("203.0.113.7"), at: at("2026-11-27T00:20:00Z"), port: 1500).subscriber == "sub-h")
        #expect(index.holder(of: ip("203.0.113.7"), at: at("2026-11-27T00:45:00Z"), port: 1500).isNotFound)
        // IPv6 public address; fractional end rounded up to the second.
        let v6 = try #require(index.holder(of: ip("2001:db8:cafe::5"), at: t, port: 2000).holding)
        #expect(v6.to == at("2026-11-27T01:00:01Z"))
        #expect(index.holder(of: ip("2001:db8:cafe::5"), at: t).ambiguityReason == .sharedAddressWithoutPort)
    }

    @Test func headerMustMatchExactly() {
        var p = CGNPortBlockParser(fileName: "c")
        var r = ParseResult()
        p.feed(line: "public_ip,port_start,port_end,private_ip,subscriber,start", number: 1, into: &r)
        p.feed(line: "203.0.113.5,1,2,,s,2026-11-27T00:00:00Z,", number: 2, into: &r)
        p.finish(into: &r)
        #expect(r.events.isEmpty)
        #expect(r.issues.map(\.line) == [1, 2])
        #expect(r.recordsSeen == 1)

        var q = CGNPortBlockParser(fileName: "c")
        var s = ParseResult()
        q.feed(line: CGNPortBlockParser.header, number: 1, into: &s)
        for (i, row) in [
            "203.0.113.5,1,2,,,2026-11-27T00:00:00Z,",
            "203.0.113.5,1,2,,s ,2026-11-27T00:00:00Z,",
            "203.0.113.5,1,70000,,s,2026-11-27T00:00:00Z,",
            "203.0.113.5,1,2,10.0.0.300,s,2026-11-27T00:00:00Z,",
            "203.0.113.5,1,2,,s,2026-11-27T00:00:00Z,2026-11-26T00:00:00Z",
            "203.0.113.5,1,2,,s,2026-11-27T00:00:00Z,2026-11-28T00:00:00",
        ].enumerated() {
            q.feed(line: row, number: i + 2, into: &s)
        }
        #expect(s.events.isEmpty)
        #expect(
            s.issues.map(\.reason) == [
                "subscriber: empty and no private_ip", "subscriber: leading or trailing space",
                "port_end: not a port number", "private_ip: not an IP address", "end: before start",
                "end: time has no zone: RFC 3339 requires Z or ±HH:MM",
            ])
    }
}

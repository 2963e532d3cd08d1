import Addressing
@_spi(Unaudited) import Attribution
import Foundation
import MamoriTesting
import Testing
import TextScanning

@Suite("RADIUS detail", .enabled(if: Corpus.isPresent, "needs the shared corpus"))
struct RadiusDetailTests {
    @Test func livingstonStopsUseTimestampNotHeader() throws {
        let r = try parse(Paths.corpus("abuse/radius-detail-livingston-2stop.txt"))
        #expect(r.recordsSeen == 2)
        #expect(r.recordsSkipped == 0)
        #expect(r.issues.isEmpty)
        #expect(r.events.count == 2)
        #expect(r.events.allSatisfy { $0.kind == .stop && $0.format == .radiusDetail })

        let first = r.events[0]
        #expect(first.subscriber == "jaime")
        #expect(first.session == "AC000004")
        #expect(first.prefixes.isEmpty)

        let e = r.events[1]
        let timestamp = Date(timeIntervalSince1970: 868_376_724)  // Timestamp − Acct-Delay-Time (0)
        #expect(e.subscriber == "consolata")
        #expect(e.session == "1A00014E")
        #expect(e.prefixes == [prefix("192.168.32.35/32")])
        #expect(e.eventTime == timestamp)
        #expect(e.end == timestamp)
        #expect(e.sessionStart == timestamp.addingTimeInterval(-67))
        // The header "Tue Jul 8 08:45:24 1997" read as UTC is 7 h before Timestamp: Timestamp wins.
        let headerAsUTC = at("1997-07-08T08:45:24Z")
        #expect(timestamp.timeIntervalSince(headerAsUTC) == 7 * 3600)

        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        #expect(index.sessionCount == 1)
        #expect(index.report.sessionsWithoutAddress == 1)
        let h = try #require(index.holder(of: ip("192.168.32.35"), at: timestamp.addingTimeInterval(-30)).holding)
        #expect(h.subscriber == "consolata")
        #expect(h.from == timestamp.addingTimeInterval(-67))
        #expect(h.to == timestamp)
        #expect(h.endIsEstimated == false)
        #expect(index.holder(of: ip("192.168.32.35"), at: timestamp.addingTimeInterval(-68)).isNotFound)
        #expect(index.holder(of: ip("192.168.32.35"), at: headerAsUTC).isNotFound)
    }

    @Test func headerIsTheLastResortInTheConfiguredZone() throws {
        let data = try Data(contentsOf: Paths.corpus("abuse/radius-detail-livingston-2stop.txt"))
        let text = String(decoding: data, as: UTF8.self)
        let stripped = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\tTimestamp") }.joined(separator: "\n")
        let utc = try AssignmentReader.parse(bytes: Array(stripped.utf8), fileName: "x", format: .radiusDetail)
        #expect(utc.events[1].eventTime == at("1997-07-08T08:45:24Z"))
        let pdt = try AssignmentReader.parse(
            bytes: Array(stripped.utf8), fileName: "x", format: .radiusDetail,
            headerTimeZone: TimeZone(secondsFromGMT: -7 * 3600)!)
        #expect(pdt.events[1].eventTime == Date(timeIntervalSince1970: 868_376_724))
        #expect(pdt.events[1].sessionStart == Date(timeIntervalSince1970: 868_376_724 - 67))
    }

    @Test func freeradiusStartWithoutAddressIsAnEventButNoHolding() throws {
        let r = try parse(Paths.corpus("radius/freeradius-detail-one.txt"))
        #expect(r.recordsSeen == 1)
        #expect(r.issues.isEmpty)
        #expect(r.events.count == 1)
        let e = r.events[0]
        #expect(e.kind == .start)
        #expect(e.subscriber == "bob")
        #expect(e.session == "ed8119f6919c6f6f")  // Acct-Unique-Session-Id preferred
        #expect(e.prefixes.isEmpty)
        #expect(e.eventTime == Date(timeIntervalSince1970: 1_554_226_681))  // Timestamp, not the 2011 header
        #expect(e.sessionStart == e.eventTime)
        let index = AttributionIndex(events: r.events)
        #expect(index.sessionCount == 0)
        #expect(index.report.radiusSessions == 1)
        #expect(index.report.sessionsWithoutAddress == 1)
    }

    @Test func startInterimStopWithZonedEventTimestamps() throws {
        let r = try parse(Paths.fixture("detail-sessions.txt"))
        #expect(r.recordsSeen == 6)
        #expect(r.recordsSkipped == 1)  // Accounting-On
        #expect(r.issues.isEmpty)
        #expect(r.events.map(\.kind) == [.start, .interim, .stop, .start, .stop])
        let alice = r.events.filter { $0.subscriber == "alice@isp.example" }
        #expect(alice.count == 3)
        #expect(alice.allSatisfy { $0.session == "u-alice-1" })
        #expect(alice[0].eventTime == at("2026-11-27T01:00:00Z"))  // "JST"
        // Event-Timestamp "+0900" is the event's own time: Acct-Delay-Time is not subtracted from it.
        #expect(alice[1].eventTime == at("2026-11-27T01:05:00Z"))
        #expect(alice[1].sessionStart == at("2026-11-27T01:00:00Z"))
        #expect(alice[2].end == at("2026-11-27T02:00:00Z"))
        let carol = r.events.filter { $0.subscriber == "carol" }
        #expect(carol[0].eventTime == t0)  // Timestamp − Acct-Delay-Time 5
        #expect(carol[0].prefixes == [prefix("2001:db8:100:1::/64"), prefix("2001:db8:200:100::/56")])

        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        #expect(index.sessionCount == 3)
        let h = try #require(index.holder(of: ip("198.51.100.10"), at: at("2026-11-27T01:30:00Z")).holding)
        #expect(h.subscriber == "alice@isp.example")
        #expect(h.session == "u-alice-1")
        #expect(h.from == at("2026-11-27T01:00:00Z"))
        #expect(h.to == at("2026-11-27T02:00:00Z"))
        #expect(h.prefix == prefix("198.51.100.10/32"))
        #expect(index.holder(of: ip("198.51.100.10"), at: at("2026-11-27T02:00:01Z")).isNotFound)
        #expect(index.holder(of: ip("198.51.100.11"), at: at("2026-11-27T01:30:00Z")).isNotFound)

        // Framed-IPv6-Prefix and Delegated-IPv6-Prefix: any address inside matches.
        let inFramed = try #require(index.holder(of: ip("2001:db8:100:1::abcd"), at: t0.addingTimeInterval(1800)).holding)
        #expect(inFramed.subscriber == "carol")
        #expect(inFramed.prefix == prefix("2001:db8:100:1::/64"))
        let inDelegated = try #require(index.holder(of: ip("2001:db8:200:1ab:1:2:3:4"), at: t0.addingTimeInterval(1800)).holding)
        #expect(inDelegated.subscriber == "carol")
        #expect(inDelegated.prefix == prefix("2001:db8:200:100::/56"))
        #expect(index.holder(of: ip("2001:db8:200:200::1"), at: t0.addingTimeInterval(1800)).isNotFound)
        #expect(index.holder(of: ip("2001:db8:100:2::1"), at: t0.addingTimeInterval(1800)).isNotFound)
    }

    @Test func interimOnlySessionAndGracePeriods() throws {
        let r = try parse(Paths.fixture("detail-rotated.txt"))
        #expect(r.recordsSeen == 4)
        #expect(r.issues.isEmpty)
        let index = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        #expect(index.report.sessionsWithoutStart == 1)
        #expect(index.report.sessionsClosedByGrace == 3)

        // bob: Interim-Update at 03:00 with Acct-Session-Time 7200 → started 01:00 (Start in an earlier file);
        // no Stop, Acct-Interim-Interval 600 → held until 03:00 + 2 × 600.
        let bob = try #require(index.holder(of: ip("198.51.100.20"), at: at("2026-11-27T01:00:30Z")).holding)
        #expect(bob.subscriber == "bob")
        #expect(bob.from == at("2026-11-27T01:00:00Z"))
        #expect(bob.to == at("2026-11-27T03:20:00Z"))
        #expect(bob.endIsEstimated)
        #expect(index.holder(of: ip("198.51.100.20"), at: at("2026-11-27T03:19:59Z")).subscriber == "bob")
        #expect(index.holder(of: ip("198.51.100.20"), at: at("2026-11-27T03:20:01Z")).isNotFound)
        #expect(index.holder(of: ip("198.51.100.20"), at: at("2026-11-27T00:59:59Z")).isNotFound)

        // dan: a Start alone → defaultGrace (900 s).
        let dan = try #require(index.holder(of: ip("198.51.100.30"), at: at("2026-11-27T01:14:00Z")).holding)
        #expect(dan.to == at("2026-11-27T01:15:00Z"))
        #expect(index.holder(of: ip("198.51.100.30"), at: at("2026-11-27T01:15:01Z")).isNotFound)

        // erin: Start 01:00, Interim 01:05 → observed gap 300 s → held until 01:05 + 600.
        let erin = try #require(index.holder(of: ip("198.51.100.31"), at: at("2026-11-27T01:10:00Z")).holding)
        #expect(erin.to == at("2026-11-27T01:15:00Z"))

        let wide = AttributionIndex(
            events: r.events, config: AttributionConfig(graceMultiplier: 3, defaultGrace: 120, skew: 0))
        #expect(wide.holder(of: ip("198.51.100.31"), at: t0).isNotFound)
        #expect(wide.holder(of: ip("198.51.100.31"), at: at("2026-11-27T01:19:00Z")).subscriber == "erin")
        #expect(wide.holder(of: ip("198.51.100.30"), at: at("2026-11-27T01:02:00Z")).subscriber == "dan")
        #expect(wide.holder(of: ip("198.51.100.30"), at: at("2026-11-27T01:02:01Z")).isNotFound)
        #expect(wide.holder(of: ip("198.51.100.20"), at: at("2026-11-27T03:29:59Z")).subscriber == "bob")
    }

    @Test func handoverOverlapAndSkew() throws {
        let r = try parse(Paths.fixture("detail-handover.txt"))
        #expect(r.events.count == 8)
        #expect(r.issues.isEmpty)
        let exact = AttributionIndex(events: r.events, config: AttributionConfig(skew: 0))
        let skewed = AttributionIndex(events: r.events, config: AttributionConfig(skew: 60))
        let a = ip("198.51.100.40")
        // Reassignment: dave 00:00–01:00, then fay 01:00–02:00.
        #expect(exact.holder(of: a, at: at("2026-11-27T00:30:00Z")).subscriber == "dave")
        #expect(exact.holder(of: a, at: at("2026-11-27T01:30:00Z")).subscriber == "fay")
        #expect(exact.holder(of: a, at: at("2026-11-27T00:59:30Z")).subscriber == "dave")
        #expect(exact.holder(of: a, at: at("2026-11-27T01:00:30Z")).subscriber == "fay")
        #expect(exact.holder(of: a, at: at("2026-11-27T01:00:00Z")) == .ambiguous(candidates: 2, reason: .handoverWithinSkew))
        // With 60 s skew the boundary region is ambiguous (intended: the report's clock cannot decide).
        #expect(skewed.holder(of: a, at: at("2026-11-27T00:59:30Z")) == .ambiguous(candidates: 2, reason: .handoverWithinSkew))
        #expect(skewed.holder(of: a, at: at("2026-11-27T01:00:30Z")) == .ambiguous(candidates: 2, reason: .handoverWithinSkew))
        #expect(skewed.holder(of: a, at: at("2026-11-27T00:58:59Z")).subscriber == "dave")
        #expect(skewed.holder(of: a, at: at("2026-11-27T01:01:01Z")).subscriber == "fay")

        // Skew tolerance: 30 s before the Start is found with 60 s, not with 0.
        #expect(skewed.holder(of: a, at: at("2026-11-26T23:59:30Z")).subscriber == "dave")
        #expect(exact.holder(of: a, at: at("2026-11-26T23:59:30Z")).isNotFound)
        #expect(exact.holder(of: a, at: at("2026-11-26T23:59:30Z"), skew: 60).subscriber == "dave")
        #expect(skewed.holder(of: a, at: at("2026-11-27T02:00:30Z")).subscriber == "fay")
        #expect(skewed.holder(of: a, at: at("2026-11-27T02:01:01Z")).isNotFound)

        // Overlap: gus 00:00–02:00 and hal 01:00–03:00 on one address.
        let b = ip("198.51.100.50")
        #expect(exact.holder(of: b, at: at("2026-11-27T01:30:00Z")) == .ambiguous(candidates: 2, reason: .multipleHolders))
        #expect(exact.holder(of: b, at: at("2026-11-27T00:30:00Z")).subscriber == "gus")
        #expect(exact.holder(of: b, at: at("2026-11-27T02:30:00Z")).subscriber == "hal")
        #expect(exact.holdings(containing: b).map(\.subscriber) == ["gus", "hal"])
    }

    @Test func malformedRecordsAreReportedByFileAndLineAndSkipped() throws {
        let r = try parse(Paths.fixture("detail-malformed.txt"))
        #expect(r.recordsSeen == 6)
        #expect(r.events.count == 1)
        #expect(r.events.first?.subscriber == "ok")
        #expect(r.issues.map(\.line) == [5, 13, 18, 34, 36])
        #expect(r.issues.allSatisfy { $0.file == "detail-malformed.txt" })
        #expect(r.issues[0].description == "detail-malformed.txt:5: Framed-IP-Address: not an IPv4 address")
        #expect(r.issues[1].reason.hasPrefix("Event-Timestamp:"))
        #expect(r.issues[2].reason == "missing '=' in attribute line")
        #expect(r.issues[3].reason.hasPrefix("Event-Timestamp: no time zone"))
        #expect(r.issues[4].reason == "Acct-Status-Type: missing")
        // Issues name the field, never the record's content.
        for issue in r.issues {
            for secret in ["198.51.100", "m1", "m2", "m3", "m4", "m5", "M1", "Nov"] {
                #expect(!issue.description.contains(secret), "\(issue)")
            }
        }
    }

    @Test func lineByLineFeedQuotedValuesAndSkippedStatusTypes() {
        var p = RadiusDetailParser(fileName: "inline")
        var r = ParseResult()
        let lines = [
            "Fri Nov 27 09:00:00 2026",
            "\tUser-Name = \"a\\\"b\\\\c\\101\"",
            "\tAcct-Session-Id = \"S 1\"",
            "\tAcct-Status-Type = 1",
            "\tFramed-IP-Address = \"198.51.100.99\"",
            "\tFramed-IPv6-Address = 2001:db8::99",
            "\tEvent-Timestamp = \"Nov  7 2026 10:00:00 UTC\"",
            "",
            "Fri Nov 27 09:00:00 2026",
            "\tAcct-Status-Type = Accounting-Off",
            "",
            "Fri Nov 27 09:00:00 2026",
            "\tUser-Name = \"x\"",
            "\tAcct-Session-Id = \"S2\"",
            "\tAcct-Status-Type = Sotp",
            "",
            "\tUser-Name = \"orphan\"",
            "Fri Nov 27 09:00:00 2026",
            "\tUser-Name = \"y\"",
            "\tAcct-Status-Type = Alive",
            "\tAcct-Session-Id = \"S3\"",
            "\tEvent-Timestamp = \"Nov 27 2026 10:00:00 CST\"",
            "Fri Nov 27 09:00:00 2026",
            "\tUser-Name = \"z\"",
            "\tAcct-Status-Type = Stop",
            "\tAcct-Session-Id = \"S4\"",
            "\tFramed-IP-Address = 0.0.0.0",
            "\tDelegated-IPv6-Prefix = 2001:db8::1/56",
            "\tTimestamp = 1795737600",
        ]
        for (i, line) in lines.enumerated() { p.feed(line: line, number: i + 1, into: &r) }
        p.finish(into: &r)
        #expect(r.recordsSeen == 5)
        #expect(r.recordsSkipped == 1)
        #expect(r.events.count == 1)
        let e = r.events[0]
        #expect(e.subscriber == "a\"b\\cA")
        #expect(e.session == "S 1")
        #expect(e.prefixes == [prefix("198.51.100.99/32"), prefix("2001:db8::99/128")])
        #expect(e.eventTime == at("2026-11-07T10:00:00Z"))
        #expect(r.issues.map(\.line) == [15, 17, 22, 28])
        #expect(r.issues[0].reason == "Acct-Status-Type: unknown value")
        #expect(r.issues[1].reason.contains("outside a record"))
        #expect(r.issues[2].reason.contains("ambiguous"))
        #expect(r.issues[3].reason.hasPrefix("Delegated-IPv6-Prefix"))
    }

    @Test func streamingHandsOverBatches() throws {
        var batches = 0
        var events: [AssignmentEvent] = []
        let summary = try AssignmentReader.stream(contentsOf: Paths.fixture("detail-handover.txt"), batchSize: 3) { batch in
            batches += 1
            events += batch.events
        }
        #expect(summary.format == .radiusDetail)
        #expect(summary.recordsSeen == 8)
        #expect(summary.events == 8)
        #expect(summary.issues == 0)
        #expect(events.count == 8)
        #expect(batches >= 1)
        let whole = try parse(Paths.fixture("detail-handover.txt"))
        #expect(whole.events == events)
    }

    struct StoreFull: Error, Equatable {}

    @Test func batchHandlerErrorsPropagateUnchanged() {
        #expect(throws: StoreFull()) {
            _ = try AssignmentReader.stream(contentsOf: Paths.fixture("detail-handover.txt"), batchSize: 1) { _ in
                throw StoreFull()
            }
        }
    }

    @Test func chunkBoundariesDoNotSplitRecords() throws {
        // The same records repeated past the 1 MiB chunk size parse identically.
        let one = try Data(contentsOf: Paths.fixture("detail-sessions.txt"))
        var big = Data()
        while big.count < 3 << 20 { big.append(one) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-attr-\(UUID().uuidString).txt")
        try big.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try parse(url)
        let copies = big.count / one.count
        #expect(r.issues.isEmpty)
        #expect(r.recordsSeen == 6 * copies)
        #expect(r.events.count == 5 * copies)
    }
}

import Foundation
import Testing
import TextScanning

@Suite("RFC 3339")
struct RFC3339Tests {
    @Test func parsesZonedTimes() {
        #expect(RFC3339.parse("2026-11-27T00:00:00Z") == t0)
        #expect(RFC3339.parse("2026-11-27T09:00:00+09:00") == t0)
        #expect(RFC3339.parse("2026-11-26T19:00:00-05:00") == t0)
        #expect(RFC3339.parse("2026-11-27t00:00:00z") == t0)
        #expect(RFC3339.parse("2026-11-27 00:00:00Z") == t0)
        #expect(RFC3339.parse("2026-11-27T00:00:00.250Z") == t0.addingTimeInterval(0.25))
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(RFC3339.parse("2000-02-29T12:00:00Z") != nil)
        #expect(RFC3339.parse("2016-12-31T23:59:60Z") == RFC3339.parse("2017-01-01T00:00:00Z"))
    }

    @Test func rejectsZonelessAndMalformedTimes() {
        #expect(throws: RFC3339.ParseError.missingZone) { try RFC3339.date(from: "2026-11-27T00:00:00") }
        #expect(throws: RFC3339.ParseError.missingZone) { try RFC3339.date(from: "2026-11-27T00:00:00.5") }
        #expect(throws: RFC3339.ParseError.outOfRange) { try RFC3339.date(from: "2026-02-29T00:00:00Z") }
        #expect(throws: RFC3339.ParseError.outOfRange) { try RFC3339.date(from: "2026-11-27T24:00:00Z") }
        #expect(throws: RFC3339.ParseError.outOfRange) { try RFC3339.date(from: "2026-11-27T00:00:00+24:00") }
        #expect(throws: RFC3339.ParseError.empty) { try RFC3339.date(from: "") }
        for bad in [
            "2026-11-27", "2026-11-27T00:00Z", "2026/11/27T00:00:00Z", "2026-11-27T00:00:00+0900",
            "2026-11-27T00:00:00ZZ", "2026-11-27T00:00:00.Z", "１２３４-11-27T00:00:00Z",
        ] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
        #expect(RFC3339.ParseError.missingZone.description.contains("zone"))
    }

    @Test func formatsUTC() {
        #expect(RFC3339.format(t0) == "2026-11-27T00:00:00Z")
        #expect(RFC3339.format(t0.addingTimeInterval(0.25)) == "2026-11-27T00:00:00.250Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 868_376_724)) == "1997-07-08T15:45:24Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        for s in [0.0, 951_782_400, 1_795_737_600, 4_102_444_799] {
            let d = Date(timeIntervalSince1970: s)
            #expect(RFC3339.parse(RFC3339.format(d)) == d)
        }
    }
}

/// `2026-11-27T00:00:00Z`.
private let t0 = Date(timeIntervalSince1970: 1_795_737_600)

import Foundation
import Testing
import TextScanning

@Suite struct ByteParseTests {
    func bytes<R>(_ text: String, _ body: (Bytes) -> R) -> R {
        var copy = text
        return copy.withUTF8 { body($0) }
    }

    @Test(arguments: [
        ("0", UInt64(0)), ("65535", 65_535), ("18446744073709551615", UInt64.max), ("9999999999999999999", 9_999_999_999_999_999_999),
    ])
    func unsignedIntegers(text: String, value: UInt64) {
        #expect(bytes(text) { ByteParse.uint($0) } == value)
    }

    @Test(arguments: ["", "-1", "18446744073709551616", "99999999999999999999", "12a", " 1", "123456789012345678901"])
    func notUnsignedIntegers(text: String) {
        #expect(bytes(text) { ByteParse.uint($0) } == nil)
    }

    @Test func ports() {
        #expect(bytes("65535") { ByteParse.port($0) } == 65_535)
        #expect(bytes("65536") { ByteParse.port($0) } == nil)
        #expect(bytes("-5") { ByteParse.int($0) } == -5)
    }

    @Test func hexIdentifiers() {
        #expect(bytes("A:11:1") { ByteParse.hexIdentifier($0) } == "0a:11:01")
        #expect(bytes("01:02:zz") { ByteParse.hexIdentifier($0) } == "01:02:zz")
    }
}

@Suite struct TimeTextTests {
    func iso(_ text: String, strict: Bool = true, zoneless: TimeText.Zoneless = .refuse) -> Result<Double, TimeText.Failure> {
        var copy = text
        return copy.withUTF8 { TimeText.iso($0, zoneless: zoneless, strict: strict) }
    }

    @Test func looseZonesOnlyWhenNotStrict() throws {
        #expect(try iso("2026-11-27T09:00:00+0900", strict: false).get() == 1_795_737_600)
        #expect(try iso("2026-11-27 00:00:00 UTC", strict: false).get() == 1_795_737_600)
        #expect(throws: TimeText.Failure.malformed) { try iso("2026-11-27T09:00:00+0900").get() }
        #expect(try iso("2026-11-27T00:00:00", zoneless: .utc).get() == 1_795_737_600)
        #expect(throws: TimeText.Failure.missingZone) { try iso("2026-11-27T00:00:00").get() }
        #expect(throws: TimeText.Failure.outOfRange) { try iso("2026-02-29T00:00:00Z").get() }
    }

    @Test func civilTimeRoundTrips() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let c = CivilTime.civil(days: days)
            #expect(CivilTime.days(year: c.year, month: c.month, day: c.day) == days)
        }
    }
}

@Suite struct CSVScannerTests {
    @Test func rowsOfASmallText() {
        var problems: [String] = []
        let rows = CSVScanner.rows("\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n\n\"multi\nline\",2,3\n\"open,4") { line, reason in
            problems.append("\(line): \(reason)")
        }
        #expect(rows.map(\.line) == [1, 2, 4])
        #expect(rows[0].fields == ["a", "b", "c"])
        #expect(rows[1].fields == ["x, y", "say \"hi\"", ""])
        #expect(rows[2].fields == ["multi\nline", "2", "3"])
        #expect(problems == ["6: field 1: quoted field not closed"])
    }
}

@Suite struct LineFramerTests {
    /// Drip-feeds a text through the framer in every chunk size, as ChunkLoop would: the same lines each time.
    @Test func sameLinesWhateverTheChunks() {
        let text = Array("one\r\ntwo\n\nthree-is-longer-than-ten\nfour".utf8)
        for chunk in 1...text.count {
            var framer = LineFramer(maximumLength: 10)
            var lines: [String] = []
            var overlong: [Int] = []
            var pending: [UInt8] = []
            var offset = 0
            while offset < text.count || !pending.isEmpty {
                let next = text[offset..<min(text.count, offset + chunk)]
                offset += next.count
                pending += next
                let atEOF = offset == text.count
                let used = pending.withUnsafeBufferPointer { b in
                    framer.consume(
                        b, atEOF: atEOF, full: pending.count >= 20, line: { lines.append($0.string + "@\($1)") },
                        overlong: { overlong.append($0) })
                }
                pending.removeFirst(used)
                if atEOF { break }
            }
            #expect(lines == ["one@1", "two@2", "@3", "four@5"], "chunk \(chunk)")
            #expect(overlong == [4], "chunk \(chunk)")
        }
    }
}

@Suite struct FileChunksTests {
    @Test func readsAFileInChunksAndNamesAMissingOne() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("textscanning-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        var content = "\u{FEFF}"
        for i in 0..<5000 { content += "line \(i)\n" }
        try content.write(to: url, atomically: true, encoding: .utf8)
        let file = try RawFile(path: url.path, file: "f.txt")
        defer { file.close() }
        var framer = LineFramer(maximumLength: 64)
        var count = 0
        var last = ""
        try ChunkLoop.run(
            file, chunkSize: 4096, maximumRecordLength: 64,
            consume: { b, atEOF, full in
                framer.consume(
                    b, atEOF: atEOF, full: full,
                    line: { line, _ in
                        count += 1
                        last = line.string
                    }, overlong: { _ in })
            }, afterChunk: {})
        #expect(count == 5000)
        #expect(last == "line 4999")
        #expect(throws: FileReadError(file: "nope", reason: "cannot open")) { try RawFile(path: "/nonexistent/nope", file: "nope") }
    }

    @Test func issuesReadAsFileLineReason() {
        #expect(RecordIssue(file: "a.csv", line: 7, reason: "src_ip: not an IP address").description == "a.csv:7: src_ip: not an IP address")
    }
}

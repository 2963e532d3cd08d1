import DNS
import Foundation
import MamoriTesting
import SiteWarning
import Testing

@Suite struct BlocklistMatchingTests {
    private func blocklist() throws -> Blocklist {
        var builder = BlocklistBuilder()
        try builder.load(
            text: """
                evil.example
                deep.sub.evil.example
                """, file: "m.txt", list: "malware-a", kind: .malwareSite, format: .domains)
        try builder.load(text: "evil.example\nc2.example\n", file: "c.txt", list: "cnc-a", kind: .cnc, format: .domains)
        try builder.load(text: "good.evil.example\n", file: "allow.txt", list: "allow", kind: .allow, format: .domains)
        return builder.build()
    }

    @Test func suffixesLabelWiseAndCaseInsensitive() throws {
        let b = try blocklist()
        #expect(b.hit("evil.example", .malwareSite)?.name == "evil.example")
        #expect(b.hit("a.evil.example", .malwareSite)?.name == "evil.example")
        #expect(b.hit("A.EVIL.Example.", .malwareSite)?.name == "evil.example")
        #expect(b.matching("notevil.example").isEmpty)
        #expect(b.matching("evil.example.com").isEmpty)
        #expect(b.matching("example").isEmpty)
        #expect(b.matching("vil.example").isEmpty)
    }

    @Test func mostSpecificWinsAndKindsAreSeparate() throws {
        let b = try blocklist()
        #expect(b.hit("x.deep.sub.evil.example", .malwareSite)?.name == "deep.sub.evil.example")
        #expect(b.hit("sub.evil.example", .malwareSite)?.name == "evil.example")
        let both = b.matching("www.evil.example")
        #expect(both.malwareSite != nil && both.cnc != nil && both.allow == nil)
        #expect(b.list(of: try #require(both.cnc)) == ListID(rawValue: 1))
        #expect(b.lists[1].name == "cnc-a")
    }

    @Test func allowIsFoundBesideTheBlockEntries() throws {
        let b = try blocklist()
        let m = b.matching("x.good.evil.example")
        #expect(m.allow.map { b.name(of: $0) } == "good.evil.example")
        #expect(m.malwareSite != nil)
    }

    @Test func aLabelWithADotNeverMatchesExactly() throws {
        var builder = BlocklistBuilder()
        try builder.load(text: "a.b.example CNAME .\n*.example CNAME .\n", file: "z", list: "z", kind: .cnc, format: .rpz, zone: ".")
        let b = builder.build()
        // The labels "a.b", "example": not the name a.b.example, but a name below example.
        let odd = try DNSName(labels: [Array("a.b".utf8), Array("example".utf8)])
        let m = b.match(odd)
        #expect(m.cnc.map { b.name(of: $0) } == "example")
        #expect(b.match(DNSName.root).isEmpty)
    }

    @Test func entriesNamedAndProvenance() throws {
        let time = Date(timeIntervalSince1970: 1_790_000_000)
        var builder = BlocklistBuilder()
        try builder.load(text: "x.example # reason one\n", file: "a.txt", list: "a", kind: .cnc, format: .domains, at: time)
        try builder.load(text: "x.example\n", file: "b.txt", list: "b", kind: .malwareSite, format: .domains, at: time)
        let entries = builder.build().entries(named: "X.example.")
        #expect(entries.map(\.list.name) == ["a", "b"])
        #expect(entries.first?.comment == "reason one")
        #expect(entries.first?.list.loadedAt == time)
    }
}

/// A million generated entries: loads, matches, and (with MAMORI_MEASURE=1) prints its cost.
@Suite struct MillionEntriesTests {
    static func generated(_ count: Int) -> String {
        var random = SplitMix64(seed: 42)
        var out = ""
        out.reserveCapacity(count * 28)
        let tlds = ["com", "net", "org", "jp", "example", "info"]
        for i in 0..<count {
            let a = String(random.next() % 0xFFF_FFFF, radix: 36)
            out += "\(a)-\(i).\(tlds[i % tlds.count])\n"
        }
        return out
    }

    @Test func aMillionEntriesLoadAndMatch() throws {
        let text = Self.generated(1_000_000)
        let lines = text.split(separator: "\n")
        var builder = BlocklistBuilder()
        let report = try builder.load(text: text, file: "million.txt", list: "million", kind: .cnc, format: .domains)
        let blocklist = builder.build()
        #expect(report.entries == 1_000_000)
        #expect(report.issueCount == 0)
        #expect(blocklist.nameCount == 1_000_000)
        for index in [0, 1, 499_999, 999_999] {
            let listed = String(lines[index])
            #expect(blocklist.hit(listed, .cnc)?.name == listed)
            #expect(blocklist.hit("www.\(listed)", .cnc)?.name == listed)
            #expect(blocklist.matching("x\(listed)").isEmpty)
        }
        #expect(blocklist.matching("unlisted.example").isEmpty)
    }

    /// Not a check: with `MAMORI_MEASURE=1`, writes a million entries to a file, loads it as
    /// the guard does (streamed), and prints the load time, the memory and a lookup rate.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MAMORI_MEASURE"] == "1", "set MAMORI_MEASURE=1 to measure"))
    func measureAMillionEntriesFromAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-million-\(ProcessInfo.processInfo.processIdentifier).txt")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sample: [String]
        do {
            let text = Self.generated(1_000_000)
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            sample = text.split(separator: "\n").enumerated().filter { $0.offset % 997 == 0 }.map { String($0.element) }
        }
        let before = residentMiB()
        let clock = ContinuousClock()
        let start = clock.now
        var builder = BlocklistBuilder()
        let report = try builder.load(path: path, list: "million", kind: .cnc, format: .domains)
        let blocklist = builder.build()
        let elapsed = clock.now - start
        let after = residentMiB()
        #expect(report.entries == 1_000_000)
        let names = sample.map { dnsName("www." + $0) }
        let lookups = 2_000_000
        let lookupStart = clock.now
        var hits = 0
        for i in 0..<lookups where blocklist.match(names[i % names.count]).cnc != nil { hits += 1 }
        let lookupTime = clock.now - lookupStart
        print(
            "MEASURE load of 1,000,000 entries from a file: \(elapsed); snapshot arrays \(blocklist.approximateByteCount / 1_048_576) MiB;"
                + " RSS \(before) → \(after) MiB (+\(after - before)), peak \(peakMiB()) MiB; \(lookups) lookups of 4-label names: \(lookupTime),"
                + " \(hits) hits")
    }

    private func status(_ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0) / 1024
        }
        return -1
    }

    private func residentMiB() -> Int { status("VmRSS:") }
    private func peakMiB() -> Int { status("VmHWM:") }
}

@Suite struct WireNameTests {
    private func wire(_ labels: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for label in labels {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        return out + [0]
    }

    @Test func wireNamesMatchAsTheirDNSNames() throws {
        var builder = BlocklistBuilder()
        try builder.load(text: "evil.example\n*.wild.example\n", file: "m", list: "m", kind: .malwareSite, format: .domains)
        try builder.load(text: "x.b.example CNAME .\n*.example CNAME *.\n", file: "r", list: "r", kind: .cnc, format: .rpz, zone: ".")
        let b = builder.build()
        let cases: [[String]] = [
            ["evil", "example"], ["A", "EVIL", "Example"], ["wild", "example"], ["x", "wild", "example"], ["notevil", "example"],
            ["x", "b", "example"], ["x.b", "example"], ["a", "x.b", "example"], ["example"], [],
        ]
        for labels in cases {
            let name = try DNSName(labels: labels.map { Array($0.utf8) })
            let bytes = wire(labels) + [0xAB, 0xCD]  // the question's type and class follow
            let byWire = bytes.withUnsafeBytes { b.match(wireName: $0) }
            #expect(byWire == b.match(name), "\(labels)")
        }
    }

    @Test func malformedWireNamesAreNil() {
        let b = Blocklist()
        let bad: [[UInt8]] = [
            [], [3, 0x61, 0x62], [0xC0, 0x0C], [64] + Array(repeating: 0x61, count: 64) + [0],
            Array(repeating: [63] + Array(repeating: UInt8(0x61), count: 63), count: 5).flatMap { $0 } + [0],
        ]
        for bytes in bad {
            #expect(bytes.withUnsafeBytes { b.match(wireName: $0) } == nil, "\(bytes.prefix(8))")
        }
    }
}

import Testing
import TextScanning

@testable import Addressing

@Suite struct AddressParsingTests {
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:DB8::A", "2001:db8::a"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1"),
        ("2001:db8::0:1", "2001:db8::1"),
        ("2001:0:0:1::1", "2001:0:0:1::1"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func rfc5952(input: String, expected: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == expected)
        #expect(IPAddress(address.description) == address)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "a.b.c.d",
        ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "1:", ":1", "fe80::1%eth0", "1:2:3:4:5:6:7",
        "::1.2.3.4.5", "g::1",
    ])
    func rejectsMalformed(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func bytesRoundTrip() throws {
        let a = try #require(IPAddress("2001:db8::1"))
        #expect(a.bytes.count == 16)
        #expect(IPAddress(bytes: a.bytes) == a)
        let b = try #require(IPAddress("198.51.100.7"))
        #expect(b.bytes == [198, 51, 100, 7])
        #expect(b.v4Value == 0xC633_6407)
        #expect(IPAddress("::ffff:198.51.100.7")?.unmappedV4 == b)
    }

    @Test func ordering() throws {
        let a = try #require(IPAddress("10.0.0.1"))
        let b = try #require(IPAddress("10.0.0.2"))
        let c = try #require(IPAddress("::1"))
        #expect(a < b)
        #expect(b < c)  // every IPv4 address sorts before IPv6
    }
}

@Suite struct PrefixTests {
    @Test func containment() throws {
        let p = try #require(IPPrefix("192.0.2.77/24"))
        #expect(p.description == "192.0.2.0/24")
        #expect(p.contains(try #require(IPAddress("192.0.2.255"))))
        #expect(!p.contains(try #require(IPAddress("192.0.3.0"))))
        #expect(!p.contains(try #require(IPAddress("::ffff:192.0.2.1"))))
        #expect(p.lastAddress.description == "192.0.2.255")
        let v6 = try #require(IPPrefix("2001:db8:1200::/40"))
        #expect(v6.contains(try #require(IPAddress("2001:db8:12ff:ffff::1"))))
        #expect(!v6.contains(try #require(IPAddress("2001:db8:1300::"))))
        #expect(v6.contains(try #require(IPPrefix("2001:db8:1234::/48"))))
        #expect(!v6.contains(try #require(IPPrefix("2001:db8::/32"))))
        #expect(try #require(IPPrefix("0.0.0.0/0")).contains(try #require(IPAddress("203.0.113.9"))))
        #expect(try #require(IPPrefix("::/0")).contains(try #require(IPAddress("2001:db8::9"))))
    }

    @Test(arguments: ["192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "192.0.2.0/-1", "x/8", "192.0.2.0/8a"])
    func rejectsMalformed(input: String) {
        #expect(IPPrefix(input) == nil)
    }

    @Test func longestPrefixMatch() throws {
        var table = PrefixTable<String>()
        table.insert(try #require(IPPrefix("10.0.0.0/8")), "eight")
        table.insert(try #require(IPPrefix("10.1.0.0/16")), "sixteen")
        table.insert(try #require(IPPrefix("10.1.2.3/32")), "host")
        table.insert(try #require(IPPrefix("2001:db8::/32")), "doc")
        table.insert(try #require(IPPrefix("2001:db8:aa::/48")), "site")
        #expect(table.longestMatch(try #require(IPAddress("10.1.2.3")))?.value == "host")
        #expect(table.longestMatch(try #require(IPAddress("10.1.2.4")))?.value == "sixteen")
        #expect(table.longestMatch(try #require(IPAddress("10.2.0.1")))?.value == "eight")
        #expect(table.longestMatch(try #require(IPAddress("11.0.0.1"))) == nil)
        #expect(table.longestMatch(try #require(IPAddress("2001:db8:aa::5")))?.prefix.description == "2001:db8:aa::/48")
        #expect(table.longestMatch(try #require(IPAddress("2001:db8:ab::5")))?.value == "doc")
        #expect(table.allMatches(try #require(IPAddress("10.1.2.3"))).map(\.value) == ["host", "sixteen", "eight"])
        #expect(table.remove(try #require(IPPrefix("10.1.2.3/32"))) == "host")
        #expect(table.longestMatch(try #require(IPAddress("10.1.2.3")))?.value == "sixteen")
        #expect(table.count == 4)
    }
}

/// The IPv4-mapped rule, decided once (`Sources/Addressing/AddressText.swift`): the address type
/// keeps what is written; records read a mapped address as the IPv4 host it maps.
@Suite struct MappedAddressRuleTests {
    func record(_ text: String) -> IPAddress? {
        var copy = text
        return copy.withUTF8 { ByteParse.ip($0) }
    }

    @Test func theTypeKeepsWhatIsWritten() throws {
        let mapped = try #require(IPAddress("::ffff:192.0.2.1"))
        #expect(mapped.family == .v6)
        #expect(mapped.description == "::ffff:192.0.2.1")
        #expect(mapped.unmappedV4 == IPAddress("192.0.2.1"))
        var bytes = "::ffff:192.0.2.1"
        #expect(bytes.withUTF8 { IPAddress(ascii: $0) } == mapped)
    }

    @Test(arguments: ["::ffff:192.0.2.1", "::FFFF:c000:201", "0:0:0:0:0:ffff:192.0.2.1"])
    func recordsReadTheIPv4Host(text: String) {
        #expect(record(text) == IPAddress("192.0.2.1"))
    }

    @Test func onlyTheMappedRangeIsUnmapped() {
        #expect(record("::192.0.2.1")?.family == .v6)  // IPv4-compatible (deprecated), not mapped
        #expect(record("64:ff9b::192.0.2.1")?.family == .v6)  // NAT64, not mapped
        #expect(record("2001:db8::1")?.description == "2001:db8::1")
        #expect(record("192.0.2.1%eth0") == nil && record(" 192.0.2.1") == nil && record("[2001:db8::1]") == nil)
    }

    @Test func prefixesFromRecords() {
        var text = "2001:db8:1000:100::/56"
        #expect(text.withUTF8 { ByteParse.prefix($0) }?.description == "2001:db8:1000:100::/56")
        var bad = "192.0.2.1/24"  // host bits set: refused, not widened
        #expect(bad.withUTF8 { ByteParse.prefix($0) } == nil)
    }
}

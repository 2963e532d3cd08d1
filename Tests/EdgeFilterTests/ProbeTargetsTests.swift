import Addressing
import Testing

@testable import EdgeFilter

/// What the check may probe: only the pools, never an exception or an outside address.
@Suite struct ProbeTargetsTests {
    static let pools = try! Pools.parse(
        "198.51.100.0/29 ftth\n!198.51.100.4/31\n2001:db8:1::/64 ftth\n192.0.2.8/30 adsl\n", file: "pools.txt")

    @Test func theIPv4PoolsAreWalkedLessTheExceptions() throws {
        let targets = try ProbeTargets(pools: Self.pools, limit: 100)
        #expect(
            targets.addresses.map(\.description) == [
                "192.0.2.8", "192.0.2.9", "192.0.2.10", "192.0.2.11", "198.51.100.0", "198.51.100.1", "198.51.100.2", "198.51.100.3",
                "198.51.100.6", "198.51.100.7",
            ])
        #expect(targets.skippedIPv6Pools)
        #expect(throws: ProbeTargetsError.self) { try ProbeTargets(pools: Self.pools, limit: 9) }
    }

    @Test func listedTargetsMustBeInAPoolAndNotAnException() throws {
        let listed = try ProbeTargets(
            listed: "# routers\n2001:db8:1::1\n198.51.100.1  # twice\n198.51.100.1\n", file: "targets.txt", pools: Self.pools, limit: 10)
        #expect(listed.addresses.map(\.description) == ["198.51.100.1", "2001:db8:1::1"])
        do {
            _ = try ProbeTargets(listed: "198.51.100.5\n203.0.113.1\nnot-an-address\n2001:db8:2::1\n", file: "t.txt", pools: Self.pools, limit: 10)
            Issue.record("outside addresses were accepted")
        } catch {
            let lines = error.description.split(separator: "\n").map(String.init)
            #expect(lines.count == 4)
            #expect(lines[0] == "t.txt:1: 198.51.100.5 is not in a dynamic pool (or is an exception); only the pools are probed")
            #expect(lines[1].hasPrefix("t.txt:2: 203.0.113.1 is not in a dynamic pool"))
            #expect(lines[2] == "t.txt:3: expected one IPv4 or IPv6 address")
            #expect(lines[3].hasPrefix("t.txt:4: 2001:db8:2::1"))
        }
    }
}

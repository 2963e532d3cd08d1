import Addressing
import Foundation
import Secrecy
import Testing

@testable import EdgeFilter

@Suite struct DarknetSensorTests {
    static let darknet = try! Pools.parse("192.0.2.128/26 dark\n!192.0.2.190\n", file: "darknet")
    static let isp = try! Pools.parse("192.0.2.0/24\n2001:db8::/32\n", file: "isp")

    static func view(_ source: String, _ target: UInt32, port: UInt16 = 23, time: Int64) -> DarknetView {
        DarknetView(
            source: IPAddress(source)!, destination: IPAddress(v4: 0xC000_0280 + target), destinationPort: port, transport: 6, packets: 1,
            time: time)
    }

    @Test func aSourceReachingEnoughTargetsWithinTheWindowIsAScanner() {
        var sensor = DarknetSensor(darknet: Self.darknet, ispSpace: Self.isp, configuration: .init(minimumTargets: 5, window: 60))
        // Four distinct targets, one of them twice: not yet.
        for (index, target) in [1, 2, 3, 3, 4].enumerated() { sensor.observe(Self.view("192.0.2.10", UInt32(target), time: 1000 + Int64(index))) }
        #expect(sensor.scanners.isEmpty)
        sensor.observe(Self.view("192.0.2.10", 5, port: 2323, time: 1010))
        #expect(sensor.scanners.count == 1)
        #expect(sensor.scanners.first?.source == IPAddress("192.0.2.10"))
        #expect(sensor.scanners.first?.family == "mirai-like")
        #expect(sensor.scanners.first?.targets == 5)
        #expect(sensor.scanners.first?.time == 1010)
    }

    /// `network-observation` declares exactly what the sensor's view holds: each field of
    /// ``DarknetView`` is one declared item (the transport protocol goes with its port, the
    /// packet count is an aggregate), all of it transient, plus the aggregate counts.
    @Test func declarationListsExactlyWhatTheSensorHandles() throws {
        let declaration = try #require(try Declarations.bundled()[.networkObservation])
        let fields: [String: DataItem] = [
            "source": .sourceIP, "destination": .destinationIP, "destinationPort": .destinationPort, "transport": .destinationPort,
            "time": .timestamp, "packets": .aggregateCount,
        ]
        let view = Self.view("192.0.2.10", 1, time: 1000)
        #expect(Set(Mirror(reflecting: view).children.compactMap(\.label)) == Set(fields.keys))
        #expect(Set(declaration.dataItems) == Set(fields.values))
        #expect(declaration.dataItemsByClass[.transient].map(Set.init) == [.sourceIP, .destinationIP, .destinationPort, .timestamp])
        #expect(declaration.dataItemsByClass[.aggregateCounters] == [.aggregateCount])
        #expect(Set(declaration.dataClasses) == [.transient, .aggregateCounters])
    }

    @Test func targetsOutsideTheWindowDoNotCount() {
        var sensor = DarknetSensor(darknet: Self.darknet, ispSpace: Self.isp, configuration: .init(minimumTargets: 3, window: 60))
        sensor.observe(Self.view("192.0.2.11", 1, time: 0))
        sensor.observe(Self.view("192.0.2.11", 2, time: 60))
        sensor.observe(Self.view("192.0.2.11", 3, port: 445, time: 100))  // target 1 is 100 s old: two within 60 s
        #expect(sensor.scanners.isEmpty)
        sensor.observe(Self.view("192.0.2.11", 4, port: 445, time: 110))
        #expect(sensor.scanners.map(\.targets) == [3])
        #expect(sensor.scanners.first?.family == nil)
    }

    @Test func outsideSourcesAreOnlyCountedAndNonDarknetIgnored() {
        var sensor = DarknetSensor(darknet: Self.darknet, ispSpace: Self.isp, configuration: .init(minimumTargets: 2, window: 60))
        for target in UInt32(1)...20 { sensor.observe(Self.view("198.51.100.99", target, time: 5)) }
        sensor.observe(Self.view("192.0.2.12", 62, time: 5))  // 192.0.2.190: an exception, not darknet
        sensor.observe(Self.view("192.0.2.12", 100, time: 5))  // 192.0.2.228: outside the darknet
        #expect(sensor.scanners.isEmpty)
        #expect(sensor.outsidePackets == 20)
        #expect(sensor.darknetPackets == 20)
        #expect(!sensor.isDarknet(IPAddress("192.0.2.190")!))
    }
}

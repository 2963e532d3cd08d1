public import Addressing

/// The darknet sensor (`network-observation`, NICTER's method): packets and flows to the ISP's
/// unused addresses have no legitimate recipient, so a source that reaches many of them in a
/// short time is scanning, most often an infected host.
///
/// Feed it ``DarknetView``s (``EdgeDecoder/decodeDarknet(_:darknet:_:)`` with ``isDarknet(_:)``).
/// A source inside the ISP's address space that sends to at least ``Configuration/minimumTargets``
/// distinct darknet addresses within ``Configuration/window`` seconds becomes a ``Scanner`` (once
/// per window). A source outside the ISP's space is counted and nothing of it kept: not its
/// address, not its targets.
///
/// What is held in memory while sources are judged: per inside source, the darknet addresses
/// it reached in the current window with their time and port. Nothing is written.
public struct DarknetSensor: Sendable {
    /// Thresholds.
    public struct Configuration: Sendable, Hashable {
        /// Distinct darknet addresses that make a scanner.
        public var minimumTargets: Int
        /// Seconds within which they must be reached.
        public var window: Int64

        public init(minimumTargets: Int = 10, window: Int64 = 3600) {
            self.minimumTargets = max(1, minimumTargets)
            self.window = max(1, window)
        }
    }

    /// A scanner inside the ISP's space, at the moment it crossed the threshold.
    ///
    /// ``topPort`` is the port most of the darknet addresses of the window were reached on.
    public struct Scanner: Sendable, Hashable {
        /// Its address (transient: handed to attribution, then dropped).
        public let source: IPAddress
        /// Seconds since the epoch when the threshold was crossed.
        public let time: Int64
        /// Distinct darknet addresses reached within the window.
        public let targets: Int
        /// The port targeted most, counted once per darknet address (ties: the lowest).
        public let topPort: UInt16
        /// The family a port rule names for the ports targeted, if any.
        public let family: String?
    }

    /// Families named by the ports a scanner targets: Mirai and its descendants scan Telnet on
    /// 23 and 2323, and exploit 37215 (Huawei HG532) and 52869 (Realtek SDK); ADB.Miner 5555.
    public static let defaultPortFamilies: [UInt16: String] = [
        23: "mirai-like", 2323: "mirai-like", 37215: "mirai-like", 52869: "mirai-like", 5555: "adb-miner-like",
    ]

    public let configuration: Configuration
    let darknet: PoolMatcher
    let ispSpace: PoolMatcher
    let portFamilies: [UInt16: String]

    /// Packets (or flow packets) to the darknet looked at.
    public private(set) var darknetPackets: UInt64 = 0
    /// Of them, from sources outside the ISP's space: counted only.
    public private(set) var outsidePackets: UInt64 = 0
    /// Scanners found so far, in the order found.
    public private(set) var scanners: [Scanner] = []

    private struct Track: Sendable {
        /// Darknet address → when it was last reached, and on which port.
        var targets: [IPAddress: (time: Int64, port: UInt16)] = [:]
        var lastReported: Int64?
    }
    private var tracks: [IPAddress: Track] = [:]

    /// A sensor over `darknet` (unused prefixes) for sources in `ispSpace`.
    public init(darknet: Pools, ispSpace: Pools, configuration: Configuration = Configuration(), portFamilies: [UInt16: String]? = nil) {
        self.darknet = PoolMatcher(darknet)
        self.ispSpace = PoolMatcher(ispSpace)
        self.configuration = configuration
        self.portFamilies = portFamilies ?? Self.defaultPortFamilies
    }

    /// Whether `address` is a darknet address (the decoder's filter: nothing else is looked at).
    public func isDarknet(_ address: IPAddress) -> Bool {
        darknet.pool(of: address) != nil
    }

    /// Takes one packet or flow to the darknet.
    public mutating func observe(_ view: DarknetView) {
        guard isDarknet(view.destination) else { return }
        darknetPackets &+= view.packets
        guard ispSpace.pool(of: view.source) != nil else {
            outsidePackets &+= view.packets
            return
        }
        var track = tracks[view.source] ?? Track()
        let start = view.time - configuration.window
        if track.targets.count + 1 >= configuration.minimumTargets {
            track.targets = track.targets.filter { $0.value.time > start }
        }
        if let known = track.targets[view.destination], known.time > view.time {
            // An older packet seen late: the newer one stands.
        } else {
            track.targets[view.destination] = (view.time, view.destinationPort)
        }
        if track.targets.count >= configuration.minimumTargets,
            track.lastReported.map({ view.time - $0 >= configuration.window }) ?? true
        {
            var ports: [UInt16: Int] = [:]
            for target in track.targets.values { ports[target.port, default: 0] += 1 }
            let top = ports.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? 0
            scanners.append(
                Scanner(
                    source: view.source, time: view.time, targets: track.targets.count, topPort: top, family: portFamilies[top]))
            track.lastReported = view.time
            track.targets = [:]
        }
        tracks[view.source] = track
    }

    /// Forgets every source's state (scanners found stay).
    public mutating func reset() {
        tracks = [:]
    }
}

import TextScanning

/// The record formats Mamori reads address assignments from.
public enum AssignmentFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// FreeRADIUS (Livingston-style) accounting `detail` files. See ``RadiusDetailParser``.
    case radiusDetail = "radius-detail"
    /// Kea DHCPv4/DHCPv6 memfile lease CSV (`kea-leases4.csv`, `kea-leases6.csv`). See ``KeaLeaseParser``.
    case keaCSV = "kea-csv"
    /// ISC dhcpd `dhcpd.leases`. See ``DhcpdLeasesParser``.
    case dhcpdLeases = "dhcpd-leases"
    /// Mamori's CGN port-block allocation CSV (`docs/formats/cgn-csv.md`). See ``CGNPortBlockParser``.
    case cgnCSV = "cgn-csv"

    /// Guesses the format from the first bytes of a file (a few hundred bytes are enough).
    ///
    /// Recognises: a Kea header line (`address,…valid_lifetime…`), the exact CGN header,
    /// a dhcpd leases file (its comment banner or a first statement such as `lease`,
    /// `server-duid`, `authoring-byte-order`, `failover`, `ia-na`), and a RADIUS detail
    /// file (a ctime header line such as `Tue Sep 13 16:24:27 2011`). Returns nil otherwise;
    /// the caller should then ask for the format explicitly rather than guess.
    public static func detect(firstBytes: some Collection<UInt8>) -> AssignmentFormat? {
        var bytes = Array(firstBytes.prefix(4096))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        if !text.hasSuffix("\n"), bytes.count == 4096, lines.count > 1 { lines.removeLast() }  // cut line
        let nonEmpty = lines.filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
        guard let first = nonEmpty.first else { return nil }

        if first == CGNPortBlockParser.header { return .cgnCSV }
        if first.hasPrefix("address,"), first.contains("valid_lifetime"), first.contains("expire") {
            return .keaCSV
        }
        if RadiusDetailParser.looksLikeHeader(first) { return .radiusDetail }
        for line in nonEmpty {
            let t = line.drop { $0 == " " || $0 == "\t" }
            if t.hasPrefix("#") {
                if t.contains("dhcpd.leases") || t.contains("isc-dhcp") { return .dhcpdLeases }
                continue
            }
            for keyword in ["lease ", "server-duid ", "authoring-byte-order ", "failover ", "ia-na ", "ia-ta ", "ia-pd "]
            where t.hasPrefix(keyword) {
                return .dhcpdLeases
            }
            return nil
        }
        return nil
    }
}

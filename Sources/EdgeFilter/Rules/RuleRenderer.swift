import Addressing

/// The router configurations the DNS-amplification rules are rendered for.
public enum RuleTarget: String, Sendable, CaseIterable {
    /// An nftables ruleset for `nft -f` (atomic replace of the table `inet mamori_edge`).
    case nftables
    /// A Juniper Junos firewall filter with prefix lists (configuration-mode text).
    case junos
    /// Cisco IOS XR IPv4 and IPv6 access lists.
    case iosxr
}

/// Renders the blocking rules of `dns-amplification-prevention`: internet-originated UDP with
/// destination port 53 to an address of the pools is dropped and counted; nothing else is
/// matched (TCP/53 and traffic *from* the pools pass untouched; docs/edge.md says why).
///
/// The output is deterministic: the same pools give the same bytes, prefixes are minimal
/// (aggregated) and in address order, so a diff of two renderings shows exactly what changed.
public struct RuleRenderer: Sendable {
    /// The pools to protect.
    public let pools: Pools
    /// The name of the WAN (internet-facing) interface, used by nftables (`iifname`).
    public let wanInterface: String

    public init(pools: Pools, wanInterface: String = "wan0") {
        self.pools = pools
        self.wanInterface = wanInterface
    }

    /// The rules for `target`, ending with a newline.
    public func render(_ target: RuleTarget) -> String {
        switch target {
        case .nftables: nftables()
        case .junos: junos()
        case .iosxr: iosxr()
        }
    }

    private var header: [String] {
        let v4 = pools.prefixes(.v4).count
        let v6 = pools.prefixes(.v6).count
        return [
            "Mamori edge filter: dns-amplification-prevention (generated; do not edit by hand)",
            "Drops internet-originated UDP to destination port 53 of the dynamic pools: \(v4) IPv4 and \(v6) IPv6 prefixes.",
            "Pools: \(pools.pools.map(\.name).joined(separator: ", ")); exceptions: \(pools.exceptions.count).",
        ]
    }

    /// nftables: one transaction that creates, flushes by deletion and re-creates the table, so
    /// `nft -f` swaps the whole ruleset atomically (no moment without the rules).
    func nftables() -> String {
        var out = "#!/usr/sbin/nft -f\n"
        for line in header { out += "# \(line)\n" }
        out += "# Load with: nft -f FILE (atomic). Counters: nft list counters table inet mamori_edge\n"
        out += "table inet mamori_edge\ndelete table inet mamori_edge\n\n"
        out += "table inet mamori_edge {\n"
        out += "\tcounter dns_amp_v4 {\n\t}\n\n\tcounter dns_amp_v6 {\n\t}\n\n"
        for (family, name, type) in [(IPAddress.Family.v4, "pools_v4", "ipv4_addr"), (.v6, "pools_v6", "ipv6_addr")] {
            out += "\tset \(name) {\n\t\ttype \(type)\n\t\tflags interval\n"
            let prefixes = pools.prefixes(family)
            if !prefixes.isEmpty {
                out += "\t\telements = {\n"
                for (index, prefix) in prefixes.enumerated() {
                    out += "\t\t\t\(prefix.length == family.bitWidth ? prefix.network.description : prefix.description)"
                    out += index == prefixes.count - 1 ? "\n" : ",\n"
                }
                out += "\t\t}\n"
            }
            out += "\t}\n\n"
        }
        out += "\tchain forward {\n"
        out += "\t\ttype filter hook forward priority filter; policy accept;\n"
        out += "\t\tiifname \"\(wanInterface)\" ip daddr @pools_v4 udp dport 53 counter name \"dns_amp_v4\" drop\n"
        out += "\t\tiifname \"\(wanInterface)\" ip6 daddr @pools_v6 udp dport 53 counter name \"dns_amp_v6\" drop\n"
        out += "\t}\n}\n"
        return out
    }

    /// Junos: prefix lists and one filter per family, to apply as an input filter on the WAN
    /// interfaces (`set interfaces IF unit N family inet filter input mamori-dns-amp-v4`).
    func junos() -> String {
        var out = ""
        for line in header { out += "/* \(line) */\n" }
        out += "/* Apply: family inet filter input mamori-dns-amp-v4; family inet6 filter input mamori-dns-amp-v6 (WAN units). */\n"
        out += "policy-options {\n"
        for (family, name) in [(IPAddress.Family.v4, "mamori-dns-amp-pools-v4"), (.v6, "mamori-dns-amp-pools-v6")] {
            out += "    replace: prefix-list \(name) {\n"
            for prefix in pools.prefixes(family) { out += "        \(prefix);\n" }
            out += "    }\n"
        }
        out += "}\nfirewall {\n"
        for (family, junosFamily, protocolMatch, suffix) in [
            (IPAddress.Family.v4, "inet", "protocol udp", "v4"), (.v6, "inet6", "next-header udp", "v6"),
        ] {
            out += "    family \(junosFamily) {\n"
            out += "        replace: filter mamori-dns-amp-\(suffix) {\n"
            if !pools.prefixes(family).isEmpty {
                out += "            term block-udp53-to-pools {\n"
                out += "                from {\n"
                out += "                    destination-prefix-list {\n"
                out += "                        mamori-dns-amp-pools-\(suffix);\n"
                out += "                    }\n"
                out += "                    \(protocolMatch);\n"
                out += "                    destination-port 53;\n"
                out += "                }\n"
                out += "                then {\n"
                out += "                    count mamori-dns-amp-\(suffix);\n"
                out += "                    discard;\n"
                out += "                }\n"
                out += "            }\n"
            }
            out += "            term accept-rest {\n"
            out += "                then accept;\n"
            out += "            }\n"
            out += "        }\n"
            out += "    }\n"
        }
        out += "}\n"
        return out
    }

    /// IOS XR: one access list per family, sequence numbers in steps of 10, a final permit; apply
    /// ingress on the WAN interfaces (`ipv4 access-group MAMORI-DNS-AMP-V4 ingress`).
    func iosxr() -> String {
        var out = ""
        for line in header { out += "! \(line)\n" }
        out += "! Apply on WAN interfaces: ipv4 access-group MAMORI-DNS-AMP-V4 ingress; ipv6 access-group MAMORI-DNS-AMP-V6 ingress\n"
        for (family, keyword, name) in [(IPAddress.Family.v4, "ipv4", "MAMORI-DNS-AMP-V4"), (.v6, "ipv6", "MAMORI-DNS-AMP-V6")] {
            out += "no \(keyword) access-list \(name)\n"
            out += "\(keyword) access-list \(name)\n"
            var sequence = 10
            for prefix in pools.prefixes(family) {
                out += " \(sequence) deny udp any \(prefix) eq domain\n"
                sequence += 10
            }
            out += " \(sequence) permit \(keyword) any any\n"
            out += "!\n"
        }
        return out
    }
}

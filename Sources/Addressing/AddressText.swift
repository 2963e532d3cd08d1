public import TextScanning

/// How Mamori reads addresses from records (AAA files, sightings, logs): the one rule.
///
/// ## IPv4-mapped IPv6 addresses
/// `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2) names an IPv4 host as seen by an IPv6 socket: a
/// dual-stack honeypot or server logs its IPv4 peers that way. A record's address is the host
/// it names, so **``ByteParse/ip(_:)`` reads a mapped address as the IPv4 address it maps**, in
/// every parser of outside input, and the attribution index answers a mapped query as its IPv4
/// address. The address type itself, ``IPAddress/init(_:)`` and ``IPAddress/init(ascii:)``,
/// keeps what is written (an IPv6 address, formatted `::ffff:192.0.2.1` by RFC 5952), so a
/// caller that needs the literal form has it; ``IPAddress/unmappedV4`` converts.
extension ByteParse {
    /// The address a record names: IPv4 or IPv6 text, an IPv4-mapped IPv6 address read as the
    /// IPv4 address it maps (see above). Nil when it is not an address.
    @inlinable public static func ip(_ b: Bytes) -> IPAddress? {
        guard let address = IPAddress(ascii: b) else { return nil }
        if address.family == .v6, address.value >> 32 == 0xFFFF {
            return IPAddress(v4: UInt32(truncatingIfNeeded: address.value))
        }
        return address
    }

    /// A dotted-quad IPv4 address as its 32-bit value.
    @inlinable @inline(__always) public static func ipv4(_ b: Bytes) -> UInt32? {
        IPAddress.parseV4(b)
    }

    /// `address/length`, or a bare address as a host prefix (the record rule of ``ip(_:)``).
    /// Host bits must be zero: a prefix written with host bits set is refused rather than
    /// silently widened.
    public static func prefix(_ b: Bytes) -> IPPrefix? {
        guard let slash = b.index(of: ASCII.slash) else {
            return ip(b).map { IPPrefix(host: $0) }
        }
        guard let address = IPAddress(ascii: b.sub(0..<slash)), let len = uint(b.from(slash + 1)), len <= 128,
            let p = IPPrefix(address, length: Int(len)), p.network == address
        else { return nil }
        return p
    }
}

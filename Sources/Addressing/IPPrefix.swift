import TextScanning

/// An IPv4 or IPv6 prefix (network address and length), such as `192.0.2.0/24` or `2001:db8::/56`.
///
/// Host bits are cleared on construction, so `192.0.2.7/24` is stored as `192.0.2.0/24`.
public struct IPPrefix: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The network address (host bits zero).
    public let network: IPAddress
    /// The prefix length in bits.
    public let length: Int

    /// A prefix from an address and a length; `nil` when the length exceeds the family's width.
    public init?(_ address: IPAddress, length: Int) {
        guard length >= 0, length <= address.family.bitWidth else { return nil }
        self.network = IPAddress(family: address.family, value: address.value & IPPrefix.mask(address.family, length))
        self.length = length
    }

    /// A prefix that holds exactly one address (/32 or /128).
    public init(host address: IPAddress) {
        self.network = address
        self.length = address.family.bitWidth
    }

    /// Parses `address/length`; a bare address becomes a host prefix.
    public init?(_ text: some StringProtocol) {
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPAddress(text[..<slash]) else { return nil }
            let lengthText = text[text.index(after: slash)...]
            guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy(\.isASCII),
                let length = Int(lengthText)
            else { return nil }
            self.init(address, length: length)
        } else {
            guard let address = IPAddress(text) else { return nil }
            self.init(host: address)
        }
    }

    /// The address family.
    @inlinable public var family: IPAddress.Family { network.family }

    /// Whether `address` lies inside this prefix.
    @inlinable public func contains(_ address: IPAddress) -> Bool {
        address.family == network.family && address.value & IPPrefix.mask(network.family, length) == network.value
    }

    /// Whether `other` lies wholly inside this prefix.
    public func contains(_ other: IPPrefix) -> Bool {
        other.length >= length && contains(other.network)
    }

    /// The last address of the prefix.
    public var lastAddress: IPAddress {
        IPAddress(family: family, value: network.value | ~IPPrefix.mask(family, length))
    }

    /// The netmask of `length` bits for `family`, as a 128-bit value (IPv4 in the low 32 bits).
    @inlinable public static func mask(_ family: IPAddress.Family, _ length: Int) -> UInt128 {
        if family == .v4 {
            return length == 0 ? 0 : UInt128(UInt32.max << UInt32(32 - length))
        }
        return length == 0 ? 0 : UInt128.max << UInt128(128 - length)
    }

    public static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        lhs.network != rhs.network ? lhs.network < rhs.network : lhs.length < rhs.length
    }

    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(network.family == .v4 ? 18 : 43)
        appendText(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the text form (``description``, `address/length`) as ASCII bytes.
    public func appendText(to out: inout [UInt8]) {
        network.appendText(to: &out)
        out.append(ASCII.slash)
        ByteWrite.decimal(Int64(length), to: &out)
    }
}

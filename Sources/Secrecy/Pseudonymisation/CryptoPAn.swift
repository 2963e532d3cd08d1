public import Addressing
internal import CMamoriCrypto

/// Why a pseudonymiser could not be set up.
///
/// Messages never contain key material.
public enum PseudonymisationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The key has the wrong number of bytes.
    case invalidKeyLength(expected: Int, given: Int)
    /// The AES key schedule could not be built (the AES library refused the key).
    case keySetupFailed

    /// A one-line explanation naming lengths only, never key bytes.
    public var description: String {
        switch self {
        case let .invalidKeyLength(expected, given):
            "Crypto-PAn key must be \(expected) bytes long, but \(given) bytes were given"
        case .keySetupFailed:
            "Crypto-PAn key setup failed in the AES library"
        }
    }
}

/// Crypto-PAn: keyed, prefix-preserving pseudonymisation of IPv4 and IPv6 addresses.
///
/// Two addresses that share exactly their first *k* bits map to pseudonyms that share exactly
/// their first *k* bits. The mapping is bit-identical to the reference implementation by Fan, Xu,
/// Ammar and Moon (IPv4) and to its 128-bit extension in yacryptopan and Yawning/cryptopan (IPv6).
/// IPv4 addresses are 32-bit strings and IPv6 addresses 128-bit strings; an IPv4-mapped IPv6
/// address (`::ffff:a.b.c.d`) is an IPv6 input and gives an IPv6 pseudonym.
///
/// Uses AES-NI when the CPU has it (with all blocks of one address in flight together) and
/// OpenSSL's portable AES otherwise. The key schedule is built once in `init` and only read
/// afterwards, so one value can be shared by any number of tasks.
///
/// ```swift
/// let pan = try CryptoPAn(key: key32)   // 32 bytes: AES key, then pad input
/// let pseudonym = pan.anonymize(IPAddress("192.0.2.1")!)
/// ```
public struct CryptoPAn: Sendable {
    /// Which AES implementation to use.
    public enum Backend: Sendable, Hashable, CustomStringConvertible {
        /// AES-NI when this CPU has it, the portable AES otherwise.
        case automatic
        /// OpenSSL's portable AES, even on a CPU with AES-NI (same results, much slower).
        case portable

        /// `"automatic"` or `"portable"`.
        public var description: String {
            switch self {
            case .automatic: "automatic"
            case .portable: "portable"
            }
        }
    }

    /// The length of a Crypto-PAn key in bytes: 16 bytes of AES-128 key, then 16 bytes of pad input.
    public static let keyLength = 32

    private let schedule: CryptoPAnKeySchedule

    /// A pseudonymiser for a 32-byte key.
    ///
    /// - Parameter key: bytes 0..15 are the AES-128 key; bytes 16..31 are encrypted once with it
    ///   to make the pad, as in the reference implementation.
    /// - Throws: ``PseudonymisationError/invalidKeyLength(expected:given:)`` unless `key` has 32 bytes.
    public init(key: [UInt8]) throws {
        try self.init(key: key, backend: .automatic)
    }

    /// A pseudonymiser for a 32-byte key, with a chosen AES implementation.
    ///
    /// - Throws: ``PseudonymisationError/invalidKeyLength(expected:given:)`` unless `key` has 32 bytes.
    public init(key: [UInt8], backend: Backend) throws {
        guard key.count == CryptoPAn.keyLength else {
            throw PseudonymisationError.invalidKeyLength(expected: CryptoPAn.keyLength, given: key.count)
        }
        let flags: Int32 = backend == .portable ? MAMORI_CRYPTOPAN_PORTABLE : 0
        guard let schedule = key.withUnsafeBufferPointer({ CryptoPAnKeySchedule(key: $0, flags: flags) }) else {
            throw PseudonymisationError.keySetupFailed
        }
        self.schedule = schedule
    }

    /// `true` when this pseudonymiser uses AES-NI, `false` when it uses the portable AES.
    public var usesHardwareAES: Bool {
        withExtendedLifetime(schedule) { mamori_cryptopan_uses_aesni(schedule.context) != 0 }
    }

    /// The pseudonym of `address`, of the same family.
    public func anonymize(_ address: IPAddress) -> IPAddress {
        switch address.family {
        case .v4:
            return IPAddress(v4: anonymizeV4(UInt32(truncatingIfNeeded: address.value)))
        case .v6:
            let high = UInt64(truncatingIfNeeded: address.value >> 64)
            let low = UInt64(truncatingIfNeeded: address.value)
            let result = withExtendedLifetime(schedule) {
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2) { out -> UInt128 in
                    guard let base = out.baseAddress else { return 0 }
                    mamori_cryptopan_v6(schedule.context, high, low, base)
                    return UInt128(base[0]) << 64 | UInt128(base[1])
                }
            }
            return IPAddress(v6: result)
        }
    }

    /// The pseudonym of one IPv4 address given as its 32-bit value (most significant bit first).
    public func anonymizeV4(_ address: UInt32) -> UInt32 {
        withExtendedLifetime(schedule) { mamori_cryptopan_v4(schedule.context, address) }
    }

    /// The pseudonyms of many IPv4 addresses (32-bit values), written to the first
    /// `input.count` elements of `output`. This is the fast path: one call for the whole buffer.
    ///
    /// - Precondition: `output.count >= input.count`.
    public func anonymizeV4(_ input: UnsafeBufferPointer<UInt32>, into output: UnsafeMutableBufferPointer<UInt32>) {
        precondition(output.count >= input.count, "CryptoPAn.anonymizeV4: output buffer is smaller than input")
        guard let source = input.baseAddress, let destination = output.baseAddress, input.count > 0 else { return }
        withExtendedLifetime(schedule) {
            mamori_cryptopan_v4_batch(schedule.context, source, destination, input.count)
        }
    }
}

/// The C context (AES round keys, pad, first-16-bit table), allocated once and wiped on release.
/// Immutable after `init`, so sharing it between threads is safe.
private final class CryptoPAnKeySchedule: @unchecked Sendable {
    let context: OpaquePointer
    private let storage: UnsafeMutableRawPointer

    init?(key: UnsafeBufferPointer<UInt8>, flags: Int32) {
        guard key.count == CryptoPAn.keyLength, let bytes = key.baseAddress else { return nil }
        let storage = UnsafeMutableRawPointer.allocate(
            byteCount: mamori_cryptopan_size(), alignment: mamori_cryptopan_alignment())
        let context = OpaquePointer(storage)
        guard mamori_cryptopan_init(context, bytes, flags) == 1 else {
            storage.deallocate()
            return nil
        }
        self.storage = storage
        self.context = context
    }

    deinit {
        mamori_cryptopan_wipe(context)
        storage.deallocate()
    }
}

import Foundation
import MamoriTesting
import Secrecy

/// Throughput measurement of ``CryptoPAn`` (the `mamori bench cryptopan` command).
enum CryptoPAnBenchmark {
    /// The reference Crypto-PAn sample key (from the reference distribution's `sample.cpp`), the
    /// key of the first section of the test vectors and of `scripts/bench-yacryptopan.py`.
    static let referenceKey: [UInt8] = [
        21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
        216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
    ]

    /// Times the batch IPv4 API on the calling thread over `count` random addresses.
    ///
    /// Key setup, generating the addresses and a short warm-up run are not timed; the timed part
    /// is one ``CryptoPAn/anonymizeV4(_:into:)`` call over all `count` addresses, measured with
    /// `ContinuousClock`.
    ///
    /// - Returns: the rate and the elapsed time; `(0, 0)` when `count` is not positive or `key`
    ///   is not a valid Crypto-PAn key (32 bytes).
    static func measureV4(count: Int, key: [UInt8]) -> (addressesPerSecond: Double, seconds: Double) {
        guard count > 0, let pan = try? CryptoPAn(key: key) else { return (0, 0) }
        var generator = SplitMix64(seed: 0x4D41_4D4F_5249_4350)
        let input = (0..<count).map { _ in UInt32(truncatingIfNeeded: generator.next()) }
        var output = [UInt32](repeating: 0, count: count)
        let warmUp = min(count, 16_384)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                pan.anonymizeV4(
                    UnsafeBufferPointer(rebasing: source[0..<warmUp]),
                    into: UnsafeMutableBufferPointer(rebasing: destination[0..<warmUp]))
            }
        }
        let elapsed = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                ContinuousClock().measure { pan.anonymizeV4(source, into: destination) }
            }
        }
        let parts = elapsed.components
        let seconds = Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
        guard seconds > 0 else { return (0, 0) }
        return (Double(count) / seconds, seconds)
    }
}

internal import CMamoriCrypto
public import Foundation

/// SHA-256, HMAC-SHA-256 and the system's random bytes, over the C target's libcrypto calls.
///
/// Digests are `[UInt8]` of 32 bytes. The functions never keep or log their inputs.
public enum Digest {
    /// The number of bytes in a SHA-256 digest.
    public static let byteCount = 32

    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        let input = Array(bytes)
        input.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { mamori_sha256(raw.baseAddress, raw.count, $0.baseAddress) }
        }
        return out
    }

    /// SHA-256 of a file's content, read in 1 MiB chunks (a large file is never held in memory).
    ///
    /// - Throws: the file system's error when the file cannot be opened or read, or
    ///   ``DigestError/digestUnavailable``.
    public static func sha256(contentsOf url: URL) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        guard let context = mamori_sha256_begin() else { throw DigestError.digestUnavailable }
        var out = [UInt8](repeating: 0, count: byteCount)
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { mamori_sha256_update(context, $0.baseAddress, $0.count) }
            }
        } catch {
            mamori_sha256_finish(context, &out)  // frees the context
            throw error
        }
        mamori_sha256_finish(context, &out)
        return out
    }

    /// HMAC-SHA-256 of `message` under `key`.
    public static func hmacSHA256(key: some Collection<UInt8>, _ message: some Collection<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        let keyBytes = Array(key)
        let input = Array(message)
        keyBytes.withUnsafeBytes { k in
            input.withUnsafeBytes { m in
                out.withUnsafeMutableBufferPointer {
                    mamori_hmac_sha256(k.baseAddress, k.count, m.baseAddress, m.count, $0.baseAddress)
                }
            }
        }
        return out
    }

    /// HMAC-SHA-256 of `message` under `key`, written to `out` (32 bytes): no array per call,
    /// for hashing many short messages (the stored events' keys).
    public static func hmacSHA256(
        key: UnsafeRawBufferPointer, _ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
    ) {
        precondition(out.count >= byteCount, "HMAC-SHA-256 needs 32 bytes of output")
        mamori_hmac_sha256(
            key.baseAddress, key.count, message.baseAddress, message.count,
            out.baseAddress?.assumingMemoryBound(to: UInt8.self))
    }

    /// `count` bytes from the system's cryptographically secure random generator.
    ///
    /// - Throws: ``DigestError/randomUnavailable`` when the generator fails.
    public static func randomBytes(count: Int) throws(DigestError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { mamori_random_bytes($0.baseAddress, $0.count) }
        guard ok == 1 else { throw .randomUnavailable }
        return out
    }
}

/// A failure of the system's cryptographic primitives.
public enum DigestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The system's random generator did not deliver bytes.
    case randomUnavailable
    /// The system's SHA-256 could not be set up.
    case digestUnavailable

    public var description: String {
        switch self {
        case .randomUnavailable: "the system's secure random generator failed to deliver bytes"
        case .digestUnavailable: "the system's SHA-256 implementation could not be set up"
        }
    }
}

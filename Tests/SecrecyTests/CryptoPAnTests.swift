import Addressing
import Foundation
import MamoriTesting
import Secrecy
import Testing

/// One known-answer pair of `cryptopan-vectors.txt`, with the key it belongs to.
private struct CryptoPAnVector {
    let key: [UInt8]
    let raw: IPAddress
    let anonymised: IPAddress
    let line: Int
}

private enum CryptoPAnVectorFileError: Error, CustomStringConvertible {
    case repositoryRootNotFound
    case badLine(Int, String)

    var description: String {
        switch self {
        case .repositoryRootNotFound: "no directory containing Package.swift above \(#filePath)"
        case let .badLine(number, text): "cryptopan-vectors.txt line \(number) is malformed: \(text)"
        }
    }
}

/// The repository root: the nearest directory above this file that contains Package.swift.
private func cryptoPAnRepositoryRoot() throws -> URL {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.path != "/" {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            return directory
        }
        directory = directory.deletingLastPathComponent()
    }
    throw CryptoPAnVectorFileError.repositoryRootNotFound
}

private func cryptoPAnHexKey(_ text: some StringProtocol) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count == 64 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(32)
    for i in stride(from: 0, to: 64, by: 2) {
        guard let high = cryptoPAnHexDigit(digits[i]), let low = cryptoPAnHexDigit(digits[i + 1]) else { return nil }
        bytes.append(high << 4 | low)
    }
    return bytes
}

private func cryptoPAnHexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// All pairs of `../shared/corpus/privacy/cryptopan-vectors.txt` (see its PROVENANCE.md): line 1 is
/// the reference key, `# key <hex>` switches the key, other `#` lines start sections.
private func loadCryptoPAnVectors() throws -> [CryptoPAnVector] {
    let url = Corpus.file("privacy/cryptopan-vectors.txt")
    let text = try String(contentsOf: url, encoding: .utf8)
    var key: [UInt8]?
    var vectors: [CryptoPAnVector] = []
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let number = index + 1
        let line = rawLine.trimmingCharacters(in: .whitespaces)
        if line.isEmpty { continue }
        if key == nil {
            guard let first = cryptoPAnHexKey(line) else { throw CryptoPAnVectorFileError.badLine(number, line) }
            key = first
            continue
        }
        if line.hasPrefix("#") {
            let words = line.dropFirst().split(separator: " ")
            if words.first == "key" {
                guard words.count == 2, let next = cryptoPAnHexKey(words[1]) else {
                    throw CryptoPAnVectorFileError.badLine(number, line)
                }
                key = next
            }
            continue
        }
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 2, let currentKey = key,
            let raw = IPAddress(fields[0]), let anonymised = IPAddress(fields[1])
        else { throw CryptoPAnVectorFileError.badLine(number, line) }
        vectors.append(CryptoPAnVector(key: currentKey, raw: raw, anonymised: anonymised, line: number))
    }
    return vectors
}

/// Deterministic pseudo-random numbers for the property tests.
private typealias CryptoPAnTestRandom = SplitMix64

/// The reference Crypto-PAn sample key (the reference distribution's `sample.cpp`): the key of
/// the first section of the published test vectors.
private let cryptoPAnReferenceKey: [UInt8] = [
    21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
    216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
]

/// The number of leading bits two values of `width` bits have in common.
private func cryptoPAnCommonPrefix(_ a: UInt128, _ b: UInt128, width: Int) -> Int {
    let difference = a ^ b
    return difference == 0 ? width : difference.leadingZeroBitCount - (128 - width)
}

@Suite(.enabled(if: Corpus.isPresent, "needs the shared corpus")) struct CryptoPAnTests {
    @Test(arguments: [CryptoPAn.Backend.automatic, .portable])
    func allKnownAnswerVectors(backend: CryptoPAn.Backend) throws {
        let vectors = try loadCryptoPAnVectors()
        #expect(vectors.count == 175)
        var pans: [[UInt8]: CryptoPAn] = [:]
        var matched = 0
        for vector in vectors {
            let pan: CryptoPAn
            if let cached = pans[vector.key] {
                pan = cached
            } else {
                pan = try CryptoPAn(key: vector.key, backend: backend)
                pans[vector.key] = pan
            }
            let result = pan.anonymize(vector.raw)
            #expect(result == vector.anonymised, "line \(vector.line): \(vector.raw) -> \(result), expected \(vector.anonymised)")
            if result == vector.anonymised { matched += 1 }
        }
        #expect(matched == 175)
        #expect(pans.count == 8)
        #expect(vectors.first?.key == cryptoPAnReferenceKey)
        #expect(vectors.contains { $0.raw.family == .v6 } && vectors.contains { $0.raw.unmappedV4 != nil })
    }

    @Test func knownAnswerVectorsThroughTheBatchAPI() throws {
        let vectors = try loadCryptoPAnVectors().filter { $0.raw.family == .v4 }
        #expect(vectors.count > 100)
        for key in Set(vectors.map(\.key)) {
            let group = vectors.filter { $0.key == key }
            let pan = try CryptoPAn(key: key)
            let input = group.map { UInt32(truncatingIfNeeded: $0.raw.value) }
            var output = [UInt32](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { pan.anonymizeV4(source, into: $0) }
            }
            #expect(output.map { IPAddress(v4: $0) } == group.map(\.anonymised))
        }
    }

    @Test func usesAESNIWhenAvailable() throws {
        let pan = try CryptoPAn(key: cryptoPAnReferenceKey)
        let portable = try CryptoPAn(key: cryptoPAnReferenceKey, backend: .portable)
        #expect(!portable.usesHardwareAES)
        print("CryptoPAn backend: \(pan.usesHardwareAES ? "AES-NI" : "portable AES")")
    }

    @Test func prefixPreservationIPv4() throws {
        let pan = try CryptoPAn(key: cryptoPAnReferenceKey)
        var random = CryptoPAnTestRandom(seed: 42)
        for _ in 0..<2_000 {
            let a = UInt32.random(in: .min ... .max, using: &random)
            let k = Int.random(in: 0..<32, using: &random)
            // b shares exactly the first k bits with a: flip bit k, random bits after it.
            let below: UInt32 = k == 31 ? 0 : UInt32.max >> (k + 1)
            let b = ((a ^ (UInt32(1) << (31 - k))) & ~below) | (UInt32.random(in: .min ... .max, using: &random) & below)
            let pa = pan.anonymize(IPAddress(v4: a))
            let pb = pan.anonymize(IPAddress(v4: b))
            #expect(pa.family == .v4 && pb.family == .v4)
            #expect(cryptoPAnCommonPrefix(UInt128(a), UInt128(b), width: 32) == k)
            #expect(cryptoPAnCommonPrefix(pa.value, pb.value, width: 32) == k)
        }
        // Fully random pairs too.
        for _ in 0..<2_000 {
            let a = UInt32.random(in: .min ... .max, using: &random)
            let b = UInt32.random(in: .min ... .max, using: &random)
            let k = cryptoPAnCommonPrefix(UInt128(a), UInt128(b), width: 32)
            let pa = pan.anonymizeV4(a)
            let pb = pan.anonymizeV4(b)
            #expect(cryptoPAnCommonPrefix(UInt128(pa), UInt128(pb), width: 32) == k)
        }
    }

    @Test func prefixPreservationIPv6() throws {
        let pan = try CryptoPAn(key: cryptoPAnReferenceKey)
        var random = CryptoPAnTestRandom(seed: 7)
        for _ in 0..<1_000 {
            let a = UInt128(random.next()) << 64 | UInt128(random.next())
            let k = Int.random(in: 0..<128, using: &random)
            let below: UInt128 = k == 127 ? 0 : UInt128.max >> (k + 1)
            let noise = UInt128(random.next()) << 64 | UInt128(random.next())
            let b = ((a ^ (UInt128(1) << (127 - k))) & ~below) | (noise & below)
            let pa = pan.anonymize(IPAddress(v6: a))
            let pb = pan.anonymize(IPAddress(v6: b))
            #expect(pa.family == .v6 && pb.family == .v6)
            #expect(cryptoPAnCommonPrefix(a, b, width: 128) == k)
            #expect(cryptoPAnCommonPrefix(pa.value, pb.value, width: 128) == k)
        }
    }

    @Test func identicalAddressesGiveIdenticalPseudonyms() throws {
        let pan = try CryptoPAn(key: cryptoPAnReferenceKey)
        let other = try CryptoPAn(key: cryptoPAnReferenceKey)
        var random = CryptoPAnTestRandom(seed: 99)
        for _ in 0..<200 {
            let v4 = IPAddress(v4: UInt32.random(in: .min ... .max, using: &random))
            let v6 = IPAddress(v6: UInt128(random.next()) << 64 | UInt128(random.next()))
            #expect(pan.anonymize(v4) == other.anonymize(v4))
            #expect(pan.anonymize(v6) == other.anonymize(v6))
        }
    }

    @Test func mappedIPv4IsAnIPv6Input() throws {
        let pan = try CryptoPAn(key: cryptoPAnReferenceKey)
        let mapped = try #require(IPAddress("::ffff:1.2.3.4"))
        let plain = try #require(IPAddress("1.2.3.4"))
        #expect(pan.anonymize(mapped).family == .v6)
        #expect(pan.anonymize(plain).family == .v4)
    }

    @Test func batchEqualsSingle() throws {
        let pan = try CryptoPAn(key: cryptoPAnReferenceKey)
        var random = CryptoPAnTestRandom(seed: 1)
        var input = (0..<20_000).map { _ in UInt32.random(in: .min ... .max, using: &random) }
        input += [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF, 0x0000_FFFF, 0xFFFF_0000]
        var output = [UInt32](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { pan.anonymizeV4(source, into: $0) }
        }
        var mismatches = 0
        for (a, b) in zip(input, output) where pan.anonymizeV4(a) != b || pan.anonymize(IPAddress(v4: a)) != IPAddress(v4: b) {
            mismatches += 1
        }
        #expect(mismatches == 0)
        // An empty batch is a no-op; a larger output buffer keeps its tail.
        var tail = [UInt32](repeating: 0xDEAD_BEEF, count: 3)
        [UInt32(5)].withUnsafeBufferPointer { source in
            tail.withUnsafeMutableBufferPointer { pan.anonymizeV4(source, into: $0) }
        }
        #expect(tail == [pan.anonymizeV4(5), 0xDEAD_BEEF, 0xDEAD_BEEF])
        [UInt32]().withUnsafeBufferPointer { source in
            tail.withUnsafeMutableBufferPointer { pan.anonymizeV4(source, into: $0) }
        }
        #expect(tail == [pan.anonymizeV4(5), 0xDEAD_BEEF, 0xDEAD_BEEF])
    }

    @Test func hardwareAndPortableAgree() throws {
        let fast = try CryptoPAn(key: cryptoPAnReferenceKey)
        let portable = try CryptoPAn(key: cryptoPAnReferenceKey, backend: .portable)
        var random = CryptoPAnTestRandom(seed: 3)
        for _ in 0..<2_000 {
            let v4 = IPAddress(v4: UInt32.random(in: .min ... .max, using: &random))
            let v6 = IPAddress(v6: UInt128(random.next()) << 64 | UInt128(random.next()))
            #expect(fast.anonymize(v4) == portable.anonymize(v4))
            #expect(fast.anonymize(v6) == portable.anonymize(v6))
        }
    }

    @Test func oneValueSharedByConcurrentTasks() async throws {
        let pan = try CryptoPAn(key: cryptoPAnReferenceKey)
        let inputs = (0..<4_000).map { UInt32(truncatingIfNeeded: $0 &* 2_654_435_761) }
        let expected = inputs.map { pan.anonymizeV4($0) }
        let results = await withTaskGroup(of: [UInt32].self) { group in
            for _ in 0..<4 {
                group.addTask { inputs.map { pan.anonymizeV4($0) } }
            }
            var all: [[UInt32]] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 4 && results.allSatisfy { $0 == expected })
    }

    @Test(arguments: [0, 1, 16, 31, 33, 64])
    func badKeyLengthIsRejected(length: Int) {
        let key = [UInt8](repeating: 0xA7, count: length)
        #expect(throws: PseudonymisationError.invalidKeyLength(expected: 32, given: length)) {
            try CryptoPAn(key: key)
        }
        let message = PseudonymisationError.invalidKeyLength(expected: 32, given: length).description
        #expect(message.contains("32") && message.contains("\(length)"))
        #expect(!message.lowercased().contains("a7") && !message.contains("167"))
    }
}

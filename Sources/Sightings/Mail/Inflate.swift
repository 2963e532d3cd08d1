import TextScanning

/// A DEFLATE (RFC 1951) decoder for the zip attachments of report mails.
///
/// Written after the structure of zlib's `puff.c` (canonical Huffman decoding, one bit at a
/// time): small and careful rather than fast, since report attachments are a few MiB. Every
/// read is bounds-checked; a damaged stream is an error, never a trap.
struct Inflater {
    enum Failure: Error, Equatable {
        case truncated
        case badBlockType
        case badStoredLength
        case badCode
        case badDistance
        case tooLarge
    }

    private let input: [UInt8]
    private var position = 0
    private var bitBuffer: UInt32 = 0
    private var bitCount = 0
    private var output: [UInt8] = []
    private let limit: Int

    /// Decodes a raw DEFLATE stream; the output may not exceed `limit` bytes.
    static func inflate(_ input: [UInt8], expectedSize: Int? = nil, limit: Int) throws(Failure) -> [UInt8] {
        var state = Inflater(input: input, limit: limit)
        // The size a zip header claims is only trusted as far as DEFLATE can expand (1032:1):
        // a 100-byte entry claiming 1 GiB must not reserve 1 GiB.
        if let expectedSize, expectedSize > 0 {
            let (most, overflow) = input.count.multipliedReportingOverflow(by: 1032)
            state.output.reserveCapacity(min(expectedSize, limit, overflow ? limit : most))
        }
        try state.run()
        return state.output
    }

    private init(input: [UInt8], limit: Int) {
        self.input = input
        self.limit = limit
    }

    private mutating func bits(_ n: Int) throws(Failure) -> Int {
        var value = bitBuffer
        while bitCount < n {
            guard position < input.count else { throw .truncated }
            value |= UInt32(input[position]) << UInt32(bitCount)
            position += 1
            bitCount += 8
        }
        bitBuffer = value >> UInt32(n)
        bitCount -= n
        return Int(value & ((1 << UInt32(n)) - 1))
    }

    private struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        /// From code lengths; nil when over-subscribed (incomplete codes are allowed, as in puff).
        init?(lengths: ArraySlice<Int>) {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            if counts[0] == lengths.count { return }  // no codes: fine, decoding will fail if used
            var left = 1
            for len in 1..<16 {
                left <<= 1
                left -= counts[len]
                if left < 0 { return nil }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            for (symbol, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = symbol
                offsets[l] += 1
            }
        }
    }

    private mutating func decode(_ h: Huffman) throws(Failure) -> Int {
        var code = 0
        var first = 0
        var index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw .badCode
    }

    private static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
        8193, 12289, 16385, 24577,
    ]
    private static let distanceExtra = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]

    private static let fixed: (literal: Huffman, distance: Huffman)? = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        guard let literal = Huffman(lengths: lengths[...]),
            let distance = Huffman(lengths: [Int](repeating: 5, count: 30)[...])
        else { return nil }
        return (literal, distance)
    }()

    private mutating func run() throws(Failure) {
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0: try stored()
            case 1:
                guard let fixed = Self.fixed else { throw .badCode }
                try codes(fixed.literal, fixed.distance)
            case 2:
                let (l, d) = try dynamicTables()
                try codes(l, d)
            default: throw .badBlockType
            }
        } while last == 0
    }

    private mutating func stored() throws(Failure) {
        bitBuffer = 0
        bitCount = 0
        guard position + 4 <= input.count else { throw .truncated }
        let len = Int(input[position]) | Int(input[position + 1]) << 8
        let nlen = Int(input[position + 2]) | Int(input[position + 3]) << 8
        position += 4
        guard len == (~nlen & 0xFFFF) else { throw .badStoredLength }
        guard position + len <= input.count else { throw .truncated }
        guard output.count + len <= limit else { throw .tooLarge }
        output.append(contentsOf: input[position..<(position + len)])
        position += len
    }

    private mutating func dynamicTables() throws(Failure) -> (Huffman, Huffman) {
        let nlen = try bits(5) + 257
        let ndist = try bits(5) + 1
        let ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw .badCode }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<ncode { codeLengths[order[i]] = try bits(3) }
        guard let lencode = Huffman(lengths: codeLengths[...]) else { throw .badCode }
        var lengths = [Int](repeating: 0, count: nlen + ndist)
        var index = 0
        while index < nlen + ndist {
            var symbol = try decode(lencode)
            if symbol < 16 {
                lengths[index] = symbol
                index += 1
                continue
            }
            var value = 0
            if symbol == 16 {
                guard index > 0 else { throw .badCode }
                value = lengths[index - 1]
                symbol = 3 + (try bits(2))
            } else if symbol == 17 {
                symbol = 3 + (try bits(3))
            } else {
                symbol = 11 + (try bits(7))
            }
            guard index + symbol <= nlen + ndist else { throw .badCode }
            for _ in 0..<symbol {
                lengths[index] = value
                index += 1
            }
        }
        guard lengths[256] != 0, let literal = Huffman(lengths: lengths[0..<nlen]),
            let distance = Huffman(lengths: lengths[nlen...])
        else { throw .badCode }
        return (literal, distance)
    }

    private mutating func codes(_ literal: Huffman, _ distance: Huffman) throws(Failure) {
        while true {
            var symbol = try decode(literal)
            if symbol < 256 {
                guard output.count < limit else { throw .tooLarge }
                output.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                symbol -= 257
                guard symbol < 29 else { throw .badCode }
                let length = Self.lengthBase[symbol] + (try bits(Self.lengthExtra[symbol]))
                let d = try decode(distance)
                guard d < 30 else { throw .badDistance }
                let dist = Self.distanceBase[d] + (try bits(Self.distanceExtra[d]))
                guard dist <= output.count else { throw .badDistance }
                guard output.count + length <= limit else { throw .tooLarge }
                let start = output.count - dist
                for k in 0..<length { output.append(output[start + k]) }
            }
        }
    }
}

/// CRC-32 (IEEE 802.3, as zip uses).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

extension ReportMail {
    /// Decodes a raw DEFLATE stream of at most `limit` output bytes, as for a zip entry. For the
    /// fuzz targets (`Fuzz/`), which reach the decoder without building a zip with a right CRC.
    @_spi(Fuzzing) public static func inflate(_ stream: [UInt8], limit: Int) throws -> [UInt8] {
        try Inflater.inflate(stream, limit: limit)
    }
}

import Testing

@testable import Secrecy

@Suite struct HexTests {
    @Test func encodesContiguousAndOtherSequencesAlike() {
        let bytes: [UInt8] = [0x00, 0x0F, 0x10, 0x9A, 0xA5, 0xFF]
        #expect(Hex.encode(bytes) == "000f109aa5ff")
        #expect(Hex.encode(bytes.lazy.map { $0 }) == "000f109aa5ff")
        #expect(Hex.encode([UInt8]()) == "")
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(all)) == all)
    }
}

/// Big- and little-endian reads at byte offsets; callers check bounds first.
extension UnsafeRawBufferPointer {
    @inline(__always) func u8(_ offset: Int) -> UInt8 { self[offset] }
    @inline(__always) func u16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inline(__always) func u128(_ offset: Int) -> UInt128 {
        UInt128(u64(offset)) << 64 | UInt128(u64(offset + 8))
    }
    @inline(__always) func u16(_ offset: Int, littleEndian: Bool) -> UInt16 {
        let raw = loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return littleEndian ? UInt16(littleEndian: raw) : UInt16(bigEndian: raw)
    }
    @inline(__always) func u32(_ offset: Int, littleEndian: Bool) -> UInt32 {
        let raw = loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return littleEndian ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
    }
    /// An unsigned big-endian integer of 1 to 8 bytes (NetFlow v9 and IPFIX reduced-size encoding).
    @inline(__always) func unsigned(_ offset: Int, length: Int) -> UInt64 {
        // A template's lengths are the same in each record: these branches are predicted (a
        // switch here became an indirect jump).
        if length == 4 { return UInt64(u32(offset)) }
        if length == 8 { return u64(offset) }
        if length == 2 { return UInt64(u16(offset)) }
        var value: UInt64 = 0
        for index in 0..<Swift.min(length, 8) { value = value << 8 | UInt64(self[offset + length - Swift.min(length, 8) + index]) }
        return value
    }
}

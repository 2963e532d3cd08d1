import Attribution
import FuzzDriver

/// FreeRADIUS `detail` files, through the same entry as `mamori attribute`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? AssignmentReader.parse(
        bytes: UnsafeBufferPointer(start: data, count: size), fileName: "fuzz-detail", format: .radiusDetail)
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzRadiusDetail_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

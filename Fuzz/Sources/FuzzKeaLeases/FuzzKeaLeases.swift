import Attribution
import FuzzDriver

/// Kea lease memfiles (`kea-leases4.csv`, `kea-leases6.csv`: one parser reads both).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? AssignmentReader.parse(
        bytes: UnsafeBufferPointer(start: data, count: size), fileName: "fuzz-kea.csv", format: .keaCSV)
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzKeaLeases_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

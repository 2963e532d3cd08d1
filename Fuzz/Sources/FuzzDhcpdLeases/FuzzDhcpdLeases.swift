import Attribution
import FuzzDriver

/// ISC dhcpd `dhcpd.leases` files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? AssignmentReader.parse(
        bytes: UnsafeBufferPointer(start: data, count: size), fileName: "fuzz-dhcpd.leases", format: .dhcpdLeases)
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzDhcpdLeases_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

import FuzzDriver
import Sightings

/// Dionaea `log_json` lines and MHN `mongoexport` sessions.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? SightingReader().parse(
        bytes: UnsafeBufferPointer(start: data, count: size), fileName: "dionaea.json", feed: .dionaea)
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzDionaea_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

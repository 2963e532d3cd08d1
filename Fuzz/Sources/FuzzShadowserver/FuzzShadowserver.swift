import FuzzDriver
import Sightings

/// Shadowserver report CSVs; the report type is detected from the header (the file name
/// names no type), as `mamori ingest --feed shadowserver` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? SightingReader().parse(
        bytes: UnsafeBufferPointer(start: data, count: size), fileName: "fuzz.csv", feed: .shadowserver(report: nil))
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzShadowserver_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

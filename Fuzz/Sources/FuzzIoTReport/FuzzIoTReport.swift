import FuzzDriver
import Sightings

/// NOTICE/NICTER-style IoT report CSVs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? SightingReader().parse(
        bytes: UnsafeBufferPointer(start: data, count: size), fileName: "iot-report.csv", feed: .iotReport)
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzIoTReport_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

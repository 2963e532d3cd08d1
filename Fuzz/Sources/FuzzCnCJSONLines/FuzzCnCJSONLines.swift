import FuzzDriver
import Sightings

/// C&C takedown logs in the JSON-lines layout: the default one (RFC 3339 times) for inputs of
/// even length, one with epoch-second times and a log-wide family for odd lengths.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let layout: CnCLogLayout
    if size % 2 == 0 {
        layout = .defaultJSONLines
    } else {
        var epoch = CnCLogLayout.defaultJSONLines
        epoch.timeFormat = .epochSeconds
        epoch.family = "mirai"
        layout = epoch
    }
    _ = try? SightingReader().parse(
        bytes: UnsafeBufferPointer(start: data, count: size), fileName: "cnc.jsonl", feed: .cncTakedown(layout))
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzCnCJSONLines_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

import FuzzDriver
@_spi(Fuzzing) import Sightings

/// The zip reader of report attachments (central directory, local headers, stored and deflated
/// entries, CRC), fed raw archives: through a mail the fuzzer would mutate base64 text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? ReportMail.zipEntries(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzZipArchive_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

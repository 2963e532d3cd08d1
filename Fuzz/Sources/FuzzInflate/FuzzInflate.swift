import FuzzDriver
@_spi(Fuzzing) import Sightings

/// The DEFLATE decoder of zipped report attachments, fed raw streams (through a zip in a mail
/// the fuzzer would first have to get a CRC right). Output capped at 16 MiB.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? ReportMail.inflate(Array(UnsafeBufferPointer(start: data, count: size)), limit: 16 << 20)
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzInflate_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

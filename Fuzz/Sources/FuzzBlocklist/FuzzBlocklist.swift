import FuzzDriver
import SiteWarning

/// The DNS guard's list files (RPZ zones, domain lists, URL lists), as an operator or a feed
/// hands them over. The first byte picks the format. Beyond not crashing: every name the list
/// loaded must match itself in the compiled blocklist.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let format: ListFormat = [.rpz, .domains, .urls][Int(data[0]) % 3]
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    var builder = BlocklistBuilder()
    guard let report = try? builder.load(text: text, file: "fuzz", list: "fuzz", kind: .cnc, format: format) else { return 0 }
    let blocklist = builder.build()
    guard blocklist.entryCount >= report.entries else { fatalError("\(report.entries) entries loaded, \(blocklist.entryCount) compiled") }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzBlocklist_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

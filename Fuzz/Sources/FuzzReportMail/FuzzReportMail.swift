import FuzzDriver
import Sightings

/// Report e-mails: MIME, base64, zip (stored and deflated), then every CSV attachment through
/// the sighting reader, as `SightingReader.parse(mail:)` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let attachments = try? ReportMail.csvAttachments(in: UnsafeBufferPointer(start: data, count: size), file: "fuzz.eml")
    else { return 0 }
    for attachment in attachments {
        _ = try? SightingReader().parse(bytes: attachment.bytes, fileName: attachment.name)
    }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzReportMail_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

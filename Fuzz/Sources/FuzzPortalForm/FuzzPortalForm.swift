import FuzzDriver
import Remediation

/// The portal's "I have cleaned my device" form: the urlencoded body as the route decodes it,
/// then the token shape check on each value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for (_, value) in RemediatedForm.fields(body) {
        _ = PersonalToken.isWellFormed(value)
    }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzPortalForm_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

import FuzzDriver
import MailGuard

/// Dovecot auth-policy requests: the first line is the request target, the rest the JSON body.
/// Beyond not crashing: a request that parses never came with `login` or `pwhash` at the top.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
    let target = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []
    if let request = try? AuthPolicyRequest.parse(target: target, body: body) {
        _ = AuthPolicyRequest.replyBody(blocked: request.failed, message: target)
    }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzAuthPolicy_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

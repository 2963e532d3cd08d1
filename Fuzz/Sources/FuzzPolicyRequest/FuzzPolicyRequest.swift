import FuzzDriver
import MailGuard

/// Postfix policy-delegation bytes as a policy server receives them on one connection: framed
/// request by request, each parsed. Beyond not crashing: a frame's end is inside the input and
/// past its start; a request that parses keeps only what it declares; the contiguous parser and
/// the byte walk agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var start = 0
    while start < bytes.count, let end = PolicyProtocol.requestEnd(in: bytes[start...]) {
        guard end > 0, start + end <= bytes.count else { fatalError("a frame ended outside the input") }
        let frame = bytes[start..<(start + end)]
        let fast = Result { () throws(MailGuardError) in try PolicyProtocol.parse(frame) }
        let walked = Result { () throws(MailGuardError) in try PolicyProtocol.parseWalking(frame) }
        // The contiguous parser and the byte walk must agree, errors and their lines included.
        guard fast == walked else { fatalError("parse and parseWalking disagree: \(fast) / \(walked)") }
        if case .success(let request) = fast {
            _ = PolicyAction.reject(request.sender ?? "").encoded
        }
        start += end
    }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzPolicyRequest_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

import FuzzDriver
import MailGuard

/// Postfix policy-delegation bytes as a policy server receives them on one connection: framed
/// request by request, each parsed. Beyond not crashing: a frame's end is inside the input and
/// past its start; a request that parses keeps only what it declares.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var start = 0
    while start < bytes.count, let end = PolicyProtocol.requestEnd(in: bytes[start...]) {
        guard end > 0, start + end <= bytes.count else { fatalError("a frame ended outside the input") }
        if let request = try? PolicyProtocol.parse(bytes[start..<(start + end)]) {
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

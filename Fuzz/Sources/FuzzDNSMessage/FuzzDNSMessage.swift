import DNS
import FuzzDriver

/// DNS messages as a resolver receives them (queries from subscribers, answers from upstream).
/// Beyond not crashing: what decodes must encode, decode back to the same message, and fit the
/// size the client allows when truncated to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let message = try? DNSMessage(bytes: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    guard let encoded = try? message.bytes() else { fatalError("a decoded message did not encode") }
    guard let again = try? DNSMessage(bytes: encoded) else { fatalError("an encoded message did not decode") }
    guard again == message else { fatalError("a round trip changed the message") }
    if let truncated = try? message.bytes(limit: 512) {
        guard truncated.count <= 512 else { fatalError("truncation to 512 gave \(truncated.count) bytes") }
        guard (try? DNSMessage(bytes: truncated)) != nil else { fatalError("a truncated message did not decode") }
    }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzDNSMessage_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

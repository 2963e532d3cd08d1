import FuzzDriver
import MailGuard

/// Socketmap netstrings as the server receives them on one connection. Beyond not crashing: a
/// frame lies inside the input, and a parsed request re-encodes to the same frame.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var start = 0
    while let frame = try? Socketmap.frame(in: bytes, from: start) {
        guard frame.end <= bytes.count, frame.end > start else { fatalError("a frame ended outside the input") }
        if let request = try? Socketmap.request(bytes[frame.payload]) {
            let again = Socketmap.netstring(Array("\(request.map) \(request.key)".utf8))
            // Valid UTF-8 round-trips byte for byte (other bytes are replaced when decoded).
            if String(validating: bytes[frame.payload], as: UTF8.self) != nil, again != Array(bytes[start..<frame.end]) {
                fatalError("a request did not re-encode to its frame")
            }
        }
        start = frame.end
    }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzSocketmap_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

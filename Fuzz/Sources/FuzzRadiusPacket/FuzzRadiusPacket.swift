import Attribution
import Foundation
import FuzzDriver

/// RADIUS accounting datagrams as the listener receives them from NASes (RFC 2866). Beyond not
/// crashing: a packet that decodes encodes back to the same bytes (up to its declared length),
/// the authenticator check never traps, and a decoded Accounting-Request maps to a record or to
/// a named error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? RadiusAuthenticator.verifyAccountingRequest(bytes, secret: Array("testing123".utf8))
    guard let packet = try? RadiusPacket(decoding: bytes) else { return 0 }
    let encoded = packet.encoded()
    guard let again = try? RadiusPacket(decoding: encoded) else { fatalError("an encoded packet did not decode") }
    guard again.encoded() == encoded else { fatalError("a round trip changed the packet") }
    _ = try? RadiusAccountingRecord(packet, receivedAt: Date(timeIntervalSince1970: 1_795_737_600))
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzRadiusPacket_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

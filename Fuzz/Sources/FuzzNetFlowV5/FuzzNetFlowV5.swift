import Addressing
import EdgeFilter
import FuzzDriver

/// Flow-export messages of version 5 as `mamori edge analyze` and the darknet sensor read them.
/// Beyond not crashing: both purposes' decoders decode and refuse the same packets and records,
/// and a second pass over the same decoder (templates of the first pass kept) runs too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The export version first, so that every input is read as this format.
    let bytes: [UInt8] = [0, 5] + Array(UnsafeBufferPointer(start: data, count: size)).dropFirst(min(size, 2))
    var amplification = EdgeDecoder()
    var seen = 0
    amplification.decodeAmplification(bytes) { _ in seen += 1 }
    var darknet = EdgeDecoder()
    var looked = 0
    darknet.decodeDarknet(bytes, darknet: { _ in true }) { _ in looked += 1 }
    guard amplification.counts.decoded == darknet.counts.decoded, amplification.counts.bad == darknet.counts.bad else {
        fatalError("the two views decoded different packets")
    }
    guard seen == amplification.counts.decoded, looked <= seen else { fatalError("views and counts disagree") }
    amplification.decodeAmplification(bytes) { _ in }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzNetFlowV5_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

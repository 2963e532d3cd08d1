import EdgeFilter

/// The check every edge decoder target makes on its input: both purposes' decoders (the
/// amplification view and the darknet view) decode and refuse the same packets and records, the
/// views agree with the counts, and a second pass over the same decoder (templates of the first
/// pass kept) runs too; the analysis's specialised loop counts what the closure path counts.
/// Traps otherwise.
///
/// `version`: the export version written over the first two bytes (9, 10, 5), so that every
/// input is read as that format; nil for capture files, taken as they are.
public func checkEdgeViews(_ data: UnsafePointer<UInt8>, _ size: Int, version: UInt8? = nil) {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let version { bytes = [0, version] + bytes.dropFirst(min(size, 2)) }
    var amplification = EdgeDecoder()
    var seen = 0
    var viaClosure = emptyAnalysis
    amplification.decodeAmplification(bytes) {
        seen += 1
        viaClosure.add($0)
    }
    var loopDecoder = EdgeDecoder()
    var viaLoop = emptyAnalysis
    viaLoop.add(decoding: bytes, with: &loopDecoder)
    guard loopDecoder.counts == amplification.counts, viaLoop.packets == viaClosure.packets, viaLoop.matched == viaClosure.matched,
        viaLoop.perPool == viaClosure.perPool, viaLoop.perPoolHour == viaClosure.perPoolHour
    else { fatalError("the specialised loop and the closure path counted differently") }
    var darknet = EdgeDecoder()
    var looked = 0
    darknet.decodeDarknet(bytes, darknet: { _ in true }) { _ in looked += 1 }
    guard amplification.counts.decoded == darknet.counts.decoded, amplification.counts.bad == darknet.counts.bad else {
        fatalError("the two views decoded different packets")
    }
    guard seen == amplification.counts.decoded, looked <= seen else { fatalError("views and counts disagree") }
    amplification.decodeAmplification(bytes) { _ in }
}

/// Two pools that hold every address, so that each UDP/53 view is matched and tallied.
/// Made once: each input starts from a copy (the matcher's tables are shared, not rebuilt).
let emptyAnalysis = AmplificationAnalysis(
    pools: try! Pools.parse("0.0.0.0/1 low\n::/1 low\n128.0.0.0/1 high\n8000::/1 high\n", file: "everything"))

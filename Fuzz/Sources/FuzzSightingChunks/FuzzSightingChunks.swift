import Foundation
import FuzzDriver
import Sightings

/// The chunked file path of the sighting reader against the in-memory one (a differential
/// target): the first byte picks the feed, the rest is written to a file and streamed in chunks
/// of 4 KiB (the smallest), so records cross chunk boundaries. Both paths must give the same
/// sightings and counts, or both refuse the input; anything else traps and is kept as a crasher.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let feeds: [(SightingFeed, String)] = [
        (.shadowserver(report: nil), "fuzz.csv"), (.cowrie, "cowrie.json"), (.dionaea, "dionaea.json"),
        (.cncTakedown(.default), "cnc.csv"), (.cncTakedown(.defaultJSONLines), "cnc.jsonl"), (.iotReport, "iot.csv"),
    ]
    let (feed, name) = feeds[Int(data[0]) % feeds.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mamori-fuzz-\(getpid())/\(name)")
    try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    guard (try? Data(bytes).write(to: url)) != nil else { return 0 }
    let reader = SightingReader(chunkSize: 4096)
    let memory = Result { () throws(SightingError) in try reader.parse(bytes: bytes, fileName: name, feed: feed) }
    let file = Result { () throws(SightingError) in try reader.parse(contentsOf: url, feed: feed) }
    switch (memory, file) {
    case (.success(let m), .success(let f)):
        if m != f { fatalError("streamed in chunks differs from in memory: \(m.summary) vs \(f.summary)") }
    case (.failure(let m), .failure(let f)):
        if "\(m)" != "\(f)" { fatalError("different errors: \(m) vs \(f)") }
    case (.success, .failure(let f)):
        fatalError("streamed in chunks fails, in memory not: \(f)")
    case (.failure(let m), .success):
        fatalError("in memory fails, streamed in chunks not: \(m)")
    }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzSightingChunks_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

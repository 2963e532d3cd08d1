import Addressing
@_spi(Unaudited) import Attribution
import Foundation

// Standalone timing harness: the same random-holdings index, single vs batch lookups, one thread.
func cpu() -> Double { var t = timespec(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
func wall() -> Double { Date().timeIntervalSince1970 }
let n = Int(CommandLine.arguments.dropFirst().first ?? "10000000")!
let m = Int(CommandLine.arguments.dropFirst(2).first ?? "2000000")!
var rng = SystemRandomNumberGenerator()
var b = AttributionIndex.Builder(config: AttributionConfig())
b.reserveCapacity(n)
let t0: UInt32 = 1_767_225_600
var addrs: [(IPAddress, UInt32, UInt32)] = []
addrs.reserveCapacity(n)
for i in 0..<n {
    let sub = b.subscriberID("sub\(i % (n / 3 + 1))")
    let ses = b.sessionID("s\(i)")
    let from = t0 + UInt32.random(in: 0..<2_592_000, using: &rng)
    let to = from + UInt32.random(in: 60..<86_400, using: &rng)
    let p: IPPrefix
    if i % 4 == 3 {
        p = IPPrefix(IPAddress(v6: UInt128(0x2001_0db8_0000_0000 | UInt64.random(in: 0..<(1 << 40), using: &rng) << 8) << 64), length: 56)!
    } else {
        p = IPPrefix(IPAddress(v4: UInt32.random(in: 0x0A00_0000..<0x0B00_0000, using: &rng)), length: 32)!
    }
    addrs.append((p.network, from, to))
    b.append(prefix: p, fromSeconds: from, toSeconds: to, subscriberID: sub, sessionID: ses, portRange: nil)
}
let index = b.build()
var qs: [AttributionQuery] = []
for _ in 0..<m {
    let (a, f, t) = addrs[Int.random(in: 0..<addrs.count, using: &rng)]
    qs.append(AttributionQuery(address: a, at: Date(timeIntervalSince1970: Double(f + (t - f) / 2)), port: nil))
}
for pass in 0..<2 {
    var found = 0
    var w = wall(); var c = cpu()
    for q in qs { if case .found = index.holder(of: q.address, at: q.time, port: q.port) { found += 1 } }
    let sw = wall() - w, sc = cpu() - c
    var answers: [AttributionAnswer] = []; answers.reserveCapacity(m)
    var found2 = 0
    w = wall(); c = cpu()
    index.holders(of: qs, into: &answers)
    for a in answers { if case .found = a { found2 += 1 } }
    let bw = wall() - w, bc = cpu() - c
    print("pass \(pass): single \(Int(Double(m)/sw))/s wall \(Int(Double(m)/sc))/cpu-s; batch \(Int(Double(m)/bw))/s wall \(Int(Double(m)/bc))/cpu-s; found \(found) \(found2)")
}

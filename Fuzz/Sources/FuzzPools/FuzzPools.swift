import Addressing
import EdgeFilter
import FuzzDriver

/// The edge's operator files: a pools file (`PREFIX [NAME]`, `!PREFIX`, `#` comments) and, after
/// a NUL byte, a list of addresses to probe for open resolvers. Beyond not crashing: the pools'
/// ranges are sorted and disjoint, every accepted target lies inside them, and every refusal
/// names a line of the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let poolsText = String(decoding: bytes[..<split], as: UTF8.self)
    let targetsText = split < size ? String(decoding: bytes[(split + 1)...], as: UTF8.self) : ""
    let pools: Pools
    do {
        pools = try Pools.parse(poolsText, file: "pools")
    } catch {
        let lines = poolsText.split(separator: "\n", omittingEmptySubsequences: false).count
        for problem in error.problems where problem.line < 1 || problem.line > lines { fatalError("a problem on line \(problem.line) of \(lines)") }
        return 0
    }
    for (a, b) in zip(pools.ranges, pools.ranges.dropFirst())
    where a.family == b.family && a.upper >= b.lower || a.family > b.family {
        fatalError("ranges out of order or overlapping: \(a) \(b)")
    }
    do {
        let targets = try ProbeTargets(listed: targetsText, file: "targets", pools: pools, limit: 1_000)
        for address in targets.addresses
        where !pools.ranges.contains(where: { $0.family == address.family && $0.lower <= address.value && address.value <= $0.upper }) {
            fatalError("\(address) accepted outside the pools")
        }
    } catch {
        guard error.description.hasPrefix("targets") else { fatalError("a refusal that names no place: \(error)") }
    }
    return 0
}

/// The entry SwiftPM links as `main` (see `FuzzDriver.h`).
@_cdecl("FuzzPools_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    mamori_fuzz_run(argc, argv)
}

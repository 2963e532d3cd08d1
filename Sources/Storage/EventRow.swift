import Addressing
public import Attribution
import Foundation
import TextScanning

/// The stored form of one assignment event (the `aaa_event` row's `stable_key` and `body`),
/// written into reusable byte buffers: no `JSONEncoder`, no `String` per field.
///
/// `body` is byte for byte what `JSONEncoder` with `.sortedKeys` makes of the event (its
/// `Codable` form, dates as seconds since 2001), so stores written before and after read the
/// same; `EventRowTests` holds the two side by side.
public struct EventRowWriter: Sendable {
    /// The UTF-8 ``AssignmentEvent/stableKey`` of the last event written.
    public private(set) var key: [UInt8] = []
    /// The JSON body of the last event written.
    public private(set) var body: [UInt8] = []

    public init() {
        key.reserveCapacity(256)
        body.reserveCapacity(512)
    }

    /// Writes `event`'s key and body.
    public mutating func write(_ event: AssignmentEvent) {
        key.removeAll(keepingCapacity: true)
        event.appendStableKey(to: &key)
        body.removeAll(keepingCapacity: true)
        Self.appendBody(event, to: &body)
    }

    /// `{"end":…,"eventTime":…,"format":…,"interimInterval":…,"kind":…,"portEnd":…,"portStart":…,
    /// "prefixes":[…],"session":…,"sessionStart":…,"subscriber":…}`, absent optionals left out.
    public static func appendBody(_ event: AssignmentEvent, to out: inout [UInt8]) {
        var first = true
        func name(_ n: StaticString) {
            out.append(first ? 0x7B : 0x2C)  // { or ,
            first = false
            out.append(ASCII.quote)
            out.append(contentsOf: UnsafeBufferPointer(start: n.utf8Start, count: n.utf8CodeUnitCount))
            out.append(ASCII.quote)
            out.append(ASCII.colon)
        }
        if let end = event.end {
            name("end")
            appendNumber(end.timeIntervalSinceReferenceDate, to: &out)
        }
        name("eventTime")
        appendNumber(event.eventTime.timeIntervalSinceReferenceDate, to: &out)
        name("format")
        appendString(event.format.rawValue, to: &out)
        if let interval = event.interimInterval {
            name("interimInterval")
            appendNumber(interval, to: &out)
        }
        name("kind")
        appendString(event.kind.rawValue, to: &out)
        if let ports = event.portRange {
            name("portEnd")
            ByteWrite.decimal(Int64(ports.upperBound), to: &out)
            name("portStart")
            ByteWrite.decimal(Int64(ports.lowerBound), to: &out)
        }
        name("prefixes")
        out.append(0x5B)  // [
        for (i, prefix) in event.prefixes.enumerated() {
            if i > 0 { out.append(ASCII.comma) }
            out.append(ASCII.quote)
            prefix.network.appendText(to: &out)
            out.append(ASCII.backslash)
            out.append(ASCII.slash)
            ByteWrite.decimal(Int64(prefix.length), to: &out)
            out.append(ASCII.quote)
        }
        out.append(0x5D)  // ]
        name("session")
        appendString(event.session, to: &out)
        if let start = event.sessionStart {
            name("sessionStart")
            appendNumber(start.timeIntervalSinceReferenceDate, to: &out)
        }
        name("subscriber")
        appendString(event.subscriber, to: &out)
        out.append(0x7D)  // }
    }

    /// `JSONEncoder`'s number: the shortest round-trip decimal, without a trailing `.0`.
    static func appendNumber(_ v: Double, to out: inout [UInt8]) {
        if v == v.rounded(), abs(v) < 1e9 {
            ByteWrite.decimal(Int64(v), to: &out)
            return
        }
        var text = v.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        out.append(contentsOf: text.utf8)
    }

    /// `JSONEncoder`'s string literal: `/` written `\/`; anything else that needs escaping
    /// (quotes, backslashes, control characters: rare in identifiers) is escaped by
    /// `JSONEncoder` itself.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        if s.utf8.contains(where: { $0 < 0x20 || $0 == ASCII.quote || $0 == ASCII.backslash }) {
            let literal = (try? JSONEncoder().encode([s])) ?? Data("[\"\"]".utf8)
            out.append(contentsOf: literal.dropFirst().dropLast())  // without [ and ]
            return
        }
        out.append(ASCII.quote)
        let start = out.count
        out.append(contentsOf: s.utf8)
        escapeSlashes(from: start, in: &out)
        out.append(ASCII.quote)
    }

    /// Writes each `/` from `start` on as `\/`.
    static func escapeSlashes(from start: Int, in out: inout [UInt8]) {
        guard let first = out[start...].firstIndex(of: ASCII.slash) else { return }
        let rest = Array(out[first...])
        out.removeSubrange(first...)
        for c in rest {
            if c == ASCII.slash { out.append(ASCII.backslash) }
            out.append(c)
        }
    }
}

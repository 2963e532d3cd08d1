public import Addressing

/// The input formats ``EdgeDecoder`` reads, detected from the first bytes.
public enum InputFormat: String, Sendable, Hashable {
    case pcap
    case pcapng
    case netflowV5 = "netflow-v5"
    case netflowV9 = "netflow-v9"
    case ipfix

    /// The format of `bytes`, from its magic number or flow-export version; `nil` when unknown.
    public static func detect(_ bytes: some Collection<UInt8>) -> InputFormat? {
        let head = Array(bytes.prefix(4))
        guard head.count >= 2 else { return nil }
        if head.count == 4 {
            switch (head[0], head[1], head[2], head[3]) {
            case (0xD4, 0xC3, 0xB2, 0xA1), (0xA1, 0xB2, 0xC3, 0xD4), (0x4D, 0x3C, 0xB2, 0xA1), (0xA1, 0xB2, 0x3C, 0x4D): return .pcap
            case (0x0A, 0x0D, 0x0D, 0x0A): return .pcapng
            default: break
            }
        }
        switch (head[0], head[1]) {
        case (0, 5): return .netflowV5
        case (0, 9): return .netflowV9
        case (0, 10): return .ipfix
        default: return nil
        }
    }
}

/// Decodes captures (pcap, pcapng: Ethernet with VLAN tags, Linux SLL/SLL2, raw IP, BSD null;
/// IPv4 and IPv6 with extension headers; UDP and TCP ports) and flow exports (NetFlow v5,
/// NetFlow v9 and IPFIX, with their templates) into one purpose's view.
///
/// Each purpose has its own entry point and view: ``decodeAmplification(_:_:)`` yields
/// ``AmplificationView`` (no source fields exist in it, none are read), ``decodeDarknet(_:darknet:_:)``
/// yields ``DarknetView`` and reads a source only for a destination inside the darknet.
///
/// Bad input never stops a run: every refused packet, record or set is counted in ``counts`` by
/// reason, with the offset of the first of each. Templates live across calls (one exporter's
/// datagrams, one file after another): a template is withdrawn by IPFIX withdrawal and expires
/// ``templateLifetime`` seconds (export time) after it was last announced.
///
/// ```swift
/// var decoder = EdgeDecoder()
/// decoder.decodeAmplification(bytes) { view in if view.destinationPort == 53 { hits += 1 } }
/// decoder.counts.bad  // [.truncatedRecord: 1]
/// ```
public struct EdgeDecoder: Sendable {
    /// Seconds after its last announcement a template stops being used (RFC 7011 §8.4 for UDP).
    public var templateLifetime: Int64 = 1800
    /// What was decoded and refused so far.
    public internal(set) var counts = DecodeCounts()
    var templates: [TemplateKey: FlowTemplate] = [:]

    public init() {}

    /// Decodes `bytes` (a capture file or flow-export messages) into the amplification view.
    @discardableResult
    public mutating func decodeAmplification(_ bytes: [UInt8], _ body: (AmplificationView) -> Void) -> InputFormat? {
        withoutActuallyEscaping(body) { body in
            var sink = ClosureSink<AmplificationView>(wants: { _ in true }, take: body)
            return bytes.withUnsafeBytes { run($0, into: &sink) }
        }
    }

    /// Decodes `bytes` into the darknet view: only packets and flows whose destination
    /// `darknet` accepts are looked at further (their source read); the rest only counted.
    @discardableResult
    public mutating func decodeDarknet(_ bytes: [UInt8], darknet: (IPAddress) -> Bool, _ body: (DarknetView) -> Void) -> InputFormat? {
        withoutActuallyEscaping(darknet) { darknet in
            withoutActuallyEscaping(body) { body in
                var sink = ClosureSink<DarknetView>(wants: darknet, take: body)
                return bytes.withUnsafeBytes { run($0, into: &sink) }
            }
        }
    }

    /// Decodes `buffer` into `sink`: one loop a format, specialised for each sink.
    mutating func run<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, into sink: inout S
    ) -> InputFormat? {
        guard let format = InputFormat.detect(buffer) else {
            counts.refuse(.unknownFormat, at: 0)
            return nil
        }
        switch format {
        case .pcap: pcap(buffer, into: &sink)
        case .pcapng: pcapng(buffer, into: &sink)
        case .netflowV5: netflowV5(buffer, into: &sink)
        case .netflowV9: netflowV9(buffer, into: &sink)
        case .ipfix: ipfix(buffer, into: &sink)
        }
        return format
    }
}

/// Where the decoders put what they decode. Generic rather than closures, so that each
/// purpose's loop is specialised with its sink inlined (``AmplificationAnalysis`` is one).
protocol ViewSink {
    associatedtype View: EdgeViewMaking
    /// Whether a packet or flow is looked at further: the rest of it read, the view made (for
    /// the darknet, its source read).
    func wants(_ destination: IPAddress, transport: UInt8, port: UInt16) -> Bool
    /// Is told of a packet or flow it did not want, by its packet count only.
    mutating func passes(packets: UInt64)
    /// Takes one view.
    mutating func take(_ view: View)
}

/// A sink of two closures, for the public closure-taking entry points.
struct ClosureSink<View: EdgeViewMaking>: ViewSink {
    let wantsDestination: (IPAddress) -> Bool
    let body: (View) -> Void

    init(wants: @escaping (IPAddress) -> Bool, take: @escaping (View) -> Void) {
        wantsDestination = wants
        body = take
    }

    func wants(_ destination: IPAddress, transport: UInt8, port: UInt16) -> Bool { wantsDestination(destination) }
    func passes(packets: UInt64) {}
    func take(_ view: View) { body(view) }
}

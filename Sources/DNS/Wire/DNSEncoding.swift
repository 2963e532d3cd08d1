public import NIOCore

extension DNSMessage {
    /// Writes the message with name compression (RFC 1035 §4.1.4) for owner names and the names
    /// inside NS, CNAME, PTR, MX and SOA data.
    ///
    /// With `limit` (the UDP payload size the client can take: 512, or its EDNS size), records
    /// that do not fit are left out from the end, whole sections first from the additional, and
    /// TC is set when an answer or authority record had to go (RFC 2181 §9; a missing
    /// additional record needs no TC). The OPT record is kept. Throws when even the header,
    /// questions and OPT do not fit.
    public func encode(into buffer: inout ByteBuffer, limit: Int? = nil) throws(DNSWireError) {
        var writer = DNSWireWriter()
        var header = header
        let sections = [answers, authority, additional]
        var kept = sections.map(\.count)
        while true {
            writer.reset()
            writer.header(header, counts: (questions.count, kept[0], kept[1], kept[2] + (edns == nil ? 0 : 1)))
            for q in questions {
                writer.name(q.name)
                writer.u16(q.type.rawValue)
                writer.u16(q.recordClass)
            }
            for (section, count) in zip(sections, kept) {
                for record in section.prefix(count) { writer.record(record) }
            }
            if let edns { writer.opt(edns, rcode: edns.extendedRCode) }
            guard let limit, writer.bytes.count > limit else { break }
            // Drop one record from the last non-empty section and try again.
            guard let last = kept.lastIndex(where: { $0 > 0 }) else {
                throw .tooLarge(size: writer.bytes.count, limit: limit)
            }
            kept[last] -= 1
            if last < 2 { header.truncated = true }
        }
        buffer.writeBytes(writer.bytes)
    }

    /// The message's bytes (see ``encode(into:limit:)``).
    public func bytes(limit: Int? = nil) throws(DNSWireError) -> [UInt8] {
        var buffer = ByteBuffer()
        try encode(into: &buffer, limit: limit)
        return Array(buffer.readableBytesView)
    }
}

/// Builds one message's bytes, remembering where each name suffix was written.
struct DNSWireWriter {
    var bytes: [UInt8] = []
    /// Suffixes already written (lower-cased labels) → their offset, when below 0x4000.
    var suffixes: [[[UInt8]]: Int] = [:]

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        suffixes.removeAll(keepingCapacity: true)
    }

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(v & 0xFF))
    }

    mutating func u32(_ v: UInt32) {
        u16(UInt16(v >> 16))
        u16(UInt16(v & 0xFFFF))
    }

    mutating func header(_ h: DNSHeader, counts: (Int, Int, Int, Int)) {
        u16(h.id)
        u16(h.flags)
        for c in [counts.0, counts.1, counts.2, counts.3] { u16(UInt16(clamping: c)) }
    }

    mutating func name(_ name: DNSName, compress: Bool = true) {
        let lowered = name.labels.map { $0.map(DNSName.lower) }
        for i in lowered.indices {
            let suffix = Array(lowered[i...])
            if compress, let at = suffixes[suffix] {
                u16(0xC000 | UInt16(at))
                return
            }
            if bytes.count < 0x4000 { suffixes[suffix] = bytes.count }
            bytes.append(UInt8(name.labels[i].count))
            bytes.append(contentsOf: name.labels[i])
        }
        bytes.append(0)
    }

    mutating func record(_ r: DNSRecord) {
        name(r.name)
        u16(r.type.rawValue)
        u16(r.recordClass)
        u32(r.ttl)
        let lengthAt = bytes.count
        u16(0)
        switch r.data {
        case .a(let octets), .aaaa(let octets), .opaque(let octets): bytes.append(contentsOf: octets)
        case .name(let target): name(target)
        case .mx(let preference, let exchange):
            u16(preference)
            name(exchange)
        case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
            name(mname)
            name(rname)
            for v in [serial, refresh, retry, expire, minimum] { u32(v) }
        }
        let length = bytes.count - lengthAt - 2
        bytes[lengthAt] = UInt8(length >> 8)
        bytes[lengthAt + 1] = UInt8(length & 0xFF)
    }

    mutating func opt(_ edns: EDNS, rcode: UInt8) {
        bytes.append(0)  // the root
        u16(DNSType.opt.rawValue)
        u16(edns.udpPayloadSize)
        u32(UInt32(rcode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
        let length = edns.options.reduce(0) { $0 + 4 + $1.data.count }
        u16(UInt16(clamping: length))
        for option in edns.options {
            u16(option.code)
            u16(UInt16(clamping: option.data.count))
            bytes.append(contentsOf: option.data)
        }
    }
}

public import NIOCore

extension DNSMessage {
    /// Reads one message: all of `buffer`'s readable bytes (a UDP datagram, or one TCP frame's
    /// payload). Names may be compressed (pointers only backwards, so a loop cannot be built);
    /// every length is checked against the message; bytes after the last record are refused.
    public init(decoding buffer: ByteBuffer) throws(DNSWireError) {
        let result: Result<DNSMessage, DNSWireError> = buffer.withUnsafeReadableBytes { bytes in
            var reader = DNSWireReader(bytes: bytes)
            do throws(DNSWireError) {
                return .success(try reader.message())
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Reads one message from bytes (see ``init(decoding:)``).
    public init(bytes: [UInt8]) throws(DNSWireError) {
        try self.init(decoding: ByteBuffer(bytes: bytes))
    }
}

/// A reader over one message's bytes; offsets are from the message's first byte.
struct DNSWireReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func u8(_ field: String) throws(DNSWireError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(field: field, offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: String) throws(DNSWireError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw .truncated(field: field, offset: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32(_ field: String) throws(DNSWireError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw .truncated(field: field, offset: offset) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func octets(_ count: Int, _ field: String) throws(DNSWireError) -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw .truncated(field: field, offset: offset) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// A name at the current offset; the offset moves past its in-place part.
    mutating func readName(_ field: String) throws(DNSWireError) -> DNSName {
        let start = offset
        var labels: [[UInt8]] = []
        var wireLength = 1
        var at = offset
        var jumped = false
        // Every pointer must point strictly before the position it was read at, so a chain of
        // them ends: the earliest position read so far only decreases.
        var lowest = offset
        while true {
            guard at < bytes.count else { throw .truncated(field: field, offset: at) }
            let length = bytes[at]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    if !jumped { offset = at + 1 }
                    return DNSName(validated: labels)
                }
                let count = Int(length)
                guard at + 1 + count <= bytes.count else { throw .truncated(field: field, offset: at) }
                wireLength += count + 1
                guard wireLength <= 255 else { throw .nameTooLong(offset: start) }
                labels.append(Array(bytes[(at + 1)..<(at + 1 + count)]))
                at += 1 + count
            case 0xC0:
                guard at + 2 <= bytes.count else { throw .truncated(field: field, offset: at) }
                let target = Int(length & 0x3F) << 8 | Int(bytes[at + 1])
                guard target < lowest else { throw .badPointer(offset: at, target: target) }
                if !jumped {
                    offset = at + 2
                    jumped = true
                }
                lowest = target
                at = target
            default:
                throw .badLabelType(offset: at, byte: length)
            }
        }
    }

    mutating func question() throws(DNSWireError) -> DNSQuestion {
        let name = try readName("question name")
        let type = DNSType(rawValue: try u16("question type"))
        return DNSQuestion(name: name, type: type, recordClass: try u16("question class"))
    }

    /// A record, or the OPT record as EDNS (`opt` set, record nil).
    mutating func record(section: String, opt: inout EDNS?, optAllowed: Bool) throws(DNSWireError) -> DNSRecord? {
        let start = offset
        let name = try readName("\(section) record name")
        let type = DNSType(rawValue: try u16("\(section) record type"))
        let recordClass = try u16("\(section) record class")
        let ttl = try u32("\(section) record TTL")
        let length = Int(try u16("\(section) RDATA length"))
        let dataStart = offset
        guard dataStart + length <= bytes.count else { throw .truncated(field: "\(section) RDATA", offset: dataStart) }
        if type == .opt {
            guard optAllowed else { throw .badOPT(offset: start, reason: "outside the additional section") }
            guard opt == nil else { throw .badOPT(offset: start, reason: "a second OPT record") }
            guard name == .root else { throw .badOPT(offset: start, reason: "owner is not the root") }
            var edns = EDNS(udpPayloadSize: recordClass)
            edns.extendedRCode = UInt8(ttl >> 24)
            edns.version = UInt8((ttl >> 16) & 0xFF)
            edns.dnssecOK = ttl & 0x8000 != 0
            while offset < dataStart + length {
                let code = try u16("EDNS option code")
                let optionLength = Int(try u16("EDNS option length"))
                guard offset + optionLength <= dataStart + length else {
                    throw .badOPT(offset: offset, reason: "option of \(optionLength) bytes overruns the RDATA")
                }
                edns.options.append(EDNSOption(code: code, data: try octets(optionLength, "EDNS option data")))
            }
            guard offset == dataStart + length else { throw .badOPT(offset: offset, reason: "option header overruns the RDATA") }
            opt = edns
            return nil
        }
        let data: DNSRData
        switch type {
        case .a:
            guard length == 4 else { throw .badRData(type: type.rawValue, offset: dataStart, reason: "A of \(length) bytes (4)") }
            data = .a(try octets(4, "A address"))
        case .aaaa:
            guard length == 16 else { throw .badRData(type: type.rawValue, offset: dataStart, reason: "AAAA of \(length) bytes (16)") }
            data = .aaaa(try octets(16, "AAAA address"))
        case .ns, .cname, .ptr:
            data = .name(try readName("\(type) target"))
        case .mx:
            let preference = try u16("MX preference")
            data = .mx(preference: preference, exchange: try readName("MX exchange"))
        case .soa:
            let mname = try readName("SOA mname")
            let rname = try readName("SOA rname")
            data = .soa(
                mname: mname, rname: rname, serial: try u32("SOA serial"), refresh: try u32("SOA refresh"), retry: try u32("SOA retry"),
                expire: try u32("SOA expire"), minimum: try u32("SOA minimum"))
        default:
            data = .opaque(try octets(length, "RDATA"))
        }
        guard offset == dataStart + length else {
            throw .badRData(type: type.rawValue, offset: dataStart, reason: "\(length) bytes declared, \(offset - dataStart) read")
        }
        return DNSRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data)
    }

    mutating func message() throws(DNSWireError) -> DNSMessage {
        let id = try u16("header")
        let flags = try u16("header")
        let counts = (try u16("header"), try u16("header"), try u16("header"), try u16("header"))
        var message = DNSMessage(header: DNSHeader(id: id, flags: flags))
        var opt: EDNS?
        for _ in 0..<counts.0 { message.questions.append(try question()) }
        for _ in 0..<counts.1 {
            if let r = try record(section: "answer", opt: &opt, optAllowed: false) { message.answers.append(r) }
        }
        for _ in 0..<counts.2 {
            if let r = try record(section: "authority", opt: &opt, optAllowed: false) { message.authority.append(r) }
        }
        for _ in 0..<counts.3 {
            if let r = try record(section: "additional", opt: &opt, optAllowed: true) { message.additional.append(r) }
        }
        message.edns = opt
        guard offset == bytes.count else { throw .trailingBytes(offset: offset, count: bytes.count - offset) }
        return message
    }
}

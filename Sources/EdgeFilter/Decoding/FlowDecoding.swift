import Addressing

/// A template's identity: the export protocol's version, the exporter's source id (v9) or
/// observation domain (IPFIX), the template id.
struct TemplateKey: Hashable, Sendable {
    var version: UInt16
    var domain: UInt32
    var id: UInt16
}

/// One field of a template.
struct TemplateField: Sendable, Hashable {
    /// The information element (enterprise bit cleared); 0 for enterprise-specific fields.
    var element: UInt16
    /// Bytes, or 65535 for an IPFIX variable-length field.
    var length: UInt16
}

/// A NetFlow v9 or IPFIX template as announced.
struct FlowTemplate: Sendable, Hashable {
    var fields: [TemplateField]
    /// Record length when every field has a fixed length.
    var fixedLength: Int?
    /// Options data describe the exporter, not flows: skipped.
    var isOptions: Bool
    /// The export time of its last announcement.
    var announced: Int64
    /// Where a fixed-length template's fields lie in each record, worked out once.
    var layout: FixedLayout?

    init(fields: [TemplateField], fixedLength: Int?, isOptions: Bool, announced: Int64) {
        self.fields = fields
        self.fixedLength = fixedLength
        self.isOptions = isOptions
        self.announced = announced
        layout = fixedLength == nil ? nil : FixedLayout(fields)
    }
}

/// A fixed-length template compiled to offsets: each record's fields are read where they lie,
/// without walking the template. Reads exactly what the field walk of
/// ``EdgeDecoder/records(_:from:to:key:exportTime:uptime:into:)`` reads (a later field of
/// the same element wins, as there; the time fields apply in template order).
struct FixedLayout: Sendable, Hashable {
    /// An unsigned field's offset and length (1–8 bytes).
    struct Slot: Sendable, Hashable {
        var offset: Int
        var length: Int
    }

    /// A time field: its element and offset.
    struct TimeSlot: Sendable, Hashable {
        var element: UInt16
        var offset: Int
    }

    /// Where a record's time comes from, settled for one set.
    enum TimeSource {
        /// The export time in the message header.
        case export
        /// A start in uptime milliseconds at the offset, with the header's uptime.
        case uptime(offset: Int, uptime: UInt32)
        /// A start in seconds at the offset.
        case seconds(offset: Int)
        /// A start in milliseconds at the offset.
        case milliseconds(offset: Int)

        /// The last of `times` that applies (as the field walk: a later field wins; a start in
        /// uptime only with the header's uptime).
        init(_ times: [TimeSlot], uptime: UInt32?) {
            self = .export
            for slot in times {
                switch slot.element {
                case Element.startUptime: if let uptime { self = .uptime(offset: slot.offset, uptime: uptime) }
                case Element.startSeconds: self = .seconds(offset: slot.offset)
                default: self = .milliseconds(offset: slot.offset)
                }
            }
        }
    }

    var length = 0
    var destinationV4 = -1
    var destinationV6 = -1
    var sourceV4 = -1
    var sourceV6 = -1
    var destinationPort = -1
    var transport = -1
    var direction = -1
    var octets: Slot?
    var packets: Slot?
    var octetTotal: Slot?
    var packetTotal: Slot?
    var times: [TimeSlot] = []

    /// Nil when a field has no fixed length (the field walk reads those).
    init?(_ fields: [TemplateField]) {
        var offset = 0
        for field in fields {
            guard field.length != 0xFFFF else { return nil }
            let length = Int(field.length)
            switch field.element {
            case Element.destinationV4 where length == 4: destinationV4 = offset
            case Element.destinationV6 where length == 16: destinationV6 = offset
            case Element.sourceV4 where length == 4: sourceV4 = offset
            case Element.sourceV6 where length == 16: sourceV6 = offset
            case Element.destinationPort where length == 2: destinationPort = offset
            case Element.transport where length == 1: transport = offset
            case Element.direction where length == 1: direction = offset
            case Element.octets where length <= 8: octets = Slot(offset: offset, length: length)
            case Element.packets where length <= 8: packets = Slot(offset: offset, length: length)
            case Element.octetTotal where length <= 8: octetTotal = Slot(offset: offset, length: length)
            case Element.packetTotal where length <= 8: packetTotal = Slot(offset: offset, length: length)
            case Element.startUptime where length == 4, Element.startSeconds where length == 4, Element.startMilliseconds where length == 8:
                times.append(TimeSlot(element: field.element, offset: offset))
            default: break
            }
            offset += length
        }
        guard offset > 0 else { return nil }
        self.length = offset
    }
}

/// Information elements read (IANA IPFIX numbers; the same in NetFlow v9).
enum Element {
    static let octets: UInt16 = 1
    static let packets: UInt16 = 2
    static let transport: UInt16 = 4
    static let sourcePort: UInt16 = 7
    static let sourceV4: UInt16 = 8
    static let destinationPort: UInt16 = 11
    static let destinationV4: UInt16 = 12
    static let startUptime: UInt16 = 22
    static let sourceV6: UInt16 = 27
    static let destinationV6: UInt16 = 28
    static let direction: UInt16 = 61
    static let octetTotal: UInt16 = 85
    static let packetTotal: UInt16 = 86
    static let startSeconds: UInt16 = 150
    static let startMilliseconds: UInt16 = 152
}

extension EdgeDecoder {
    // MARK: NetFlow v5

    mutating func netflowV5<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, into sink: inout S
    ) {
        var offset = 0
        while offset < buffer.count {
            guard buffer.count - offset >= 24, buffer.u16(offset) == 5 else {
                counts.refuse(.badNetFlowHeader, at: offset)
                return
            }
            let count = Int(buffer.u16(offset + 2))
            guard (1...30).contains(count), 24 + 48 * count <= buffer.count - offset else {
                counts.refuse(.badFlowCount, at: offset + 2)
                return
            }
            let uptime = buffer.u32(offset + 4)
            let seconds = Int64(buffer.u32(offset + 8))
            for index in 0..<count {
                let record = offset + 24 + 48 * index
                let first = buffer.u32(record + 24)
                let fields = DecodedFields(
                    destination: IPAddress(v4: buffer.u32(record + 4)), destinationPort: buffer.u16(record + 34),
                    transport: buffer.u8(record + 38), direction: .unknown, bytes: UInt64(buffer.u32(record + 20)),
                    packets: UInt64(buffer.u32(record + 16)), time: seconds - Int64((uptime &- first) / 1000))
                counts.decoded += 1
                guard sink.wants(fields.destination, transport: fields.transport, port: fields.destinationPort) else {
                    sink.passes(packets: fields.packets)
                    continue
                }
                guard let view = S.View.make(fields, source: SourceReference(offset: record, family: .v4), in: buffer) else { continue }
                sink.take(view)
            }
            offset += 24 + 48 * count
        }
    }

    // MARK: NetFlow v9 (RFC 3954)

    mutating func netflowV9<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, into sink: inout S
    ) {
        var offset = 0
        // A file holds one or more export packets back to back: a set id of 9 (reserved, never a
        // set) at a set boundary is the next packet's header.
        while offset < buffer.count {
            guard buffer.count - offset >= 20, buffer.u16(offset) == 9 else {
                counts.refuse(.badNetFlowHeader, at: offset)
                return
            }
            let uptime = buffer.u32(offset + 4)
            let seconds = Int64(buffer.u32(offset + 8))
            let domain = buffer.u32(offset + 16)
            var cursor = offset + 20
            while buffer.count - cursor >= 4, buffer.u16(cursor) != 9 {
                let setID = buffer.u16(cursor)
                let length = Int(buffer.u16(cursor + 2))
                guard length >= 4, length <= buffer.count - cursor else {
                    counts.refuse(.badSetLength, at: cursor + 2)
                    return
                }
                let body = cursor + 4
                let end = cursor + length
                switch setID {
                case 0: templatesV9(buffer, from: body, to: end, domain: domain, time: seconds, options: false)
                case 1: templatesV9(buffer, from: body, to: end, domain: domain, time: seconds, options: true)
                case 2..<256: break
                default:
                    records(
                        buffer, from: body, to: end, key: TemplateKey(version: 9, domain: domain, id: setID), exportTime: seconds,
                        uptime: uptime, into: &sink)
                }
                cursor = end
            }
            if buffer.count - cursor > 0, buffer.count - cursor < 4 { return }  // padding at the end
            offset = cursor
        }
    }

    mutating func templatesV9(_ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int, domain: UInt32, time: Int64, options: Bool) {
        var cursor = start
        while end - cursor >= 4 {
            let id = buffer.u16(cursor)
            var fieldBytes: Int
            var header = 4
            if options {
                guard end - cursor >= 6 else { break }
                fieldBytes = Int(buffer.u16(cursor + 2)) + Int(buffer.u16(cursor + 4))
                header = 6
            } else {
                fieldBytes = Int(buffer.u16(cursor + 2)) * 4
            }
            if id == 0, fieldBytes == 0 { break }  // set padding
            guard id >= 256, fieldBytes > 0, fieldBytes % 4 == 0, fieldBytes <= end - cursor - header else {
                counts.refuse(.badTemplate, at: cursor)
                return
            }
            var fields: [TemplateField] = []
            var length = 0
            for index in stride(from: cursor + header, to: cursor + header + fieldBytes, by: 4) {
                let field = TemplateField(element: buffer.u16(index), length: buffer.u16(index + 2))
                fields.append(field)
                length += Int(field.length)
            }
            guard length > 0 else {
                counts.refuse(.badTemplate, at: cursor)
                return
            }
            templates[TemplateKey(version: 9, domain: domain, id: id)] = FlowTemplate(
                fields: fields, fixedLength: length, isOptions: options, announced: time)
            cursor += header + fieldBytes
        }
    }

    // MARK: IPFIX (RFC 7011)

    mutating func ipfix<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, into sink: inout S
    ) {
        var offset = 0
        while offset < buffer.count {
            guard buffer.count - offset >= 16, buffer.u16(offset) == 10 else {
                counts.refuse(.badNetFlowHeader, at: offset)
                return
            }
            let length = Int(buffer.u16(offset + 2))
            guard length >= 16, length <= buffer.count - offset else {
                counts.refuse(.badNetFlowHeader, at: offset + 2)
                return
            }
            let seconds = Int64(buffer.u32(offset + 4))
            let domain = buffer.u32(offset + 12)
            let end = offset + length
            var cursor = offset + 16
            while end - cursor >= 4 {
                let setID = buffer.u16(cursor)
                let setLength = Int(buffer.u16(cursor + 2))
                guard setLength >= 4, setLength <= end - cursor else {
                    counts.refuse(.badSetLength, at: cursor + 2)
                    break
                }
                switch setID {
                case 2, 3:
                    templatesIPFIX(buffer, from: cursor + 4, to: cursor + setLength, domain: domain, time: seconds, options: setID == 3)
                case 4..<256: break
                default:
                    records(
                        buffer, from: cursor + 4, to: cursor + setLength, key: TemplateKey(version: 10, domain: domain, id: setID),
                        exportTime: seconds, uptime: nil, into: &sink)
                }
                cursor += setLength
            }
            offset = end
        }
    }

    mutating func templatesIPFIX(_ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int, domain: UInt32, time: Int64, options: Bool) {
        var cursor = start
        while end - cursor >= 4 {
            let id = buffer.u16(cursor)
            let fieldCount = Int(buffer.u16(cursor + 2))
            if fieldCount == 0 {
                // Withdrawal (RFC 7011 §8.1): one template, or all of the set's kind for id 2 / 3.
                if id == 2 || id == 3 {
                    for key in templates.keys where key.version == 10 && key.domain == domain && templates[key]?.isOptions == (id == 3) {
                        templates[key] = nil
                    }
                } else if id >= 256 {
                    templates[TemplateKey(version: 10, domain: domain, id: id)] = nil
                } else if id == 0 {
                    break  // padding
                } else {
                    counts.refuse(.badTemplate, at: cursor)
                    return
                }
                cursor += 4
                continue
            }
            var header = 4
            if options {
                guard end - cursor >= 6 else {
                    counts.refuse(.badTemplate, at: cursor)
                    return
                }
                header = 6
            }
            guard id >= 256 else {
                counts.refuse(.badTemplate, at: cursor)
                return
            }
            var fields: [TemplateField] = []
            var fixed = 0
            var variable = false
            var field = cursor + header
            for _ in 0..<fieldCount {
                guard end - field >= 4 else {
                    counts.refuse(.badTemplate, at: cursor)
                    return
                }
                let raw = buffer.u16(field)
                let length = buffer.u16(field + 2)
                field += 4
                if raw & 0x8000 != 0 {
                    guard end - field >= 4 else {
                        counts.refuse(.badTemplate, at: cursor)
                        return
                    }
                    field += 4
                }
                fields.append(TemplateField(element: raw & 0x8000 != 0 ? 0 : raw, length: length))
                if length == 0xFFFF { variable = true } else { fixed += Int(length) }
            }
            guard variable || fixed > 0 else {
                counts.refuse(.badTemplate, at: cursor)
                return
            }
            templates[TemplateKey(version: 10, domain: domain, id: id)] = FlowTemplate(
                fields: fields, fixedLength: variable ? nil : fixed, isOptions: options, announced: time)
            cursor = field
        }
    }

    // MARK: Data records (v9 and IPFIX)

    mutating func records<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int, key: TemplateKey, exportTime: Int64, uptime: UInt32?,
        into sink: inout S
    ) {
        guard let template = templates[key] else {
            counts.refuse(.unknownTemplate, at: start - 4)
            return
        }
        guard exportTime - template.announced <= templateLifetime else {
            templates[key] = nil
            counts.refuse(.expiredTemplate, at: start - 4)
            return
        }
        if template.isOptions { return }
        if let layout = template.layout {
            fixedRecords(buffer, from: start, to: end, layout: layout, exportTime: exportTime, uptime: uptime, into: &sink)
            return
        }
        var cursor = start
        while cursor < end {
            if let fixed = template.fixedLength, end - cursor < fixed { return }  // padding
            // Templates often carry both families' fields, the unused one zero (Cisco): a zero IPv6
            // destination gives way to an IPv4 one.
            var destinationV4: IPAddress?
            var destinationV6: IPAddress?
            var sourceV4 = SourceReference(offset: -1, family: .v4)
            var sourceV6 = SourceReference(offset: -1, family: .v6)
            var port: UInt16 = 0
            var transport: UInt8 = 0
            var direction = FlowDirection.unknown
            var octets: UInt64?
            var packets: UInt64?
            var octetTotal: UInt64 = 0
            var packetTotal: UInt64 = 0
            var time = exportTime
            for field in template.fields {
                var length = Int(field.length)
                if field.length == 0xFFFF {
                    guard end - cursor >= 1 else {
                        counts.refuse(.badRecord, at: cursor)
                        return
                    }
                    length = Int(buffer.u8(cursor))
                    cursor += 1
                    if length == 255 {
                        guard end - cursor >= 2 else {
                            counts.refuse(.badRecord, at: cursor)
                            return
                        }
                        length = Int(buffer.u16(cursor))
                        cursor += 2
                    }
                }
                guard end - cursor >= length else {
                    if template.fixedLength == nil { counts.refuse(.badRecord, at: cursor) }
                    return
                }
                switch field.element {
                case Element.destinationV4 where length == 4: destinationV4 = IPAddress(v4: buffer.u32(cursor))
                case Element.destinationV6 where length == 16: destinationV6 = IPAddress(v6: buffer.u128(cursor))
                case Element.sourceV4 where length == 4: sourceV4 = SourceReference(offset: cursor, family: .v4)
                case Element.sourceV6 where length == 16: sourceV6 = SourceReference(offset: cursor, family: .v6)
                case Element.destinationPort where length == 2: port = buffer.u16(cursor)
                case Element.transport where length == 1: transport = buffer.u8(cursor)
                case Element.direction where length == 1: direction = buffer.u8(cursor) == 1 ? .egress : .ingress
                case Element.octets where length <= 8: octets = buffer.unsigned(cursor, length: length)
                case Element.packets where length <= 8: packets = buffer.unsigned(cursor, length: length)
                case Element.octetTotal where length <= 8: octetTotal = buffer.unsigned(cursor, length: length)
                case Element.packetTotal where length <= 8: packetTotal = buffer.unsigned(cursor, length: length)
                case Element.startUptime where length == 4:
                    if let uptime { time = exportTime - Int64((uptime &- buffer.u32(cursor)) / 1000) }
                case Element.startSeconds where length == 4: time = Int64(buffer.u32(cursor))
                case Element.startMilliseconds where length == 8: time = Int64(clamping: buffer.u64(cursor) / 1000)
                default: break
                }
                cursor += length
            }
            let destination: IPAddress
            let source: SourceReference
            if let destinationV6, destinationV6.value != 0 || destinationV4 == nil {
                destination = destinationV6
                source = sourceV6
            } else if let destinationV4 {
                destination = destinationV4
                source = sourceV4
            } else {
                counts.notIP += 1
                continue
            }
            let fields = DecodedFields(
                destination: destination, destinationPort: port, transport: transport, direction: direction,
                bytes: octets ?? octetTotal, packets: packets ?? packetTotal, time: time)
            counts.decoded += 1
            guard sink.wants(destination, transport: transport, port: port) else {
                sink.passes(packets: fields.packets)
                continue
            }
            guard let view = S.View.make(fields, source: source, in: buffer) else { continue }
            sink.take(view)
        }
    }

    /// The records of a fixed-length template, each field read at its offset.
    mutating func fixedRecords<S: ViewSink>(
        _ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int, layout: FixedLayout, exportTime: Int64, uptime: UInt32?,
        into sink: inout S
    ) {
        // What the field walk would read, settled once for the set: the last time field that
        // applies (a start in uptime needs the header's uptime), the delta counts over the totals.
        let timeSource = FixedLayout.TimeSource(layout.times, uptime: uptime)
        let bytesSlot = layout.octets ?? layout.octetTotal
        let packetsSlot = layout.packets ?? layout.packetTotal
        var cursor = start
        while end - cursor >= layout.length {  // what is left under one record is padding
            let record = cursor
            cursor += layout.length
            let destinationV4 = layout.destinationV4 >= 0 ? IPAddress(v4: buffer.u32(record + layout.destinationV4)) : nil
            let destinationV6 = layout.destinationV6 >= 0 ? IPAddress(v6: buffer.u128(record + layout.destinationV6)) : nil
            let destination: IPAddress
            let source: SourceReference
            if let destinationV6, destinationV6.value != 0 || destinationV4 == nil {
                destination = destinationV6
                source = SourceReference(offset: layout.sourceV6 >= 0 ? record + layout.sourceV6 : -1, family: .v6)
            } else if let destinationV4 {
                destination = destinationV4
                source = SourceReference(offset: layout.sourceV4 >= 0 ? record + layout.sourceV4 : -1, family: .v4)
            } else {
                counts.notIP += 1
                continue
            }
            func read(_ slot: FixedLayout.Slot?) -> UInt64 { slot.map { buffer.unsigned(record + $0.offset, length: $0.length) } ?? 0 }
            let port = layout.destinationPort >= 0 ? buffer.u16(record + layout.destinationPort) : 0
            let transport = layout.transport >= 0 ? buffer.u8(record + layout.transport) : 0
            let packets = read(packetsSlot)
            counts.decoded += 1
            // The rest is read only for a record the sink looks at.
            guard sink.wants(destination, transport: transport, port: port) else {
                sink.passes(packets: packets)
                continue
            }
            let time: Int64
            switch timeSource {
            case .export: time = exportTime
            case .uptime(let offset, let uptime): time = exportTime - Int64((uptime &- buffer.u32(record + offset)) / 1000)
            case .seconds(let offset): time = Int64(buffer.u32(record + offset))
            case .milliseconds(let offset): time = Int64(clamping: buffer.u64(record + offset) / 1000)
            }
            let fields = DecodedFields(
                destination: destination, destinationPort: port, transport: transport,
                direction: layout.direction >= 0 ? (buffer.u8(record + layout.direction) == 1 ? .egress : .ingress) : .unknown,
                bytes: read(bytesSlot), packets: packets, time: time)
            guard let view = S.View.make(fields, source: source, in: buffer) else { continue }
            sink.take(view)
        }
    }
}

public import Addressing
public import DNS
public import TextScanning

/// The best entry of each kind that a name matches.
///
/// Within a kind the most specific listed name wins (the longest matching suffix); on the same
/// name the first list loaded wins, and within a list the first line. An `allow` match wins over
/// both other kinds: the decision checks it first.
public struct BlocklistMatch: Sendable, Hashable {
    public var allow: BlocklistEntryID?
    public var malwareSite: BlocklistEntryID?
    public var cnc: BlocklistEntryID?

    public init(allow: BlocklistEntryID? = nil, malwareSite: BlocklistEntryID? = nil, cnc: BlocklistEntryID? = nil) {
        self.allow = allow
        self.malwareSite = malwareSite
        self.cnc = cnc
    }

    /// No entry matched.
    public var isEmpty: Bool { allow == nil && malwareSite == nil && cnc == nil }
}

/// An immutable, compiled snapshot of every list: suffix matching of DNS names against all of
/// them in one table, with an allow list that wins.
///
/// Matching is case-insensitive and label-wise: `evil.example` (a plain list entry) matches
/// `evil.example` and `a.evil.example`, never `notevil.example`. RPZ triggers keep their
/// semantics: `name` matches the name only, `*.name` only names below it. A lookup walks the
/// query from its rightmost label, extending one running hash (folded from a name's last byte
/// to its first) and probing one open-addressing table per label suffix, so its cost is the
/// name's length, whatever the number of entries, and it allocates nothing.
///
/// Names live in one byte arena; an entry costs a 24-byte rule, a 12-byte name node, its name's
/// bytes and two 8-byte hash slots. A million names of ~16 bytes load from a file in about a
/// second (release build) and add some 85 MiB to the process (`docs/site-warning.md`).
///
/// Build one with ``BlocklistBuilder``; replace it whole (``SnapshotCell``) to update lists
/// without dropping a query.
///
/// ```swift
/// var builder = BlocklistBuilder()
/// _ = try builder.load(path: "/etc/mamori/cnc.rpz", list: "cnc-feed", kind: .cnc, format: .rpz)
/// let blocklist = builder.build()
/// let match = blocklist.match(try DNSName("a.evil.example"))
/// if let entry = match.cnc { print(blocklist.entry(entry).list.name) }
/// ```
public struct Blocklist: Sendable {
    let storage: BlocklistStorage

    init(storage: BlocklistStorage) { self.storage = storage }

    /// An empty blocklist: nothing matches.
    public init() { self.storage = BlocklistStorage() }

    /// The lists, in load order (``ListID`` is the index).
    public var lists: [ListInfo] { storage.lists }
    /// The number of entries (a name listed by two lists counts twice).
    public var entryCount: Int { storage.rules.count }
    /// The number of distinct names.
    public var nameCount: Int { storage.nodes.count }
    /// The bytes the snapshot's arrays use (not their spare capacity, which a file load reserves
    /// generously and never touches), for sizing and metrics.
    public var approximateByteCount: Int {
        storage.arena.count + storage.comments.count + storage.slots.count * MemoryLayout<UInt64>.stride
            + storage.nodes.count * MemoryLayout<NameNode>.stride + storage.rules.count * MemoryLayout<Rule>.stride
            + storage.localData.reduce(0) { $0 + $1.count * MemoryLayout<IPAddress>.stride }
    }

    // MARK: matching

    /// The entries matching `name` (any case). Allocation-free.
    ///
    /// Names with a label holding a `.` byte (possible on the wire, `\.` in text) can only match
    /// by the labels to the right of that label, never exactly.
    public func match(_ name: DNSName) -> BlocklistMatch {
        QueryText.with(name) { text, whole in text.count == 0 ? BlocklistMatch() : match(text: text, isWholeName: whole) }
    }

    /// The entries matching a name in DNS wire format (RFC 1035 §3.1): length-prefixed labels up
    /// to the root label, uncompressed, as a query's question name is; bytes after the root
    /// label are ignored. Nil when `wireName` does not start with such a name (a compression
    /// pointer, a label over 63 octets, over 255 octets, no root label): decode the message then.
    /// Allocation-free, without building a ``DNSName``.
    public func match(wireName: UnsafeRawBufferPointer) -> BlocklistMatch? {
        QueryText.with(wireName: wireName) { text, whole in text.count == 0 ? BlocklistMatch() : match(text: text, isWholeName: whole) }
    }

    /// The entries matching a name in text form (`a.evil.example`, any case, a trailing dot
    /// optional, no escapes). Allocation-free.
    public func match(text: Bytes) -> BlocklistMatch {
        var n = text.count
        if n > 0 && text[n - 1] == ASCII.dot { n -= 1 }
        if n == 0 { return BlocklistMatch() }
        return match(text: text.sub(0..<n), isWholeName: true)
    }

    /// Walks `text` from its rightmost label; `isWholeName` false when `text` is only a suffix
    /// of the query (exact entries then never apply).
    func match(text: Bytes, isWholeName: Bool) -> BlocklistMatch {
        var result = BlocklistMatch()
        let n = text.count
        var h = SuffixHash.seed
        var i = n - 1
        while i >= 0 {
            let c = text[i]
            if c == ASCII.dot {
                consider(text.sub((i + 1)..<n), hash: h, whole: false, into: &result)
            }
            h = SuffixHash.step(h, c)
            i -= 1
        }
        consider(text, hash: h, whole: isWholeName, into: &result)
        return result
    }

    /// Applies the rules of the node for `suffix`, if listed: a more specific name replaces
    /// what shorter suffixes found; on one name the first applicable rule of each kind wins.
    @inline(__always)
    func consider(_ suffix: Bytes, hash: UInt64, whole: Bool, into result: inout BlocklistMatch) {
        guard let node = storage.find(suffix, hash: hash) else { return }
        var seen: UInt8 = 0
        var r = storage.nodes[node].firstRule
        while r != Rule.none {
            let rule = storage.rules[Int(r)]
            let applies =
                switch rule.scope {
                case MatchScope.exact.rawValue: whole
                case MatchScope.subdomains.rawValue: !whole
                default: true
                }
            let bit: UInt8 = 1 << rule.kind
            if applies && seen & bit == 0 {
                seen |= bit
                let id = BlocklistEntryID(rawValue: r)
                switch rule.kind {
                case 0: result.malwareSite = id
                case 1: result.cnc = id
                default: result.allow = id
                }
            }
            r = rule.next
        }
    }

    // MARK: entries

    /// The list an entry belongs to.
    public func list(of entry: BlocklistEntryID) -> ListID { ListID(rawValue: storage.rules[Int(entry.rawValue)].list) }

    /// An entry's action as its list wrote it.
    public func action(of entry: BlocklistEntryID) -> ListAction {
        ListAction(rawValue: storage.rules[Int(entry.rawValue)].action) ?? .listed
    }

    /// A local-data entry's A/AAAA records (empty for other entries).
    public func localData(of entry: BlocklistEntryID) -> [IPAddress] {
        let data = storage.rules[Int(entry.rawValue)].data
        return data == Rule.none ? [] : storage.localData[Int(data)]
    }

    /// The listed name of an entry (lower case, no trailing dot).
    public func name(of entry: BlocklistEntryID) -> String {
        String(decoding: storage.name(ofNode: Int(storage.rules[Int(entry.rawValue)].node)), as: UTF8.self)
    }

    /// An entry with its provenance (allocates; not for the query path).
    public func entry(_ entry: BlocklistEntryID) -> BlocklistEntry {
        let rule = storage.rules[Int(entry.rawValue)]
        let start = Int(rule.comment)
        let comment: String? =
            start == 0 ? nil : String(decoding: storage.comments[(start + 1)..<(start + 1 + Int(storage.comments[start]))], as: UTF8.self)
        return BlocklistEntry(
            name: name(of: entry), scope: MatchScope(rawValue: rule.scope) ?? .exact, action: action(of: entry),
            localData: localData(of: entry), list: storage.lists[Int(rule.list)], line: Int(rule.line), comment: comment)
    }

    /// Every entry for `name` (exact name, any list), for an operator's "why is this listed?".
    public func entries(named name: String) -> [BlocklistEntry] {
        var text = Array(name.utf8)
        if text.last == ASCII.dot { text.removeLast() }
        guard let node = text.withUnsafeBufferPointer({ storage.find($0, hash: SuffixHash.of($0)) }) else { return [] }
        var out: [BlocklistEntry] = []
        var r = storage.nodes[node].firstRule
        while r != Rule.none {
            out.append(entry(BlocklistEntryID(rawValue: r)))
            r = storage.rules[Int(r)].next
        }
        return out
    }
}

/// A query name as text for matching, written on the stack.
enum QueryText {
    /// As ``with(_:_:)``, for a name in wire format; nil when the bytes do not start with an
    /// uncompressed name (see ``Blocklist/match(wireName:)``).
    static func with<R>(wireName wire: UnsafeRawBufferPointer, _ body: (Bytes, Bool) -> R) -> R? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer -> R? in
            var offset = 0
            var length = 0
            var complete = true
            while true {
                guard offset < wire.count, offset < 255 else { return nil }
                let count = Int(wire[offset])
                offset += 1
                if count == 0 { break }
                guard count <= 63, offset + count <= wire.count, offset + count < 255 else { return nil }
                var dotted = false
                for k in 0..<count where wire[offset + k] == ASCII.dot { dotted = true }
                if dotted {
                    // No entry names this label: only the labels to its right can match.
                    length = 0
                    complete = false
                } else {
                    if length > 0 {
                        buffer[length] = ASCII.dot
                        length += 1
                    }
                    for k in 0..<count { buffer[length + k] = wire[offset + k] }
                    length += count
                }
                offset += count
            }
            return body(Bytes(rebasing: UnsafeBufferPointer(buffer)[0..<length]), complete)
        }
    }

    /// Calls `body` with the name's text (labels joined by `.`, no trailing dot, case as on the
    /// wire) and whether it is the whole name: the text stops at a label holding a `.` byte,
    /// which no list entry can name. Allocation-free (a 256-byte stack buffer).
    static func with<R>(_ name: DNSName, _ body: (Bytes, Bool) -> R) -> R {
        let labels = name.labels
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            var position = 256
            var complete = true
            var index = labels.count - 1
            while index >= 0 {
                let label = labels[index]
                if label.contains(ASCII.dot) || position - label.count - 1 < 0 {
                    complete = false
                    break
                }
                if position < 256 {
                    position -= 1
                    buffer[position] = ASCII.dot
                }
                position -= label.count
                var k = 0
                for byte in label {
                    buffer[position + k] = byte
                    k += 1
                }
                index -= 1
            }
            return body(Bytes(rebasing: UnsafeBufferPointer(buffer)[position..<256]), complete)
        }
    }
}

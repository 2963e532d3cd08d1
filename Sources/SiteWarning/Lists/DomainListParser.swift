import TextScanning

/// Names a hosts file maps for the system itself, not blocklist entries.
private let hostsSystemNames: Set<[UInt8]> = Set(
    [
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback", "ip6-localnet",
        "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    ].map { Array($0.utf8) })

extension ListLoader {
    /// A plain domain list line: `name`, `*.name` (subdomains only), `0.0.0.0 name …` (hosts
    /// file), `||name^` (the domain form of adblock lists); `#` starts a comment, which becomes
    /// the entry's reason. A plain name covers itself and every name below it.
    mutating func domainLine(_ raw: Bytes, _ number: Int) {
        var content = raw
        var comment: Bytes?
        if let hash = raw.index(of: ASCII.hash) {
            content = raw.sub(0..<hash)
            comment = raw.from(hash + 1).trimmed
        }
        let words = content.trimmed.words(max: 64)
        guard let first = words.first else { return }
        if HostName.isAddress(first) {
            guard words.count > 1 else {
                report.skip("an IP address, not a name")
                return
            }
            for word in words.dropFirst() {
                if hostsSystemNames.contains(Array(word)) {
                    report.skip("a hosts-file system name")
                    continue
                }
                domainName(word, number, comment: comment)
            }
            return
        }
        guard words.count == 1 else {
            report.issue(line: number, "more than one field: expected one name, or an address and names (hosts file)")
            return
        }
        domainName(first, number, comment: comment)
    }

    private mutating func domainName(_ word: Bytes, _ number: Int, comment: Bytes?) {
        var text = word
        var scope = MatchScope.nameAndSubdomains
        if text.hasPrefix("||") {
            text = text.from(2)
            if text.count > 0 && text[text.count - 1] == 0x5E { text = text.sub(0..<(text.count - 1)) }  // ^
        }
        if text.hasPrefix("*.") {
            scope = .subdomains
            text = text.from(2)
        }
        if HostName.isAddress(text) {
            report.skip("an IP address, not a name")
            return
        }
        if let problem = HostName.normalize(text, into: &name) {
            report.issue(line: number, "name: \(problem)")
            return
        }
        add(scope: scope, action: .listed, line: number, comment: comment)
    }

    /// A URL list line: one URL (`http://host/…`, or `host/…` without a scheme); a line
    /// starting with `#` is a comment. Only a URL that marks the whole host (no path, or `/`,
    /// no query) lists its host, and that host only (not the names below it); the others are
    /// skipped and counted, as are IP-address hosts.
    mutating func urlLine(_ raw: Bytes, _ number: Int) {
        let line = raw.trimmed
        guard line.count > 0, line[0] != ASCII.hash else { return }
        guard let url = line.words(max: 1).first else { return }
        var rest = url
        if let colon = url.index(of: ASCII.colon), url.count > colon + 2, url[colon + 1] == ASCII.slash, url[colon + 2] == ASCII.slash {
            rest = url.from(colon + 3)
        }
        var end = 0
        while end < rest.count, rest[end] != ASCII.slash, rest[end] != 0x3F, rest[end] != ASCII.hash { end += 1 }
        var host = rest.sub(0..<end)
        let path = rest.from(end)
        if let at = lastIndex(of: 0x40, in: host) { host = host.from(at + 1) }
        if host.count > 0 && host[0] == 0x5B {  // [IPv6]
            report.skip("an IP address host (names only)")
            return
        }
        if let colon = lastIndex(of: ASCII.colon, in: host), ByteParse.port(host.from(colon + 1)) != nil {
            host = host.sub(0..<colon)
        }
        guard path.count == 0 || path.equals("/") else {
            report.skip("a URL with a path (only a URL of the whole host lists it)")
            return
        }
        if HostName.isAddress(host) {
            report.skip("an IP address host (names only)")
            return
        }
        if let problem = HostName.normalize(host, into: &name) {
            report.issue(line: number, "host: \(problem)")
            return
        }
        add(scope: .exact, action: .listed, line: number, comment: nil)
    }

    private func lastIndex(of byte: UInt8, in b: Bytes) -> Int? {
        var i = b.count - 1
        while i >= 0 {
            if b[i] == byte { return i }
            i -= 1
        }
        return nil
    }
}

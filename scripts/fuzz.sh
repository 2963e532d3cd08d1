#!/usr/bin/env bash
# Builds one libFuzzer target of Fuzz/ (ASan + libFuzzer) and runs it for SECONDS, seeded from the
# real samples in ../shared/corpus, the test fixtures and the kept crashers. See docs/fuzzing.md.
#
#   scripts/fuzz.sh FuzzRadiusDetail 300
#   scripts/fuzz.sh list                       # the targets
#   FUZZ_MAX_LEN=1048576 scripts/fuzz.sh FuzzCowrie 60
#
# Seeds are copied into a temporary corpus (nothing is written into the project); crashers go to
# a temporary directory that is printed at the end and kept. One fuzzer, one process: no -jobs
# or -workers (the machine is shared). Exit status: 0 when nothing was found, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared="$root/../shared/corpus"
fixtures="$root/Tests"

targets=(FuzzRadiusDetail FuzzKeaLeases FuzzDhcpdLeases FuzzCGNPortBlocks FuzzShadowserver FuzzCowrie FuzzDionaea
    FuzzCnCCSV FuzzCnCJSONLines FuzzIoTReport FuzzSightingChunks FuzzReportMail FuzzInflate FuzzZipArchive FuzzDeclarations FuzzPortalForm
    FuzzDNSMessage FuzzBlocklist FuzzRadiusPacket FuzzPolicyRequest FuzzSocketmap FuzzAuthPolicy FuzzPostfixLog FuzzPcap FuzzNetFlowV5 FuzzNetFlowV9
    FuzzIPFIX FuzzPools)

if [ "${1:-}" = list ]; then printf '%s\n' "${targets[@]}"; exit 0; fi
if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]] || ! printf '%s\n' "${targets[@]}" | grep -qx "$1"; then
    echo "usage: $0 TARGET SECONDS   (targets: $0 list)" >&2
    exit 2
fi
target=$1
seconds=$2

# The seeds of each target: real samples first, then the fixtures of the tests.
seeds() {
    case $1 in
        FuzzRadiusDetail) echo "$shared"/radius/*.txt "$shared"/abuse/radius-* "$fixtures"/AttributionTests/Fixtures/detail-* ;;
        FuzzKeaLeases) echo "$shared"/abuse/kea-* "$shared"/dhcp/kea-* "$fixtures"/AttributionTests/Fixtures/kea-* ;;
        FuzzDhcpdLeases) echo "$shared"/abuse/dhcpd-* "$shared"/dhcp/dhcpd.leases "$fixtures"/AttributionTests/Fixtures/*.leases ;;
        FuzzCGNPortBlocks) echo "$fixtures"/AttributionTests/Fixtures/cgn-* ;;
        FuzzShadowserver) echo "$shared"/shadowserver/*.csv "$fixtures"/SightingsTests/Fixtures/*event4_*.csv ;;
        FuzzCowrie) echo "$shared"/cowrie/cowrie.json* "$shared"/abuse/cowrie-* ;;
        FuzzDionaea) echo "$shared"/dionaea/*.json "$shared"/abuse/dionaea-* ;;
        FuzzCnCCSV) echo "$fixtures"/SightingsTests/Fixtures/cnc-*.csv ;;
        FuzzCnCJSONLines) echo "$fixtures"/SightingsTests/Fixtures/cnc-*.jsonl ;;
        FuzzIoTReport) echo "$fixtures"/SightingsTests/Fixtures/iot-*.csv ;;
        FuzzReportMail) echo "$shared"/abuse/*.eml "$fixtures"/SightingsTests/Fixtures/*.eml ;;
        FuzzDeclarations) echo "$root"/Sources/Secrecy/Resources/declarations.json ;;
        FuzzPostfixLog) echo "$shared"/smtp/generated/*.log "$shared"/smtp/postfix_exporter/*.log "$shared"/smtp/fail2ban/*.log ;;  # and syslog frames below
        FuzzPcap) echo "$shared"/dns/*.pcap ;;
        FuzzNetFlowV5) echo "$shared"/dns/logstash-netflow5*.dat ;;
        FuzzNetFlowV9) echo "$shared"/dns/logstash-netflow9*.dat ;;  # and the Cisco export below
        FuzzIPFIX) echo "$shared"/dns/logstash-ipfix.dat ;;  # and the Cisco export below
        FuzzBlocklist | FuzzPolicyRequest | FuzzSocketmap | FuzzAuthPolicy | FuzzPools) ;;  # generated below
        FuzzInflate | FuzzZipArchive | FuzzSightingChunks | FuzzPortalForm | FuzzDNSMessage | FuzzRadiusPacket) ;;  # generated below
    esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/mamori-fuzz-$target.XXXXXX")
corpus="$work/corpus"
crashers="$work/crashers"
mkdir -p "$corpus" "$crashers"

n=0
for f in $(seeds "$target"); do
    [ -f "$f" ] || continue
    n=$((n + 1))
    cp "$f" "$corpus/seed-$n-$(basename "$f")"
done
# Crashers kept as regression fixtures (Tests/<Module>Tests/Fixtures/fuzz-crashers/<Target>/).
for f in "$fixtures"/*/Fixtures/fuzz-crashers/"$target"/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    cp "$f" "$corpus/crasher-$n-$(basename "$f")"
done
case $target in
    FuzzInflate)
        # Raw DEFLATE streams (stored, fixed and dynamic Huffman blocks) of real report samples.
        python3 - "$corpus" "$shared"/shadowserver/scan_ssh.csv "$shared"/radius/freeradius-detail-one.txt <<'PY'
import sys, zlib
out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    data = open(path, 'rb').read()[:16384]
    for level in (0, 1, 9):
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        open(f"{out}/deflate-{i}-{level}", 'wb').write(c.compress(data) + c.flush())
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_FIXED)
    open(f"{out}/deflate-{i}-fixed", 'wb').write(c.compress(data) + c.flush())
PY
        n=$((n + 8))
        ;;
    FuzzZipArchive)
        # The zip attachments of the real and hand-made report mails.
        python3 - "$corpus" "$shared"/abuse/*.eml "$fixtures"/SightingsTests/Fixtures/*.eml <<'PY'
import email, sys
out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    for j, part in enumerate(email.message_from_bytes(open(path, 'rb').read()).walk()):
        if (part.get_filename() or '').lower().endswith('.zip'):
            open(f"{out}/zip-{i}-{j}", 'wb').write(part.get_payload(decode=True))
PY
        n=$((n + $(find "$corpus" -name 'zip-*' | wc -l)))
        ;;
    FuzzSightingChunks)
        # A feed-selecting first byte (0 Shadowserver, 1 Cowrie, 2 Dionaea, 3 C&C CSV, 4 C&C JSON
        # lines, 5 IoT report), then a real sample or fixture of that feed.
        python3 - "$corpus" "$shared" "$fixtures/SightingsTests/Fixtures" <<'PY'
import glob, sys
out, shared, fx = sys.argv[1:4]
feeds = [(0, shared + '/shadowserver/*.csv'), (1, shared + '/cowrie/cowrie.json*'), (2, shared + '/dionaea/*.json'),
         (3, fx + '/cnc-*.csv'), (4, fx + '/cnc-*.jsonl'), (5, fx + '/iot-*.csv')]
for selector, pattern in feeds:
    for k, path in enumerate(sorted(glob.glob(pattern))[:4]):
        open(f"{out}/feed-{selector}-{k}", 'wb').write(bytes([selector]) + open(path, 'rb').read()[:60000])
PY
        n=$((n + $(find "$corpus" -name 'feed-*' | wc -l)))
        ;;
    FuzzRadiusPacket)
        # Accounting-Requests (RFC 2866) built from the attributes of the real detail sample:
        # Start, Interim-Update, Stop with IPv4, CGN and delegated-prefix attributes, signed.
        python3 - "$corpus" <<'PY'
import sys, struct, hashlib, ipaddress
out = sys.argv[1]
def attr(t, v): return bytes([t, len(v) + 2]) + v
def packet(ident, attrs, secret=b"testing123"):
    body = b"".join(attrs)
    length = 20 + len(body)
    auth = hashlib.md5(bytes([4, ident]) + struct.pack(">H", length) + b"\0" * 16 + body + secret).digest()
    return bytes([4, ident]) + struct.pack(">H", length) + auth + body
common = [attr(1, b"line-a@isp.example"), attr(44, b"S-0001"), attr(4, ipaddress.ip_address("192.0.2.1").packed)]
for i, status in enumerate((1, 3, 2, 7, 8)):
    attrs = [attr(40, struct.pack(">I", status))] + common
    attrs.append(attr(8, ipaddress.ip_address("100.64.%d.%d" % (i, i + 1)).packed))
    attrs.append(attr(123, bytes([0, 56]) + ipaddress.ip_address("2001:db8:%x::" % (i + 1)).packed[:7]))
    attrs.append(attr(55, struct.pack(">I", 1_795_737_600 + i)))
    attrs.append(attr(26, struct.pack(">I", 9) + bytes([1, 12]) + b"ip:x=1\0\0\0\0"))
    open(f"{out}/acct-{i}", "wb").write(packet(i, attrs))
PY
        ;;
    FuzzPostfixLog)
        # The corpus's Postfix lines as a syslog TCP stream would carry them: RFC 3164 with <PRI>,
        # octet-counted, and RFC 5424 with structured data.
        python3 - "$corpus" "$shared"/smtp/generated/postfix-3.7.11-maillog.log "$shared"/smtp/fail2ban/postfix-sasl.log <<'PY'
import sys
out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    lines = [l for l in open(path, encoding='utf-8', errors='replace').read().splitlines() if l and not l.startswith('#')][:40]
    open(f"{out}/syslog-lf-{i}", 'w').write(''.join(f"<22>{l}\n" for l in lines))
    counted = b''
    for l in lines:
        m = f"<22>{l}".encode()
        counted += str(len(m)).encode() + b' ' + m
    open(f"{out}/syslog-octets-{i}", 'wb').write(counted)
    rfc5424 = ''
    for l in lines:
        parts = l.split(' ', 5)
        if len(parts) == 6:
            tag = parts[4].rstrip(':')
            app, _, pid = tag.partition('[')
            rfc5424 += f'<22>1 2026-11-24T{parts[2]}+09:00 {parts[3]} {app} {pid.rstrip("]") or "-"} - [x@1 a="b\\]"] {parts[5]}\n'
    open(f"{out}/syslog-5424-{i}", 'w').write(rfc5424)
PY
        n=$(find "$corpus" -type f | wc -l)
        ;;
    FuzzPolicyRequest | FuzzSocketmap | FuzzAuthPolicy)
        # The captured Postfix policy requests (as Postfix writes them), the socketmap lookups, and
        # the Dovecot auth-policy requests (target line, then body), of ../shared/corpus/smtp.
        python3 - "$target" "$corpus" "$shared"/smtp/generated <<'PY'
import json, sys
target, out, gen = sys.argv[1:4]
if target == 'FuzzPolicyRequest':
    for i, line in enumerate(open(gen + '/postfix-policy-requests.jsonl')):
        request = json.loads(line)['request']
        open(f"{out}/policy-{i}", 'w').write(''.join(f"{k}={v}\n" for k, v in request.items()) + "\n")
elif target == 'FuzzSocketmap':
    names = {'noauth': 'sasl_exceptions', 'suspended': 'sasl_access'}
    for i, line in enumerate(open(gen + '/postfix-socketmap-queries.txt')):
        name, key = line.split(' -> ')[0].split(' ', 1)
        payload = f"{names[name]} {key}".encode()
        open(f"{out}/socketmap-{i}", 'wb').write(str(len(payload)).encode() + b':' + payload + b',')
else:
    for i, line in enumerate(open(gen + '/dovecot-authpolicy-requests.jsonl')):
        request = json.loads(line)
        open(f"{out}/authpolicy-{i}", 'w').write(request['path'] + "\n" + json.dumps(request['body']))
PY
        n=$(find "$corpus" -type f | wc -l)
        ;;
    FuzzNetFlowV9 | FuzzIPFIX)
        # The export datagrams of the real Cisco captures (UDP payloads; templates and data), and
        # each template datagram joined with the next data datagram, so that data sets are reached.
        python3 - "$corpus" "$target" "$shared"/dns/pmacct-nfv9-cisco.pcap "$shared"/dns/pmacct-ipfix-cisco.pcap <<'PY'
import struct, sys
out, target = sys.argv[1], sys.argv[2]
want = 9 if target == 'FuzzNetFlowV9' else 10
for path in sys.argv[3:]:
    data = open(path, 'rb').read()
    at, k, payloads = 24, 0, []
    while at + 16 <= len(data):
        length = struct.unpack('<I', data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + length]
        at += 16 + length
        ihl = (frame[14] & 0x0F) * 4
        payload = frame[14 + ihl + 8:]
        if len(payload) > 2 and payload[1] == want:
            payloads.append(payload)
    for k, payload in enumerate(payloads):
        open(f"{out}/export-{k}", 'wb').write(payload)
        if k + 1 < len(payloads):
            open(f"{out}/pair-{k}", 'wb').write(payload + payloads[k + 1] if want == 10 else payload)
PY
        n=$((n + $(find "$corpus" -name 'export-*' | wc -l)))
        ;;
    FuzzDNSMessage)
        # The DNS messages of the real captures (Ethernet, IPv4 and UDP headers stripped) and of
        # dnsperf's framed inputs (each message after its two-octet length).
        python3 - "$corpus" "$shared"/dns/swiftdns-*.bin "$shared"/dns/dnsperf-*.blob <<'PY'
import sys
out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    data = open(path, 'rb').read()
    if path.endswith('.bin'):
        ihl = (data[14] & 0x0F) * 4
        open(f"{out}/dns-{i}", 'wb').write(data[14 + ihl + 8:])
        continue
    at, k = 0, 0
    while at + 2 <= len(data):
        length = int.from_bytes(data[at:at + 2], 'big')
        if length >= 12 and at + 2 + length <= len(data):
            open(f"{out}/dns-{i}-{k}", 'wb').write(data[at + 2:at + 2 + length])
        at, k = at + 2 + length, k + 1
PY
        n=$((n + $(find "$corpus" -name 'dns-*' | wc -l)))
        ;;
    FuzzBlocklist)
        # The real RPZ zones (format byte 0) and domain and URL lines made from them (1, 2).
        k=0
        for f in "$shared"/dns/*.rpz "$shared"/dns/*.db "$shared"/dns/unbound-rpz_*.rpl; do
            { printf '\000'; head -c 60000 "$f"; } > "$corpus/list-$k"; k=$((k + 1))
        done
        printf '\001# malware\nevil.example\n0.0.0.0 bad.example\n*.wild.example\n' > "$corpus/list-$k"; k=$((k + 1))
        printf '\002http://evil.example/\nhttps://bad.example:8443\nhttp://x.example/path\n' > "$corpus/list-$k"; k=$((k + 1))
        n=$((n + k))
        ;;
    FuzzPools)
        # Pools files (with an exception, names, comments, IPv6) and, after a NUL, target lists.
        printf '198.51.100.0/24 ftth\n!198.51.100.64/28\n2001:db8:1::/48 ftth # v6\n192.0.2.0/30\n\000198.51.100.7\n2001:db8:1::1\n# c\n' > "$corpus/pools-1"
        printf '10.0.0.0/8 a\n10.1.0.0/16 b\n!10.1.2.0/24\n\00010.1.2.3\n10.1.3.4\n' > "$corpus/pools-2"
        printf '198.51.100.1/24\n!x\nbad name here\n' > "$corpus/pools-3"
        n=$((n + 3))
        ;;
    FuzzPortalForm)
        printf 'lang=en&check=0123456789abcdef0123456789abcdef' > "$corpus/form-1"
        printf 'check=%%E3%%81%%82+x&lang=ja&lang=en&=&&x' > "$corpus/form-2"
        printf 'token=AAAAAAAAAAAAAAAAAAAAAA&check=%%zz' > "$corpus/form-3"
        n=$((n + 3))
        ;;
esac
echo "fuzz.sh: $target, $seconds s, $n seeds in $corpus"

# Build: debug (fast to compile, checks on), ASan + libFuzzer coverage on the Swift code.
swift build --package-path Fuzz -c debug --product "$target" -Xswiftc -sanitize=fuzzer,address 2>&1 \
    | grep -v "Cannot export local symbol" | grep -v "^warning: '" | grep -v "^    /" | tail -n 5
binary="$root/Fuzz/.build/debug/$target"

log="$work/fuzz.log"
status=0
# Swift's own crash backtracer would run inside the ASan process and fault; let libFuzzer report
# a trap ("deadly signal") and save the input instead. TMPDIR: the files a target writes
# (FuzzSightingChunks) stay in the run's directory.
TMPDIR="$work" SWIFT_BACKTRACE=enable=no "$binary" "$corpus" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-65536}" \
    -print_final_stats=1 -artifact_prefix="$crashers/" > "$log" 2>&1 || status=$?

grep -E '^(INFO: (Loaded|seed corpus)|#[0-9]+ +DONE|Done [0-9]+ runs|stat::)' "$log" || true
found=$(find "$crashers" -type f | wc -l)
echo "fuzz.sh: $target exit $status, $found crasher(s) in $crashers, log $log"
if [ "$found" -gt 0 ] || [ "$status" -ne 0 ]; then
    grep -E '^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*Fatal error:|ALARM|==[0-9]+== ERROR: libFuzzer)' "$log" | head -n 5 || true
    exit 1
fi

#!/usr/bin/env python3
"""Write an N-row Shadowserver `event4_sinkhole_http` report for benchmarks.

Usage:
    python3 scripts/gen-shadowserver.py ROWS OUT.csv [--seed N] [--prefix 198.18.0.0/15 ...]

The header is the one of Shadowserver's Sinkhole HTTP Events report, copied from
`shared/corpus/shadowserver/event4_sinkhole_http.csv` (IntelMQ's test data). Rows look like real
ones (quoted text, quoted commas in dst_sector and http_agent, ascending timestamps over one day,
random source ports, a handful of families); source addresses come from the given prefixes
(default 198.18.0.0/15, the RFC 2544 benchmarking range). The Swift twin is
`Sightings.ShadowserverSynth.write(rows:to:)`; either file is read by Mamori and by
`scripts/bench-intelmq.py`. Name the file `YYYY-MM-DD-event4_sinkhole_http-….csv` so that both
detect the report type from the name.
"""

import argparse
import datetime
import ipaddress
import random

HEADER = ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname",'
          '"src_naics","src_sector","device_vendor","device_type","device_model","dst_ip","dst_port","dst_asn","dst_geo",'
          '"dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag",'
          '"application","version","event_id","http_url","http_host","http_agent","forwarded_by","ssl_cipher","http_referer"')

FAMILIES = [
    ("andromeda", "avalanche-andromeda", "differentia.ru"),
    ("andromeda", "avalanche-andromeda", "disorderstatus.ru"),
    ("gozi", "avalanche-gozi", "ztsvsgwqkgs.com"),
    ("necurs", "necurs", "pbkxmdluhqyx.net"),
    ("conficker", "conficker", "xbfsqnaqzqs.info"),
    ("nymaim", "avalanche-nymaim", "mqkxpyvn.ws"),
    ("ramnit", "ramnit", "wwcfafqrjvfdn.com"),
    ("matsnu", "matsnu", "expectinsert.com"),
]
AGENTS = [
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0 Safari/537.36",
    "",
]
SECTOR = '"Communications, Service Provider, and Hosting Service"'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prefix", action="append", default=None, help="source prefix (repeatable)")
    ap.add_argument("--start", default="2026-11-26T00:00:00+00:00", help="time of the first row (RFC 3339)")
    args = ap.parse_args()
    prefixes = [ipaddress.ip_network(p) for p in (args.prefix or ["198.18.0.0/15"])]
    rng = random.Random(args.seed)
    start = datetime.datetime.fromisoformat(args.start).astimezone(datetime.timezone.utc)
    step = 86400.0 / args.rows if args.rows else 0
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        buf = []
        for i in range(args.rows):
            net = prefixes[rng.randrange(len(prefixes))]
            ip = net[rng.randrange(net.num_addresses)]
            family, tag, host = FAMILIES[rng.randrange(len(FAMILIES))]
            agent = AGENTS[rng.randrange(len(AGENTS))]
            dst = rng.randrange(1, 255)
            ts = (start + datetime.timedelta(seconds=int(i * step))).strftime("%Y-%m-%d %H:%M:%S")
            buf.append(
                f'"{ts}","tcp","{ip}",{rng.randrange(1024, 65536)},64496,"JP","TOKYO","TOKYO",,517311,{SECTOR},,,,'
                f'"184.105.{dst}.{dst}",80,6939,"US","CALIFORNIA","FREMONT",,518210,{SECTOR},,,'
                f'"{family}","{tag}",,,,"/","{host}",' + (f'"{agent}"' if agent else "") + ",,,\n")
            if len(buf) >= 10000:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Time IntelMQ's Shadowserver parser over every row of a Shadowserver report CSV.

Usage:
    python3 scripts/bench-intelmq.py FILE.csv REPORT_TYPE [--chunk-rows N]

Prints one JSON line:
    {"peer":"intelmq","rows":N,"seconds":S,"per_second":R, ...}

Needs IntelMQ from PyPI (`pip install intelmq`; written against 3.5.0). The parser bot
(`intelmq.bots.parsers.shadowserver.parser.ShadowserverParserBot`) runs in IntelMQ's library
mode (`BotLibSettings`: in-process pipelines, no Redis, no serialisation of the events it
emits), so the time is the parser's own work per row: CSV reading, field conversion and
validation against IntelMQ's harmonisation, and event construction. That is a lower bound of
what a real IntelMQ deployment spends (it also serialises every event to JSON for Redis).

IntelMQ reads the column mapping from Shadowserver's schema (`intelmq.json`), which it
downloads at run time and does not ship. So that the benchmark runs offline, this script
writes a schema file for the report types below, in that format, taken from IntelMQ's own
earlier built-in mapping (`intelmq/bots/parsers/shadowserver/_config.py`, event4 sinkhole
entries), and points IntelMQ's test mode at it. Reports are fed in chunks of `--chunk-rows`
rows (each chunk one report message with the header), so memory stays bounded; each chunk's
output queue is counted and dropped.
"""

import argparse
import base64
import json
import os
import sys
import tempfile
import time

_SINKHOLE_COMMON_OPTIONAL = [
    ["malware.name", "family", "validate_to_none"],
    ["extra.", "tag", "validate_to_none"],
    ["extra.", "infection", "validate_to_none"],
    ["protocol.transport", "protocol"],
    ["source.asn", "src_asn", "invalidate_zero"],
    ["source.geolocation.cc", "src_geo"],
    ["source.geolocation.region", "src_region"],
    ["source.geolocation.city", "src_city"],
    ["source.reverse_dns", "src_hostname"],
    ["extra.source.naics", "src_naics", "invalidate_zero"],
    ["extra.source.sector", "src_sector", "validate_to_none"],
    ["extra.", "device_vendor", "validate_to_none"],
    ["extra.", "device_type", "validate_to_none"],
    ["extra.", "device_model", "validate_to_none"],
    ["destination.ip", "dst_ip", "validate_ip"],
    ["destination.port", "dst_port", "convert_int"],
    ["destination.asn", "dst_asn", "invalidate_zero"],
    ["destination.geolocation.cc", "dst_geo"],
    ["destination.geolocation.region", "dst_region"],
    ["destination.geolocation.city", "dst_city"],
    ["destination.reverse_dns", "dst_hostname", "validate_to_none"],
    ["extra.destination.naics", "dst_naics", "invalidate_zero"],
    ["extra.destination.sector", "dst_sector", "validate_to_none"],
    ["extra.", "public_source", "validate_to_none"],
    ["extra.", "application", "validate_to_none"],
    ["extra.", "version", "validate_to_none"],
    ["extra.", "event_id", "validate_to_none"],
]

_REQUIRED = [
    ["time.source", "timestamp", "add_UTC_to_timestamp"],
    ["source.ip", "src_ip", "validate_ip"],
    ["source.port", "src_port", "convert_int"],
]

SCHEMA = {
    "event4_sinkhole_http": {
        "feed_name": "Sinkhole-HTTP-Events",
        "file_name": "event4_sinkhole_http",
        "required_fields": _REQUIRED,
        "optional_fields": [["classification.identifier", "tag"]] + _SINKHOLE_COMMON_OPTIONAL + [
            ["destination.url", "http_url", "convert_http_host_and_url", True],
            ["destination.fqdn", "http_host", "validate_fqdn"],
            ["extra.", "http_agent", "validate_to_none"],
            ["extra.", "forwarded_by", "validate_to_none"],
            ["extra.", "ssl_cipher", "validate_to_none"],
            ["extra.", "http_referer", "validate_to_none"],
        ],
        "constant_fields": {
            "classification.taxonomy": "malicious-code",
            "classification.type": "infected-system",
            "protocol.application": "http",
        },
    },
    "event4_sinkhole": {
        "feed_name": "Sinkhole-Events",
        "file_name": "event4_sinkhole",
        "required_fields": _REQUIRED,
        "optional_fields": [["classification.identifier", "tag"]] + _SINKHOLE_COMMON_OPTIONAL,
        "constant_fields": {
            "classification.taxonomy": "malicious-code",
            "classification.type": "infected-system",
        },
    },
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", help="Shadowserver report CSV")
    ap.add_argument("report_type", help="report type, e.g. event4_sinkhole_http")
    ap.add_argument("--chunk-rows", type=int, default=20000, help="rows per report message (default 20000)")
    args = ap.parse_args()
    if args.report_type not in SCHEMA:
        sys.exit(f"bench-intelmq: no schema entry for {args.report_type} (known: {', '.join(sorted(SCHEMA))})")

    # IntelMQ wants writable state/log directories; keep them out of the way.
    work = tempfile.mkdtemp(prefix="bench-intelmq-")
    os.environ.setdefault("INTELMQ_ROOT_DIR", work)
    os.environ.setdefault("INTELMQ_PATHS_NO_OPT", "1")

    import intelmq
    import intelmq.bots.parsers.shadowserver._config as config
    from intelmq.bots.parsers.shadowserver.parser import ShadowserverParserBot
    from intelmq.lib.bot import BotLibSettings

    schema_path = os.path.join(work, "schema.json")
    with open(schema_path, "w") as fh:
        json.dump(SCHEMA, fh)
    state = getattr(config, "__config")  # the module's private settings container
    state.schema_base = schema_path
    state.schema_file = os.path.join(work, "absent-schema.json")

    settings = dict(BotLibSettings)
    settings.update({"test_mode": True, "logging_level": "ERROR", "logging_path": None})
    bot = ShadowserverParserBot("bench-shadowserver-parser", settings=settings)

    file_name = "2026-01-01-" + args.report_type + "-bench.csv"
    with open(args.csv, "r", encoding="utf-8", newline="") as fh:
        header = fh.readline()
        lines = fh.readlines()

    def report(i):
        raw = header + "".join(lines[i:i + args.chunk_rows])
        return {
            "__type": "Report",
            "feed.name": "Shadowserver",
            "extra.file_name": file_name,
            "raw": base64.b64encode(raw.encode("utf-8")).decode("ascii"),
        }

    # Only the parser's work is timed: building each report message (what a collector does)
    # is outside the clock.
    rows = 0
    errors = 0
    seconds = 0.0
    cpu = 0.0
    for i in range(0, len(lines), args.chunk_rows):
        message = report(i)
        start = time.perf_counter()
        cpu_start = time.process_time()
        state_out = bot.process_message(message)
        seconds += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
        rows += len(state_out.get("output", []))
        errors += len(state_out.get("error", []))
    print(json.dumps({
        "peer": "intelmq",
        "version": intelmq.__version__,
        "report_type": args.report_type,
        "rows": rows,
        "failed_rows": errors,
        "seconds": round(seconds, 3),
        "per_second": round(rows / seconds, 1) if seconds > 0 else None,
        "cpu_seconds": round(cpu, 3),
        "per_cpu_second": round(rows / cpu, 1) if cpu > 0 else None,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Runs the same benchmarks with two builds, one after the other, in one run, and prints their
# JSON lines side by side: `scripts/bench-compare.sh OLD NEW` where OLD and NEW are commands,
# e.g. an older checkout's `.build-rel/release/mamori bench` and this one's
# `.build-rel/release/mamori-bench`. Peers are left out (their ratios are in docs/benchmarks.md).
set -euo pipefail
old="$1"
new="$2"
sessions="${SESSIONS:-2000000}"
lookups="${LOOKUPS:-1000000}"
rows="${ROWS:-200000}"
for pass in 1 2; do
    for side in old new; do
        bin="$old"; [ "$side" = new ] && bin="$new"
        echo "== pass $pass, $side"
        $bin ingest --records 1000000 --store-records 100000 --json
        $bin sightings --rows "$rows" --sessions 262144 --peer-rows 0 --json
        $bin attribution --sessions "$sessions" --lookups "$lookups" --no-postgres --json
    done
done

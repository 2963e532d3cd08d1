#!/bin/sh
# Builds mamori in release mode and runs the three benchmarks of docs/benchmarks.md with the
# documented (default) sizes, printing each table and appending each JSON line to
# ${TMPDIR:-/tmp}/mamori-bench-results.jsonl (or the file given as $1).
#
# Needs: Swift 6.1+, PostgreSQL 15 server binaries (Debian: postgresql-15; btree_gist is in the
# same package) and psql for the attribution peer, python3 with `pip install yacryptopan` for
# the Crypto-PAn peer. PostgreSQL runs as a throwaway cluster on 127.0.0.1 in a temporary
# directory (as the `postgres` user when run as root) and is removed afterwards.
#
# Environment: SCRATCH (build directory, default .build-bench), SESSIONS, LOOKUPS,
# PG_SESSIONS, PG_LOOKUPS, RECORDS, COUNT, PEER_COUNT override the sizes.
set -eu

cd "$(dirname "$0")/.."
out="${1:-${TMPDIR:-/tmp}/mamori-bench-results.jsonl}"
scratch="${SCRATCH:-.build-bench}"

swift build -c release --scratch-path "$scratch" --product mamori
mamori="$scratch/release/mamori"

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs" >&2

"$mamori" bench cryptopan --count "${COUNT:-5000000}" --peer-count "${PEER_COUNT:-20000}" --json | tee -a "$out"
"$mamori" bench ingest --records "${RECORDS:-1000000}" --json | tee -a "$out"
"$mamori" bench attribution --sessions "${SESSIONS:-10000000}" --lookups "${LOOKUPS:-2000000}" \
    --postgres-sessions "${PG_SESSIONS:-${SESSIONS:-10000000}}" --postgres-lookups "${PG_LOOKUPS:-20000}" --json | tee -a "$out"

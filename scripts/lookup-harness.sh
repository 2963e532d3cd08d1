#!/usr/bin/env bash
# Single against batch lookups of the attribution index, one thread, without building the whole
# `mamori-bench` (its release build needs BoringSSL twice, NIO, Hummingbird, GRDB): compiles
# TextScanning, Addressing and Attribution (less Identification, which needs Secrecy) with
# `swiftc -O -wmo` into a scratch directory and times `holder(of:at:port:)` against
# `holders(of:into:)` on N random holdings (3/4 IPv4 /32, 1/4 IPv6 /56) and M lookups, twice.
# Usage: scripts/lookup-harness.sh [N] [M]   (defaults 10000000 2000000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${TMPDIR:-/tmp}/mamori-lookup-harness"
mkdir -p "$out/cm"
cp "$root/Sources/CMamoriPrefetch/include/CMamoriPrefetch.h" "$out/cm/"
printf 'module CMamoriPrefetch {\n  header "CMamoriPrefetch.h"\n  export *\n}\n' > "$out/cm/module.modulemap"
cd "$out"
S="$root/Sources"
swiftc -O -wmo -parse-as-library -module-name TextScanning -emit-module -emit-module-path TextScanning.swiftmodule \
    -c $(find "$S/TextScanning" -name '*.swift') -o TextScanning.o
swiftc -O -wmo -parse-as-library -module-name Addressing -I . -emit-module -emit-module-path Addressing.swiftmodule \
    -c $(find "$S/Addressing" -name '*.swift') -o Addressing.o
swiftc -O -wmo -parse-as-library -module-name Attribution -I . -I cm -emit-module -emit-module-path Attribution.swiftmodule \
    -c $(find "$S/Attribution" -name '*.swift' | grep -v Identification) -o Attribution.o
swiftc -O -I . -I cm "$root/scripts/lookup-harness/main.swift" TextScanning.o Addressing.o Attribution.o -o lookup-harness
uptime
./lookup-harness "${1:-10000000}" "${2:-2000000}"

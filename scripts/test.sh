#!/usr/bin/env bash
# The test command of the README. Two runs of one build: every suite but the PostgreSQL ones,
# then the PostgreSQL store's suites (conformance on both backends, several `mamori serve` on one
# database) on their own, so that their throwaway cluster and connection pools do not compete
# with the rest of the suite's hundreds of concurrent tests on a two-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
postgres='StoreConformanceTests|PostgresInstancesTests'
swift build --build-tests
swift test --skip-build --skip "$postgres"
swift test --skip-build --filter "$postgres"

#!/usr/bin/env bash
# The test command of the README. Six runs of one build (the second: the listener and SMTP client tests): every suite but the PostgreSQL ones,
# then the PostgreSQL store's suites (conformance on both backends, several `mamori serve` on one
# database) on their own, so that their throwaway cluster and connection pools do not compete
# with the rest of the suite's hundreds of concurrent tests on a two-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
postgres='StoreConformanceTests|PostgresInstancesTests'
# The listener tests time real peers (dig, kdig, UDP and TCP probes) against servers on NIO event
# loops; beside hundreds of blocking tests on two cores their probes starve, so they run on their own
# (with the edge filter's namespace test, whose client waits a bounded time for each reply).
listeners='NetServerTests|RADIUSServerTests|NamespaceTests'
# The SMTP client's tests time a real smtp-sink's replies; they too get the cores to themselves.
mail='MailerTests'
# The mail guard against real Postfix, Dovecot and swaks: quiet periods and log following are timed.
mailguard='MailGuardPeerTests'
# softflowd's exports: synchronous tests that run softflowd and tshark for over a minute in all.
# Beside the rest they hold the two cooperative threads of a two-core machine, and every async
# test waiting on a timer starves (an outbox worker did not run for 70 s), so they run alone.
exporters='SoftflowdExportTests'
# The command-line tests run `mamori` as a child and wait for it synchronously, hundreds of times;
# beside the in-process servers' tests (portal, warning page, mail guard runtime) they held the
# cooperative threads and those tests' HTTP reads and outbox runs starved for two minutes in a
# CI simulation. Each group runs in its own pass.
cli='MamoriCLITests'
swift build --build-tests
swift test --skip-build --skip "$postgres|$listeners|$mail|$mailguard|$exporters|$cli"
swift test --skip-build --filter "$cli" --skip "$postgres|$listeners|$mail|$mailguard|$exporters"
swift test --skip-build --filter "$listeners|$mail"
swift test --skip-build --filter "$mailguard"
swift test --skip-build --filter "$exporters"
swift test --skip-build --filter "$postgres"

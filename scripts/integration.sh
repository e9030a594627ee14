#!/usr/bin/env bash
# Runs the integration tests (real Open vSwitch, Mininet, ...) one file at a time, on a clean machine state:
# starts OVS if needed, removes leftovers of earlier runs before and after, and exits with the tests' status.
# Usage: scripts/integration.sh [test files...]   (default: every test under dist/test/integration/)
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "integration: must run as root (Open vSwitch, Mininet and network namespaces need it)" >&2
  exit 1
fi
HARNESS=dist/test/integration/harness/cli.js
if [ ! -f "$HARNESS" ]; then
  echo "integration: $HARNESS is missing: build first (make build)" >&2
  exit 1
fi

node "$HARNESS" ensure-ovs || exit 1
node "$HARNESS" clean || exit 1

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dist/test/integration/)
start=$(date +%s)
# Serial: the tests share one OVS, Mininet's fixed names (s1, h1) and well-known ports. A hung file is cut off
# (node 20 applies --test-timeout per file) so CI fails instead of stalling; SIGTERM lets the harness clean up.
node --test --test-concurrency=1 --test-timeout="${SLUICE_IT_FILE_TIMEOUT_MS:-600000}" "${targets[@]}"
status=$?
echo "integration: tests took $(($(date +%s) - start)) s (status $status)"

if ! left=$(node "$HARNESS" leftovers); then
  echo "integration: WARNING: the tests left behind $left (a test does not clean up; removing them now)" >&2
fi
node "$HARNESS" clean || status=1
if ! left=$(node "$HARNESS" leftovers); then
  echo "integration: cleanup could not remove $left" >&2
  [ "$status" -ne 0 ] || status=1
fi
node "$HARNESS" stop-ovs
exit "$status"

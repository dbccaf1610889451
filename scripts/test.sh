#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build (Release, ASan+UBSan, fuzzers) and run
# every test: unit, integration, end-to-end (official MCP SDK clients against the real binary),
# conformance, TDS test server validation, and brief fuzzing. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --asan --fuzz
JOBS="${JOBS:-$(nproc)}"
status=0
echo "== sanitizer build (ASan + UBSan): unit tests"
ctest --test-dir build-asan -L unit -j "$JOBS" --output-on-failure --timeout 300 || status=1
echo "== fuzzers (brief runs over the checked-in corpora)"
ctest --test-dir build-fuzz -L fuzz -j "$JOBS" --output-on-failure --timeout 300 || status=1
echo "== release build: every test"
ctest --test-dir build -j "$JOBS" --output-on-failure --timeout 900 || status=1
exit $status

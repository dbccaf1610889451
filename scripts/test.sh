#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build (Release, ASan+UBSan, fuzzers) and run
# every test: unit, integration, end-to-end (official MCP SDK clients against the real binary),
# conformance, TDS test server validation, and brief fuzzing. Prints each ctest summary and one
# closing "N passed, N failed" line over all runs; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --asan --fuzz
JOBS="${JOBS:-$(nproc)}"
status=0
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_ctest() {  # run_ctest TITLE ctest-args...
  local title=$1; shift
  echo "== $title"
  if ! ctest "$@" --output-on-failure 2>&1 | tee "$log"; then status=1; fi
  # ctest's own summary: "NN% tests passed, F tests failed out of T"
  local line
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$line" ]; then
    if grep -q 'No tests were found' "$log"; then
      echo "!! $title: no tests found"; status=1
    fi
    return
  fi
  local f t
  f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  t=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + t - f))
  failed=$((failed + f))
  [ "$f" -eq 0 ] || status=1
}

run_ctest "sanitizer build (ASan + UBSan): unit tests" --test-dir build-asan -L unit -j "$JOBS" --timeout 300
run_ctest "fuzzers (brief runs over the checked-in corpora)" --test-dir build-fuzz -L fuzz -j "$JOBS" --timeout 300
run_ctest "release build: every test" --test-dir build -j "$JOBS" --timeout 900
echo
echo "${passed} passed, ${failed} failed"
exit $status

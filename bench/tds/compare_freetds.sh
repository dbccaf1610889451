#!/usr/bin/env bash
# TDS result decoding, our client vs FreeTDS db-lib (PRODUCT.md §8: "at least as fast as FreeTDS on
# the same result stream"). Both read the same 100,000-row result from tests/tds_server (login-only
# TLS, 4 KiB packets); each reports the CPU time (user + sys) it spent between sending the query and
# the last row, so the Python server's own speed does not enter the figure. Median of REPS runs.
# Usage: bench/tds/compare_freetds.sh [BUILD_DIR] (default build) — needs freetds-dev.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
REPS=${REPS:-5}
OUT=$(mktemp -d)
trap 'kill "$SRV_PID" 2>/dev/null || true; rm -rf "$OUT"' EXIT

cc -O2 -o "$OUT/freetds_client" bench/tds/freetds_client.c -lsybdb
c++ -std=c++20 -O2 -Isrc -o "$OUT/azsql_client" bench/tds/azsql_client.cpp \
  "$BUILD/src/db/tds/libazsql_db_tds.a" "$BUILD/src/db/tds/codec/libazsql_tds_codec.a" \
  "$BUILD/src/db/libazsql_db.a" "$BUILD/src/common/libazsql_common.a" -lssl -lcrypto -lpthread

/usr/bin/python3 tests/tds_server/tds_server.py --port 0 > "$OUT/server.json" < /dev/null &
SRV_PID=$!
for _ in $(seq 100); do [ -s "$OUT/server.json" ] && break; sleep 0.1; done
PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$OUT/server.json")
QUERY="SELECT id, label, amount, id AS id2, label AS label2, amount AS amount2 FROM big_table"

for i in $(seq "$REPS"); do
  "$OUT/azsql_client" 127.0.0.1 "$PORT" "$QUERY" >> "$OUT/azsql.jsonl"
  TDSVER=7.4 "$OUT/freetds_client" "127.0.0.1:$PORT" "$QUERY" >> "$OUT/freetds.jsonl"
done
python3 - "$OUT/azsql.jsonl" "$OUT/freetds.jsonl" <<'PY'
import json, statistics, sys
res = {}
for path in sys.argv[1:]:
    runs = [json.loads(l) for l in open(path)]
    res[runs[0]["client"]] = runs
for name, runs in res.items():
    cpu = [r["cpu_s"] for r in runs]
    print(f'{name:14s} rows={runs[0]["rows"]} checksum={runs[0]["checksum"]} text_bytes={runs[0]["text_bytes"]} '
          f'cpu median={statistics.median(cpu)*1000:.1f} ms (min {min(cpu)*1000:.1f}, max {max(cpu)*1000:.1f}) '
          f'→ {runs[0]["rows"]/statistics.median(cpu)/1e6:.2f} M rows/s of client CPU')
a, f = res["azsql-tds"], res["freetds-dblib"]
assert a[0]["rows"] == f[0]["rows"] and a[0]["checksum"] == f[0]["checksum"], "clients decoded different data"
print(f'ratio FreeTDS/azsql CPU = {statistics.median([r["cpu_s"] for r in f]) / statistics.median([r["cpu_s"] for r in a]):.2f} (>1: ours is faster)')
PY

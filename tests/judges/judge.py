#!/usr/bin/python3
"""Runs one of Microsoft's drivers (a small program per driver under tests/judges/<driver>/) against the
TDS test server and judges what it observed.

    /usr/bin/python3 tests/judges/judge.py DRIVER [--keep DIR]

The harness starts the test servers on free loopback ports (TLS negotiated in PRELOGIN, TDS 8.0 strict,
Azure-gateway routing, always-40613), writes a config JSON and runs the driver program with it. The driver
prints one JSON line per scenario: {"scenario": s, "ok": bool, "data": {...}} or {"scenario": s, "ok": false,
"error": "..."}. The harness compares each observation with what SQL Server documents (types_demo.json, error
numbers, TLS mode, routing target, parameter values as the server decoded them) and prints one line per check.
The LOGIN7/PRELOGIN records of the driver's logins are written to --keep DIR/logins-<driver>.jsonl for
login_compare.py. Exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import decimal
import re
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER = os.path.join(ROOT, "tests", "tds_server", "tds_server.py")
DEMO = json.load(open(os.path.join(ROOT, "tests", "tds_server", "types_demo.json"), encoding="utf-8"))
TOKEN = "eyJ0eXAiOiJKV1QifQ.judge-token-" + "x" * 1200  # JWT-shaped; its UTF-16 form makes LOGIN7 > 2 KB
CACHE = os.environ.get("AZSQL_JUDGES_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "azsql-judges"))
VENV = os.path.join(CACHE, "venv")  # scripts/setup_judges.sh installs here (same AZSQL_JUDGES_CACHE override)

# The parameters every driver sends in one sp_executesql call: name -> (canonical value the server must decode).
PARAMS = {
    "int": "123456789", "bigint": "9007199254740993", "float": "3.141592653589793", "bit": "1",
    "decimal": "12345.6789", "nvarchar": "héllo 😀", "varchar": "cafe", "nvarchar_max": "x" * 6000,
    "varbinary": {"hex": "0001ff"}, "date": "2024-01-15", "time": "13:45:30.1234567",
    "datetime2": "2024-01-15 13:45:30.1234567", "datetimeoffset": "2024-01-15 13:45:30.1234567 -03:30",
    "datetime": "2024-01-15 13:45:30.500", "uniqueidentifier": "6F9619FF-8B86-D011-B42D-00C04FC964FF",
    "null": None,
}

checks = failures = 0
results = {}  # scenario -> "pass" | "FAIL: why" (for the compatibility table)


def check(cond, scenario, what):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        results[scenario] = "FAIL"
    else:
        results.setdefault(scenario, "pass")
    print(("ok   " if cond else "FAIL ") + f"[{scenario}] {what}", flush=True)


def start_server(args, tmp):
    p = subprocess.Popen(["/usr/bin/python3", SERVER, "--port", "0", "--gen-cert", os.path.join(tmp, "cert"),
                          "--accept-token", TOKEN, "--record-logins", os.path.join(tmp, "logins.jsonl"),
                          "--log-statements", os.path.join(tmp, "statements.jsonl")] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line:
        raise RuntimeError("TDS test server did not start")
    return p, json.loads(line)


def driver_command(driver, cfg_path):
    d = os.path.join(HERE, driver)
    if driver == "go":
        return [os.path.join(CACHE, "bin", "gojudge"), cfg_path]
    if driver == "jdbc":
        cp = os.pathsep.join([os.path.join(CACHE, "jdbc", "classes"), os.path.join(CACHE, "jdbc", "lib", "*")])
        return ["java", "-Dtypes_demo=" + os.path.join(ROOT, "tests", "tds_server", "types_demo.json"),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", cp, "JdbcJudge", cfg_path]
    if driver == "odbc":
        return [os.path.join(VENV, "bin", "python"), os.path.join(d, "odbc_judge.py"), cfg_path]
    raise SystemExit(f"unknown driver {driver}")


# ---------------------------------------------------------------------------------------------------------
# comparisons
# ---------------------------------------------------------------------------------------------------------
def expected_value(v):
    if isinstance(v, dict):
        if "repeat" in v:
            return v["repeat"] * v["count"]
        if "hex" in v:
            return {"hex": v["hex"]}
        if "hex_repeat" in v:
            return {"hex": v["hex_repeat"] * v["count"]}
        if "int" in v:
            return v["int"]
    return v


def frac_equal(got: str, exp: str) -> bool:
    """Date/time text: equal when the driver's fractional digits are a prefix (rounded) of the 7 expected."""
    if got == exp:
        return True
    # compare everything but the fraction, then the fraction up to the driver's precision
    def split(t):
        m = re.match(r"^(.*?\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$", t)
        return (m.group(1), m.group(2) or "", m.group(3)) if m else (t, "", "")
    g, e = split(got), split(exp)
    if g[0] != e[0] or g[2] != e[2]:
        return False
    n = len(g[1])
    ef = (e[1] + "0000000")[:7]
    if n >= 7:
        return g[1][:7] == ef and set(g[1][7:]) <= {"0"}
    # truncation or rounding to n digits
    trunc = ef[:n]
    rounded = str(round(int(ef) / 10 ** (7 - n))).zfill(n) if n else ""
    return g[1] in (trunc, rounded)


def same_value(typ: str, got, exp) -> bool:
    base = typ.split("(")[0]
    if exp is None or got is None:
        return exp is None and got is None
    if isinstance(exp, dict) or isinstance(got, dict):
        return isinstance(got, dict) and isinstance(exp, dict) and got.get("hex", "").lower() == exp.get("hex", "").lower()
    if base in ("money", "smallmoney", "decimal", "numeric", "bigint"):
        try:
            return decimal.Decimal(str(got)) == decimal.Decimal(str(exp))
        except decimal.InvalidOperation:
            return False
    if base == "real":
        return abs(float(got) - exp) <= abs(exp) * 1e-7
    if base == "float":
        return float(got) == exp
    if base == "bit":
        return bool(got) == exp and isinstance(got, bool)
    if base == "datetime":
        return got == exp or frac_equal(got, exp) or (exp.endswith(".997") and str(got).startswith(exp[:-1]))
    if base in ("time", "datetime2", "datetimeoffset", "smalldatetime"):
        return frac_equal(str(got), exp)
    if base == "sql_variant" and isinstance(exp, int):
        return str(got) == str(exp)
    return got == exp


def judge_types_demo(data):
    rows = data.get("rows") or []
    check(len(rows) == len(DEMO["rows"]), "types_demo", f"{len(rows)} rows read back (expected {len(DEMO['rows'])})")
    bad = []
    for exp_row, got_row in zip(DEMO["rows"], rows):
        for col in DEMO["columns"]:
            name = col["name"]
            if name not in got_row:
                bad.append(f"row {exp_row['id']} {name}: missing")
                continue
            if not same_value(col["type"], got_row[name], expected_value(exp_row.get(name))):
                g = json.dumps(got_row[name], ensure_ascii=False)
                bad.append(f"row {exp_row['id']} {name} ({col['type']}): got {g[:80]} expected "
                           f"{json.dumps(expected_value(exp_row.get(name)), ensure_ascii=False)[:80]}")
    ncols = len(DEMO["columns"]) * len(DEMO["rows"])
    check(not bad, "types_demo", f"{ncols - len(bad)}/{ncols} values equal types_demo.json" + ("" if not bad else ": " + "; ".join(bad[:8])))


def judge_params(data, statements):
    order = data.get("order") or []  # the parameter kinds in the order the driver bound them
    sent = set(order)
    missing = sorted(set(PARAMS) - sent)
    check(not missing, "params", f"driver sent {len(order)} parameter kinds" + (f" (missing: {', '.join(missing)})" if missing else ""))
    rpc = [s for s in statements if s.get("kind") == "rpc" and "v_int" in s.get("sql", "")]
    check(bool(rpc), "params", "the parameterised statement arrived as an RPC (sp_executesql / sp_prepexec / sp_execute)")
    if not rpc:
        return
    values = rpc[-1].get("param_values", [])
    check(len(values) == len(order), "params", f"{len(values)} parameter values arrived for {len(order)} bound")
    bad = []
    for kind, p in zip(order, values):
        exp = PARAMS.get(kind)
        v = p["value"]
        if kind in ("float", "decimal", "int", "bigint"):
            ok = v is not None and decimal.Decimal(str(v)) == decimal.Decimal(exp)
        elif kind == "bit":
            ok = v in (True, 1)
        elif kind in ("time", "datetime2", "datetimeoffset", "datetime"):
            ok = isinstance(v, str) and frac_equal(v, exp)
        else:
            ok = v == exp
        if not ok:
            bad.append(f"{kind} (as {p['type']}): server decoded {json.dumps(v, ensure_ascii=False)[:60]}")
    types = ", ".join(f"{k}→{p['type']}" for k, p in zip(order, values))
    check(not bad, "params", f"{len(order) - len(bad)}/{len(order)} parameters decoded by the server as sent [{types}]"
          + ("" if not bad else ": " + "; ".join(bad)))
    echo = data.get("echo") or {}
    check(all(echo.values()) and len(echo) >= 3, "params", f"values read back through SELECT @p: {echo}")


def judge(driver, obs, info, statements):
    by = {o["scenario"]: o for o in obs}
    for sc in ("login_tls", "strict", "token", "routing", "types_demo", "params", "large", "cancel", "rollback",
               "err_18456", "err_4060", "err_40613"):
        o = by.get(sc)
        if o is None:
            check(False, sc, "driver reported nothing")
            continue
        if o.get("unsupported"):
            results[sc] = "n/a: " + o["unsupported"]
            print(f"n/a  [{sc}] {o['unsupported']}")
            continue
        if not o.get("ok"):
            check(False, sc, f"driver error: {o.get('error', '')[:400]}")
            continue
        d = o.get("data") or {}
        if sc == "login_tls":
            check(d.get("tls_mode") == "full" and d.get("user") == "sa", sc,
                  f"SQL login, TLS negotiated in PRELOGIN and validated against the test CA -> {d}")
        elif sc == "strict":
            check(str(d.get("tls_mode")) == "strict/tds/8.0" and d.get("user") == "sa", sc,
                  f"Encrypt=strict: TLS first, ALPN tds/8.0 -> {d}")
        elif sc == "token":
            check(d.get("auth_scheme") == "FEDAUTH" and d.get("user") == "tokenuser@example.com", sc,
                  f"access-token (FEDAUTH) login -> {d}")
        elif sc == "routing":
            check(int(d.get("port") or 0) == info["routing"]["routing_port"], sc,
                  f"ENVCHANGE routing followed: session on port {d.get('port')} (gateway {info['routing']['port']}, target {info['routing']['routing_port']})")
        elif sc == "types_demo":
            judge_types_demo(d)
        elif sc == "params":
            judge_params(d, statements)
        elif sc == "large":
            n = 100000
            check(d.get("rows") == n and int(d.get("sum_id", 0)) == n * (n + 1) // 2, sc,
                  f"big_table streamed: {d.get('rows')} rows, sum(id) {d.get('sum_id')}")
        elif sc == "cancel":
            check(d.get("cancelled") is True and 0 < d.get("elapsed_ms", 1e9) < 8000 and d.get("reusable") is True, sc,
                  f"WAITFOR DELAY '00:00:10' cancelled -> {d}")
        elif sc == "rollback":
            check(d.get("inside") == d.get("before") + 1 and d.get("after") == d.get("before"), sc,
                  f"INSERT inside a transaction rolled back -> {d}")
        elif sc.startswith("err_"):
            want = int(sc[4:])
            check(d.get("number") == want, sc, f"login error surfaces as {d.get('number')} ({str(d.get('message'))[:100]})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("driver")
    ap.add_argument("--keep", help="directory for logins-<driver>.jsonl and results-<driver>.json")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix=f"judge-{a.driver}-")
    procs = []
    try:
        servers = {}
        for name, args in (("main", ["--encryption", "off"]), ("strict", ["--encryption", "strict"]),
                           ("routing", ["--route-to", "self", "--route-all"]),
                           ("transient", ["--transient-login-errors", "1000000"])):
            p, info = start_server(args, tmp)
            procs.append(p)
            servers[name] = info
        cert = servers["main"]["cert"]
        cfg = {"host": "localhost", "cert": cert, "user": "sa", "password": "Passw0rd!", "database": "demo",
               "token": TOKEN, "ports": {k: v["port"] for k, v in servers.items()}, "params": PARAMS,
               "tmp": tmp}
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        cmd = driver_command(a.driver, cfg_path)
        print("driver:", " ".join(cmd), flush=True)
        t0 = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600,
                           stdin=subprocess.DEVNULL)
        secs = time.monotonic() - t0
        sys.stderr.write(r.stderr[-4000:])
        obs = []
        for line in r.stdout.splitlines():
            try:
                obs.append(json.loads(line))
            except json.JSONDecodeError:
                print("driver:", line)
        print(f"driver exited {r.returncode} after {secs:.1f}s with {len(obs)} observations", flush=True)
        statements = []
        sp = os.path.join(tmp, "statements.jsonl")
        if os.path.exists(sp):
            statements = [json.loads(x) for x in open(sp, encoding="utf-8") if x.strip()]
        judge(a.driver, obs, servers, statements)
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            lp = os.path.join(tmp, "logins.jsonl")
            if os.path.exists(lp):
                shutil.copy(lp, os.path.join(a.keep, f"logins-{a.driver}.jsonl"))
            with open(os.path.join(a.keep, f"results-{a.driver}.json"), "w", encoding="utf-8") as f:
                json.dump(results, f, indent=1)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.environ.get("JUDGE_DUMP_STATEMENTS"):
            shutil.copy(os.path.join(tmp, "statements.jsonl"), os.environ["JUDGE_DUMP_STATEMENTS"])
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures or not checks else 0


if __name__ == "__main__":
    sys.exit(main())

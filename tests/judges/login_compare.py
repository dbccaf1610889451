#!/usr/bin/python3
"""Our login beside Microsoft's: the PRELOGIN and LOGIN7 fields azsql-mcp sends, compared with what each Microsoft
driver sent for the same settings (recorded by the TDS test server during judge_go / judge_odbc / judge_jdbc into
DIR/logins-DRIVER.jsonl).

    login_compare.py --dir build/judges [--bin build/azsql-mcp]

Three settings: SQL login with TLS negotiated in PRELOGIN (`sql_tls`), access-token FEDAUTH login (`token`) and
`Encrypt=strict` (`strict`). Our binary is run over stdio (initialize + list_tables) against test servers that record
its logins. Every field on which we differ from a Microsoft driver must be explained in the section
"Login compared with Microsoft's drivers" of src/db/tds/README.md (the field's name in backticks in that section):
an unexplained difference fails. The whole comparison is printed as a table.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER = os.path.join(ROOT, "tests", "tds_server", "tds_server.py")
README = os.path.join(ROOT, "src", "db", "tds", "README.md")
DRIVERS = ("go", "odbc", "jdbc")
TOKEN = "eyJ0eXAiOiJKV1QifQ.login-compare-" + "y" * 1200


def classify(rec):
    l7, pre = rec.get("login7") or {}, rec.get("prelogin") or {}
    fed = any(f["id"] == "FEDAUTH" for f in l7.get("features", []))
    if pre.get("tls_first"):
        return "strict" if not fed else None
    return "token" if fed else "sql_tls"


def fields(rec):
    """The compared fields of one login record (flat name -> value)."""
    pre, l7 = rec["prelogin"], rec["login7"]
    fed = next((f for f in l7["features"] if f["id"] == "FEDAUTH"), None)
    out = {
        "prelogin.options": ",".join(pre["options"]),
        "prelogin.encryption": pre.get("encryption"),
        "prelogin.version_len": pre.get("version_len"),
        "prelogin.threadid": "threadid_len" in pre,
        "prelogin.mars": pre.get("mars"),
        "prelogin.traceid": "traceid_len" in pre,
        "prelogin.fedauthrequired": pre.get("fedauthrequired"),
        "prelogin.alpn": pre.get("alpn"),
        "login7.tds_version": l7["tds_version"],
        "login7.packet_size": l7["packet_size"],
        "login7.option_flags1": l7["option_flags1"],
        "login7.option_flags2": l7["option_flags2"],
        "login7.type_flags": l7["type_flags"],
        "login7.option_flags3": l7["option_flags3"],
        "login7.client_lcid": l7["client_lcid"],
        "login7.client_pid_set": l7["client_pid_set"],
        "login7.fields": ",".join(l7["fields"]),
        "login7.features": ",".join(f["id"] for f in l7["features"]),
        "login7.fedauth": None if fed is None else f"library={fed.get('library')},echo={fed.get('echo')}",
    }
    return out


def start_server(args, record):
    p = subprocess.Popen(["/usr/bin/python3", SERVER, "--port", "0", "--accept-token", TOKEN, "--record-logins", record]
                         + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return p, json.loads(p.stdout.readline())


def run_ours(binary, env):
    """initialize + tools/call list_tables over stdio; returns (ok, detail)."""
    full = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "LOG_LEVEL": "warning", **env}
    p = subprocess.Popen([binary, "--transport", "stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=full, text=True)
    msgs = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "login-compare", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_tables", "arguments": {}}}]
    try:
        for m in msgs:
            p.stdin.write(json.dumps(m) + "\n")
            p.stdin.flush()
        deadline = time.monotonic() + 60
        for _ in range(1000):
            if time.monotonic() > deadline:
                break
            line = p.stdout.readline()
            if not line:
                break
            msg = json.loads(line)
            if msg.get("id") == 2:
                res = msg.get("result") or {}
                return not res.get("isError", True), json.dumps(res)[:300]
        return False, "no answer to tools/call"
    finally:
        p.stdin.close()
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


def explained_fields():
    text = open(README, encoding="utf-8").read()
    m = re.search(r"## Login compared with Microsoft's drivers\n(.*?)(\n## |\Z)", text, re.S)
    return set(re.findall(r"`([a-z0-9_.]+)`", m.group(1))) if m else set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--bin", default=os.environ.get("AZSQL_BIN", os.path.join(ROOT, "build", "azsql-mcp")))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="login-compare-")
    procs = []
    passed = failed = 0

    def check(cond, what):
        nonlocal passed, failed
        passed, failed = passed + bool(cond), failed + (not cond)
        print(("ok   " if cond else "FAIL ") + what, flush=True)

    try:
        rec_main, rec_strict = os.path.join(tmp, "main.jsonl"), os.path.join(tmp, "strict.jsonl")
        p1, main_srv = start_server(["--gen-cert", os.path.join(tmp, "cert"), "--encryption", "off"], rec_main)
        p2, strict_srv = start_server(["--gen-cert", os.path.join(tmp, "cert"), "--encryption", "strict"], rec_strict)
        procs += [p1, p2]
        base = {"AZURE_SQL_DATABASE": "demo", "AZURE_SQL_CA_FILE": main_srv["cert"]}
        runs = {
            "sql_tls": (rec_main, {**base, "AZURE_SQL_SERVER": f"localhost,{main_srv['port']}", "AZURE_SQL_USERNAME": "sa",
                                   "AZURE_SQL_PASSWORD": "Passw0rd!", "AZURE_SQL_ENCRYPT": "yes"}),
            "token": (rec_main, {**base, "AZURE_SQL_SERVER": f"localhost,{main_srv['port']}",
                                 "AZURE_SQL_AUTH_TYPE": "access_token", "AZURE_SQL_ACCESS_TOKEN": TOKEN, "AZURE_SQL_ENCRYPT": "yes"}),
            "strict": (rec_strict, {**base, "AZURE_SQL_SERVER": f"localhost,{strict_srv['port']}", "AZURE_SQL_USERNAME": "sa",
                                    "AZURE_SQL_PASSWORD": "Passw0rd!", "AZURE_SQL_ENCRYPT": "strict"}),
        }
        ours = {}
        for name, (rec, env) in runs.items():
            before = sum(1 for _ in open(rec)) if os.path.exists(rec) else 0
            ok, detail = run_ours(a.bin, env)
            check(ok, f"[{name}] azsql-mcp logged in and listed tables ({detail[:120]})")
            recs = [json.loads(x) for x in open(rec)][before:] if os.path.exists(rec) else []
            mine = [r for r in recs if classify(r) == name]
            check(bool(mine), f"[{name}] the server recorded our LOGIN7")
            if mine:
                ours[name] = fields(mine[0])
        theirs = {}
        for d in DRIVERS:
            path = os.path.join(a.dir, f"logins-{d}.jsonl")
            check(os.path.exists(path), f"{d}: logins recorded by judge_{d} ({path})")
            if not os.path.exists(path):
                continue
            for r in (json.loads(x) for x in open(path)):
                c = classify(r)
                if c and "error" not in r and (d, c) not in theirs:
                    theirs[(d, c)] = fields(r)
        explained = explained_fields()
        check(bool(explained), "src/db/tds/README.md has a section \"Login compared with Microsoft's drivers\"")
        for setting in ("sql_tls", "token", "strict"):
            if setting not in ours:
                continue
            print(f"\n== {setting}")
            names = list(ours[setting])
            print(f"{'field':28} {'azsql-mcp':38} " + " ".join(f"{d:38}" for d in DRIVERS))
            for f in names:
                row = [str(ours[setting][f])] + [str(theirs.get((d, setting), {}).get(f, "-")) for d in DRIVERS]
                diff = any(theirs.get((d, setting)) and str(theirs[(d, setting)].get(f)) != row[0] for d in DRIVERS)
                mark = "≠" if diff else " "
                print(f"{mark}{f:27} " + " ".join(f"{v[:38]:38}" for v in row))
                if diff:
                    check(f in explained, f"[{setting}] {f} differs from a Microsoft driver: explained in src/db/tds/README.md")
            for d in DRIVERS:
                check((d, setting) in theirs, f"[{setting}] {d} login recorded")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

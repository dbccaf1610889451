#!/usr/bin/python3
"""Validate tests/tds_server/tds_server.py with an independent client: Debian python3-tds (pytds).

Run with /usr/bin/python3. Exit code != 0 on failure. Checks: SQL login without TLS, with login-only TLS and
with full TLS (cafile = the generated certificate, hostname validated), typed reads of types_demo against
types_demo.json, parameterized queries, error numbers, catalog views, transactions, packet size
negotiation, cancel (ATTENTION), RESETCONNECTION and a wrong password.
"""
import datetime as dt
import decimal
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytds

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = json.load(open(os.path.join(HERE, "types_demo.json"), encoding="utf-8"))
checks = failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
    print(("ok   " if cond else "FAIL ") + what, flush=True)


def start(args):
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "tds_server.py"), "--port", "0"] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line:
        raise RuntimeError("server did not start")
    return p, json.loads(line)


def expected(v):
    if isinstance(v, dict):
        if "repeat" in v:
            return v["repeat"] * v["count"]
        if "hex" in v:
            return bytes.fromhex(v["hex"])
        if "hex_repeat" in v:
            return bytes.fromhex(v["hex_repeat"]) * v["count"]
        if "int" in v:
            return v["int"]
    return v


def norm(typ, got):
    """pytds value -> canonical text of types_demo.json."""
    base = typ.split("(")[0]
    if got is None:
        return None
    if base == "bigint":
        return str(got)
    if base in ("money", "smallmoney", "decimal", "numeric"):
        return got
    if base == "datetime":
        return got.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % round(got.microsecond / 1000)
    if base == "smalldatetime":
        return got.strftime("%Y-%m-%d %H:%M:%S")
    if base == "date":
        return "%04d-%02d-%02d" % (got.year, got.month, got.day)
    if base == "time":
        return got.strftime("%H:%M:%S.%f") + "x"  # compared with 6 of 7 digits below
    if base in ("datetime2", "datetimeoffset"):
        txt = "%04d-%02d-%02d %s" % (got.year, got.month, got.day, got.strftime("%H:%M:%S.%f"))
        if base == "datetimeoffset":
            off = int(got.utcoffset().total_seconds() // 60)
            txt += " %s%02d:%02d" % ("-" if off < 0 else "+", abs(off) // 60, abs(off) % 60)
        return txt
    if base == "uniqueidentifier":
        return str(got).upper()
    return got


def same(typ, got, exp):
    base = typ.split("(")[0]
    g = norm(typ, got)
    if exp is None or g is None:
        return exp is None and g is None
    if base in ("money", "smallmoney", "decimal", "numeric"):
        return decimal.Decimal(g) == decimal.Decimal(exp)
    if base == "time":  # pytds has microseconds: drop the 7th digit
        return g[:-1] == exp[:15]
    if base in ("datetime2", "datetimeoffset"):
        return g == exp[:26] + exp[27:]  # 7 -> 6 fractional digits
    if base == "real":
        return abs(g - exp) <= abs(exp) * 1e-7
    if base == "datetime":
        return g == exp or (exp.endswith(".997") and g.endswith(".997"))
    return g == exp


def connect(port, **kw):
    args = dict(server="127.0.0.1", port=port, database="demo", user="sa", password="Passw0rd!", autocommit=True,
                login_timeout=15, timeout=30)
    args.update(kw)
    return pytds.connect(**args)


def main():
    certdir = tempfile.mkdtemp(prefix="tds-pytds-")
    procs = []
    try:
        p1, info = start(["--gen-cert", certdir, "--encryption", "off"])
        procs.append(p1)
        p2, info_req = start(["--gen-cert", certdir, "--encryption", "required", "--drop-after-rows", "3000"])
        procs.append(p2)
        port, cert = info["port"], info["cert"]
        print(f"server port {port} (encryption off), {info_req['port']} (required), cert {cert}")

        # 1. plain (client NOT_SUP -> no TLS)
        with connect(port) as con:
            cur = con.cursor()
            cur.execute("SELECT CONNECTIONPROPERTY('tls_mode'), SUSER_SNAME(), DB_NAME()")
            r = cur.fetchone()
            check(r == ("none", "sa", "demo"), f"SQL login without TLS -> {r}")
        # 2. login-only TLS (client OFF, server OFF)
        with connect(port, cafile=cert, enc_login_only=True, server="localhost") as con:
            cur = con.cursor()
            cur.execute("SELECT CONNECTIONPROPERTY('tls_mode')")
            check(cur.fetchone()[0] == "login", "SQL login with login-only TLS (cafile=generated cert)")
        # 3. full TLS (client ON) against the 'required' server, hostname validated by pytds
        con = connect(info_req["port"], cafile=cert, server="localhost", validate_host=True)
        cur = con.cursor()
        cur.execute("SELECT CONNECTIONPROPERTY('tls_mode'), CONNECTIONPROPERTY('encrypt_option')")
        check(cur.fetchone() == ("full", "TRUE"), "SQL login with full TLS (server 'required', cafile, validate_host)")

        # typed reads
        cur.execute("SELECT * FROM types_demo ORDER BY id")
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        check(names == [c["name"] for c in DEMO["columns"]], "types_demo column names")
        check(len(rows) == len(DEMO["rows"]), f"types_demo row count {len(rows)}")
        bad = 0
        for got_row, exp_row in zip(rows, DEMO["rows"]):
            for col, got in zip(DEMO["columns"], got_row):
                exp = expected(exp_row[col["name"]])
                if not same(col["type"], got, exp):
                    bad += 1
                    print(f"  mismatch id={exp_row['id']} {col['name']} ({col['type']}): got {str(got)[:60]!r} expected {str(exp)[:60]!r}")
        check(bad == 0, f"types_demo values ({len(rows)} rows x {len(names)} columns) match types_demo.json over TLS")

        # parameters (pytds sends sp_executesql RPC with typed parameters)
        cur.execute("SELECT Article_Libelle FROM Article WHERE Tarif > %s AND RegionId = %s ORDER BY Article_Id", (decimal.Decimal("500"), 1))
        got = [r[0] for r in cur.fetchall()]
        check(got == ["Ordinateur portable", "Serveur rack"], f"parameterized query (decimal, int) -> {got}")
        params = (123, 2 ** 40, 1.25, decimal.Decimal("-12.3400"), True, "héllo 😀", "x" * 6000, pytds.Binary(b"\x00\x01\xff"),
                  dt.datetime(2024, 5, 6, 7, 8, 9, 123456), dt.date(2024, 2, 29),
                  uuid.UUID("6F9619FF-8B86-D011-B42D-00C04FC964FF"), None)
        cur.execute("SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s" % tuple("%s" for _ in params), params)
        r = cur.fetchone()
        ok = (r[0] == 123 and r[1] == 2 ** 40 and r[2] == 1.25 and decimal.Decimal(str(r[3])) == decimal.Decimal("-12.34")
              and r[4] in (1, True) and r[5] == "héllo 😀" and r[6] == "x" * 6000 and r[7] == b"\x00\x01\xff"
              and str(r[8]).startswith("2024-05-06 07:08:09.123456") and str(r[9]).startswith("2024-02-29")
              and str(r[10]).upper() == "6F9619FF-8B86-D011-B42D-00C04FC964FF" and r[11] is None)
        check(ok, f"typed parameters round-trip: {[str(x)[:24] for x in r]}")

        # errors
        for sql, num in (("SELECT * FROM nope", 208), ("SELECT FROM WHERE", 102),
                         ("INSERT INTO Region (Region_Id, Region_Libelle) VALUES (1, N'x')", 2627),
                         ("DELETE FROM Region WHERE Region_Id = 1", 547)):
            try:
                cur.execute(sql)
                check(False, f"error {num} for {sql}")
            except pytds.Error as e:
                check(getattr(e, "number", None) == num, f"error {getattr(e, 'number', None)} (expected {num}): {e}")

        # catalog views
        cur.execute("SELECT t.name, c.name, TYPE_NAME(c.user_type_id), c.max_length, c.is_nullable, c.is_identity "
                    "FROM sys.tables t JOIN sys.columns c ON c.object_id = t.object_id "
                    "WHERE t.name = 'Article' ORDER BY c.column_id")
        cols = cur.fetchall()
        check(cols[0][1:] == ("Article_Id", "int", 4, False, True) and cols[1][2:4] == ("nvarchar", 400),
              f"sys.tables/sys.columns: {cols[:2]}")
        cur.execute("SELECT fk.name, OBJECT_NAME(fk.referenced_object_id) FROM sys.foreign_keys fk "
                    "WHERE fk.parent_object_id = OBJECT_ID('dbo.Article') ORDER BY fk.name")
        check(cur.fetchall() == [("FK_Article_Categorie", "CategorieArticles"), ("FK_Article_Region", "Region")],
              "sys.foreign_keys + OBJECT_ID/OBJECT_NAME")
        cur.execute("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
        tables = [r[0] for r in cur.fetchall()]
        check(tables == ["Article", "CategorieArticles", "Region", "types_demo"], f"INFORMATION_SCHEMA.TABLES -> {tables}")

        # transactions
        cur.execute("BEGIN TRAN; INSERT INTO Region (Region_Libelle) VALUES (N'Temp'); ROLLBACK")
        cur.execute("SELECT COUNT(*) FROM Region WHERE Region_Libelle = N'Temp'")
        check(cur.fetchone()[0] == 0, "BEGIN TRAN / ROLLBACK")

        # cancel: WAITFOR interrupted by ATTENTION on timeout, connection still usable
        con.sock.settimeout(1) if hasattr(con, "sock") else None
        con.close()
        con = connect(port, timeout=1)
        cur = con.cursor()
        t0 = time.time()
        try:
            cur.execute("WAITFOR DELAY '00:00:10'")
            check(False, "WAITFOR cancelled")
        except Exception as e:  # pytds raises TimeoutError after sending ATTENTION and reading the ack
            check(time.time() - t0 < 5, f"WAITFOR interrupted after {time.time() - t0:.1f}s ({type(e).__name__})")
        cur.execute("SELECT 42")
        check(cur.fetchone()[0] == 42, "connection usable after ATTENTION")
        con.close()

        # big results, packet size negotiation, messages split over packets
        with connect(port, blocksize=512) as con:
            cur = con.cursor()
            cur.execute("SELECT * FROM big_table")
            n = len(cur.fetchall())
            check(n == 100000, f"100k rows streamed with 512-byte packets: {n}")
            cur.execute("SELECT %s", ("é" * 20000,))
            check(cur.fetchone()[0] == "é" * 20000, "40 KB parameter split across 512-byte packets round-trips")

        # connection dropped in the middle of a big result (--drop-after-rows 3000)
        try:
            with connect(info_req["port"], cafile=cert, server="localhost") as con:
                cur = con.cursor()
                cur.execute("SELECT * FROM big_table")
                cur.fetchall()
            check(False, "connection drop detected")
        except Exception as e:
            check(True, f"--drop-after-rows: client sees a broken connection ({type(e).__name__})")

        # wrong password
        try:
            connect(port, password="wrong")
            check(False, "wrong password rejected")
        except pytds.Error as e:
            check(getattr(e, "number", None) == 18456, f"wrong password -> {getattr(e, 'number', None)}: {e}")
    finally:
        for p in procs:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
        shutil.rmtree(certdir, ignore_errors=True)
    print(f"{checks} checks, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        import traceback
        traceback.print_exc()
        sys.exit(1)

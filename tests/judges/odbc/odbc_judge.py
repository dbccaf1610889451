"""Microsoft ODBC Driver 18 for SQL Server (the libmsodbcsql shipped by PyPI's mssql-python-odbc, loaded by
pyodbc through unixODBC) against the TDS test server. Usage: odbc_judge.py CONFIG.json (written by
tests/judges/judge.py); prints one JSON line per scenario. pyodbc is used rather than mssql-python's own API
because it reports the driver's native error number (SQLGetDiagRec), which is what the login errors are
judged by; both load the same driver library.
"""
import datetime as dt
import decimal
import glob
import json
import os
import re
import struct
import sys
import threading
import time
import uuid

CFG = json.load(open(sys.argv[1], encoding="utf-8"))
# The driver uses OpenSSL's default verify paths: the test certificate (a CA) becomes the trust store.
os.environ["SSL_CERT_FILE"] = CFG["cert"]

import mssql_python_odbc  # noqa: E402  (only to find the driver library it ships)
import pyodbc  # noqa: E402

_libs = glob.glob(os.path.join(os.path.dirname(mssql_python_odbc.__file__), "libs", "linux", "debian_ubuntu",
                               "x86_64", "lib", "libmsodbcsql-18*.so*"))
DRIVER = _libs[0] if _libs else "missing libmsodbcsql-18"
SQL_COPT_SS_ACCESS_TOKEN = 1256


def emit(scenario, data=None, error=None):
    out = {"scenario": scenario, "ok": error is None}
    if error is not None:
        out["error"] = str(error)
    else:
        out["data"] = data
    print(json.dumps(out, default=str), flush=True)


def conn_str(port, encrypt="yes", login=True, database=None, extra=""):
    s = (f"Driver={{{DRIVER}}};Server=tcp:{CFG['host']},{port};Database={database or CFG['database']};"
         f"Encrypt={encrypt};TrustServerCertificate=no;HostNameInCertificate=localhost;APP=odbcjudge;"
         f"LoginTimeout=20;ConnectRetryCount=0;")
    if login:
        s += f"UID={CFG['user']};PWD={{{CFG['password']}}};"
    return s + extra


def connect(port=None, encrypt="yes", **kw):
    return pyodbc.connect(conn_str(port or CFG["ports"]["main"], encrypt), autocommit=True, **kw)


def session_info(cn):
    cur = cn.cursor()
    cur.execute("SELECT CONNECTIONPROPERTY('tls_mode') AS m, SUSER_SNAME() AS u, CONNECTIONPROPERTY('auth_scheme') AS a, "
                "CONNECTIONPROPERTY('local_tcp_port') AS p")
    m, u, a, p = cur.fetchone()
    return {"tls_mode": m, "user": u, "auth_scheme": a, "port": int(p)}


def scenario(name):
    def wrap(fn):
        def run():
            try:
                emit(name, fn())
            except Exception as e:  # an unexpected driver error fails the scenario (judged by the harness)
                emit(name, error=f"{type(e).__name__}: {e}")
        run.__name__ = name
        return run
    return wrap


@scenario("login_tls")
def login_tls():
    with connect() as cn:
        return session_info(cn)


@scenario("strict")
def strict():
    with connect(CFG["ports"]["strict"], "strict") as cn:
        return session_info(cn)


@scenario("token")
def token():
    raw = CFG["token"].encode("utf-16-le")
    blob = struct.pack("<I", len(raw)) + raw
    cn = pyodbc.connect(conn_str(CFG["ports"]["main"], login=False), autocommit=True,
                        attrs_before={SQL_COPT_SS_ACCESS_TOKEN: blob})
    with cn:
        return session_info(cn)


@scenario("routing")
def routing():
    with connect(CFG["ports"]["routing"]) as cn:
        return session_info(cn)


def _timestamp(raw):
    """SQL_TYPE_TIMESTAMP read as binary: datetime2 arrives as SQL_TIMESTAMP_STRUCT (16 bytes), while datetime
    (8) and smalldatetime (4) arrive in their TDS form (days since 1900 + 1/300 s ticks or minutes)."""
    if len(raw) == 8:
        days, ticks = struct.unpack("<iI", raw)
        ms = (ticks * 10 + 1) // 3
        t = dt.datetime(1900, 1, 1) + dt.timedelta(days=days, milliseconds=ms)
        return t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (t.microsecond // 1000)
    if len(raw) == 4:
        days, minutes = struct.unpack("<HH", raw)
        return (dt.datetime(1900, 1, 1) + dt.timedelta(days=days, minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
    y, mo, d, h, mi, s, ns = struct.unpack("<6hI", raw)
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{ns // 100:07d}"


def _time2(raw):  # SQL_SS_TIME2_STRUCT: hour, minute, second (uint16), pad, fraction (ns, uint32)
    h, mi, s, _pad, ns = struct.unpack("<4HI", raw)
    return f"{h:02d}:{mi:02d}:{s:02d}.{ns // 100:07d}"


def _dto(raw):  # SQL_SS_TIMESTAMPOFFSET_STRUCT
    y, mo, d, h, mi, s, ns, oh, om = struct.unpack("<6hI2h", raw)
    sign = "-" if oh < 0 or om < 0 else "+"
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{ns // 100:07d} {sign}{abs(oh):02d}:{abs(om):02d}"


def canonical(typ, v):
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray)):
        return {"hex": bytes(v).hex()}
    if typ == "bigint":
        return str(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, uuid.UUID):
        return str(v).upper()
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v.isoformat()
    if typ == "smalldatetime" and isinstance(v, str):
        return v[:19]
    if typ == "datetime" and isinstance(v, str):
        return v[:23]
    return v


@scenario("types_demo")
def types_demo():
    with connect() as cn:
        # Full-precision date/time: read the driver's C structs instead of pyodbc's microsecond objects.
        cn.add_output_converter(pyodbc.SQL_TYPE_TIMESTAMP, _timestamp)
        cn.add_output_converter(-154, _time2)   # SQL_SS_TIME2
        cn.add_output_converter(-155, _dto)     # SQL_SS_TIMESTAMPOFFSET
        cn.add_output_converter(-150, lambda raw: raw)  # SQL_SS_VARIANT: raw bytes, decoded below
        cur = cn.cursor()
        cur.execute("SELECT * FROM types_demo ORDER BY id")
        names = [d[0] for d in cur.description]
        types = {c["name"]: c["type"].split("(")[0] for c in json.load(open(os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..", "tds_server", "types_demo.json"), encoding="utf-8"))["columns"]}
        rows = []
        for r in cur.fetchall():
            row = {}
            for n, v in zip(names, r):
                if types.get(n) == "sql_variant" and isinstance(v, (bytes, bytearray)):
                    v = _variant(bytes(v))
                row[n] = canonical(types.get(n, ""), v)
            rows.append(row)
        return {"rows": rows}


def _variant(raw):
    """What the driver hands back for sql_variant as SQL_C_BINARY: the base value's bytes."""
    if len(raw) == 4:
        return struct.unpack("<i", raw)[0]
    try:
        return raw.decode("utf-16-le")
    except UnicodeDecodeError:
        return {"hex": raw.hex()}


@scenario("params")
def params():
    P = CFG["params"]
    vals = [
        ("int", 123456789, None), ("bigint", 9007199254740993, None), ("float", 3.141592653589793, None),
        ("bit", True, None), ("decimal", decimal.Decimal("12345.6789"), None), ("nvarchar", P["nvarchar"], None),
        ("varchar", "cafe", (pyodbc.SQL_VARCHAR, 50, 0)), ("nvarchar_max", P["nvarchar_max"], (pyodbc.SQL_WVARCHAR, 0, 0)),
        ("varbinary", bytes.fromhex("0001ff"), None), ("date", dt.date(2024, 1, 15), None),
        ("time", "13:45:30.1234567", (-154, 16, 7)),
        ("datetime2", "2024-01-15 13:45:30.1234567", (pyodbc.SQL_TYPE_TIMESTAMP, 27, 7)),
        ("datetimeoffset", "2024-01-15 13:45:30.1234567 -03:30", (-155, 34, 7)),
        # ODBC has no datetime of its own: SQL_TYPE_TIMESTAMP is sent as datetime2 (text keeps the fraction;
        # pyodbc's datetime objects are bound with the digits it chooses)
        ("datetime", "2024-01-15 13:45:30.500", (pyodbc.SQL_TYPE_TIMESTAMP, 23, 3)),
        ("uniqueidentifier", uuid.UUID("6F9619FF-8B86-D011-B42D-00C04FC964FF"), None), ("null", None, None),
    ]
    with connect() as cn:
        cur = cn.cursor()
        cur.setinputsizes([v[2] for v in vals])
        sql = "SELECT " + ", ".join(f"? AS v_{k}" for k, _, _ in vals)
        cur.execute(sql, [v[1] for v in vals])
        got = cur.fetchone()
        echo = {}
        for (k, v, _), g in zip(vals, got):
            if k in ("int", "bigint", "float", "nvarchar", "varchar", "nvarchar_max", "null"):
                echo[k] = g == v
        return {"order": [k for k, _, _ in vals], "echo": echo}


@scenario("large")
def large():
    with connect() as cn:
        cur = cn.cursor()
        cur.execute("SELECT id, label, amount FROM big_table")
        n = s = 0
        for _ in range(1000):
            batch = cur.fetchmany(1000)
            if not batch:
                break
            n += len(batch)
            s += sum(r[0] for r in batch)
        return {"rows": n, "sum_id": s}


@scenario("cancel")
def cancel():
    with connect() as cn:
        cur = cn.cursor()
        threading.Timer(1.0, cur.cancel).start()  # SQLCancel from another thread: the driver sends ATTENTION
        t0 = time.monotonic()
        err = None
        try:
            cur.execute("WAITFOR DELAY '00:00:10'")
            cur.fetchall()
        except pyodbc.Error as e:
            err = e
        elapsed = int((time.monotonic() - t0) * 1000)
        state = err.args[0] if err else None
        cur2 = cn.cursor()
        cur2.execute("SELECT 1")
        return {"cancelled": state == "HY008", "sqlstate": state, "elapsed_ms": elapsed,
                "reusable": cur2.fetchone()[0] == 1}


@scenario("rollback")
def rollback():
    with connect() as cn:
        cur = cn.cursor()
        count = lambda: cur.execute("SELECT COUNT(*) FROM Region").fetchone()[0]  # noqa: E731
        before = count()
        cn.autocommit = False
        cur.execute("INSERT INTO Region (Region_Libelle) VALUES (?)", "odbcjudge-rollback")
        inside = count()
        cn.rollback()
        cn.autocommit = True
        return {"before": before, "inside": inside, "after": count()}


def login_error(name, port, password=None, database=None):
    def run():
        cs = conn_str(port, login=False, database=database) + f"UID={CFG['user']};PWD={{{password or CFG['password']}}};"
        try:
            pyodbc.connect(cs, autocommit=True).close()
            emit(name, {"number": None, "message": "connected"})
        except pyodbc.Error as e:
            msg = e.args[1] if len(e.args) > 1 else str(e)
            m = re.search(r"\((\d+)\) \(SQLDriverConnect", msg)
            emit(name, {"number": int(m.group(1)) if m else None, "message": msg, "sqlstate": e.args[0]})
    return run


def main():
    if not _libs:
        for s in ("login_tls", "strict", "token", "routing", "types_demo", "params", "large", "cancel", "rollback",
                  "err_18456", "err_4060", "err_40613"):
            emit(s, error="libmsodbcsql-18 not found in mssql_python_odbc")
        return
    for fn in (login_tls, strict, token, routing, types_demo, params, large, cancel, rollback,
               login_error("err_18456", CFG["ports"]["main"], password="wrong-password"),
               login_error("err_4060", CFG["ports"]["main"], database="nosuchdb"),
               login_error("err_40613", CFG["ports"]["transient"])):
        fn()


if __name__ == "__main__":
    main()

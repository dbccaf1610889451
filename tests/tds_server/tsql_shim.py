"""A thin T-SQL shim over SQLite for the TDS test server (standard library only).

It is not a T-SQL implementation: it rewrites the handful of T-SQL constructs our tools
and the validating clients use (TOP, [ident], N'...', OFFSET/FETCH, CONVERT, ISNULL, dbo.,
@@VERSION, SERVERPROPERTY, ...) into SQLite, executes them, and exposes the usual
catalog views (sys.*, INFORMATION_SCHEMA.*) as tables of attached in-memory databases that
are rebuilt from the SQLite schema when a statement references them.

`Session.execute` yields protocol-neutral events consumed by tds_server.py:
    ("result", [ColumnCodec], row_iterator)
    ("done", cmd, rowcount_or_None)
    ("error", number, state, class, message)
    ("info", number, state, class, message)
    ("envchange", bytes)
    ("waitfor", seconds)
"""
from __future__ import annotations

import datetime as _dt
import decimal
import json
import os
import re
import sqlite3
import struct
import threading
import uuid
import zlib

import tds_types as T

PRODUCT_VERSION = "16.0.1000.6"
SERVER_NAME = "azsqlmcp-tds-test"
VERSION_STRING = ("Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64) \n\tOct  8 2022 05:58:25 \n\t"
                  "Copyright (C) 2022 Microsoft Corporation\n\tazsql-mcp TDS test server (SQLite "
                  + sqlite3.sqlite_version + ") on Linux\n")

HERE = os.path.dirname(os.path.abspath(__file__))


class SqlError(Exception):
    def __init__(self, number, message, cls=16, state=1):
        super().__init__(message)
        self.number, self.message, self.cls, self.state = number, message, cls, state


# ----------------------------------------------------------------------------------------------
# Seed data
# ----------------------------------------------------------------------------------------------
DEMO_DDL = """
CREATE TABLE Region (
    Region_Id INTEGER PRIMARY KEY AUTOINCREMENT,
    Region_Libelle nvarchar(100) NOT NULL,
    CONSTRAINT UQ_Region_Libelle UNIQUE (Region_Libelle)
);
CREATE TABLE CategorieArticles (
    Categorie_Id INTEGER PRIMARY KEY AUTOINCREMENT,
    Categorie_Libelle nvarchar(100) NOT NULL,
    Description nvarchar(-1) NULL
);
CREATE TABLE Article (
    Article_Id INTEGER PRIMARY KEY AUTOINCREMENT,
    Article_Libelle nvarchar(200) NOT NULL,
    Tarif decimal(10,2) NOT NULL DEFAULT 0,
    Stock int NOT NULL DEFAULT 0,
    RegionId int NULL,
    CategorieId int NULL,
    DateCreation datetime2(7) NOT NULL DEFAULT '2024-01-01 00:00:00.0000000',
    CONSTRAINT FK_Article_Region FOREIGN KEY (RegionId) REFERENCES Region (Region_Id),
    CONSTRAINT FK_Article_Categorie FOREIGN KEY (CategorieId) REFERENCES CategorieArticles (Categorie_Id),
    CONSTRAINT CK_Article_Tarif CHECK (Tarif >= 0)
);
CREATE INDEX IX_Article_RegionId ON Article (RegionId);
CREATE VIEW v_ArticleDetails AS
    SELECT a.Article_Id, a.Article_Libelle, a.Tarif, r.Region_Libelle, c.Categorie_Libelle
    FROM Article a LEFT JOIN Region r ON r.Region_Id = a.RegionId
    LEFT JOIN CategorieArticles c ON c.Categorie_Id = a.CategorieId;
"""

DEMO_ROWS = {
    "Region": ["Region_Libelle"], "CategorieArticles": ["Categorie_Libelle", "Description"],
    "Article": ["Article_Libelle", "Tarif", "Stock", "RegionId", "CategorieId", "DateCreation"],
}
DEMO_DATA = {
    "Region": [("Île-de-France",), ("Bretagne",), ("Provence-Alpes-Côte d'Azur",), ("Normandie",), ("Occitanie",)],
    "CategorieArticles": [("Informatique", "Ordinateurs, écrans et accessoires"), ("Mobilier", "Bureaux et chaises"),
                          ("Papeterie", None)],
    "Article": [
        ("Ordinateur portable", 1299.99, 15, 1, 1, "2024-01-10 09:30:00.0000000"),
        ("Écran 27 pouces", 349.5, 40, 1, 1, "2024-01-11 10:00:00.0000000"),
        ("Clavier mécanique", 89.9, 120, 2, 1, "2024-02-01 08:15:00.0000000"),
        ("Bureau assis-debout", 649.0, 8, 3, 2, "2024-02-15 14:00:00.0000000"),
        ("Chaise ergonomique", 529.0, 12, 4, 2, "2024-03-01 11:45:00.0000000"),
        ("Ramette papier A4", 5.49, 500, 5, 3, "2024-03-05 16:20:00.0000000"),
        ("Stylos (x10)", 7.25, 300, 2, 3, "2024-03-06 09:00:00.0000000"),
        ("Serveur rack", 4999.0, 2, 1, 1, "2024-04-01 12:00:00.0000000"),
        ("Lampe de bureau", 39.99, 60, None, 2, "2024-04-02 17:30:00.0000000"),
        ("Carnet de notes", 3.2, 1000, 3, None, "2024-04-03 08:00:00.0000000"),
    ],
}


def load_types_demo():
    with open(os.path.join(HERE, "types_demo.json"), encoding="utf-8") as f:
        return json.load(f)


def expand_expected(v):
    """JSON expected value -> python storage value."""
    if isinstance(v, dict):
        if "repeat" in v:
            return v["repeat"] * v["count"]
        if "hex" in v:
            return bytes.fromhex(v["hex"])
        if "hex_repeat" in v:
            return bytes.fromhex(v["hex_repeat"]) * v["count"]
        if "int" in v:
            return int(v["int"])
        if "stored" in v:
            return expand_expected(v["stored"])
    return v


def seed_database(path):
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        existing = con.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'").fetchone()[0]
        if existing:
            return
        con.execute("BEGIN")
        for stmt in DEMO_DDL.split(";"):
            if stmt.strip():
                con.execute(stmt)
        for table, rows in DEMO_DATA.items():
            cols = DEMO_ROWS[table]
            for row in rows:
                con.execute(f'INSERT INTO "{table}" ({",".join(cols)}) VALUES ({",".join("?" * len(cols))})', row)
        td = load_types_demo()
        coldefs = []
        for c in td["columns"]:
            coldefs.append(f'"{c["name"]}" {c["storage_type"]}' + (" NOT NULL" if not c["nullable"] else "")
                           + (" PRIMARY KEY" if c["name"] == "id" else ""))
        con.execute(f"CREATE TABLE types_demo ({', '.join(coldefs)})")
        names = [c["name"] for c in td["columns"]]
        for row in td["rows"]:
            vals = [expand_expected(row.get(n)) for n in names]
            con.execute(f"INSERT INTO types_demo VALUES ({','.join('?' * len(names))})", vals)
        con.execute("COMMIT")
    finally:
        con.close()


# ----------------------------------------------------------------------------------------------
# Tokenizer and translation
# ----------------------------------------------------------------------------------------------
TOKEN_RE = re.compile(r"""
 (?P<ws>\s+)
|(?P<comment>--[^\n]*|/\*.*?\*/)
|(?P<nstr>[Nn]'(?:[^']|'')*')
|(?P<str>'(?:[^']|'')*')
|(?P<bracket>\[(?:[^\]]|\]\])*\])
|(?P<dq>"(?:[^"]|"")*")
|(?P<var>@@?[A-Za-z_\#][\w@$\#]*)
|(?P<num>0[xX][0-9A-Fa-f]*|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)
|(?P<word>[A-Za-z_\#][\w$\#]*)
|(?P<op><>|!=|>=|<=|!<|!>|\|\||.)
""", re.S | re.X)


class Tok:
    __slots__ = ("kind", "text")

    def __init__(self, kind, text):
        self.kind, self.text = kind, text

    @property
    def up(self):
        return self.text.upper() if self.kind == "word" else self.text

    def __repr__(self):
        return f"{self.kind}:{self.text}"


def tokenize(sql: str):
    out = []
    for m in TOKEN_RE.finditer(sql):
        k = m.lastgroup
        if k in ("ws", "comment"):
            continue
        t = m.group(k)
        if k == "op" and t == "'":
            raise SqlError(105, f"Unclosed quotation mark after the character string '{sql[m.start() + 1:][:40]}'.", 15)
        out.append(Tok(k, t))
    return out


def split_statements(toks):
    stmts, cur, depth = [], [], 0
    for t in toks:
        if t.kind == "op" and t.text == "(":
            depth += 1
        elif t.kind == "op" and t.text == ")":
            depth -= 1
        if t.kind == "op" and t.text == ";" and depth <= 0:
            if cur:
                stmts.append(cur)
            cur = []
            continue
        cur.append(t)
    if cur:
        stmts.append(cur)
    # peel simple leading statements that T-SQL allows without ';'
    out = []
    for s in stmts:
        for _ in range(1000):
            n = _leading_simple_len(s)
            if n == 0 or n >= len(s):
                break
            out.append(s[:n])
            s = s[n:]
        out.append(s)
    return out


_STMT_START = {"SELECT", "INSERT", "UPDATE", "DELETE", "SET", "BEGIN", "COMMIT", "ROLLBACK", "WAITFOR",
               "USE", "PRINT", "THROW", "RAISERROR", "CREATE", "DROP", "ALTER", "WITH", "EXEC", "EXECUTE",
               "DECLARE", "IF", "SAVE", "TRUNCATE", "MERGE"}


def _leading_simple_len(s):
    """Length of a leading SET/BEGIN TRAN/COMMIT/ROLLBACK/USE/WAITFOR statement, else 0."""
    if not s or s[0].kind != "word":
        return 0
    u = s[0].up
    if u == "SET" and len(s) >= 3:
        i = 2
        # SET X ON | SET X OFF | SET X value | SET TRANSACTION ISOLATION LEVEL READ COMMITTED
        if s[1].up == "TRANSACTION":
            i = 3
            while i < len(s) and s[i].kind == "word" and s[i].up not in _STMT_START:
                i += 1
            return i
        while i < len(s) and s[i].kind == "op" and s[i].text == ",":
            i += 2
        return i + 1 if i < len(s) else 0
    if u in ("BEGIN", "COMMIT", "ROLLBACK") and len(s) >= 2 and s[1].up in ("TRAN", "TRANSACTION", "WORK"):
        i = 2
        if i < len(s) and s[i].kind in ("word", "var") and s[i].up not in _STMT_START:
            i += 1
        return i
    if u in ("COMMIT", "ROLLBACK") and len(s) >= 2 and s[1].up in _STMT_START:
        return 1
    if u == "USE" and len(s) >= 2:
        return 2
    if u == "WAITFOR" and len(s) >= 3:
        return 3
    return 0


_TYPE_WORDS = {"NVARCHAR", "VARCHAR", "VARBINARY", "NCHAR", "CHAR", "BINARY"}
_HINTS = {"NOLOCK", "READUNCOMMITTED", "READCOMMITTED", "ROWLOCK", "UPDLOCK", "HOLDLOCK", "TABLOCK", "NOWAIT", "READPAST", "XLOCK", "PAGLOCK", "SERIALIZABLE", "REPEATABLEREAD", "INDEX"}


def _match_paren(toks, i):
    """Index of the ')' matching the '(' at toks[i]."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].kind == "op":
            if toks[j].text == "(":
                depth += 1
            elif toks[j].text == ")":
                depth -= 1
                if depth == 0:
                    return j
    raise SqlError(102, "Incorrect syntax near '('.", 15)


def _split_args(toks):
    args, cur, depth = [], [], 0
    for t in toks:
        if t.kind == "op" and t.text == "(":
            depth += 1
        elif t.kind == "op" and t.text == ")":
            depth -= 1
        if t.kind == "op" and t.text == "," and depth == 0:
            args.append(cur)
            cur = []
        else:
            cur.append(t)
    args.append(cur)
    return args


def _rewrite_calls(toks):
    """CONVERT(type, expr[, style]) -> CAST(expr AS type); DATEADD(part, ...) -> DATEADD('part', ...)."""
    for _ in range(10000):
        changed = False
        for i, t in enumerate(toks):
            if t.kind != "word" or i + 1 >= len(toks) or toks[i + 1].text != "(":
                continue
            u = t.up
            if u in ("CONVERT", "TRY_CONVERT"):
                j = _match_paren(toks, i + 1)
                args = _split_args(toks[i + 2:j])
                if len(args) < 2:
                    raise SqlError(102, "Incorrect syntax near 'CONVERT'.", 15)
                new = [Tok("word", "CAST"), Tok("op", "(")] + args[1] + [Tok("word", "AS")] + args[0] + [Tok("op", ")")]
                toks[i:j + 1] = new
                changed = True
                break
            if u in ("DATEADD", "DATEDIFF", "DATEPART", "DATENAME", "DATEDIFF_BIG") and i + 2 < len(toks) and toks[i + 2].kind == "word":
                toks[i + 2] = Tok("str", "'" + toks[i + 2].text.lower() + "'")
                changed = True
                break
            if u in ("TRY_CAST",):
                toks[i] = Tok("word", "CAST")
                changed = True
                break
        if not changed:
            return toks
    return toks


def _rewrite_create_table(toks):
    """IDENTITY(1,1) PRIMARY KEY -> INTEGER PRIMARY KEY AUTOINCREMENT; drop CLUSTERED etc."""
    if len(toks) < 3 or toks[0].up != "CREATE" or toks[1].up != "TABLE":
        return toks
    try:
        start = next(i for i, t in enumerate(toks) if t.text == "(")
    except StopIteration:
        return toks
    end = _match_paren(toks, start)
    defs = _split_args(toks[start + 1:end])
    new_defs = []
    for d in defs:
        d = [t for t in d if t.up not in ("CLUSTERED", "NONCLUSTERED")]
        ids = [k for k, t in enumerate(d) if t.up == "IDENTITY"]
        if ids:
            k = ids[0]
            if k + 1 < len(d) and d[k + 1].text == "(":
                e = _match_paren(d, k + 1)
                del d[k:e + 1]
            else:
                del d[k]
            ups = [t.up for t in d]
            if "PRIMARY" in ups and len(d) >= 2:
                # replace type tokens (index 1 .. before first constraint word) by INTEGER
                p = ups.index("PRIMARY")
                stop = 2
                if len(d) > 2 and d[2].text == "(":
                    stop = _match_paren(d, 2) + 1
                d = d[:1] + [Tok("word", "INTEGER")] + d[stop:]
                p = [t.up for t in d].index("PRIMARY")
                d = d[:p + 2] + [Tok("word", "AUTOINCREMENT")] + d[p + 2:]
        new_defs.append(d)
    body = []
    for n, d in enumerate(new_defs):
        if n:
            body.append(Tok("op", ","))
        body.extend(d)
    return toks[:start + 1] + body + toks[end:]


class Translator:
    def __init__(self, session):
        self.session = session

    def translate(self, toks) -> str:
        toks = _rewrite_calls(list(toks))
        toks = _rewrite_create_table(toks)
        out = []          # list of strings
        depth = 0
        limits = []       # stack of (depth, expr)
        i = 0
        n = len(toks)

        def flush_limits(at_depth):
            while limits and limits[-1][0] >= at_depth:
                out.append("LIMIT " + limits.pop()[1])

        while i < n:
            t = toks[i]
            k, u = t.kind, t.up
            nxt = toks[i + 1] if i + 1 < n else None
            if ((k == "word" and u == "DBO") or (k in ("bracket", "dq") and t.text[1:-1].lower() == "dbo")) and nxt is not None and nxt.text == ".":
                i += 2
                continue
            if k == "op" and t.text == "(":
                depth += 1
                out.append("(")
            elif k == "op" and t.text == ")":
                flush_limits(depth)
                depth -= 1
                out.append(")")
            elif k == "nstr":
                out.append(t.text[1:])
            elif k == "bracket":
                inner = t.text[1:-1].replace("]]", "]")
                out.append('"' + inner.replace('"', '""') + '"')
            elif k == "num" and t.text[:2].lower() == "0x":
                out.append("X'" + t.text[2:] + ("0" if len(t.text) % 2 else "") + "'")
            elif k == "var" and t.text.startswith("@@"):
                out.append(self.session.global_var(t.text[2:].upper()))
            elif k == "word" and u in ("UNION", "EXCEPT", "INTERSECT"):
                flush_limits(depth)
                out.append(t.text)
            elif k == "word" and u == "TOP" and out and out[-1].upper() in ("SELECT", "DISTINCT", "ALL"):
                if nxt is None:
                    raise SqlError(102, "Incorrect syntax near 'TOP'.", 15)
                if nxt.text == "(":
                    j = _match_paren(toks, i + 1)
                    expr = Translator(self.session).translate(toks[i + 2:j])
                    i = j + 1
                else:
                    expr = nxt.text if nxt.kind != "var" else nxt.text
                    i += 2
                for _ in range(3):
                    if i < n and toks[i].up in ("PERCENT",):
                        i += 1
                    if i + 1 < n and toks[i].up == "WITH" and toks[i + 1].up == "TIES":
                        i += 2
                limits.append((depth, expr))
                continue
            elif k == "word" and u == "WITH" and nxt is not None and nxt.text == "(" and i + 2 < n and toks[i + 2].up in _HINTS:
                i = _match_paren(toks, i + 1) + 1
                continue
            elif k == "word" and u == "OFFSET" and i + 2 < n and toks[i + 2].up in ("ROWS", "ROW"):
                off = toks[i + 1].text
                j = i + 3
                if j + 4 < n + 1 and j < n and toks[j].up == "FETCH":
                    cnt_toks = []
                    j += 2  # FETCH NEXT|FIRST
                    while j < n and toks[j].up not in ("ROWS", "ROW"):
                        cnt_toks.append(toks[j])
                        j += 1
                    j += 2  # ROWS ONLY
                    out.append("LIMIT " + Translator(self.session).translate(cnt_toks) + " OFFSET " + off)
                else:
                    out.append("LIMIT -1 OFFSET " + off)
                i = j
                continue
            elif k == "word" and u in _TYPE_WORDS and nxt is not None and nxt.text == "(" and i + 3 < n and toks[i + 2].up == "MAX" and toks[i + 3].text == ")":
                out.append(t.text + "(-1)")
                i += 4
                continue
            elif k == "word" and u in ("OUTER", "CROSS") and nxt is not None and nxt.up == "APPLY" and i + 6 < n \
                    and toks[i + 4].up == "DM_EXEC_SQL_TEXT" and toks[i + 5].text == "(":
                # OUTER APPLY sys.dm_exec_sql_text(expr) [AS] alias → LEFT JOIN … ON alias.sql_handle = expr
                j = _match_paren(toks, i + 5)
                arg = Translator(self.session).translate(toks[i + 6:j])
                j += 1
                if j < n and toks[j].up == "AS":
                    j += 1
                alias = toks[j].text if j < n and toks[j].kind in ("word", "bracket", "dq") else "dm_exec_sql_text"
                if alias != "dm_exec_sql_text":
                    j += 1
                out.append(("LEFT JOIN" if u == "OUTER" else "JOIN") + f" sys.dm_exec_sql_text {alias} ON {alias}.sql_handle = {arg}")
                i = j
                continue
            elif k == "word" and u == "ISNULL" and nxt is not None and nxt.text == "(":
                out.append("IFNULL")
            elif k == "word" and u == "DEFAULT" and nxt is not None and nxt.kind == "word" and i + 2 < n and toks[i + 2].text == "(":
                j = _match_paren(toks, i + 2)
                out.append("DEFAULT (" + Translator(self.session).translate(toks[i + 1:j + 1]) + ")")
                i = j + 1
                continue
            elif k == "word" and u == "DEFAULT" and nxt is not None and nxt.text == "(":
                j = _match_paren(toks, i + 1)
                out.append("DEFAULT (" + Translator(self.session).translate(toks[i + 1:j + 1]) + ")")
                i = j + 1
                continue
            elif k == "word" and u in ("SCOPE_IDENTITY", "IDENT_CURRENT") and nxt is not None and nxt.text == "(" and u == "SCOPE_IDENTITY":
                out.append("last_insert_rowid")
            else:
                out.append(t.text)
            i += 1
        flush_limits(0)
        return " ".join(out)


# ----------------------------------------------------------------------------------------------
# Catalog (sys.*, INFORMATION_SCHEMA.*)
# ----------------------------------------------------------------------------------------------
def object_id_for(kind, name):
    return 0x100000 + (zlib.crc32(f"{kind}:{name.lower()}".encode()) & 0x3FFFFFFF) % 0x7FE00000


SYS_TYPES = [
    # name, system_type_id, max_length, precision, scale, collation
    ("image", 34, 16, 0, 0, None), ("text", 35, 16, 0, 0, T.COLLATION_NAME), ("uniqueidentifier", 36, 16, 0, 0, None),
    ("date", 40, 3, 10, 0, None), ("time", 41, 5, 16, 7, None), ("datetime2", 42, 8, 27, 7, None),
    ("datetimeoffset", 43, 10, 34, 7, None), ("tinyint", 48, 1, 3, 0, None), ("smallint", 52, 2, 5, 0, None),
    ("int", 56, 4, 10, 0, None), ("smalldatetime", 58, 4, 16, 0, None), ("real", 59, 4, 24, 0, None),
    ("money", 60, 8, 19, 4, None), ("datetime", 61, 8, 23, 3, None), ("float", 62, 8, 53, 0, None),
    ("sql_variant", 98, 8016, 0, 0, None), ("ntext", 99, 16, 0, 0, T.COLLATION_NAME), ("bit", 104, 1, 1, 0, None),
    ("decimal", 106, 17, 38, 38, None), ("numeric", 108, 17, 38, 38, None), ("smallmoney", 122, 4, 10, 4, None),
    ("bigint", 127, 8, 19, 0, None), ("varbinary", 165, 8000, 0, 0, None), ("varchar", 167, 8000, 0, 0, T.COLLATION_NAME),
    ("binary", 173, 8000, 0, 0, None), ("char", 175, 8000, 0, 0, T.COLLATION_NAME), ("timestamp", 189, 8, 0, 0, None),
    ("nvarchar", 231, 8000, 0, 0, T.COLLATION_NAME), ("nchar", 239, 8000, 0, 0, T.COLLATION_NAME),
    ("xml", 241, -1, 0, 0, None), ("sysname", 231, 256, 0, 0, T.COLLATION_NAME),
]

CATALOG = {
    # schema -> table -> column definitions
    "sys": {
        "schemas": "name nvarchar(128) NOT NULL, schema_id int NOT NULL, principal_id int",
        "objects": "name nvarchar(128) NOT NULL, object_id int NOT NULL, principal_id int, schema_id int NOT NULL, parent_object_id int NOT NULL, type char(2), type_desc nvarchar(60), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_ms_shipped bit NOT NULL, is_published bit NOT NULL, is_schema_published bit NOT NULL",
        "tables": "name nvarchar(128) NOT NULL, object_id int NOT NULL, principal_id int, schema_id int NOT NULL, parent_object_id int NOT NULL, type char(2), type_desc nvarchar(60), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_ms_shipped bit NOT NULL, is_published bit NOT NULL, is_schema_published bit NOT NULL, max_column_id_used int NOT NULL, uses_ansi_nulls bit, is_replicated bit, is_memory_optimized bit, temporal_type tinyint, temporal_type_desc nvarchar(60), is_external bit NOT NULL, lock_escalation_desc nvarchar(60), durability_desc nvarchar(60)",
        "views": "name nvarchar(128) NOT NULL, object_id int NOT NULL, principal_id int, schema_id int NOT NULL, parent_object_id int NOT NULL, type char(2), type_desc nvarchar(60), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_ms_shipped bit NOT NULL, is_published bit NOT NULL, is_schema_published bit NOT NULL, is_replicated bit, has_opaque_metadata bit NOT NULL, with_check_option bit NOT NULL",
        "procedures": "name nvarchar(128) NOT NULL, object_id int NOT NULL, principal_id int, schema_id int NOT NULL, parent_object_id int NOT NULL, type char(2), type_desc nvarchar(60), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_ms_shipped bit NOT NULL",
        "columns": "object_id int NOT NULL, name nvarchar(128), column_id int NOT NULL, system_type_id tinyint NOT NULL, user_type_id int NOT NULL, max_length smallint NOT NULL, precision tinyint NOT NULL, scale tinyint NOT NULL, collation_name nvarchar(128), is_nullable bit, is_ansi_padded bit NOT NULL, is_rowguidcol bit NOT NULL, is_identity bit NOT NULL, is_computed bit NOT NULL, is_filestream bit NOT NULL, is_replicated bit, is_xml_document bit NOT NULL, xml_collection_id int NOT NULL, default_object_id int NOT NULL, rule_object_id int NOT NULL, is_sparse bit, is_column_set bit, is_hidden bit",
        "types": "name nvarchar(128) NOT NULL, system_type_id tinyint NOT NULL, user_type_id int NOT NULL, schema_id int NOT NULL, principal_id int, max_length smallint NOT NULL, precision tinyint NOT NULL, scale tinyint NOT NULL, collation_name nvarchar(128), is_nullable bit, is_user_defined bit NOT NULL, is_assembly_type bit NOT NULL, default_object_id int NOT NULL, rule_object_id int NOT NULL, is_table_type bit NOT NULL",
        "indexes": "object_id int NOT NULL, name nvarchar(128), index_id int NOT NULL, type tinyint NOT NULL, type_desc nvarchar(60), is_unique bit, data_space_id int, ignore_dup_key bit, is_primary_key bit, is_unique_constraint bit, fill_factor tinyint NOT NULL, is_padded bit, is_disabled bit, is_hypothetical bit, allow_row_locks bit, allow_page_locks bit, has_filter bit, filter_definition nvarchar(-1)",
        "index_columns": "object_id int NOT NULL, index_id int NOT NULL, index_column_id int NOT NULL, column_id int NOT NULL, key_ordinal tinyint NOT NULL, partition_ordinal tinyint NOT NULL, is_descending_key bit, is_included_column bit",
        "key_constraints": "name nvarchar(128) NOT NULL, object_id int NOT NULL, principal_id int, schema_id int NOT NULL, parent_object_id int NOT NULL, type char(2), type_desc nvarchar(60), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_ms_shipped bit NOT NULL, unique_index_id int, is_system_named bit NOT NULL",
        "foreign_keys": "name nvarchar(128) NOT NULL, object_id int NOT NULL, principal_id int, schema_id int NOT NULL, parent_object_id int NOT NULL, type char(2), type_desc nvarchar(60), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_ms_shipped bit NOT NULL, referenced_object_id int, key_index_id int, is_disabled bit NOT NULL, is_not_trusted bit NOT NULL, delete_referential_action tinyint, delete_referential_action_desc nvarchar(60), update_referential_action tinyint, update_referential_action_desc nvarchar(60), is_system_named bit NOT NULL",
        "foreign_key_columns": "constraint_object_id int NOT NULL, constraint_column_id int NOT NULL, parent_object_id int NOT NULL, parent_column_id int NOT NULL, referenced_object_id int NOT NULL, referenced_column_id int NOT NULL",
        "check_constraints": "name nvarchar(128) NOT NULL, object_id int NOT NULL, principal_id int, schema_id int NOT NULL, parent_object_id int NOT NULL, type char(2), type_desc nvarchar(60), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_ms_shipped bit NOT NULL, is_disabled bit NOT NULL, is_not_trusted bit NOT NULL, parent_column_id int NOT NULL, definition nvarchar(-1), uses_database_collation bit, is_system_named bit NOT NULL",
        "default_constraints": "name nvarchar(128) NOT NULL, object_id int NOT NULL, principal_id int, schema_id int NOT NULL, parent_object_id int NOT NULL, type char(2), type_desc nvarchar(60), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_ms_shipped bit NOT NULL, parent_column_id int NOT NULL, definition nvarchar(-1), is_system_named bit NOT NULL",
        "identity_columns": "object_id int NOT NULL, name nvarchar(128), column_id int NOT NULL, system_type_id tinyint NOT NULL, user_type_id int NOT NULL, max_length smallint NOT NULL, precision tinyint NOT NULL, scale tinyint NOT NULL, is_nullable bit, is_identity bit NOT NULL, seed_value sql_variant, increment_value sql_variant, last_value sql_variant",
        "computed_columns": "object_id int NOT NULL, name nvarchar(128), column_id int NOT NULL, system_type_id tinyint NOT NULL, user_type_id int NOT NULL, max_length smallint NOT NULL, precision tinyint NOT NULL, scale tinyint NOT NULL, is_nullable bit, is_computed bit NOT NULL, definition nvarchar(-1), is_persisted bit NOT NULL",
        "dm_db_partition_stats": "partition_id bigint NOT NULL, object_id int NOT NULL, index_id int NOT NULL, partition_number int NOT NULL, in_row_data_page_count bigint NOT NULL, in_row_used_page_count bigint NOT NULL, in_row_reserved_page_count bigint NOT NULL, lob_used_page_count bigint NOT NULL, lob_reserved_page_count bigint NOT NULL, used_page_count bigint NOT NULL, reserved_page_count bigint NOT NULL, row_count bigint NOT NULL, row_overflow_used_page_count bigint NOT NULL",
        "sql_modules": "object_id int NOT NULL, definition nvarchar(-1), uses_ansi_nulls bit, uses_quoted_identifier bit, is_schema_bound bit",
        "extended_properties": "class tinyint NOT NULL, class_desc nvarchar(60), major_id int NOT NULL, minor_id int NOT NULL, name nvarchar(128) NOT NULL, value sql_variant",
        "databases": "name nvarchar(128) NOT NULL, database_id int NOT NULL, compatibility_level tinyint NOT NULL, collation_name nvarchar(128), is_read_only bit, state_desc nvarchar(60), recovery_model_desc nvarchar(60), create_date datetime NOT NULL",
        "database_principals": "name nvarchar(128) NOT NULL, principal_id int NOT NULL, type char(1) NOT NULL, type_desc nvarchar(60), default_schema_name nvarchar(128), create_date datetime NOT NULL, modify_date datetime NOT NULL, is_fixed_role bit NOT NULL, authentication_type_desc nvarchar(60)",
        "database_role_members": "role_principal_id int NOT NULL, member_principal_id int NOT NULL",
        # Query Store and the DMVs the DBA insight tools read (rows from dba_demo.json)
        "database_query_store_options": "desired_state_desc nvarchar(60), actual_state_desc nvarchar(60), readonly_reason int, current_storage_size_mb bigint, max_storage_size_mb bigint",
        "query_store_query_text": "query_text_id bigint NOT NULL, query_sql_text nvarchar(-1)",
        "query_store_query": "query_id bigint NOT NULL, query_text_id bigint NOT NULL, object_id bigint, query_hash binary(8)",
        "query_store_plan": "plan_id bigint NOT NULL, query_id bigint NOT NULL",
        "query_store_runtime_stats_interval": "runtime_stats_interval_id bigint NOT NULL, start_time datetimeoffset(7) NOT NULL, end_time datetimeoffset(7) NOT NULL",
        "query_store_runtime_stats": "runtime_stats_id bigint NOT NULL, plan_id bigint NOT NULL, runtime_stats_interval_id bigint NOT NULL, execution_type tinyint NOT NULL, count_executions bigint NOT NULL, avg_duration float NOT NULL, avg_cpu_time float NOT NULL, avg_logical_io_reads float NOT NULL, last_execution_time datetimeoffset(7) NOT NULL",
        "dm_exec_sessions": "session_id smallint NOT NULL, login_name nvarchar(128) NOT NULL, host_name nvarchar(128), program_name nvarchar(128), status nvarchar(30) NOT NULL, open_transaction_count int NOT NULL, database_id smallint NOT NULL, is_user_process bit NOT NULL",
        "dm_exec_requests": "session_id smallint NOT NULL, request_id int NOT NULL, database_id smallint NOT NULL, start_time datetime NOT NULL, status nvarchar(30) NOT NULL, command nvarchar(32) NOT NULL, sql_handle varbinary(64), blocking_session_id smallint, wait_type nvarchar(60), wait_time int NOT NULL, wait_resource nvarchar(256) NOT NULL, open_transaction_count int NOT NULL, cpu_time int NOT NULL, total_elapsed_time int NOT NULL, reads bigint NOT NULL, writes bigint NOT NULL, logical_reads bigint NOT NULL",
        "dm_exec_sql_text": "sql_handle varbinary(64) NOT NULL, dbid smallint, objectid int, text nvarchar(-1)",
        "dm_db_missing_index_details": "index_handle int NOT NULL, database_id smallint NOT NULL, object_id int NOT NULL, equality_columns nvarchar(4000), inequality_columns nvarchar(4000), included_columns nvarchar(4000), statement nvarchar(4000)",
        "dm_db_missing_index_groups": "index_group_handle int NOT NULL, index_handle int NOT NULL",
        "dm_db_missing_index_group_stats": "group_handle int NOT NULL, unique_compiles bigint NOT NULL, user_seeks bigint NOT NULL, user_scans bigint NOT NULL, last_user_seek datetime, avg_total_user_cost float, avg_user_impact float",
        "dm_db_index_usage_stats": "database_id smallint NOT NULL, object_id int NOT NULL, index_id int NOT NULL, user_seeks bigint NOT NULL, user_scans bigint NOT NULL, user_lookups bigint NOT NULL, user_updates bigint NOT NULL, last_user_seek datetime, last_user_update datetime",
        "dm_db_wait_stats": "wait_type nvarchar(60) NOT NULL, waiting_tasks_count bigint NOT NULL, wait_time_ms bigint NOT NULL, max_wait_time_ms bigint NOT NULL, signal_wait_time_ms bigint NOT NULL",
        "dm_os_wait_stats": "wait_type nvarchar(60) NOT NULL, waiting_tasks_count bigint NOT NULL, wait_time_ms bigint NOT NULL, max_wait_time_ms bigint NOT NULL, signal_wait_time_ms bigint NOT NULL",
    },
    "INFORMATION_SCHEMA": {
        "SCHEMATA": "CATALOG_NAME nvarchar(128), SCHEMA_NAME nvarchar(128) NOT NULL, SCHEMA_OWNER nvarchar(128)",
        "TABLES": "TABLE_CATALOG nvarchar(128), TABLE_SCHEMA nvarchar(128), TABLE_NAME nvarchar(128) NOT NULL, TABLE_TYPE varchar(10)",
        "VIEWS": "TABLE_CATALOG nvarchar(128), TABLE_SCHEMA nvarchar(128), TABLE_NAME nvarchar(128) NOT NULL, VIEW_DEFINITION nvarchar(4000), CHECK_OPTION varchar(7), IS_UPDATABLE varchar(2)",
        "COLUMNS": "TABLE_CATALOG nvarchar(128), TABLE_SCHEMA nvarchar(128), TABLE_NAME nvarchar(128) NOT NULL, COLUMN_NAME nvarchar(128), ORDINAL_POSITION int, COLUMN_DEFAULT nvarchar(4000), IS_NULLABLE varchar(3), DATA_TYPE nvarchar(128), CHARACTER_MAXIMUM_LENGTH int, CHARACTER_OCTET_LENGTH int, NUMERIC_PRECISION tinyint, NUMERIC_PRECISION_RADIX smallint, NUMERIC_SCALE int, DATETIME_PRECISION smallint, CHARACTER_SET_CATALOG nvarchar(128), CHARACTER_SET_SCHEMA nvarchar(128), CHARACTER_SET_NAME nvarchar(128), COLLATION_CATALOG nvarchar(128), COLLATION_SCHEMA nvarchar(128), COLLATION_NAME nvarchar(128), DOMAIN_CATALOG nvarchar(128), DOMAIN_SCHEMA nvarchar(128), DOMAIN_NAME nvarchar(128)",
        "TABLE_CONSTRAINTS": "CONSTRAINT_CATALOG nvarchar(128), CONSTRAINT_SCHEMA nvarchar(128), CONSTRAINT_NAME nvarchar(128) NOT NULL, TABLE_CATALOG nvarchar(128), TABLE_SCHEMA nvarchar(128), TABLE_NAME nvarchar(128) NOT NULL, CONSTRAINT_TYPE varchar(11), IS_DEFERRABLE varchar(2), INITIALLY_DEFERRED varchar(2)",
        "KEY_COLUMN_USAGE": "CONSTRAINT_CATALOG nvarchar(128), CONSTRAINT_SCHEMA nvarchar(128), CONSTRAINT_NAME nvarchar(128) NOT NULL, TABLE_CATALOG nvarchar(128), TABLE_SCHEMA nvarchar(128), TABLE_NAME nvarchar(128) NOT NULL, COLUMN_NAME nvarchar(128), ORDINAL_POSITION int NOT NULL",
        "REFERENTIAL_CONSTRAINTS": "CONSTRAINT_CATALOG nvarchar(128), CONSTRAINT_SCHEMA nvarchar(128), CONSTRAINT_NAME nvarchar(128) NOT NULL, UNIQUE_CONSTRAINT_CATALOG nvarchar(128), UNIQUE_CONSTRAINT_SCHEMA nvarchar(128), UNIQUE_CONSTRAINT_NAME nvarchar(128), MATCH_OPTION varchar(7), UPDATE_RULE varchar(11), DELETE_RULE varchar(11)",
        "ROUTINES": "SPECIFIC_CATALOG nvarchar(128), SPECIFIC_SCHEMA nvarchar(128), SPECIFIC_NAME nvarchar(128) NOT NULL, ROUTINE_CATALOG nvarchar(128), ROUTINE_SCHEMA nvarchar(128), ROUTINE_NAME nvarchar(128) NOT NULL, ROUTINE_TYPE nvarchar(20), DATA_TYPE nvarchar(128), ROUTINE_DEFINITION nvarchar(4000), CREATED datetime, LAST_ALTERED datetime",
    },
}

CREATE_DATE = "2024-01-01 00:00:00.000"
_REF_ACTIONS = {"NO ACTION": 0, "CASCADE": 1, "SET NULL": 2, "SET DEFAULT": 3, "RESTRICT": 0}


def _col_spec(decl):
    spec = T.parse_type(decl)
    if spec is None:
        spec = T.TypeSpec("sql_variant") if not decl else T.TypeSpec("nvarchar", length=-1)
    return spec


def _extract_checks(sql):
    """(name or None, expression, column or None) for CHECK constraints in a CREATE TABLE."""
    out = []
    if not sql:
        return out
    toks = tokenize(sql)
    for i, t in enumerate(toks):
        if t.up == "CHECK" and i + 1 < len(toks) and toks[i + 1].text == "(":
            j = _match_paren(toks, i + 1)
            expr = " ".join(x.text for x in toks[i + 1:j + 1])
            name = None
            if i >= 2 and toks[i - 2].up == "CONSTRAINT":
                name = toks[i - 1].text.strip('[]"')
            out.append((name, expr))
    return out


def build_catalog(con, dbname):
    """Rebuild the attached sys / INFORMATION_SCHEMA databases from the SQLite schema."""
    rows = {(s, t): [] for s, ts in CATALOG.items() for t in ts}
    master = con.execute("SELECT type, name, tbl_name, sql FROM main.sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '__tds%' ORDER BY rowid").fetchall()
    try:
        seqs = dict(con.execute("SELECT name, seq FROM main.sqlite_sequence").fetchall())
    except sqlite3.Error:
        seqs = {}
    type_ids = {name: (tid, ml, p, s, coll) for name, tid, ml, p, s, coll in SYS_TYPES}
    base = (1, None, CREATE_DATE, CREATE_DATE, 0)

    def obj(name, oid, parent, typ, desc):
        rows[("sys", "objects")].append((name, oid, None, 1, parent, typ, desc, CREATE_DATE, CREATE_DATE, 0, 0, 0))

    for s_name, sid in (("dbo", 1), ("guest", 2), ("INFORMATION_SCHEMA", 3), ("sys", 4)):
        rows[("sys", "schemas")].append((s_name, sid, 1))
        rows[("INFORMATION_SCHEMA", "SCHEMATA")].append((dbname, s_name, "dbo"))
    for name, tid, ml, p, s, coll in SYS_TYPES:
        uid = 256 if name == "sysname" else tid
        rows[("sys", "types")].append((name, tid, uid, 4, None, ml, p, s, coll, 1 if name != "sysname" else 0, 0, 0, 0, 0, 0))
    rows[("sys", "databases")].append(("master", 1, 160, T.COLLATION_NAME, 0, "ONLINE", "FULL", CREATE_DATE))
    if dbname.lower() != "master":
        rows[("sys", "databases")].append((dbname, 5, 160, T.COLLATION_NAME, 0, "ONLINE", "FULL", CREATE_DATE))
    rows[("sys", "database_principals")].extend([
        ("public", 0, "R", "DATABASE_ROLE", None, CREATE_DATE, CREATE_DATE, 0, "NONE"),
        ("dbo", 1, "S", "SQL_USER", "dbo", CREATE_DATE, CREATE_DATE, 0, "INSTANCE"),
        ("db_owner", 16384, "R", "DATABASE_ROLE", None, CREATE_DATE, CREATE_DATE, 1, "NONE"),
        ("db_datareader", 16390, "R", "DATABASE_ROLE", None, CREATE_DATE, CREATE_DATE, 1, "NONE"),
        ("db_datawriter", 16391, "R", "DATABASE_ROLE", None, CREATE_DATE, CREATE_DATE, 1, "NONE")])
    rows[("sys", "database_role_members")].append((16384, 1))

    for typ, name, tbl, sql in master:
        if typ not in ("table", "view"):
            continue
        oid = object_id_for("obj", name)
        cols = con.execute(f'PRAGMA main.table_xinfo("{name}")').fetchall()
        if typ == "table":
            obj(name, oid, 0, "U", "USER_TABLE")
            rows[("sys", "tables")].append((name, oid, None, 1, 0, "U", "USER_TABLE", CREATE_DATE, CREATE_DATE, 0, 0, 0, len(cols), 1, 0, 0, 0, "NON_TEMPORAL_TABLE", 0, "TABLE", "SCHEMA_AND_DATA"))
            rows[("INFORMATION_SCHEMA", "TABLES")].append((dbname, "dbo", name, "BASE TABLE"))
        else:
            obj(name, oid, 0, "V", "VIEW")
            rows[("sys", "views")].append((name, oid, None, 1, 0, "V", "VIEW", CREATE_DATE, CREATE_DATE, 0, 0, 0, 0, 0, 0))
            rows[("INFORMATION_SCHEMA", "TABLES")].append((dbname, "dbo", name, "VIEW"))
            rows[("INFORMATION_SCHEMA", "VIEWS")].append((dbname, "dbo", name, (sql or "")[:4000], "NONE", "NO"))
            rows[("sys", "sql_modules")].append((oid, sql, 1, 1, 0))
        pk_cols = [c for c in cols if c[5]]
        rowid_pk = len(pk_cols) == 1 and (pk_cols[0][2] or "").upper() == "INTEGER"
        for cid, cname, decl, notnull, dflt, pk, hidden in cols:
            spec = _col_spec(decl)
            tname = spec.name
            tid = type_ids.get(tname, (231,))[0]
            coll = T.COLLATION_NAME if spec.is_char() else None
            is_ident = 1 if (typ == "table" and rowid_pk and pk) else 0
            is_comp = 1 if hidden in (2, 3) else 0
            colid = cid + 1
            nullable = 0 if (notnull or pk) else 1
            dflt_id = object_id_for("df", f"{name}.{cname}") if dflt is not None else 0
            rows[("sys", "columns")].append((oid, cname, colid, tid, tid, spec.max_length(), spec.type_precision(), spec.type_scale(), coll, nullable, 1 if spec.name in ("char", "nchar", "binary", "varchar", "varbinary") else 0, 0, is_ident, is_comp, 0, 0, 0, 0, dflt_id, 0, 0, 0, 0))
            if is_ident:
                rows[("sys", "identity_columns")].append((oid, cname, colid, tid, tid, spec.max_length(), spec.type_precision(), spec.type_scale(), 0, 1, 1, 1, seqs.get(name)))
            if is_comp:
                rows[("sys", "computed_columns")].append((oid, cname, colid, tid, tid, spec.max_length(), spec.type_precision(), spec.type_scale(), nullable, 1, "", 1 if hidden == 3 else 0))
            if dflt is not None and typ == "table":
                dname = f"DF_{name}_{cname}"
                rows[("sys", "default_constraints")].append((dname, dflt_id, None, 1, oid, "D", "DEFAULT_CONSTRAINT", CREATE_DATE, CREATE_DATE, 0, colid, f"({dflt})", 1))
                obj(dname, dflt_id, oid, "D", "DEFAULT_CONSTRAINT")
            char_max = None
            octet = None
            if spec.name in ("char", "varchar", "nchar", "nvarchar", "binary", "varbinary"):
                char_max = spec.length
                octet = -1 if spec.length == -1 else spec.length * (2 if spec.name[0] == "n" else 1)
            elif spec.name in ("text", "image"):
                char_max, octet = 2147483647, 2147483647
            elif spec.name == "ntext":
                char_max, octet = 1073741823, 2147483646
            elif spec.name == "xml":
                char_max, octet = -1, -1
            num_p = spec.type_precision() if spec.name in ("tinyint", "smallint", "int", "bigint", "decimal", "numeric", "money", "smallmoney", "real", "float") else None
            num_s = spec.type_scale() if spec.name in ("tinyint", "smallint", "int", "bigint", "decimal", "numeric", "money", "smallmoney") else None
            radix = (2 if spec.name in ("real", "float") else 10) if num_p is not None else None
            dt_p = spec.scale if spec.name in ("time", "datetime2", "datetimeoffset") else (3 if spec.name == "datetime" else 0 if spec.name in ("date", "smalldatetime") else None)
            rows[("INFORMATION_SCHEMA", "COLUMNS")].append((dbname, "dbo", name, cname, colid, f"({dflt})" if dflt is not None else None, "NO" if not nullable else "YES", spec.name, char_max, octet, num_p, radix, num_s, dt_p, None, None, "iso_1" if spec.name in ("char", "varchar", "text") else ("UNICODE" if spec.name in ("nchar", "nvarchar", "ntext") else None), None, None, coll, None, None, None))
        if typ != "table":
            continue
        colid_of = {c[1].lower(): c[0] + 1 for c in cols}
        # indexes
        idx_id = 2
        has_clustered = False
        if rowid_pk:
            pk_name = f"PK_{name}"
            rows[("sys", "indexes")].append((oid, pk_name, 1, 1, "CLUSTERED", 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, None))
            rows[("sys", "index_columns")].append((oid, 1, 1, colid_of[pk_cols[0][1].lower()], 1, 0, 0, 0))
            has_clustered = True
            kid = object_id_for("pk", name)
            rows[("sys", "key_constraints")].append((pk_name, kid, None, 1, oid, "PK", "PRIMARY_KEY_CONSTRAINT", CREATE_DATE, CREATE_DATE, 0, 1, 1))
            obj(pk_name, kid, oid, "PK", "PRIMARY_KEY_CONSTRAINT")
            rows[("INFORMATION_SCHEMA", "TABLE_CONSTRAINTS")].append((dbname, "dbo", pk_name, dbname, "dbo", name, "PRIMARY KEY", "NO", "NO"))
            rows[("INFORMATION_SCHEMA", "KEY_COLUMN_USAGE")].append((dbname, "dbo", pk_name, dbname, "dbo", name, pk_cols[0][1], 1))
        for seq, iname, unique, origin, partial in con.execute(f'PRAGMA main.index_list("{name}")').fetchall()[::-1]:
            icols = con.execute(f'PRAGMA main.index_info("{iname}")').fetchall()
            if origin == "pk":
                this_id, itype, tdesc, disp = 1, 1, "CLUSTERED", f"PK_{name}"
                has_clustered = True
            else:
                this_id, itype, tdesc = idx_id, 2, "NONCLUSTERED"
                idx_id += 1
                disp = iname if origin == "c" else f"UQ_{name}_{'_'.join(c[2] for c in icols)}"
            if origin == "u":
                m = re.search(r"CONSTRAINT\s+\"?\[?(\w+)\]?\"?\s+UNIQUE\s*\(([^)]*)\)", sql or "", re.I)
                if m and [x.strip(' "[]').lower() for x in m.group(2).split(",")] == [c[2].lower() for c in icols]:
                    disp = m.group(1)
            rows[("sys", "indexes")].append((oid, disp, this_id, itype, tdesc, 1 if unique else 0, 1, 0, 1 if origin == "pk" else 0, 1 if origin == "u" else 0, 0, 0, 0, 0, 1, 1, 1 if partial else 0, None))
            for k, (seqno, cid, cname) in enumerate(icols):
                rows[("sys", "index_columns")].append((oid, this_id, k + 1, cid + 1, k + 1, 0, 0, 0))
            if origin in ("pk", "u"):
                kid = object_id_for(origin, f"{name}.{disp}")
                kt, kd = ("PK", "PRIMARY_KEY_CONSTRAINT") if origin == "pk" else ("UQ", "UNIQUE_CONSTRAINT")
                rows[("sys", "key_constraints")].append((disp, kid, None, 1, oid, kt, kd, CREATE_DATE, CREATE_DATE, 0, this_id, 0))
                obj(disp, kid, oid, kt, kd)
                rows[("INFORMATION_SCHEMA", "TABLE_CONSTRAINTS")].append((dbname, "dbo", disp, dbname, "dbo", name, "PRIMARY KEY" if origin == "pk" else "UNIQUE", "NO", "NO"))
                for k, (seqno, cid, cname) in enumerate(icols):
                    rows[("INFORMATION_SCHEMA", "KEY_COLUMN_USAGE")].append((dbname, "dbo", disp, dbname, "dbo", name, cname, k + 1))
        if not has_clustered:
            rows[("sys", "indexes")].append((oid, None, 0, 0, "HEAP", 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, None))
        # foreign keys
        fks = {}
        for fid, seq, rtable, fcol, tcol, on_upd, on_del, match in con.execute(f'PRAGMA main.foreign_key_list("{name}")').fetchall():
            fks.setdefault(fid, []).append((seq, rtable, fcol, tcol, on_upd, on_del))
        named = re.findall(r"CONSTRAINT\s+\"?\[?(\w+)\]?\"?\s+FOREIGN\s+KEY\s*\(([^)]*)\)", sql or "", re.I)
        for fid, parts in sorted(fks.items()):
            parts.sort()
            rtable = parts[0][1]
            fname = f"FK_{name}_{rtable}_{fid}"
            for nm, colsx in named:
                if [x.strip(' "[]').lower() for x in colsx.split(",")] == [p[2].lower() for p in parts]:
                    fname = nm
            fk_oid = object_id_for("fk", f"{name}.{fname}")
            roid = object_id_for("obj", rtable)
            ract_del = _REF_ACTIONS.get(parts[0][5].upper(), 0)
            ract_upd = _REF_ACTIONS.get(parts[0][4].upper(), 0)
            desc = {0: "NO_ACTION", 1: "CASCADE", 2: "SET_NULL", 3: "SET_DEFAULT"}
            rows[("sys", "foreign_keys")].append((fname, fk_oid, None, 1, oid, "F", "FOREIGN_KEY_CONSTRAINT", CREATE_DATE, CREATE_DATE, 0, roid, 1, 0, 0, ract_del, desc[ract_del], ract_upd, desc[ract_upd], 0))
            obj(fname, fk_oid, oid, "F", "FOREIGN_KEY_CONSTRAINT")
            rcols = {c[1].lower(): c[0] + 1 for c in con.execute(f'PRAGMA main.table_info("{rtable}")').fetchall()}
            rpk = [c[1] for c in con.execute(f'PRAGMA main.table_info("{rtable}")').fetchall() if c[5]]
            for k, (seq, _rt, fcol, tcol, _u, _d) in enumerate(parts):
                tcol = tcol or (rpk[k] if k < len(rpk) else rpk[0] if rpk else fcol)
                rows[("sys", "foreign_key_columns")].append((fk_oid, k + 1, oid, colid_of.get(fcol.lower(), 0), roid, rcols.get(tcol.lower(), 0)))
                rows[("INFORMATION_SCHEMA", "KEY_COLUMN_USAGE")].append((dbname, "dbo", fname, dbname, "dbo", name, fcol, k + 1))
            rows[("INFORMATION_SCHEMA", "TABLE_CONSTRAINTS")].append((dbname, "dbo", fname, dbname, "dbo", name, "FOREIGN KEY", "NO", "NO"))
            rows[("INFORMATION_SCHEMA", "REFERENTIAL_CONSTRAINTS")].append((dbname, "dbo", fname, dbname, "dbo", f"PK_{rtable}", "SIMPLE", desc[ract_upd].replace("_", " "), desc[ract_del].replace("_", " ")))
        for n_chk, (cname, expr) in enumerate(_extract_checks(sql)):
            cname = cname or f"CK_{name}_{n_chk + 1}"
            ck_oid = object_id_for("ck", f"{name}.{cname}")
            rows[("sys", "check_constraints")].append((cname, ck_oid, None, 1, oid, "C", "CHECK_CONSTRAINT", CREATE_DATE, CREATE_DATE, 0, 0, 0, 0, expr, 1, 0))
            obj(cname, ck_oid, oid, "C", "CHECK_CONSTRAINT")
            rows[("INFORMATION_SCHEMA", "TABLE_CONSTRAINTS")].append((dbname, "dbo", cname, dbname, "dbo", name, "CHECK", "NO", "NO"))
        count = con.execute(f'SELECT count(*) FROM main."{name}"').fetchone()[0]
        pages = max(1, count // 50 + 1)
        rows[("sys", "dm_db_partition_stats")].append((oid * 1000 + 1, oid, 1 if has_clustered else 0, 1, pages, pages, pages + 1, 0, 0, pages, pages + 1, count, 0))

    _dba_rows(rows, dbname)

    for schema, tables in CATALOG.items():
        for tname, coldefs in tables.items():
            con.execute(f'DROP TABLE IF EXISTS "{schema}"."{tname}"')
            con.execute(f'CREATE TABLE "{schema}"."{tname}" ({coldefs})')
            data = rows[(schema, tname)]
            if data:
                ncols = len(data[0])
                con.executemany(f'INSERT INTO "{schema}"."{tname}" VALUES ({",".join("?" * ncols)})', data)
    con.execute('DROP VIEW IF EXISTS sys.all_columns')
    con.execute('CREATE VIEW sys.all_columns AS SELECT * FROM sys.columns')
    con.execute('DROP VIEW IF EXISTS sys.all_objects')
    con.execute('CREATE VIEW sys.all_objects AS SELECT * FROM sys.objects')
    return {name.lower(): object_id_for("obj", name) for typ, name, tbl, sql in master if typ in ("table", "view")}


_DBA_DEMO = None


def load_dba_demo():
    global _DBA_DEMO
    if _DBA_DEMO is None:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "dba_demo.json"), encoding="utf-8") as f:
            _DBA_DEMO = json.load(f)
    return _DBA_DEMO


def _dba_rows(rows, dbname):
    """Query Store and DMV rows from dba_demo.json; object ids resolved from the catalog just built."""
    d = load_dba_demo()
    now = _dt.datetime.utcnow()
    ago = lambda minutes: (now - _dt.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S.%f") + "0 +00:00"
    ago_dt = lambda ms: (now - _dt.timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    qs = d["query_store"]
    rows[("sys", "database_query_store_options")].append((qs["desired_state"], qs["actual_state"], 0, 12, 1024))
    interval_of = {}
    for q in qs["queries"]:
        rows[("sys", "query_store_query_text")].append((q["query_id"] * 10, q["text"]))
        rows[("sys", "query_store_query")].append((q["query_id"], q["query_id"] * 10, 0, None))
        for st in q["stats"]:
            rows[("sys", "query_store_plan")].append((st["plan_id"], q["query_id"]))
            hour = st["minutes_ago"] // 60
            if hour not in interval_of:
                interval_of[hour] = len(interval_of) + 1
                rows[("sys", "query_store_runtime_stats_interval")].append(
                    (interval_of[hour], ago((hour + 1) * 60), ago(hour * 60)))
            rows[("sys", "query_store_runtime_stats")].append(
                (st["plan_id"] * 10, st["plan_id"], interval_of[hour], 0, st["count_executions"], st["avg_duration"],
                 st["avg_cpu_time"], st["avg_logical_io_reads"], ago(st["minutes_ago"])))
    for s in d["sessions"]:
        rows[("sys", "dm_exec_sessions")].append((s["session_id"], s["login_name"], s["host_name"], s["program_name"],
                                                  s["status"], s["open_transaction_count"], 5, 1))
    for r in d["requests"]:
        handle = r["session_id"].to_bytes(4, "big") * 5
        rows[("sys", "dm_exec_requests")].append(
            (r["session_id"], 0, 5, ago_dt(r["total_elapsed_time"]), r["status"], r["command"], handle,
             r["blocking_session_id"], r["wait_type"], r["wait_time"], r["wait_resource"], 0, r["cpu_time"],
             r["total_elapsed_time"], r["logical_reads"] // 10, 0, r["logical_reads"]))
        rows[("sys", "dm_exec_sql_text")].append((handle, 5, None, r["text"]))
    idx = {}
    for oid, iname, iid, *_ in rows[("sys", "indexes")]:
        idx[(oid, (iname or "").lower())] = iid
    for n, m in enumerate(d["missing_indexes"], start=1):
        oid = object_id_for("obj", m["table"])
        rows[("sys", "dm_db_missing_index_details")].append(
            (n, 5, oid, m["equality_columns"], m["inequality_columns"], m["included_columns"],
             f"[{dbname}].[dbo].[{m['table']}]"))
        rows[("sys", "dm_db_missing_index_groups")].append((100 + n, n))
        rows[("sys", "dm_db_missing_index_group_stats")].append(
            (100 + n, 1, m["user_seeks"], m["user_scans"], ago_dt(60000), m["avg_total_user_cost"], m["avg_user_impact"]))
    for u in d["index_usage"]:
        oid = object_id_for("obj", u["table"])
        iid = idx.get((oid, u["index"].lower()))
        if iid is not None:
            rows[("sys", "dm_db_index_usage_stats")].append(
                (5, oid, iid, u["user_seeks"], u["user_scans"], u["user_lookups"], u["user_updates"], None, ago_dt(1000)))
    for w in d["wait_stats"]:
        t = (w["wait_type"], w["waiting_tasks_count"], w["wait_time_ms"], w["max_wait_time_ms"], w["signal_wait_time_ms"])
        rows[("sys", "dm_db_wait_stats")].append(t)
        rows[("sys", "dm_os_wait_stats")].append(t)


# ----------------------------------------------------------------------------------------------
# Session
# ----------------------------------------------------------------------------------------------
_DATEPARTS = {"year": "year", "yy": "year", "yyyy": "year", "quarter": "quarter", "qq": "quarter", "q": "quarter",
              "month": "month", "mm": "month", "m": "month", "day": "day", "dd": "day", "d": "day",
              "dayofyear": "dayofyear", "dy": "dayofyear", "y": "dayofyear", "week": "week", "wk": "week", "ww": "week",
              "weekday": "weekday", "dw": "weekday", "hour": "hour", "hh": "hour", "minute": "minute", "mi": "minute",
              "n": "minute", "second": "second", "ss": "second", "s": "second", "millisecond": "millisecond", "ms": "millisecond"}


def _now_str():
    return _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _to_pydt(v):
    d = T.to_dt(v)
    date = d.date or T.EPOCH1900
    return _dt.datetime(date.year, date.month, date.day) + _dt.timedelta(microseconds=d.ticks // 10)


class _StringAgg:
    def __init__(self):
        self.parts = []
        self.sep = ","

    def step(self, value, sep):
        if value is not None:
            self.parts.append(str(value))
        self.sep = sep

    def finalize(self):
        return self.sep.join(self.parts) if self.parts else None


class Session:
    """One TDS session: its own SQLite connection plus SET options and transaction state."""

    def __init__(self, server_cfg, user: str, database: str):
        self.cfg = server_cfg
        self.user = user or "dbo"
        self.database = database
        path = getattr(server_cfg, "db_paths", {}).get((database or "").lower(), server_cfg.db_path)
        self.con = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self.con.execute("PRAGMA foreign_keys=ON")
        self.con.execute("ATTACH DATABASE ':memory:' AS sys")
        self.con.execute("ATTACH DATABASE ':memory:' AS INFORMATION_SCHEMA")
        self.object_ids = {}
        self._register_functions()
        self._create_temp_objects()
        self.translator = Translator(self)
        self.nocount = False
        self.showplan = False
        self.trancount = 0
        self.tran_id = 0
        self.spid = 0
        self.local_port = None
        self.auth_scheme = "SQL"
        self.roles = None  # database roles of a token principal (tds_server --principal); None = cfg.db_roles

    # --- set up ----------------------------------------------------------------------------------
    def _create_temp_objects(self):
        self.con.execute(
            "CREATE TEMP VIEW IF NOT EXISTS big_table AS WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000) "
            "SELECT CAST(n AS int) AS id, CAST('row ' || n AS \"nvarchar(50)\") AS label, n * 1.5 AS amount FROM g")
        self.temp_types = {"big_table": {"id": "int", "label": "nvarchar(50)", "amount": "float"}}

    def _register_functions(self):
        c = self.con
        s = self
        c.create_function("getdate", 0, _now_str)
        c.create_function("current_timestamp_tsql", 0, _now_str)
        c.create_function("sysdatetime", 0, lambda: _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f") + "0")
        c.create_function("getutcdate", 0, lambda: _dt.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])
        c.create_function("sysutcdatetime", 0, lambda: _dt.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S.%f") + "0")
        c.create_function("sysdatetimeoffset", 0, lambda: _dt.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S.%f") + "0 +00:00")
        c.create_function("newid", 0, lambda: str(uuid.uuid4()).upper())
        c.create_function("db_name", 0, lambda: s.database)
        c.create_function("db_name", 1, lambda x: s.database if x in (None, 5) else ("master" if x == 1 else None))
        c.create_function("db_id", 0, lambda: 5)
        c.create_function("db_id", 1, lambda x: 5 if x and str(x).lower() == s.database.lower() else (1 if x and str(x).lower() == "master" else None))
        c.create_function("suser_sname", 0, lambda: s.user)
        c.create_function("suser_name", 0, lambda: s.user)
        c.create_function("system_user_fn", 0, lambda: s.user)
        c.create_function("user_name", 0, lambda: "dbo")
        c.create_function("user_name", 1, lambda x: "dbo")
        c.create_function("current_user_fn", 0, lambda: "dbo")
        c.create_function("schema_name", 0, lambda: "dbo")
        c.create_function("schema_name", 1, lambda x: {1: "dbo", 2: "guest", 3: "INFORMATION_SCHEMA", 4: "sys"}.get(x))
        c.create_function("schema_id", 0, lambda: 1)
        c.create_function("schema_id", 1, lambda x: {"dbo": 1, "guest": 2, "information_schema": 3, "sys": 4}.get(str(x).lower()) if x else None)
        c.create_function("object_id", 1, self._object_id)
        c.create_function("object_id", 2, lambda x, t: self._object_id(x))
        c.create_function("object_name", 1, self._object_name)
        c.create_function("object_name", 2, lambda x, d: self._object_name(x))
        c.create_function("object_schema_name", 1, lambda x: "dbo" if self._object_name(x) else None)
        c.create_function("object_schema_name", 2, lambda x, d: "dbo" if self._object_name(x) else None)
        c.create_function("type_name", 1, lambda x: {tid: n for n, tid, *_ in SYS_TYPES if n != "sysname"}.get(x, "sysname" if x == 256 else None))
        c.create_function("type_id", 1, lambda x: {n: tid for n, tid, *_ in SYS_TYPES}.get(str(x).lower()))
        c.create_function("serverproperty", 1, self._serverproperty)
        c.create_function("databasepropertyex", 2, self._dbpropertyex)
        c.create_function("is_rolemember", 1, lambda r: 1 if str(r).lower() in (s.roles or s.cfg.db_roles) else 0)
        c.create_function("is_rolemember", 2, lambda r, u: 1)
        c.create_function("is_srvrolemember", 1, lambda r: 1 if str(r).lower() == "sysadmin" and s.cfg.sysadmin else (1 if str(r).lower() == "public" else 0))
        c.create_function("is_srvrolemember", 2, lambda r, u: 0)
        c.create_function("is_member", 1, lambda r: 1)
        c.create_function("has_perms_by_name", 3, lambda a, b, c_: 1)
        c.create_function("has_dbaccess", 1, lambda d: 1)
        c.create_function("len", 1, lambda x: None if x is None else len(str(x).rstrip(" ")))
        c.create_function("datalength", 1, lambda x: None if x is None else (len(x) if isinstance(x, bytes) else len(str(x).encode("utf-16-le")) if isinstance(x, str) else 8))
        c.create_function("quotename", 1, lambda x: None if x is None else "[" + str(x).replace("]", "]]") + "]")
        c.create_function("quotename", 2, lambda x, q: None if x is None else (q + str(x) + q if q != "[" else "[" + str(x).replace("]", "]]") + "]"))
        c.create_function("col_name", 2, self._col_name)
        c.create_function("columnproperty", 3, lambda o, cn, p: 0)
        c.create_function("objectproperty", 2, self._objectproperty)
        c.create_function("objectpropertyex", 2, self._objectproperty)
        c.create_function("year", 1, lambda x: None if x is None else _to_pydt(x).year)
        c.create_function("month", 1, lambda x: None if x is None else _to_pydt(x).month)
        c.create_function("day", 1, lambda x: None if x is None else _to_pydt(x).day)
        c.create_function("dateadd", 3, self._dateadd)
        c.create_function("datediff", 3, self._datediff)
        c.create_function("datediff_big", 3, self._datediff)
        c.create_function("datepart", 2, self._datepart)
        c.create_function("eomonth", 1, lambda x: None)
        c.create_function("charindex", 2, lambda a, b: 0 if a is None or b is None else str(b).lower().find(str(a).lower()) + 1)
        c.create_function("left", 2, lambda a, n: None if a is None else str(a)[:int(n)])
        c.create_function("right", 2, lambda a, n: None if a is None else (str(a)[-int(n):] if int(n) else ""))
        c.create_function("isnumeric", 1, self._isnumeric)
        c.create_function("ident_current", 1, self._ident_current)
        c.create_function("scope_identity", 0, lambda: None)
        c.create_function("square", 1, lambda x: None if x is None else x * x)
        c.create_function("power", 2, lambda x, y: None if x is None or y is None else x ** y)
        c.create_function("sqrt", 1, lambda x: None if x is None else float(x) ** 0.5)
        c.create_function("floor", 1, lambda x: None if x is None else int(x // 1))
        c.create_function("ceiling", 1, lambda x: None if x is None else -int(-x // 1))
        c.create_function("str", 1, lambda x: None if x is None else str(x).rjust(10))
        c.create_aggregate("string_agg", 2, _StringAgg)
        c.create_function("error_message", 0, lambda: None)
        c.create_function("error_number", 0, lambda: None)
        c.create_function("app_name", 0, lambda: s.cfg_app_name if hasattr(s, "cfg_app_name") else "")
        c.create_function("connectionproperty", 1, lambda p: {
            "local_tcp_port": s.local_port, "net_transport": "TCP", "protocol_type": "TSQL",
            "auth_scheme": s.auth_scheme, "local_net_address": "127.0.0.1", "client_net_address": "127.0.0.1",
            "physical_net_transport": "TCP",
            "encrypt_option": "TRUE" if getattr(s, "encrypted", False) else "FALSE",
            "tls_mode": getattr(s, "tls_mode", "none")}.get(str(p).lower()))
        c.create_function("host_name", 0, lambda: "localhost")
        c.create_function("context_info", 0, lambda: None)

    def _object_id(self, x):
        if x is None:
            return None
        name = str(x).strip()
        parts = [p.strip().strip("[]\"") for p in name.split(".")]
        return self.object_ids.get(parts[-1].lower())

    def _object_name(self, x):
        for n, oid in self.object_ids.items():
            if oid == x:
                return self.names.get(n, n)
        return None

    def _col_name(self, oid, cid):
        name = self._object_name(oid)
        if not name:
            return None
        try:
            cols = self._table_info_cache.get(name.lower())
            return cols[cid - 1] if cols and 0 < cid <= len(cols) else None
        except Exception:
            return None

    def _objectproperty(self, oid, prop):
        name = self._object_name(oid)
        if not name:
            return None
        p = str(prop).lower()
        kind = self.kinds.get(name.lower())
        if p in ("isusertable", "istable"):
            return 1 if kind == "table" else 0
        if p == "isview":
            return 1 if kind == "view" else 0
        if p == "ismsshipped":
            return 0
        return 0

    def _ident_current(self, t):
        try:
            return self._seq_cache.get(str(t).split(".")[-1].strip("[]\"").lower())
        except Exception:
            return None

    @staticmethod
    def _isnumeric(x):
        if x is None:
            return 0
        try:
            decimal.Decimal(str(x).strip())
            return 1
        except Exception:
            return 0

    def _serverproperty(self, p):
        p = str(p).lower() if p is not None else ""
        vals = {
            "productversion": PRODUCT_VERSION, "productlevel": "RTM", "productmajorversion": "16",
            "productminorversion": "0", "edition": self.cfg.edition, "engineedition": self.cfg.engine_edition,
            "servername": SERVER_NAME, "machinename": SERVER_NAME, "instancename": None,
            "collation": T.COLLATION_NAME, "isintegratedsecurityonly": 0, "ishadrenabled": 0,
            "isclustered": 0, "productupdatelevel": None, "edition id": 0,
        }
        return vals.get(p)

    def _dbpropertyex(self, db, p):
        p = str(p).lower()
        vals = {"edition": "GeneralPurpose" if self.cfg.engine_edition == 5 else "Standard",
                "serviceobjective": "GP_S_Gen5_1" if self.cfg.engine_edition == 5 else None,
                "updateability": "READ_WRITE", "status": "ONLINE", "collation": T.COLLATION_NAME,
                "recovery": "FULL", "useraccess": "MULTI_USER", "version": 957, "maxsizeinbytes": 34359738368}
        return vals.get(p)

    def _dateadd(self, part, n, d):
        if d is None or n is None:
            return None
        part = _DATEPARTS.get(str(part).lower(), str(part).lower())
        base = _to_pydt(d)
        n = int(n)
        if part in ("year", "quarter", "month"):
            months = n * {"year": 12, "quarter": 3, "month": 1}[part]
            y, m = divmod(base.month - 1 + months, 12)
            import calendar
            yy = base.year + y
            day = min(base.day, calendar.monthrange(yy, m + 1)[1])
            res = base.replace(year=yy, month=m + 1, day=day)
        else:
            delta = {"day": _dt.timedelta(days=n), "dayofyear": _dt.timedelta(days=n), "weekday": _dt.timedelta(days=n),
                     "week": _dt.timedelta(weeks=n), "hour": _dt.timedelta(hours=n), "minute": _dt.timedelta(minutes=n),
                     "second": _dt.timedelta(seconds=n), "millisecond": _dt.timedelta(milliseconds=n)}.get(part, _dt.timedelta(days=n))
            res = base + delta
        return res.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    def _datediff(self, part, a, b):
        if a is None or b is None:
            return None
        part = _DATEPARTS.get(str(part).lower(), str(part).lower())
        x, y = _to_pydt(a), _to_pydt(b)
        if part == "year":
            return y.year - x.year
        if part == "quarter":
            return (y.year - x.year) * 4 + (y.month - 1) // 3 - (x.month - 1) // 3
        if part == "month":
            return (y.year - x.year) * 12 + y.month - x.month
        if part in ("day", "dayofyear", "weekday"):
            return (y.date() - x.date()).days
        if part == "week":
            return ((y.date() - x.date()).days) // 7
        secs = (y.replace(microsecond=0) - x.replace(microsecond=0)).total_seconds()
        if part == "hour":
            return (y.replace(minute=0, second=0, microsecond=0) - x.replace(minute=0, second=0, microsecond=0)).total_seconds() // 3600
        if part == "minute":
            return (y.replace(second=0, microsecond=0) - x.replace(second=0, microsecond=0)).total_seconds() // 60
        if part == "second":
            return int(secs)
        return int((y - x).total_seconds() * 1000)

    def _datepart(self, part, d):
        if d is None:
            return None
        part = _DATEPARTS.get(str(part).lower(), str(part).lower())
        x = _to_pydt(d)
        return {"year": x.year, "quarter": (x.month - 1) // 3 + 1, "month": x.month, "day": x.day,
                "dayofyear": x.timetuple().tm_yday, "week": int(x.strftime("%U")) + 1, "weekday": (x.isoweekday() % 7) + 1,
                "hour": x.hour, "minute": x.minute, "second": x.second, "millisecond": x.microsecond // 1000}.get(part)

    def global_var(self, name):
        vals = {
            "VERSION": "'" + VERSION_STRING.replace("'", "''") + "'", "SERVERNAME": f"'{SERVER_NAME}'",
            "SERVICENAME": "'MSSQLSERVER'", "SPID": str(self.spid), "ROWCOUNT": "changes()",
            "TRANCOUNT": str(self.trancount), "IDENTITY": "last_insert_rowid()", "LANGUAGE": "'us_english'",
            "ERROR": "0", "MAX_PRECISION": "38", "LANGID": "0", "TEXTSIZE": "2147483647", "OPTIONS": "5496",
            "LOCK_TIMEOUT": "-1", "DATEFIRST": "7", "MICROSOFTVERSION": str((16 << 24) | 1000), "FETCH_STATUS": "0",
        }
        return vals.get(name, "NULL")

    # --- state -----------------------------------------------------------------------------------
    def reset(self):
        """sp_reset_connection semantics (RESETCONNECTION status bit)."""
        if self.trancount:
            try:
                self.con.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        self.trancount = 0
        self.nocount = False
        self.showplan = False
        self.implicit_transactions = False
        for (name,) in self.con.execute("SELECT name FROM temp.sqlite_master WHERE type='table'").fetchall():
            self.con.execute(f'DROP TABLE temp."{name}"')

    def close(self):
        try:
            if self.trancount:
                self.con.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self.con.close()

    def _refresh_names(self):
        master = self.con.execute("SELECT type, name FROM main.sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%'").fetchall()
        self.object_ids = {n.lower(): object_id_for("obj", n) for t, n in master}
        self.names = {n.lower(): n for t, n in master}
        self.kinds = {n.lower(): t for t, n in master}
        self._table_info_cache = {}
        for t, n in master:
            self._table_info_cache[n.lower()] = [r[1] for r in self.con.execute(f'PRAGMA main.table_info("{n}")').fetchall()]
        try:
            self._seq_cache = {n.lower(): s for n, s in self.con.execute("SELECT name, seq FROM main.sqlite_sequence").fetchall()}
        except sqlite3.Error:
            self._seq_cache = {}

    def _tran_descriptor(self):
        return struct.pack("<Q", self.tran_id)

    # --- execution -------------------------------------------------------------------------------
    def execute(self, sql: str, params: dict | None = None):
        """Run a batch (or the @stmt of sp_executesql); yields protocol events."""
        try:
            toks = tokenize(sql)
            stmts = split_statements(toks)
        except SqlError as e:
            yield ("error", e.number, e.state, e.cls, e.message)
            yield ("done", 0, None)
            return
        if not stmts:
            yield ("done", 0, None)
            return
        need_names = True
        for stmt in stmts:
            try:
                if need_names:
                    self._refresh_names()
                yield from self._execute_one(stmt, params or {})
            except SqlError as e:
                yield ("error", e.number, e.state, e.cls, e.message)
                yield ("done", 0, None)
                return
            except sqlite3.Error as e:
                num, cls, msg, state = map_sqlite_error(e, stmt, self.con)
                yield ("error", num, state, cls, msg)
                yield ("done", 0, None)
                return
            except (ValueError, OverflowError, decimal.InvalidOperation) as e:
                yield ("error", 8114, 1, 16, str(e))
                yield ("done", 0, None)
                return

    def _execute_one(self, toks, params):
        u0 = toks[0].up
        u1 = toks[1].up if len(toks) > 1 else ""
        if u0 == "SET":
            yield from self._set(toks)
            return
        if u0 == "IF":
            # what Microsoft's JDBC driver sends for Connection.rollback()/commit() with autocommit off
            m = re.match(r"^IF\s*@@\s*TRANCOUNT\s*>\s*0\s+(COMMIT|ROLLBACK)(\s+(TRAN|TRANSACTION|WORK))?$",
                         " ".join(t.text for t in toks).upper())
            if m:
                if self.trancount > 0:
                    yield from self._tran(m.group(1))
                else:
                    yield ("done", 0, None)
                return
        if getattr(self, "implicit_transactions", False) and self.trancount == 0 and (
                u0 in ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP", "TRUNCATE")
                or (u0 in ("SELECT", "WITH") and any(t.up == "FROM" for t in toks))):
            # SET IMPLICIT_TRANSACTIONS ON: these statements open a transaction (ENVCHANGE 8 like BEGIN TRAN)
            for ev in self._tran("BEGIN"):
                if ev[0] != "done":
                    yield ev
        if u0 in ("BEGIN", "COMMIT", "ROLLBACK", "SAVE") and (u1 in ("TRAN", "TRANSACTION", "WORK", "") or len(toks) == 1 or u0 != "BEGIN"):
            yield from self._tran(u0)
            return
        if u0 == "WAITFOR":
            if len(toks) >= 3 and toks[1].up == "DELAY" and toks[2].kind in ("str", "nstr"):
                txt = toks[2].text.split("'")[1]
                parts = [float(p) for p in txt.split(":")]
                secs = 0.0
                for p in parts:
                    secs = secs * 60 + p
                yield ("waitfor", secs)
                yield ("done", 0, None)
                return
            raise SqlError(102, "Incorrect syntax near 'WAITFOR'.", 15)
        if u0 == "USE":
            name = toks[1].text.strip("[]\"") if len(toks) > 1 else ""
            if name.lower() not in (self.database.lower(), "master", self.cfg.db_name.lower()):
                raise SqlError(911, f"Database '{name}' does not exist. Make sure that the name is entered correctly.", 16)
            old = self.database
            self.database = name
            yield ("envchange", envchange_str(1, name, old))
            yield ("info", 5701, 1, 0, f"Changed database context to '{name}'.")
            yield ("done", 0, None)
            return
        if u0 == "PRINT":
            sql = self.translator.translate(toks[1:])
            val = self.con.execute("SELECT " + sql, params).fetchone()[0]
            yield ("info", 0, 1, 0, "" if val is None else str(val))
            yield ("done", 0, None)
            return
        if u0 == "THROW" and len(toks) >= 6:
            vals = self.con.execute("SELECT " + self.translator.translate(toks[1:]), params).fetchone()
            raise SqlError(int(vals[0]), str(vals[1]), 16, int(vals[2]))
        if u0 == "RAISERROR" and len(toks) >= 3:
            inner = toks[2:_match_paren(toks, 1)] if toks[1].text == "(" else toks[1:]
            vals = self.con.execute("SELECT " + self.translator.translate(inner), params).fetchone()
            msg, sev, st = str(vals[0]), int(vals[1]) if len(vals) > 1 else 16, int(vals[2]) if len(vals) > 2 else 1
            if sev <= 10:
                yield ("info", 50000, st, sev, msg)
                yield ("done", 0, None)
                return
            raise SqlError(50000, msg, sev, st)
        if u0 in ("EXEC", "EXECUTE"):
            pname = toks[1].text.strip("[]") if len(toks) > 1 else ""
            raise SqlError(2812, f"Could not find stored procedure '{pname}'.", 16, 62)
        if u0 == "DECLARE":
            raise SqlError(102, "Incorrect syntax near 'DECLARE' (DECLARE is not supported by the TDS test server).", 15)
        if self.showplan and u0 in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "MERGE"):
            yield from self._showplan(toks, params)
            return
        if getattr(self.cfg, "deny_view_database_state", False) and any(
                t.up.startswith("DM_DB_") or t.up.startswith("DM_EXEC_") or t.up.startswith("DM_OS_") or "QUERY_STORE" in t.up
                for t in toks):
            raise SqlError(300, f"VIEW DATABASE STATE permission denied in database '{self.database}'.", 14)
        self._check_permission(toks, u0, u1)
        sql = self.translator.translate(toks)
        low = sql.lower()
        if "sys ." in low or "information_schema ." in low or "sys." in low or "information_schema." in low:
            build_catalog(self.con, self.database)
        cur = self.con.cursor()
        is_query = u0 in ("SELECT", "WITH", "VALUES")
        ddl = u0 in ("CREATE", "DROP", "ALTER", "TRUNCATE")
        if u0 == "TRUNCATE" and u1 == "TABLE":
            sql = "DELETE FROM " + " ".join(t.text for t in toks[2:])
        cur.execute(sql, _bindable(params))
        if cur.description is not None:
            codecs = self._result_columns(sql, cur, toks)
            yield ("result", codecs, _row_iter(cur, codecs))
            yield ("done", 0xC1, "rows")
            return
        if ddl:
            yield ("done", 0, None)
            return
        cmd = {"INSERT": 0xC3, "UPDATE": 0xC5, "DELETE": 0xC4, "MERGE": 0x117}.get(u0, 0)
        yield ("done", cmd, max(cur.rowcount, 0) if not self.nocount else None)

    def _check_permission(self, toks, u0, u1):
        """Writes and DDL of a token principal whose roles do not allow them fail as on SQL Server (229 / 262)."""
        if self.roles is None or "db_owner" in self.roles:
            return
        if u0 in ("INSERT", "UPDATE", "DELETE", "MERGE") and "db_datawriter" not in self.roles:
            target = ""
            for i, t in enumerate(toks[1:], 1):
                if t.kind in ("word", "bracket", "dq") and t.up not in ("INTO", "FROM", "TOP", "DBO"):
                    target = t.text.strip("[]\"").split(".")[-1].strip("[]\"")
                    break
            raise SqlError(229, f"The {u0} permission was denied on the object '{target}', database '{self.database}', schema 'dbo'.", 14, 5)
        if u0 in ("CREATE", "DROP", "ALTER", "TRUNCATE") and "db_ddladmin" not in self.roles:
            raise SqlError(262, f"{u0} {u1} permission denied in database '{self.database}'.", 14, 1)

    # --- result metadata ---------------------------------------------------------------------------
    def _result_columns(self, sql, cur, toks):
        names = [d[0] for d in cur.description]
        decls = [None] * len(names)
        try:
            vsql = re.sub(r"@[A-Za-z_]\w*", "NULL", sql) if "@" in sql else sql
            self.con.execute("DROP VIEW IF EXISTS temp.__tds_cols")
            self.con.execute("CREATE TEMP VIEW __tds_cols AS " + vsql)
            info = self.con.execute("PRAGMA temp.table_info(__tds_cols)").fetchall()
            self.con.execute("DROP VIEW temp.__tds_cols")
            if len(info) == len(names):
                decls = [r[2] or None for r in info]
        except sqlite3.Error:
            pass
        # NOT NULL information: only without joins, from the referenced table(s)
        notnull = {}
        words = [t.up for t in toks]
        if "JOIN" not in words and "UNION" not in words:
            for k, t in enumerate(toks[:-1]):
                if t.up == "FROM":
                    nm = toks[k + 1]
                    if nm.up == "DBO" and k + 3 < len(toks):
                        nm = toks[k + 3]
                    tname = nm.text.strip('[]"')
                    schema = "main"
                    if k + 3 < len(toks) and toks[k + 2].text == "." and nm.up in ("SYS", "INFORMATION_SCHEMA"):
                        schema, tname = nm.text, toks[k + 3].text.strip('[]"')
                    try:
                        for r in self.con.execute(f'PRAGMA "{schema}".table_info("{tname}")').fetchall():
                            if r[3] or (r[5] and (r[2] or "").upper() == "INTEGER"):
                                notnull[(r[1].lower(), (r[2] or "").lower())] = True
                    except sqlite3.Error:
                        pass
                    for tt, cols in self.temp_types.items():
                        if tt == tname.lower():
                            for cn, ct in cols.items():
                                notnull[(cn, ct)] = True
        temp_decl = {}
        for tt, cols in self.temp_types.items():
            if tt in sql.lower():
                temp_decl.update(cols)
        codecs = []
        for i, name in enumerate(names):
            decl = decls[i] or temp_decl.get((name or "").lower())
            spec = T.parse_type(decl) if decl else None
            nullable = not notnull.get(((name or "").lower(), (decl or "").lower()), False)
            codecs.append([name or "", spec, nullable, decl])
        return codecs

    # --- statements -----------------------------------------------------------------------------------
    def _set(self, toks):
        opt = toks[1].up if len(toks) > 1 else ""
        val = toks[2].up if len(toks) > 2 else ""
        if opt == "NOCOUNT":
            self.nocount = val == "ON"
        elif opt == "SHOWPLAN_XML":
            self.showplan = val == "ON"
        elif opt == "IMPLICIT_TRANSACTIONS":
            self.implicit_transactions = val == "ON"
        elif opt in ("LANGUAGE",):
            yield ("envchange", envchange_str(2, "us_english", "us_english"))
        yield ("done", 0, None)

    def _tran(self, verb):
        if verb == "BEGIN":
            if self.trancount == 0:
                self.con.execute("BEGIN")
                self.tran_id += 1
                self.trancount = 1
                yield ("envchange", envchange_bytes(8, self._tran_descriptor(), b""))
            else:
                self.trancount += 1
            yield ("done", 0, None)
            return
        if verb == "SAVE":
            yield ("done", 0, None)
            return
        if self.trancount == 0:
            if verb == "COMMIT":
                raise SqlError(3902, "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.", 16)
            raise SqlError(3903, "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.", 16)
        if verb == "COMMIT" and self.trancount > 1:
            self.trancount -= 1
            yield ("done", 0, None)
            return
        self.con.execute("COMMIT" if verb == "COMMIT" else "ROLLBACK")
        self.trancount = 0
        yield ("envchange", envchange_bytes(9 if verb == "COMMIT" else 10, b"", self._tran_descriptor()))
        yield ("done", 0, None)

    def _showplan(self, toks, params):
        sql = self.translator.translate(toks)
        ops = []
        try:
            for r in self.con.execute("EXPLAIN QUERY PLAN " + sql, _bindable(params)).fetchall():
                ops.append(str(r[-1]))
        except sqlite3.Error:
            ops.append("SCAN")
        stext = " ".join(t.text for t in toks).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        relops = ""
        for n, op in enumerate(ops):
            phys = "Index Seek" if op.startswith("SEARCH") else "Clustered Index Scan" if op.startswith("SCAN") else "Compute Scalar"
            opx = op.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            relops += f'<RelOp NodeId="{n}" PhysicalOp="{phys}" LogicalOp="{phys}" EstimateRows="1" EstimatedTotalSubtreeCost="0.0032831" Detail="{opx}"/>'
        plan = ('<ShowPlanXML xmlns="http://schemas.microsoft.com/sqlserver/2004/07/showplan" Version="1.564" Build="16.0.1000.6">'
                f'<BatchSequence><Batch><Statements><StmtSimple StatementText="{stext}" StatementId="1" StatementCompId="1" '
                f'StatementType="{toks[0].up}" StatementSubTreeCost="0.0032831" StatementEstRows="1">'
                f'<QueryPlan CachedPlanSize="16" CompileTime="0" CompileCPU="0">{relops}</QueryPlan>'
                '</StmtSimple></Statements></Batch></BatchSequence></ShowPlanXML>')
        codecs = [["Microsoft SQL Server 2005 XML Showplan", T.TypeSpec("nvarchar", length=-1), True, None]]
        yield ("result", codecs, iter([[plan]]))
        yield ("done", 0xC1, "rows")


def _bindable(params):
    out = {}
    for k, v in params.items():
        if isinstance(v, decimal.Decimal):
            v = float(v) if len(v.as_tuple().digits) <= 15 else str(v)
        elif isinstance(v, bool):
            v = int(v)
        elif isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
            v = v.isoformat(sep=" ") if isinstance(v, _dt.datetime) else v.isoformat()
        elif isinstance(v, uuid.UUID):
            v = str(v).upper()
        out[k] = v
    return out


def _row_iter(cur, codecs):
    for _ in range(1 << 40):
        rows = cur.fetchmany(500)
        if not rows:
            return
        for r in rows:
            yield r


def envchange_bytes(typ, new: bytes, old: bytes) -> bytes:
    body = bytes([typ, len(new)]) + new + bytes([len(old)]) + old
    return b"\xe3" + struct.pack("<H", len(body)) + body


def envchange_str(typ, new: str, old: str) -> bytes:
    body = bytes([typ]) + T.b_varchar(new) + T.b_varchar(old)
    return b"\xe3" + struct.pack("<H", len(body)) + body


def map_sqlite_error(e, toks, con=None):
    msg = str(e)
    low = msg.lower()
    m = re.match(r"no such table: (?:\w+\.)?(.+)", msg)
    if m:
        return 208, 16, f"Invalid object name '{m.group(1)}'.", 1
    m = re.match(r"no such column: (.+)", msg)
    if m:
        return 207, 16, f"Invalid column name '{m.group(1).split('.')[-1]}'.", 1
    m = re.search(r"supply a value for binding parameter :?(\w+)", msg)
    if m:
        return 137, 15, f'Must declare the scalar variable "@{m.group(1)}".', 2
    m = re.match(r"no such function: (.+)", msg)
    if m:
        return 195, 15, f"'{m.group(1)}' is not a recognized built-in function name.", 10
    m = re.search(r'near "([^"]*)": syntax error', msg)
    if m:
        return 102, 15, f"Incorrect syntax near '{m.group(1)}'.", 1
    if "syntax error" in low or "incomplete input" in low or "unrecognized token" in low:
        last = toks[-1].text if toks else ""
        return 102, 15, f"Incorrect syntax near '{last}'.", 1
    if low.startswith("unique constraint failed") or "primary key" in low:
        cols = [c.strip() for c in msg.split(":", 1)[-1].split(",")]
        table = cols[0].split(".")[0] if "." in cols[0] else "?"
        colnames = [c.split(".")[-1] for c in cols]
        is_pk = "primary" in low
        if con is not None and table != "?":
            try:
                pk = [r[1] for r in con.execute(f'PRAGMA main.table_info("{table}")').fetchall() if r[5]]
                is_pk = is_pk or [c.lower() for c in pk] == [c.lower() for c in colnames]
            except sqlite3.Error:
                pass
        kind, cname = ("PRIMARY KEY", f"PK_{table}") if is_pk else ("UNIQUE KEY", f"UQ_{table}_{'_'.join(colnames)}")
        return 2627, 14, f"Violation of {kind} constraint '{cname}'. Cannot insert duplicate key in object 'dbo.{table}'.", 1
    if "foreign key constraint failed" in low:
        return 547, 16, "The INSERT, UPDATE or DELETE statement conflicted with a FOREIGN KEY constraint. The conflict occurred in database, table 'dbo'.", 0
    if low.startswith("check constraint failed"):
        name = msg.split(":", 1)[-1].strip()
        return 547, 16, f"The INSERT statement conflicted with the CHECK constraint \"{name}\".", 0
    if low.startswith("not null constraint failed"):
        col = msg.split(":", 1)[-1].strip()
        t, _, c = col.partition(".")
        return 515, 16, f"Cannot insert the value NULL into column '{c}', table 'dbo.{t}'; column does not allow nulls. INSERT fails.", 2
    if "already exists" in low:
        m = re.search(r"(?:table|index|view) (\S+) already exists", msg)
        name = m.group(1) if m else "?"
        return 2714, 16, f"There is already an object named '{name}' in the database.", 6
    if "database is locked" in low or "database table is locked" in low:
        return 1222, 16, "Lock request time out period exceeded.", 51
    if "interrupted" in low:
        return 0, 11, "Operation cancelled by user.", 1
    return 50000, 16, msg, 1

"""TDS data-type codec for the test server (MS-TDS 2.2.5.4 - 2.2.5.5).

Standard library only.  Maps T-SQL type declarations (as stored in the SQLite
declared type of a column) to TDS TYPE_INFO and encodes Python/SQLite values as
TDS column values; decodes RPC parameter TYPE_INFO + values.

Declared-type conventions understood by `parse_type`:
  * plain T-SQL: ``int``, ``decimal(38,10)``, ``nvarchar(100)``, ``datetime2(7)`` ...
  * ``(-1)`` means ``(max)`` (SQLite cannot parse ``(max)`` in a declared type),
  * a ``_text`` suffix on the type name (``money_text``, ``decimal_text(38,10)``)
    only forces SQLite TEXT affinity so high-precision values are stored
    exactly; it is stripped here.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import re
import struct
import uuid

DEC_CTX = decimal.Context(prec=80)

# 5-byte collation SQL_Latin1_General_CP1_CI_AS (LCID 0x0409, CI/AI-insensitive flags, sort id 52 -> CP1252)
COLLATION_LATIN1 = bytes([0x09, 0x04, 0xD0, 0x00, 0x34])
COLLATION_NAME = "SQL_Latin1_General_CP1_CI_AS"
CHAR_CODEC = "cp1252"

# --- TDS type ids (MS-TDS 2.2.5.4.1 - 2.2.5.4.3) -------------------------------------------
NULLTYPE, INT1, BIT, INT2, INT4, DATETIM4, FLT4, MONEY, DATETIME, FLT8, MONEY4, INT8 = (
    0x1F, 0x30, 0x32, 0x34, 0x38, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x7A, 0x7F)
GUIDN, INTN, DATEN, TIMEN, DATETIME2N, DATETIMEOFFSETN = 0x24, 0x26, 0x28, 0x29, 0x2A, 0x2B
BITN, DECIMALN, NUMERICN, FLTN, MONEYN, DATETIMN = 0x68, 0x6A, 0x6C, 0x6D, 0x6E, 0x6F
IMAGE, TEXT, SSVARIANT, NTEXT = 0x22, 0x23, 0x62, 0x63
BIGVARBIN, BIGVARCHR, BIGBINARY, BIGCHAR, NVARCHAR, NCHAR, XML = 0xA5, 0xA7, 0xAD, 0xAF, 0xE7, 0xEF, 0xF1

# system_type_id values as in sys.types
SYSTEM_TYPE_IDS = {
    "image": 34, "text": 35, "uniqueidentifier": 36, "date": 40, "time": 41, "datetime2": 42,
    "datetimeoffset": 43, "tinyint": 48, "smallint": 52, "int": 56, "smalldatetime": 58, "real": 59,
    "money": 60, "datetime": 61, "float": 62, "sql_variant": 98, "ntext": 99, "bit": 104,
    "decimal": 106, "numeric": 108, "smallmoney": 122, "bigint": 127, "varbinary": 165,
    "varchar": 167, "binary": 173, "char": 175, "nvarchar": 231, "nchar": 239, "xml": 241,
    "sysname": 231,
}

_ALIASES = {
    "integer": "int", "boolean": "bit", "bool": "bit", "double": "float", "double precision": "float",
    "character": "char", "character varying": "varchar", "national character varying": "nvarchar",
    "string": "nvarchar", "clob": "nvarchar", "blob": "varbinary", "rowversion": "binary",
    "timestamp": "binary", "sysname": "nvarchar", "dec": "decimal", "numeric_text": "numeric",
}

_TYPE_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\(\s*(-?\d+|max)\s*(?:,\s*(-?\d+)\s*)?\))?\s*$", re.I)


class TypeSpec:
    """A T-SQL column type: name plus length (chars/bytes, -1 = max), precision, scale."""

    __slots__ = ("name", "length", "precision", "scale")

    def __init__(self, name, length=None, precision=None, scale=None):
        self.name = name
        self.length = length
        self.precision = precision
        self.scale = scale

    def __repr__(self):
        return f"TypeSpec({self.sql()})"

    def sql(self) -> str:
        n = self.name
        if n in ("char", "varchar", "nchar", "nvarchar", "binary", "varbinary"):
            return f"{n}({'max' if self.length == -1 else self.length})"
        if n in ("decimal", "numeric"):
            return f"{n}({self.precision},{self.scale})"
        if n in ("time", "datetime2", "datetimeoffset"):
            return f"{n}({self.scale})"
        return n

    # sys.columns-style metadata -------------------------------------------------------------
    def max_length(self) -> int:
        n = self.name
        fixed = {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8, "bit": 1, "real": 4, "float": 8,
                 "money": 8, "smallmoney": 4, "datetime": 8, "smalldatetime": 4, "date": 3,
                 "uniqueidentifier": 16, "text": 16, "ntext": 16, "image": 16, "sql_variant": 8016}
        if n in fixed:
            return fixed[n]
        if n in ("time", "datetime2", "datetimeoffset"):
            t = _time_len(self.scale)
            return t + (3 if n == "datetime2" else 5 if n == "datetimeoffset" else 0)
        if n in ("decimal", "numeric"):
            return _decimal_len(self.precision)
        if n in ("char", "varchar", "binary", "varbinary"):
            return self.length
        if n in ("nchar", "nvarchar"):
            return -1 if self.length == -1 else self.length * 2
        if n == "xml":
            return -1
        return 0

    def type_precision(self) -> int:
        n = self.name
        p = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19, "bit": 1, "real": 24, "float": 53,
             "money": 19, "smallmoney": 10, "datetime": 23, "smalldatetime": 16, "date": 10}
        if n in p:
            return p[n]
        if n in ("decimal", "numeric"):
            return self.precision
        if n == "time":
            return 8 + (self.scale + 1 if self.scale else 0)
        if n == "datetime2":
            return 19 + (self.scale + 1 if self.scale else 0)
        if n == "datetimeoffset":
            return 26 + (self.scale + 1 if self.scale else 0)
        return 0

    def type_scale(self) -> int:
        n = self.name
        if n in ("decimal", "numeric", "time", "datetime2", "datetimeoffset"):
            return self.scale
        if n in ("money", "smallmoney"):
            return 4
        if n == "datetime":
            return 3
        return 0

    def is_char(self):
        return self.name in ("char", "varchar", "text", "nchar", "nvarchar", "ntext")


def parse_type(decl: str | None) -> TypeSpec | None:
    """Parse a declared type; None when empty or unknown."""
    if not decl:
        return None
    m = _TYPE_RE.match(decl)
    if not m:
        return None
    name = re.sub(r"\s+", " ", m.group(1).strip().lower())
    if name.endswith("_text"):
        name = name[:-5]
    name = _ALIASES.get(name, name)
    a, b = m.group(2), m.group(3)
    a = -1 if a is not None and a.lower() == "max" else (int(a) if a is not None else None)
    b = int(b) if b is not None else None
    if name in ("char", "varchar", "nchar", "nvarchar", "binary", "varbinary"):
        length = a if a is not None else (1 if name in ("char", "nchar", "binary") else (-1 if decl.lower().strip() in ("blob", "clob", "string") else 8000 if name != "nvarchar" else 4000))
        if decl.strip().lower() in ("blob",):
            length = -1
        return TypeSpec(name, length=length)
    if name in ("decimal", "numeric"):
        return TypeSpec(name, precision=a if a is not None else 18, scale=b if b is not None else 0)
    if name in ("time", "datetime2", "datetimeoffset"):
        return TypeSpec(name, scale=a if a is not None else 7)
    if name == "float":
        if a is not None and a <= 24:
            return TypeSpec("real")
        return TypeSpec("float")
    if name == "real":
        return TypeSpec("real")
    if name in ("tinyint", "smallint", "int", "bigint", "bit", "money", "smallmoney", "datetime",
                "smalldatetime", "date", "uniqueidentifier", "text", "ntext", "image", "xml",
                "sql_variant"):
        return TypeSpec(name)
    # SQLite-ish declared types
    if "int" in name:
        return TypeSpec("bigint")
    if "char" in name or "text" in name or "clob" in name:
        return TypeSpec("nvarchar", length=-1)
    if "real" in name or "floa" in name or "doub" in name:
        return TypeSpec("float")
    return None


def _time_len(scale):
    return 3 if scale <= 2 else 4 if scale <= 4 else 5


def _decimal_len(precision):
    return 5 if precision <= 9 else 9 if precision <= 19 else 13 if precision <= 28 else 17


# --- small wire helpers ------------------------------------------------------------------------
def b_varchar(s: str) -> bytes:
    d = s.encode("utf-16-le")
    return bytes([len(d) // 2]) + d


def us_varchar(s: str) -> bytes:
    d = s.encode("utf-16-le")
    return struct.pack("<H", len(d) // 2) + d


def plp(data: bytes | None) -> bytes:
    if data is None:
        return b"\xff" * 8
    out = [struct.pack("<Q", len(data))]
    chunk = 8000
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        out.append(struct.pack("<I", len(part)))
        out.append(part)
    out.append(b"\x00\x00\x00\x00")
    return b"".join(out)


# --- value normalisation -------------------------------------------------------------------------
_DT_RE = re.compile(
    r"^\s*(?:(\d{4})-(\d{1,2})-(\d{1,2}))?\s*[T ]?\s*"
    r"(?:(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{0,9}))?)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?\s*$")

EPOCH1 = _dt.date(1, 1, 1)
EPOCH1900 = _dt.date(1900, 1, 1)
TICKS_PER_DAY = 864000000000  # 100 ns units


class DT:
    """Date/time with 100 ns precision: date (or None), ticks since midnight, offset minutes."""

    __slots__ = ("date", "ticks", "offset")

    def __init__(self, date, ticks, offset):
        self.date, self.ticks, self.offset = date, ticks, offset


def to_dt(v) -> DT:
    if isinstance(v, DT):
        return v
    if isinstance(v, _dt.datetime):
        off = None
        if v.tzinfo is not None:
            off = int(v.utcoffset().total_seconds() // 60)
        t = ((v.hour * 60 + v.minute) * 60 + v.second) * 10_000_000 + v.microsecond * 10
        return DT(v.date(), t, off)
    if isinstance(v, _dt.date):
        return DT(v, 0, None)
    if isinstance(v, _dt.time):
        t = ((v.hour * 60 + v.minute) * 60 + v.second) * 10_000_000 + v.microsecond * 10
        return DT(None, t, None)
    if isinstance(v, (int, float)):  # julian-ish: treat as days since 1900-01-01 (datetime semantics)
        days = int(v // 1)
        frac = float(v) - days
        return DT(EPOCH1900 + _dt.timedelta(days=days), int(round(frac * TICKS_PER_DAY)), None)
    s = v.decode() if isinstance(v, bytes) else str(v)
    m = _DT_RE.match(s)
    if not m or (m.group(1) is None and m.group(4) is None):
        raise ValueError(f"Conversion failed when converting date and/or time from character string '{s}'.")
    date = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m.group(1) else None
    ticks = 0
    if m.group(4):
        frac = (m.group(7) or "")[:7].ljust(7, "0")
        ticks = ((int(m.group(4)) * 60 + int(m.group(5))) * 60 + int(m.group(6) or 0)) * 10_000_000 + int(frac)
    off = None
    if m.group(8):
        z = m.group(8)
        if z == "Z":
            off = 0
        else:
            z = z.replace(":", "")
            off = (int(z[1:3]) * 60 + int(z[3:5])) * (-1 if z[0] == "-" else 1)
    return DT(date, ticks, off)


def format_dt(d: DT, kind: str, scale: int = 7) -> str:
    """Canonical text form (used for storage of parameters and in types_demo.json)."""
    def tpart():
        secs, frac = divmod(d.ticks, 10_000_000)
        h, rem = divmod(secs, 3600)
        mi, s = divmod(rem, 60)
        txt = f"{h:02d}:{mi:02d}:{s:02d}"
        if scale:
            txt += "." + f"{frac:07d}"[:scale]
        return txt
    if kind == "date":
        return d.date.isoformat()
    if kind == "time":
        return tpart()
    txt = f"{(d.date or EPOCH1900).isoformat()} {tpart()}"
    if kind == "datetimeoffset":
        off = d.offset or 0
        sign = "-" if off < 0 else "+"
        txt += f" {sign}{abs(off) // 60:02d}:{abs(off) % 60:02d}"
    return txt


def to_decimal(v) -> decimal.Decimal:
    if isinstance(v, decimal.Decimal):
        return v
    if isinstance(v, float):
        return decimal.Decimal(repr(v))
    if isinstance(v, bytes):
        v = v.decode()
    return decimal.Decimal(str(v).strip())


def to_int(v) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v)
    if isinstance(v, decimal.Decimal):
        return int(v)
    if isinstance(v, bytes):
        return int.from_bytes(v, "big") if v else 0
    s = str(v).strip()
    try:
        return int(s)
    except ValueError:
        return int(decimal.Decimal(s))


def to_str(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, float):
        r = repr(v)
        return r[:-2] if r.endswith(".0") else r
    return str(v)


def to_bytes(v) -> bytes:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, int):
        return v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
    s = str(v)
    if s.lower().startswith("0x"):
        return bytes.fromhex(s[2:])
    return s.encode("utf-8")


def guid_bytes(v) -> bytes:
    if isinstance(v, uuid.UUID):
        return v.bytes_le
    if isinstance(v, (bytes, bytearray)) and len(v) == 16:
        return bytes(v)
    return uuid.UUID(str(v).strip().strip("{}")).bytes_le


def encode_date3(d: _dt.date) -> bytes:
    return (d - EPOCH1).days.to_bytes(3, "little")


def encode_time(ticks: int, scale: int) -> bytes:
    val = ticks // (10 ** (7 - scale))
    return val.to_bytes(_time_len(scale), "little")


def encode_money8(v) -> bytes:
    n = int(to_decimal(v).scaleb(4, DEC_CTX).to_integral_value(decimal.ROUND_HALF_EVEN))
    if not -(1 << 63) <= n < (1 << 63):
        raise ValueError("Arithmetic overflow error converting expression to data type money.")
    return struct.pack("<iI", n >> 32, n & 0xFFFFFFFF)


def encode_money4(v) -> bytes:
    n = int(to_decimal(v).scaleb(4, DEC_CTX).to_integral_value(decimal.ROUND_HALF_EVEN))
    return struct.pack("<i", n)


def encode_datetime8(v) -> bytes:
    d = to_dt(v)
    date = d.date or EPOCH1900
    ticks300 = (d.ticks * 3 + 50_000) // 100_000  # 1/300 s, rounded
    days = (date - EPOCH1900).days
    if ticks300 >= 300 * 86400:
        days += 1
        ticks300 -= 300 * 86400
    return struct.pack("<iI", days, ticks300)


def encode_datetime4(v) -> bytes:
    d = to_dt(v)
    date = d.date or EPOCH1900
    minutes = (d.ticks + 300_000_000) // 600_000_000
    days = (date - EPOCH1900).days
    if minutes >= 1440:
        days += 1
        minutes -= 1440
    return struct.pack("<HH", days, minutes)


def encode_decimal_mag(v, precision, scale) -> bytes:
    d = to_decimal(v)
    n = int(d.scaleb(scale, DEC_CTX).to_integral_value(decimal.ROUND_HALF_UP))
    if abs(n) >= 10 ** precision:
        raise ValueError(f"Arithmetic overflow error converting {type(v).__name__} to data type numeric.")
    ln = _decimal_len(precision)
    return bytes([1 if n >= 0 else 0]) + abs(n).to_bytes(ln - 1, "little")


def _dto_utc(d: DT):
    off = d.offset or 0
    total = ((d.date or EPOCH1900) - EPOCH1).days * TICKS_PER_DAY + d.ticks - off * 600_000_000
    days, ticks = divmod(total, TICKS_PER_DAY)
    return EPOCH1 + _dt.timedelta(days=days), ticks, off


# --- column encoding -------------------------------------------------------------------------------
class ColumnCodec:
    """Encodes metadata and values of one result column."""

    def __init__(self, name: str, spec: TypeSpec, nullable: bool = True, table: str = "t"):
        self.name = name
        self.spec = spec
        self.nullable = nullable
        self.table = table
        n = spec.name
        self.fixed = not nullable and n in ("tinyint", "smallint", "int", "bigint", "bit", "real", "float",
                                              "money", "smallmoney", "datetime", "smalldatetime")
        self.plp = (n in ("varchar", "nvarchar", "varbinary") and spec.length == -1) or n == "xml"

    def metadata(self) -> bytes:
        s = self.spec
        n = s.name
        flags = 0x0001 if self.nullable else 0x0000
        flags |= 0x0008  # updateable: unknown (0x08 = READWRITE 1?) keep simple
        out = bytearray(struct.pack("<IH", 0, flags))
        out += self.type_info()
        if n in ("text", "ntext", "image"):
            out += bytes([2]) + us_varchar("dbo") + us_varchar(self.table)
        out += b_varchar(self.name[:128])
        return bytes(out)

    def type_info(self) -> bytes:
        s = self.spec
        n = s.name
        if self.fixed:
            return bytes([{"tinyint": INT1, "smallint": INT2, "int": INT4, "bigint": INT8, "bit": BIT,
                           "real": FLT4, "float": FLT8, "money": MONEY, "smallmoney": MONEY4,
                           "datetime": DATETIME, "smalldatetime": DATETIM4}[n]])
        if n in ("tinyint", "smallint", "int", "bigint"):
            return bytes([INTN, {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8}[n]])
        if n == "bit":
            return bytes([BITN, 1])
        if n in ("real", "float"):
            return bytes([FLTN, 4 if n == "real" else 8])
        if n in ("money", "smallmoney"):
            return bytes([MONEYN, 8 if n == "money" else 4])
        if n in ("datetime", "smalldatetime"):
            return bytes([DATETIMN, 8 if n == "datetime" else 4])
        if n == "date":
            return bytes([DATEN])
        if n in ("time", "datetime2", "datetimeoffset"):
            return bytes([{"time": TIMEN, "datetime2": DATETIME2N, "datetimeoffset": DATETIMEOFFSETN}[n], s.scale])
        if n in ("decimal", "numeric"):
            return bytes([DECIMALN if n == "decimal" else NUMERICN, _decimal_len(s.precision), s.precision, s.scale])
        if n == "uniqueidentifier":
            return bytes([GUIDN, 16])
        if n in ("char", "varchar"):
            ml = 0xFFFF if s.length == -1 else s.length
            return bytes([BIGCHAR if n == "char" else BIGVARCHR]) + struct.pack("<H", ml) + COLLATION_LATIN1
        if n in ("nchar", "nvarchar"):
            ml = 0xFFFF if s.length == -1 else s.length * 2
            return bytes([NCHAR if n == "nchar" else NVARCHAR]) + struct.pack("<H", ml) + COLLATION_LATIN1
        if n in ("binary", "varbinary"):
            ml = 0xFFFF if s.length == -1 else s.length
            return bytes([BIGBINARY if n == "binary" else BIGVARBIN]) + struct.pack("<H", ml)
        if n == "text":
            return bytes([TEXT]) + struct.pack("<I", 0x7FFFFFFF) + COLLATION_LATIN1
        if n == "ntext":
            return bytes([NTEXT]) + struct.pack("<I", 0x7FFFFFFE) + COLLATION_LATIN1
        if n == "image":
            return bytes([IMAGE]) + struct.pack("<I", 0x7FFFFFFF)
        if n == "xml":
            return bytes([XML, 0])
        if n == "sql_variant":
            return bytes([SSVARIANT]) + struct.pack("<I", 8016)
        raise ValueError(f"unsupported type {n}")

    def null_value(self) -> bytes:
        n = self.spec.name
        if self.plp:
            return b"\xff" * 8
        if n in ("char", "varchar", "nchar", "nvarchar", "binary", "varbinary"):
            return b"\xff\xff"
        if n in ("text", "ntext", "image"):
            return b"\x00"
        if n == "sql_variant":
            return b"\x00\x00\x00\x00"
        return b"\x00"

    def value(self, v) -> bytes:
        """Encode a non-NULL value (ROW/NBCROW body)."""
        s = self.spec
        n = s.name
        if n in ("tinyint", "smallint", "int", "bigint"):
            size = {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8}[n]
            iv = to_int(v)
            try:
                data = iv.to_bytes(size, "little", signed=(n != "tinyint"))
            except OverflowError:
                raise ValueError(f"Arithmetic overflow error converting expression to data type {n}.")
            return data if self.fixed else bytes([size]) + data
        if n == "bit":
            data = b"\x01" if (to_int(v) if not isinstance(v, str) or v.strip().isdigit() else v.strip().lower() == "true") else b"\x00"
            return data if self.fixed else b"\x01" + data
        if n in ("real", "float"):
            f = float(v)
            data = struct.pack("<f", f) if n == "real" else struct.pack("<d", f)
            return data if self.fixed else bytes([len(data)]) + data
        if n == "money":
            data = encode_money8(v)
            return data if self.fixed else b"\x08" + data
        if n == "smallmoney":
            data = encode_money4(v)
            return data if self.fixed else b"\x04" + data
        if n == "datetime":
            data = encode_datetime8(v)
            return data if self.fixed else b"\x08" + data
        if n == "smalldatetime":
            data = encode_datetime4(v)
            return data if self.fixed else b"\x04" + data
        if n == "date":
            d = to_dt(v)
            return b"\x03" + encode_date3(d.date or EPOCH1900)
        if n == "time":
            d = to_dt(v)
            data = encode_time(d.ticks, s.scale)
            return bytes([len(data)]) + data
        if n == "datetime2":
            d = to_dt(v)
            data = encode_time(d.ticks, s.scale) + encode_date3(d.date or EPOCH1900)
            return bytes([len(data)]) + data
        if n == "datetimeoffset":
            d = to_dt(v)
            date, ticks, off = _dto_utc(d)
            data = encode_time(ticks, s.scale) + encode_date3(date) + struct.pack("<h", off)
            return bytes([len(data)]) + data
        if n in ("decimal", "numeric"):
            data = encode_decimal_mag(v, s.precision, s.scale)
            return bytes([len(data)]) + data
        if n == "uniqueidentifier":
            return b"\x10" + guid_bytes(v)
        if n in ("char", "varchar", "nchar", "nvarchar"):
            txt = to_str(v)
            if n in ("char", "nchar") and s.length > 0:
                txt = txt[:s.length].ljust(s.length)
            data = txt.encode(CHAR_CODEC, "replace") if n in ("char", "varchar") else txt.encode("utf-16-le")
            if self.plp:
                return plp(data)
            if s.length != -1:
                data = data[:s.length * (2 if n[0] == "n" else 1)]
            return struct.pack("<H", len(data)) + data
        if n in ("binary", "varbinary"):
            data = to_bytes(v)
            if n == "binary" and s.length > 0:
                data = data[:s.length].ljust(s.length, b"\x00")
            if self.plp:
                return plp(data)
            return struct.pack("<H", len(data)) + data
        if n == "xml":
            return plp(to_str(v).encode("utf-16-le"))
        if n in ("text", "ntext", "image"):
            if n == "image":
                data = to_bytes(v)
            elif n == "text":
                data = to_str(v).encode(CHAR_CODEC, "replace")
            else:
                data = to_str(v).encode("utf-16-le")
            return b"\x10" + b"\x00" * 16 + b"\x00" * 8 + struct.pack("<I", len(data)) + data
        if n == "sql_variant":
            body = encode_variant(v)
            return struct.pack("<I", len(body)) + body
        raise ValueError(f"unsupported type {n}")


def encode_variant(v) -> bytes:
    """sql_variant body: base type, prop byte count, props, data (MS-TDS 2.2.5.5.4)."""
    if isinstance(v, bool):
        return bytes([BIT, 0, 1 if v else 0])
    if isinstance(v, int):
        if -(1 << 31) <= v < (1 << 31):
            return bytes([INT4, 0]) + struct.pack("<i", v)
        return bytes([INT8, 0]) + struct.pack("<q", v)
    if isinstance(v, float):
        return bytes([FLT8, 0]) + struct.pack("<d", v)
    if isinstance(v, decimal.Decimal):
        exp = -v.as_tuple().exponent if v.as_tuple().exponent < 0 else 0
        prec = max(len(v.as_tuple().digits), exp, 1)
        mag = encode_decimal_mag(v, 38, exp)
        return bytes([DECIMALN, 2, min(38, max(prec, exp)), exp]) + mag
    if isinstance(v, (bytes, bytearray)):
        return bytes([BIGVARBIN, 2]) + struct.pack("<H", 8000) + bytes(v)
    data = str(v).encode("utf-16-le")
    return bytes([NVARCHAR, 7]) + COLLATION_LATIN1 + struct.pack("<H", 8000) + data


# --- inference for expression columns --------------------------------------------------------------
def infer_type(values, complete: bool) -> TypeSpec:
    kinds = set()
    maxlen = 0
    big = False
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool) or isinstance(v, int):
            kinds.add("int")
            if not -(1 << 31) <= v < (1 << 31):
                big = True
        elif isinstance(v, float):
            kinds.add("float")
        elif isinstance(v, (bytes, bytearray, memoryview)):
            kinds.add("bin")
            maxlen = max(maxlen, len(v))
        else:
            kinds.add("str")
            maxlen = max(maxlen, len(str(v).encode("utf-16-le")) // 2)
    if not kinds:
        return TypeSpec("int")
    if kinds == {"int"}:
        return TypeSpec("bigint" if big else "int")
    if kinds <= {"int", "float"}:
        return TypeSpec("float")
    if kinds == {"bin"}:
        return TypeSpec("varbinary", length=(max(1, maxlen) if complete and maxlen <= 8000 else -1))
    return TypeSpec("nvarchar", length=(max(1, maxlen) if complete and maxlen <= 4000 else -1))


# --- RPC parameter decoding (MS-TDS 2.2.6.6) ---------------------------------------------------------
class Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.pos = pos

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated message")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def b_varchar(self):
        n = self.u8()
        return self.take(2 * n).decode("utf-16-le")

    def us_varchar(self):
        n = self.u16()
        return self.take(2 * n).decode("utf-16-le")


def _read_plp(r: Reader):
    total = r.u64()
    if total == 0xFFFFFFFFFFFFFFFF:
        return None
    parts = []
    for _ in range(1 << 24):
        ln = r.u32()
        if ln == 0:
            break
        parts.append(r.take(ln))
    return b"".join(parts)


def _decode_days(b: bytes) -> _dt.date:
    return EPOCH1 + _dt.timedelta(days=int.from_bytes(b, "little"))


def read_param_value(r: Reader):
    """Read TYPE_INFO + value of an RPC parameter; returns (python value, tsql type name)."""
    t = r.u8()
    fixed = {INT1: 1, BIT: 1, INT2: 2, INT4: 4, DATETIM4: 4, FLT4: 4, MONEY: 8, DATETIME: 8, FLT8: 8,
             MONEY4: 4, INT8: 8, NULLTYPE: 0}
    if t in fixed:
        data = r.take(fixed[t])
        return _decode_fixed(t, data)
    if t in (GUIDN, INTN, BITN, FLTN, MONEYN, DATETIMN):
        r.u8()  # max length
        ln = r.u8()
        if ln == 0:
            return None, {GUIDN: "uniqueidentifier", INTN: "int", BITN: "bit", FLTN: "float", MONEYN: "money", DATETIMN: "datetime"}[t]
        data = r.take(ln)
        if t == GUIDN:
            return str(uuid.UUID(bytes_le=data)).upper(), "uniqueidentifier"
        if t == INTN:
            return int.from_bytes(data, "little", signed=(ln != 1)), {1: "tinyint", 2: "smallint", 4: "int", 8: "bigint"}[ln]
        if t == BITN:
            return bool(data[0]), "bit"
        if t == FLTN:
            return (struct.unpack("<f", data)[0] if ln == 4 else struct.unpack("<d", data)[0]), "float"
        if t == MONEYN:
            return _decode_fixed(MONEY if ln == 8 else MONEY4, data)
        return _decode_fixed(DATETIME if ln == 8 else DATETIM4, data)
    if t in (DECIMALN, NUMERICN, 0x37, 0x3F):
        r.u8()
        r.u8()  # precision
        scale = r.u8()
        ln = r.u8()
        if ln == 0:
            return None, "decimal"
        data = r.take(ln)
        mag = int.from_bytes(data[1:], "little")
        d = decimal.Decimal(mag if data[0] else -mag).scaleb(-scale, DEC_CTX)
        return d, "decimal"
    if t == DATEN:
        ln = r.u8()
        return (None if ln == 0 else _decode_days(r.take(3))), "date"
    if t in (TIMEN, DATETIME2N, DATETIMEOFFSETN):
        scale = r.u8()
        ln = r.u8()
        name = {TIMEN: "time", DATETIME2N: "datetime2", DATETIMEOFFSETN: "datetimeoffset"}[t]
        if ln == 0:
            return None, name
        data = r.take(ln)
        tl = _time_len(scale)
        ticks = int.from_bytes(data[:tl], "little") * 10 ** (7 - scale)
        if t == TIMEN:
            return format_dt(DT(None, ticks, None), "time", 7), "time"
        date = _decode_days(data[tl:tl + 3])
        if t == DATETIME2N:
            return format_dt(DT(date, ticks, None), "datetime2", 7), "datetime2"
        off = struct.unpack("<h", data[tl + 3:tl + 5])[0]
        total = (date - EPOCH1).days * TICKS_PER_DAY + ticks + off * 600_000_000
        days, ticks = divmod(total, TICKS_PER_DAY)
        return format_dt(DT(EPOCH1 + _dt.timedelta(days=days), ticks, off), "datetimeoffset", 7), "datetimeoffset"
    if t in (BIGVARBIN, BIGVARCHR, BIGBINARY, BIGCHAR, NVARCHAR, NCHAR):
        maxlen = r.u16()
        if t in (BIGVARCHR, BIGCHAR, NVARCHAR, NCHAR):
            r.take(5)
        if maxlen == 0xFFFF:
            data = _read_plp(r)
        else:
            ln = r.u16()
            data = None if ln == 0xFFFF else r.take(ln)
        name = {BIGVARBIN: "varbinary", BIGVARCHR: "varchar", BIGBINARY: "binary", BIGCHAR: "char",
                NVARCHAR: "nvarchar", NCHAR: "nchar"}[t]
        if data is None:
            return None, name
        if t in (NVARCHAR, NCHAR):
            return data.decode("utf-16-le", "replace"), name
        if t in (BIGVARCHR, BIGCHAR):
            return data.decode(CHAR_CODEC, "replace"), name
        return data, name
    if t == XML:
        if r.u8():
            r.b_varchar()
            r.b_varchar()
            r.us_varchar()
        data = _read_plp(r)
        if data is None:
            return None, "xml"
        if data[:2] == b"\xff\xfe":
            data = data[2:]
        return data.decode("utf-16-le", "replace"), "xml"
    if t in (TEXT, NTEXT, IMAGE):
        r.u32()
        if t != IMAGE:
            r.take(5)
        ln = r.u32()
        name = {TEXT: "text", NTEXT: "ntext", IMAGE: "image"}[t]
        if ln == 0xFFFFFFFF:
            return None, name
        data = r.take(ln)
        if t == NTEXT:
            return data.decode("utf-16-le", "replace"), name
        if t == TEXT:
            return data.decode(CHAR_CODEC, "replace"), name
        return data, name
    if t == SSVARIANT:
        r.u32()
        ln = r.u32()
        if ln == 0:
            return None, "sql_variant"
        body = Reader(r.take(ln))
        base = body.u8()
        nprops = body.u8()
        props = body.take(nprops)
        rest = body.take(body.remaining())
        if base in fixed:
            return _decode_fixed(base, rest)[0], "sql_variant"
        if base in (NVARCHAR, NCHAR):
            return rest.decode("utf-16-le"), "sql_variant"
        if base in (BIGVARCHR, BIGCHAR):
            return rest.decode(CHAR_CODEC), "sql_variant"
        if base in (DECIMALN, NUMERICN):
            mag = int.from_bytes(rest[1:], "little")
            return decimal.Decimal(mag if rest[0] else -mag).scaleb(-props[1], DEC_CTX), "sql_variant"
        return rest, "sql_variant"
    raise ValueError(f"unsupported parameter type 0x{t:02x}")


def _decode_fixed(t, data):
    if t == NULLTYPE:
        return None, "int"
    if t == INT1:
        return data[0], "tinyint"
    if t == BIT:
        return bool(data[0]), "bit"
    if t == INT2:
        return struct.unpack("<h", data)[0], "smallint"
    if t == INT4:
        return struct.unpack("<i", data)[0], "int"
    if t == INT8:
        return struct.unpack("<q", data)[0], "bigint"
    if t == FLT4:
        return struct.unpack("<f", data)[0], "real"
    if t == FLT8:
        return struct.unpack("<d", data)[0], "float"
    if t == MONEY:
        hi, lo = struct.unpack("<iI", data)
        return decimal.Decimal((hi << 32) | lo).scaleb(-4, DEC_CTX), "money"
    if t == MONEY4:
        return decimal.Decimal(struct.unpack("<i", data)[0]).scaleb(-4, DEC_CTX), "smallmoney"
    if t == DATETIME:
        days, t300 = struct.unpack("<iI", data)
        ticks = (t300 * 100_000 + 1) // 3
        ticks = (ticks // 10_000) * 10_000  # ms precision
        return format_dt(DT(EPOCH1900 + _dt.timedelta(days=days), ticks, None), "datetime2", 3), "datetime"
    if t == DATETIM4:
        days, mins = struct.unpack("<HH", data)
        return format_dt(DT(EPOCH1900 + _dt.timedelta(days=days), mins * 600_000_000, None), "datetime2", 0), "smalldatetime"
    raise ValueError(f"unsupported fixed type 0x{t:02x}")

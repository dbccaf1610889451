#!/usr/bin/env python3
"""Creates the benchmark SQLite file: t (100,000 rows), two small tables, and `mixed` (10,000 rows of
mixed types for the token-cost measurement: integers, reals, text with quotes, commas and the odd line
break, NULLs, dates, date-times and binary). Deterministic."""
import os
import random
import sqlite3
import sys

path = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
if os.path.exists(path):
    os.remove(path)
rng = random.Random(7)
con = sqlite3.connect(path)
con.execute("PRAGMA journal_mode=DELETE")
con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, price REAL, created TEXT)")
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett"]
con.executemany(
    "INSERT INTO t VALUES (?,?,?,?)",
    ((i, f"{words[i % 10]} item {i}", round(rng.uniform(1, 1000), 2),
      f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z")
     for i in range(1, rows + 1)))
con.execute("CREATE TABLE category(id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
con.executemany("INSERT INTO category VALUES (?,?)", [(i, w) for i, w in enumerate(words, 1)])
con.execute("CREATE TABLE note(id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t(id), body TEXT)")
con.executemany("INSERT INTO note VALUES (?,?,?)", [(i, i * 10, f"note {i}") for i in range(1, 51)])
con.execute("CREATE TABLE mixed(id INTEGER PRIMARY KEY, qty INTEGER, price REAL, label TEXT, comment TEXT, "
            "day DATE, updated_at DATETIME, payload BLOB)")
people = ["O'Brien", "Smith, Jane", 'the "best" one', "Müller", "plain"]


def mixed_row(i):
    comment = None if i % 3 == 0 else (f'said "hi", then left' if i % 7 == 0 else
                                       ("two\nlines" if i % 50 == 1 else f"ok {i}"))
    return (i, None if i % 11 == 0 else (i * 37) % 1000 - 100, round(rng.uniform(-50, 5000), 3),
            f"{people[i % 5]} #{i}", comment, f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
            f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{(i * 13) % 60:02d}",
            None if i % 5 == 0 else bytes((i * k) % 256 for k in range(1, 9)))


con.executemany("INSERT INTO mixed VALUES (?,?,?,?,?,?,?,?)", (mixed_row(i) for i in range(1, 10_001)))
con.commit()
con.execute("VACUUM")
con.close()
print(f"{path}: t={rows} rows, category=10, note=50, mixed=10000")

#!/usr/bin/env python3
"""Module boundaries of src/ (docs/CONTRIBUTING.md, "Layout"): every `#include "x/..."` must point to
a module the including module may depend on, and some modules must not include certain system
headers (the TDS codec has no Asio or OpenSSL, the protocol core has no sockets, ...).

Usage: check_includes.py [--root DIR]   exit 1 and one line per wrong-way include
       check_includes.py --self-test    plants wrong-way includes in a scratch tree; must catch them
"""
import argparse
import os
import re
import sys
import tempfile

# Module -> modules it may include (itself always allowed). The order of the layers in
# docs/CONTRIBUTING.md: dependencies point downward only.
ALLOWED = {
    "common": set(),
    "jsonrpc": {"common"},
    "sql": {"common"},
    "mcp": {"common", "jsonrpc"},
    "db": {"common"},
    "db/sqlite": {"common", "db", "sql"},
    "db/tds/codec": {"common", "db"},
    "db/tds": {"common", "db", "db/tds/codec", "sql"},
    "auth": {"common"},
    "observability/audit": {"common", "mcp"},
    "observability/metrics": {"common", "mcp"},
    "tools": {"common", "mcp", "db", "sql"},  # never db/sqlite or db/tds: only the driver interfaces
    "transport/stdio": {"common", "jsonrpc", "mcp"},
    "transport/http": {"common", "jsonrpc", "mcp"},
    "app": None,  # wiring: may include every module
}

# Networking (an executor such as boost/asio/thread_pool.hpp is not networking).
_NET = [r"boost/asio\.hpp$", r"boost/asio/(ip|local|ssl|ts)/", r"boost/asio/ssl\.hpp", r"boost/beast",
        r"sys/socket\.h", r"netinet/", r"arpa/", r"openssl/ssl\.h"]
# Module -> system headers it must not include (regular expressions over the <...> path).
FORBIDDEN_SYSTEM = {
    "common": _NET + [r"sqlite3\.h", r"curl/"],  # OpenSSL crypto (HMAC for signed tokens) is fine
    "jsonrpc": _NET,
    "sql": _NET + [r"openssl/", r"sqlite3\.h", r"curl/"],
    "mcp": _NET + [r"sqlite3\.h", r"curl/"],
    "db": _NET + [r"openssl/", r"sqlite3\.h"],
    "db/tds/codec": _NET + [r"boost/asio", r"openssl/", r"sqlite3\.h", r"curl/"],  # pure, fuzzable: no Asio
    "tools": _NET + [r"openssl/", r"sqlite3\.h", r"curl/"],
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def module_of(rel):
    """The module of a path relative to src/ ("db/tds/codec/types.cpp" -> "db/tds/codec")."""
    parts = rel.split("/")
    if parts[0] == "db":
        if len(parts) > 3 and parts[1] == "tds" and parts[2] == "codec":
            return "db/tds/codec"
        if len(parts) > 2 and parts[1] in ("tds", "sqlite"):
            return "db/" + parts[1]
        return "db"
    if parts[0] in ("transport", "observability") and len(parts) > 2:
        return parts[0] + "/" + parts[1]
    return parts[0]


def check(root):
    src = os.path.join(root, "src")
    problems = []
    for dirpath, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".cpp", ".hpp", ".h", ".cc")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src).replace(os.sep, "/")
            mod = module_of(rel)
            if mod not in ALLOWED:
                problems.append(f"src/{rel}: module '{mod}' is not in the layering table (scripts/check_includes.py)")
                continue
            allowed = ALLOWED[mod]
            with open(path, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    kind, target = m.groups()
                    if kind == '"':
                        if "/" not in target:
                            continue  # a file next to this one
                        tmod = module_of(target)
                        if tmod == mod or allowed is None or tmod in allowed:
                            continue
                        problems.append(f"src/{rel}:{lineno}: {mod} must not include \"{target}\" ({tmod}); "
                                        f"{mod} may include {', '.join(sorted(allowed)) or 'nothing else'}")
                    else:
                        for pat in FORBIDDEN_SYSTEM.get(mod, []):
                            if re.match(pat, target):
                                problems.append(f"src/{rel}:{lineno}: {mod} must not include <{target}>")
                                break
    return problems


def self_test():
    planted = {
        "src/tools/bad_tool.cpp": '#include "db/sqlite/sqlite_connection.hpp"\n',
        "src/db/tds/codec/bad_codec.cpp": "#include <boost/asio.hpp>\n",
        "src/common/bad_common.hpp": '#include "mcp/registry.hpp"\n',
        "src/sql/good.cpp": '#include "common/text.hpp"\n#include "sql/lexer.hpp"\n#include <string>\n',
        "src/mcp/good.cpp": "#include <boost/asio/thread_pool.hpp>\n",
        "src/mcp/bad_socket.cpp": "#include <boost/asio/ip/tcp.hpp>\n",
        "src/app/good.cpp": '#include "db/tds/connection.hpp"\n#include "tools/tools.hpp"\n',
    }
    with tempfile.TemporaryDirectory() as d:
        for rel, text in planted.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        found = check(d)
    expected = ["src/tools/bad_tool.cpp:1", "src/db/tds/codec/bad_codec.cpp:1", "src/common/bad_common.hpp:1",
                "src/mcp/bad_socket.cpp:1"]
    ok = len(found) == len(expected) and all(any(p.startswith(e) for p in found) for e in expected)
    for p in found:
        print("  caught:", p)
    print("self-test", "passed" if ok else "FAILED")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    problems = check(a.root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} wrong-way include(s); see the layering in docs/CONTRIBUTING.md")
        return 1
    print("module boundaries: every include points the right way")
    return 0


if __name__ == "__main__":
    sys.exit(main())

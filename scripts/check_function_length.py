#!/usr/bin/env python3
"""Lists the C++ functions in src/ longer than a limit (docs/CONTRIBUTING.md: about 120 lines).

A small brace counter, no external tool: comments, string and character literals (raw strings
too) and preprocessor lines are blanked, then every `{` at namespace or class scope whose header
has a parameter list starts a function; its length runs from the first line of the header to the
closing brace. Lambdas and local classes count toward the function that holds them.

Usage: check_function_length.py [--max 120] [--enforce DIR ...] [--root DIR]
Every function over the limit is listed; the exit status is 1 only when one of them lies under an
--enforce directory (the directories already clean, so they stay clean while the rest is split).
"""
import argparse
import os
import re
import sys

# Where a long function fails the check: all of src/ (every directory is split; a new module is
# covered from its first commit).
ENFORCED = ["src"]

CONTROL = re.compile(r"\b(if|for|while|switch|catch|do|else|try)\s*$")
SCOPE = re.compile(r"\b(namespace|class|struct|union|enum)\b")


def blank_code(text):
    """`text` with comments, literals and preprocessor lines replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#":
            j = i
            while j < n and text[j] != "\n":  # a preprocessor line, with continuations
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "\n":
                    j += 1
                    out.append("\n")
                else:
                    out.append(" ")
                j += 1
            i = j
            continue
        if c == "\n":
            out.append(c)
            line_start = True
            i += 1
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        m = re.match(r'R"([^()\\ ]{0,16})\(', text[i:i + 20])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find(")" + m.group(1) + '"', i + len(m.group(0)))
            end = n if end < 0 else end + len(m.group(1)) + 2
            out.append('"' + re.sub(r"[^\n]", " ", text[i + 1:end - 1]) + '"')
            i = end
            continue
        if c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
                out.append(" ")  # digit separator 1'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * max(0, j - i - 2) + (c if j - i >= 2 else ""))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def function_name(header):
    """The name before the parameter list of a function header ("Foo::bar", "operator()")."""
    depth = 0
    for k, ch in enumerate(header):
        if ch == "(" and depth == 0:
            before = header[:k].rstrip()
            if before.endswith("operator") and header[k:k + 2] == "()":
                continue
            m = re.search(r"((?:[A-Za-z_~]\w*\s*(?:<[^;{}]*?>)?\s*::\s*)*(?:operator\s*\S+|~?[A-Za-z_]\w*))\s*$", before)
            return re.sub(r"\s+", "", m.group(1)) if m else None
        if ch in "<[":
            depth += 1
        elif ch in ">]" and depth > 0:
            depth -= 1
    return None


def is_function_header(header):
    h = header.strip()
    if not h or "(" not in h or CONTROL.search(h.split("(")[0]):
        return False
    if SCOPE.search(h.split("(")[0]) and not re.search(r"\)\s*(const|noexcept|override|final|->|\s)*\s*$", h):
        return False
    depth = 0
    for ch in h:  # an `=` outside parentheses: an initializer (`x = {`, `f = [](…) {`)
        if ch in "([<":
            depth += 1
        elif ch in ")]>" and depth > 0:
            depth -= 1
        elif ch == "=" and depth == 0:
            return False
    return function_name(h) is not None


def functions(text):
    """Yields (name, first_line, last_line) of every function defined at namespace/class scope."""
    code = blank_code(text)
    stack = []  # "ns" | "class" | "func" | "other" | "init"
    header_start = 0
    func_start = None
    line = 1
    header_line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
            continue
        in_func = any(s == "func" for s in stack)
        if c in ";}{" or in_func:
            pass
        if c == "{":
            if in_func:
                stack.append("other")
                continue
            header = code[header_start:i]
            prev = code[:i].rstrip()[-1:] if code[:i].strip() else ""
            if re.search(r"\)\s*(noexcept\s*)?:", header) and (prev.isalnum() or prev in "_>"):
                stack.append("init")  # a member initializer `x_{…}` of a constructor
                continue
            if is_function_header(header):
                stack.append("func")
                func_start = (function_name(header.strip()), header_line)
            elif SCOPE.search(header) or re.search(r'extern\s*"', text[header_start:i]):
                stack.append("ns" if re.search(r"\b(namespace|extern)\b", header) else "class")
            else:
                stack.append("other")
            header_start = i + 1
            header_line = line
        elif c == "}":
            kind = stack.pop() if stack else "other"
            if kind == "func":
                yield func_start[0], func_start[1], line
            if kind != "init":
                header_start = i + 1
                header_line = line
        elif c == ";" and not in_func and not (stack and stack[-1] == "init"):
            header_start = i + 1
            header_line = line
        elif not c.isspace() and not in_func and code[header_start:i].strip() == "":
            header_line = line


def scan(root, limit):
    found = []
    for dirpath, _, files in os.walk(os.path.join(root, "src")):
        for name in sorted(files):
            if not name.endswith((".cpp", ".hpp", ".h", ".cc")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for fname, first, last in functions(text):
                length = last - first + 1
                if length > limit:
                    found.append((length, rel, first, fname))
    return sorted(found, reverse=True)


def self_test():
    """Plants known functions in a scratch tree and checks what the counter reports."""
    import tempfile
    body = "\n".join(f"  x += {k};  // {{ not a brace" for k in range(125))
    planted = (
        "namespace a {\n"
        "struct S {\n  int f() const { return 1; }\n  S() : v_{1}, w_(2) {\n    g();\n  }\n  int v_, w_;\n};\n"
        f"int long_one(int x) {{\n{body}\n  return x;\n}}\n"
        "const int kTable[] = {1, 2, 3};\n"
        f"static const char* s = R\"({{{{{{)\";\n"
        "int short_one() {\n  auto l = [] { return 2; };\n  if (l()) { return 3; }\n  return 4;\n}\n"
        "}  // namespace a\n"
    )
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "src", "common"))
        with open(os.path.join(d, "src", "common", "planted.cpp"), "w") as f:
            f.write(planted)
        with open(os.path.join(d, "src", "common", "planted.cpp")) as f:
            names = [(n, b - a + 1) for n, a, b in functions(f.read())]
        found = scan(d, 120)
    expected = [("f", 1), ("S", 3), ("long_one", 128), ("short_one", 5)]
    ok = names == expected and [(r[1], r[3]) for r in found] == [("src/common/planted.cpp", "long_one")]
    print("functions:", names, "over 120:", [(r[3], r[0]) for r in found])
    print("self-test", "passed" if ok else f"FAILED (expected {expected})")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--max", type=int, default=120)
    ap.add_argument("--enforce", nargs="*", default=ENFORCED, help="directories where a long function fails")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    found = scan(a.root, a.max)
    failing = 0
    for length, rel, first, fname in found:
        enforced = any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in a.enforce)
        failing += enforced
        print(f"{'FAIL' if enforced else 'note'} {rel}:{first}: {fname} is {length} lines (limit {a.max})")
    print(f"{len(found)} function(s) over {a.max} lines; {failing} in enforced directories ({', '.join(a.enforce)})")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())

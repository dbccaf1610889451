#!/usr/bin/env bash
# Installs the test-only judges of tests/judges (Microsoft's drivers and identity library, sqlglot), pinned,
# into ~/.cache/azsql-judges so that fresh clones on the same machine (CI) reuse them. Idempotent; each step
# is skipped when its stamp (a hash of what it was built from) is unchanged. Called by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE="${AZSQL_JUDGES_CACHE:-${HOME:-/root}/.cache/azsql-judges}"
mkdir -p "$CACHE/bin"

stamp_ok() {  # stamp_ok NAME HASH: true when $CACHE/NAME.stamp holds HASH
  [ -f "$CACHE/$1.stamp" ] && [ "$(cat "$CACHE/$1.stamp")" = "$2" ]
}
hash_of() { cat "$@" | sha256sum | cut -c1-64; }

# Python: mssql-python (bundles Microsoft ODBC Driver 18), azure-identity, sqlglot — pinned in requirements.txt.
req=tests/judges/requirements.txt
h=$(hash_of "$req")
if ! stamp_ok venv "$h" || [ ! -x "$CACHE/venv/bin/python" ]; then
  echo "setup: judges venv (pip install -r $req)" >&2
  [ -x "$CACHE/venv/bin/python" ] || /usr/bin/python3 -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
  echo "$h" > "$CACHE/venv.stamp"
fi

# Go: the toolchain of this kind of machine lives in /usr/local/go (not on every PATH).
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi

# Go: github.com/microsoft/go-mssqldb pinned in tests/judges/go/go.mod (+ go.sum); module and build caches are
# Go's own (~/go/pkg/mod, ~/.cache/go-build).
h=$(hash_of tests/judges/go/go.mod tests/judges/go/go.sum tests/judges/go/*.go)
if ! stamp_ok gojudge "$h" || [ ! -x "$CACHE/bin/gojudge" ]; then
  echo "setup: go build gojudge" >&2
  (cd tests/judges/go && GOFLAGS=-mod=readonly go build -o "$CACHE/bin/gojudge" .)
  echo "$h" > "$CACHE/gojudge.stamp"
fi

# Java: com.microsoft.sqlserver:mssql-jdbc from Maven Central (version in tests/judges/jdbc/VERSION; ~/.m2 caches it),
# then javac of the judge program.
if [ -f tests/judges/jdbc/VERSION ]; then
  ver=$(cat tests/judges/jdbc/VERSION)
  if [ ! -f "$CACHE/jdbc/lib/mssql-jdbc-$ver.jar" ]; then
    echo "setup: mssql-jdbc $ver (maven)" >&2
    rm -rf "$CACHE/jdbc/lib" && mkdir -p "$CACHE/jdbc/lib"
    mvn -q -B dependency:copy -Dartifact="com.microsoft.sqlserver:mssql-jdbc:$ver" \
        -DoutputDirectory="$CACHE/jdbc/lib" >&2
  fi
  h=$(hash_of tests/judges/jdbc/VERSION tests/judges/jdbc/*.java)
  if ! stamp_ok jdbc "$h" || [ ! -f "$CACHE/jdbc/classes/JdbcJudge.class" ]; then
    echo "setup: javac JdbcJudge" >&2
    rm -rf "$CACHE/jdbc/classes" && mkdir -p "$CACHE/jdbc/classes"
    javac -d "$CACHE/jdbc/classes" -cp "$CACHE/jdbc/lib/*" tests/judges/jdbc/*.java
    echo "$h" > "$CACHE/jdbc.stamp"
  fi
fi

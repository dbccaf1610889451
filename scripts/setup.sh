#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages, npm test clients from the lock file) and builds
# azsql-mcp (Release, ccache). Idempotent and non-interactive.
# Usage: scripts/setup.sh [--asan] [--fuzz]   everything: server, tests, benchmarks, test tools
#        scripts/setup.sh --server-only       only what building the server needs, and only the
#                                             azsql-mcp target (scripts/run.sh, the container build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SERVER_ONLY=0
for arg in "$@"; do [ "$arg" = --server-only ] && SERVER_ONLY=1; done

# What building the server needs (the compiler, CMake, the product's -dev packages).
BUILD_PACKAGES=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libcurl4-openssl-dev libsqlite3-dev zlib1g-dev
  libspdlog-dev libcli11-dev prometheus-cpp-dev
)
# What the tests, sanitizer/fuzz builds and benchmarks add.
TEST_PACKAGES=(
  clang libclang-rt-14-dev git make libgtest-dev libgmock-dev libbenchmark-dev
  python3 openssl sqlite3 curl
  freetds-bin freetds-dev python3-tds prometheus help2man
  python3-venv maven openjdk-17-jdk-headless libodbc2
)
APT_PACKAGES=("${BUILD_PACKAGES[@]}")
[ "$SERVER_ONLY" = 1 ] || APT_PACKAGES+=("${TEST_PACKAGES[@]}")

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done
# Node.js and npm: any installed pair will do (the image may carry NodeSource's nodejs, which bundles
# npm and conflicts with Debian's npm package); Node 22 for the conformance suite comes from npm.
if [ "$SERVER_ONLY" = 0 ]; then
  if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
  if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm test clients (official MCP SDKs, conformance suite, tedious, Node 22) from package-lock.json.
stamp=node_modules/.azsql-lock-stamp
if [ "$SERVER_ONLY" = 0 ] && { [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; }; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi

# Test-only judges: Microsoft's drivers (ODBC via mssql-python, JDBC, go-mssqldb), azure-identity, sqlglot.
[ "$SERVER_ONLY" = 1 ] || scripts/setup_judges.sh

# The compiler cache lives outside the work tree so fresh clones on the same machine (CI) reuse it.
export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/root}/.cache/azsql-ccache}"
export CCACHE_BASEDIR="$ROOT"
JOBS="${JOBS:-$(nproc)}"

build() {  # [TARGET=t] build DIR [cmake args...]
  local dir=$1; shift
  # (Re)configure when the tree is new or was configured without tests by --server-only.
  if [ ! -f "$dir/build.ninja" ] || { [ "$SERVER_ONLY" = 0 ] && grep -q '^AZSQL_BUILD_TESTS:BOOL=OFF' "$dir/CMakeCache.txt"; }; then
    cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  fi
  cmake --build "$dir" -j "$JOBS" ${TARGET:+--target "$TARGET"}
}

if [ "$SERVER_ONLY" = 1 ]; then
  # A fresh tree is configured without tests and benchmarks (their packages are not installed);
  # an existing full tree is reused. Either way only the server is built.
  tests=(-DAZSQL_BUILD_TESTS=OFF -DAZSQL_BUILD_BENCH=OFF)
  [ -f build/build.ninja ] && tests=()
  TARGET=azsql-mcp build build -DCMAKE_BUILD_TYPE=Release "${tests[@]}"
  exit 0
fi
build build -DCMAKE_BUILD_TYPE=Release -DAZSQL_BUILD_TESTS=ON -DAZSQL_BUILD_BENCH=ON
for arg in "$@"; do
  case "$arg" in
    --asan) build build-asan -DCMAKE_BUILD_TYPE=Debug -DAZSQL_SANITIZE=ON -DAZSQL_BUILD_BENCH=OFF ;;
    --fuzz) CC=clang CXX=clang++ TARGET=azsql_fuzzers build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAZSQL_FUZZ=ON -DAZSQL_BUILD_BENCH=OFF ;;
  esac
done

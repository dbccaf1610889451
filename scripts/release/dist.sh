#!/usr/bin/env bash
# `make dist`: the release archive dist/azsql-mcp-VERSION-linux-x86_64.tar.gz — the server binary
# plus every shared library it needs that is not part of the C/C++ runtime (glibc, libstdc++,
# libgcc_s), including libcurl and its dependencies (loaded with dlopen on the first Entra token
# request). The binary carries DT_RPATH $ORIGIN/../lib, which — unlike RUNPATH — also applies to
# the libraries those libraries load, so the whole set resolves from the archive. Runs on glibc
# 2.36+ with libstdc++ from GCC 12+ (Debian 12, Ubuntu 23.04 and later).
# Usage: scripts/release/dist.sh [OUT_DIR]   (default ./dist); prints the archive path.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/release/tools.sh
OUT="${1:-dist}"
scripts/setup.sh --server-only >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
dpkg-query -W -f='${Status}' patchelf 2>/dev/null | grep -q "install ok installed" ||
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf >/dev/null
VERSION=$(sed -nE 's/^project\(azsql_mcp VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
NAME="azsql-mcp-$VERSION-linux-$(uname -m)"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
ROOT="$STAGE/$NAME"
mkdir -p "$ROOT/bin" "$ROOT/lib" "$ROOT/share/doc/azsql-mcp"

install -m 0755 build/azsql-mcp "$ROOT/bin/azsql-mcp"
strip --strip-unneeded "$ROOT/bin/azsql-mcp"
patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$ROOT/bin/azsql-mcp"

# The C/C++ runtime every Debian/Ubuntu system has; everything else is bundled.
is_runtime() {
  case "$(basename "$1")" in
    ld-linux*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|libutil.so.*|libstdc++.so.*|libgcc_s.so.*) return 0 ;;
  esac
  return 1
}
curl_lib=$(ldconfig -p | awk '/libcurl.so.4 .*x86-64/ {print $NF; exit}')
[ -n "$curl_lib" ] || { echo "dist: libcurl.so.4 not found (apt-get install libcurl4)" >&2; exit 1; }
libs=$( { ldd build/azsql-mcp; ldd "$curl_lib"; echo "libcurl.so.4 => $curl_lib (0)"; } |
  awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
for lib in $libs; do
  is_runtime "$lib" && continue
  install -m 0644 "$(readlink -f "$lib")" "$ROOT/lib/$(basename "$lib")"
done

cp README.md "$ROOT/share/doc/azsql-mcp/README.md"
cp docs/DEPLOYMENT.md "$ROOT/share/doc/azsql-mcp/DEPLOYMENT.md"
cp deploy/azsql-mcp.env "$ROOT/share/doc/azsql-mcp/azsql-mcp.env.example"
cat >"$ROOT/README.txt" <<TXT
azsql-mcp $VERSION — MCP server for Azure SQL / SQL Server with an embedded SQLite demo database.

  bin/azsql-mcp --help                     every setting (flags and environment variables)
  bin/azsql-mcp                            Streamable HTTP on http://127.0.0.1:8000/mcp, demo database
  bin/azsql-mcp --transport stdio          for desktop MCP clients

Libraries in lib/ are found through the binary's rpath (\$ORIGIN/../lib); nothing needs installing.
Needs glibc 2.36+ and libstdc++ from GCC 12+ (Debian 12, Ubuntu 23.04 or later). TLS certificates
are read from the system store (/etc/ssl/certs, package ca-certificates) or AZURE_SQL_CA_FILE.
See share/doc/azsql-mcp/ for the README, deployment notes and an example environment file.
TXT

mkdir -p "$OUT"
tar --owner=0 --group=0 --numeric-owner -C "$STAGE" -czf "$OUT/$NAME.tar.gz" "$NAME"
(cd "$OUT" && sha256sum "$NAME.tar.gz" >"$NAME.tar.gz.sha256")
echo "dist: $OUT/$NAME.tar.gz $(du -k "$OUT/$NAME.tar.gz" | cut -f1) KiB ($(ls "$ROOT/lib" | wc -l) libraries bundled, $(du -sk "$ROOT" | cut -f1) KiB unpacked)" >&2
echo "$OUT/$NAME.tar.gz"

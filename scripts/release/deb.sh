#!/usr/bin/env bash
# `make deb`: the Debian package dist/azsql-mcp_VERSION_amd64.deb, built with CPack from the
# Release tree (only azsql-mcp and its man page are built; see cmake/Packaging.cmake).
# Usage: scripts/release/deb.sh [OUT_DIR]   (default ./dist); prints the package path.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/release/tools.sh
OUT="${1:-dist}"
scripts/setup.sh --server-only >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
for p in help2man dpkg-dev file; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
cmake -S . -B build >/dev/null   # picks up help2man if it was just installed
cmake --build build --target azsql-mcp azsql-mcp-man >&2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
(cd build && cpack -G DEB -B "$OUT/_cpack" >&2)
deb=$(ls "$OUT"/_cpack/azsql-mcp_*.deb)
mv "$deb" "$OUT/"
rm -rf "$OUT/_cpack"
deb="$OUT/$(basename "$deb")"
echo "deb: $deb $(du -k "$deb" | cut -f1) KiB; Depends: $(dpkg-deb -f "$deb" Depends)" >&2
echo "$deb"

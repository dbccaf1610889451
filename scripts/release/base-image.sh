#!/usr/bin/env bash
# Makes the Debian 12 root filesystem and base image the release tests build on, without any
# registry: `debootstrap --variant=minbase bookworm` (a tarball cached under ~/.cache/azsql-release);
# the image is that root filesystem trimmed the way debian:bookworm-slim is (no docs, man pages,
# locales, apt lists), imported into the local container storage as localhost/debian:bookworm-slim.
# Idempotent; needs root.
#   scripts/release/base-image.sh rootfs   print the path of the (untrimmed) minbase rootfs tarball
#   scripts/release/base-image.sh image    make sure the base image exists, print its name (default)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/release/tools.sh
need_root
CACHE="${AZSQL_RELEASE_CACHE:-${HOME:-/root}/.cache/azsql-release}"
TARBALL="$CACHE/bookworm-minbase-v1.tar"
BASE_IMAGE="localhost/debian:bookworm-slim"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$CACHE"

make_tarball() {
  [ -s "$TARBALL" ] && return 0
  apt_need debootstrap
  local dir
  dir=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  echo "base-image: debootstrap --variant=minbase bookworm (about a minute)" >&2
  debootstrap --variant=minbase bookworm "$dir" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -n 20 "$CACHE/debootstrap.log" >&2; rm -rf "$dir"; exit 1; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar --numeric-owner -C "$dir" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$dir"
}

# slim_trim DIR: keep dpkg from installing docs/man/locales later, drop what is there now.
slim_trim() {
  local dir=$1
  cat >"$dir/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$dir/etc/apt/apt.conf.d/90slim"
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/cache/apt/*.bin "$dir"/var/log/*.log
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
}

make_image() {
  apt_need podman buildah runc
  if podman image exists "$BASE_IMAGE" 2>/dev/null; then return 0; fi
  make_tarball
  local dir
  dir=$(mktemp -d "$CACHE/slim.XXXXXX")
  tar -C "$dir" -xf "$TARBALL"
  slim_trim "$dir"
  tar --numeric-owner -C "$dir" -c . | podman import --quiet - "$BASE_IMAGE" >/dev/null
  rm -rf "$dir"
  echo "base-image: imported $BASE_IMAGE" >&2
}

case "${1:-image}" in
  rootfs) make_tarball; echo "$TARBALL" ;;
  image) make_image; echo "$BASE_IMAGE" ;;
  *) echo "usage: $0 [rootfs|image]" >&2; exit 2 ;;
esac

# Shared helpers of the release scripts (sourced).
need_root() {
  if [ "$(id -u)" -ne 0 ]; then echo "$0: needs root (debootstrap, chroot, buildah)" >&2; exit 1; fi
}
# apt_need PKG...: installs the Debian packages that are missing, non-interactively.
apt_need() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "release: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Shared by the scripts that prove a package where nothing of the build exists
# (check_packages.sh, check_wheels.sh): timed steps, and a minimal Debian bookworm root made by
# mmdebstrap that commands run in with a clean environment. Sourced, not run; the sourcing script
# sets `root` (the root's directory) before calling make_root or in_root.

# --- progress ---------------------------------------------------------------------------------
declare -a timings=()
now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { # seconds_since START_MS: "12.3"
  local ms=$(($(now_ms) - $1))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
script_start=$(now_ms)
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
current_step=""
trap 'echo "FAILED: step \"$current_step\": line $LINENO: $BASH_COMMAND" >&2' ERR
step() {  # step NAME FUNCTION [ARGS...]: runs FUNCTION, then prints its time
  local name=$1 started
  current_step=$name
  started=$(now_ms)
  echo
  echo "=== [$(date +%H:%M:%S)] $name"
  "${@:2}"
  local took
  took=$(seconds_since "$started")
  echo "--- $name: ok (${took} s)"
  timings+=("$(printf '%-44s %7s s' "$name" "$took")")
}
print_timings() {
  printf '%s\n' "${timings[@]}"
  printf '%-44s %7s s\n' total "$(seconds_since "$script_start")"
}

require_root_user() {  # require_root_user SCRIPT
  if [[ $(id -u) != 0 ]]; then
    echo "$1: run as root (mmdebstrap, chroot, namespaces)" >&2
    exit 2
  fi
}

project_version() {
  local version
  version=$(sed -nE 's/^project\(jwtfort VERSION ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' CMakeLists.txt)
  [[ -n $version ]] || fail "no project(jwtfort VERSION x.y.z) in CMakeLists.txt"
  echo "$version"
}

# --- the root file system ---------------------------------------------------------------------
# Runs a command in the root with /proc and /dev of a private mount namespace (they vanish with
# it) and a clean environment. The host's network: apt and pip need their registries.
in_root() {
  unshare --mount --fork -- /bin/sh -ec '
    mount -t proc proc "$0/proc"
    mount --rbind /dev "$0/dev"
    exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
      LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' "$root" "$@"
}

# The Debian mirror apt uses here (deb822 or one-line sources), for bookworm's main archive.
debian_mirror() {
  if [[ -n ${JWTFORT_DEBIAN_MIRROR:-} ]]; then
    echo "$JWTFORT_DEBIAN_MIRROR"
    return
  fi
  local mirror sources=()
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    if [[ -f $file ]]; then sources+=("$file"); fi
  done
  mirror=$(awk '/^URIs:/ {uri = $2} /^Suites:/ && / bookworm( |$)/ && uri {print uri; exit}
                /^deb / && $3 == "bookworm" {print $2; exit}' "${sources[@]}" /dev/null)
  [[ -n $mirror ]] || fail "no bookworm mirror in /etc/apt/sources.list*; set JWTFORT_DEBIAN_MIRROR"
  echo "$mirror"
}

make_root() {  # make_root [PACKAGE...]: a new minbase bookworm root with these packages too
  if ! command -v mmdebstrap >/dev/null; then
    apt-get install -y --no-install-recommends mmdebstrap
  fi
  local mirror include=()
  mirror=$(debian_mirror)
  echo "mirror: $mirror"
  if [[ $# -gt 0 ]]; then include=("--include=$(IFS=,; echo "$*")"); fi
  rm -rf "$root"
  mmdebstrap --variant=minbase --quiet "${include[@]}" bookworm "$root" "deb $mirror bookworm main"
  in_root dpkg-query -W -f '${binary:Package}\n' | wc -l | sed 's/$/ packages in the root/'
}

# Fails if the root has a compiler, cmake or any -dev package: what runs there runs without them.
assert_no_build_tools() {
  local tool dev
  for tool in cc gcc g++ c++ clang clang++ cmake; do
    if in_root sh -c "command -v $tool" >/dev/null; then fail "$tool is in the root"; fi
  done
  dev=$(in_root dpkg-query -W -f '${binary:Package}\n' | grep -E -- '-dev(:|$)' || true)
  [[ -z $dev ]] || fail "development packages in the root: $dev"
  echo "no compiler, no cmake, no -dev package in the root"
}

# The host's own certificate authorities (a company's or an egress proxy's, from
# /usr/local/share/ca-certificates), so that pip in the root reaches PyPI as the host does.
trust_host_local_cas() {
  local cas=(/usr/local/share/ca-certificates/*.crt)
  [[ -e ${cas[0]} ]] || return 0
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp "${cas[@]}" "$root/usr/local/share/ca-certificates/"
  in_root update-ca-certificates >/dev/null
  # pip trusts its own bundle unless told to use the system's, which now has them.
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$root/etc/pip.conf"
  echo "trusting the host's local CAs: ${#cas[@]}"
}

#!/usr/bin/env bash
# Builds the Debian packages (jwtfort, libjwtfort-dev) and proves them where nothing of the build
# exists: lintian, then a minimal Debian bookworm root made by mmdebstrap, in which the packages
# are installed with apt-get, run, built against, removed and purged.
#
#   scripts/check_packages.sh [--keep]      as root; --keep leaves the root file system for a look
#
# The build is `cmake --preset deb` + `cpack --preset deb` (build-deb/). The root lives in
# build-deb/check-root and is made again on every run; packages come from the Debian mirror this
# machine's apt uses (or JWTFORT_DEBIAN_MIRROR). Everything the server does in the root happens in
# a network namespace of its own: its loopback only. Each step prints how long it took; any
# failure stops the script with a non-zero status.
set -Eeuo pipefail

cd "$(dirname "$0")/.."
source_dir=$PWD
build_dir=$source_dir/build-deb
root=$build_dir/check-root
keep_root=false
[[ ${1:-} == --keep ]] && keep_root=true

source scripts/clean_root.sh
require_root_user check_packages.sh

project_version=$(project_version)
deb_runtime=$build_dir/jwtfort_${project_version}_amd64.deb
deb_dev=$build_dir/libjwtfort-dev_${project_version}_amd64.deb

# --- steps ------------------------------------------------------------------------------------
build_packages() {
  cmake --preset deb
  cmake --build --preset deb
  rm -f "$build_dir"/*.deb
  cpack --preset deb
  [[ -f $deb_runtime && -f $deb_dev ]] || fail "cpack did not make $deb_runtime and $deb_dev"
  for deb in "$deb_runtime" "$deb_dev"; do
    local version
    version=$(dpkg-deb -f "$deb" Version)
    [[ $version == "$project_version" ]] ||
      fail "$(basename "$deb"): Version $version, the project's is $project_version"
    echo "$(basename "$deb"): Version $version; Depends: $(dpkg-deb -f "$deb" Depends)"
  done
}

run_lintian() {
  if ! command -v lintian >/dev/null; then
    apt-get install -y --no-install-recommends lintian
  fi
  lintian --version
  # Every tag is shown (--pedantic, --display-info); an error fails the step.
  local status=0 out
  out=$(lintian --pedantic --display-info --fail-on error "$deb_runtime" "$deb_dev" 2>&1) || status=$?
  grep -v '^running with root privileges' <<<"$out" || true
  [[ $status == 0 ]] || fail "lintian reports errors (exit $status)"
}

install_runtime() {
  mkdir -p "$root/tmp/debs"
  cp "$deb_runtime" "$deb_dev" "$root/tmp/debs/"
  in_root apt-get update -qq
  in_root apt-get install -y -q --no-install-recommends "/tmp/debs/$(basename "$deb_runtime")"
  # The programs run from what the package's Depends brought: nothing of a build is here.
  assert_no_build_tools
}

check_installed() {
  local out
  out=$(in_root jwtfort --version)
  [[ $out == "jwtfort $project_version" ]] || fail "jwtfort --version: '$out'"
  echo "$out"
  out=$(in_root jwtfort-server --version)
  [[ $out == "jwtfort-server $project_version" ]] || fail "jwtfort-server --version: '$out'"
  echo "$out"
  out=$(in_root dpkg-query -W -f '${Version}' jwtfort)
  [[ $out == "$project_version" ]] || fail "dpkg: jwtfort $out"
  # The service user, its state directory and the settings file.
  in_root getent passwd jwtfort | grep -q ':/var/lib/jwtfort:/usr/sbin/nologin$' ||
    fail "no system user jwtfort with home /var/lib/jwtfort: $(in_root getent passwd jwtfort)"
  out=$(in_root stat -c '%a %U:%G' /var/lib/jwtfort)
  [[ $out == "700 jwtfort:jwtfort" ]] || fail "/var/lib/jwtfort is $out"
  out=$(in_root stat -c '%a %U:%G' /etc/jwtfort/jwtfort-server.env)
  [[ $out == "640 root:jwtfort" ]] || fail "/etc/jwtfort/jwtfort-server.env is $out"
  in_root dpkg-query -W -f '${Conffiles}\n' jwtfort | grep -q '^ /etc/jwtfort/jwtfort-server.env ' ||
    fail "/etc/jwtfort/jwtfort-server.env is not a conffile"
  for page in jwtfort jwtfort-server; do
    [[ -f $root/usr/share/man/man1/$page.1.gz ]] || fail "no manual page $page(1)"
  done
  echo "user jwtfort, /var/lib/jwtfort 700 jwtfort:jwtfort, settings 640 root:jwtfort (a conffile)"
}

verify_unit() {
  # The host's systemd-analyze, on the root, where the unit's programs and user exist. The root
  # has no systemd, so not its targets (the unit's own dependencies are not checked), nor man
  # (check_installed looked for the pages the unit names).
  local unit=/lib/systemd/system/jwtfort-server.service
  systemd-analyze --root="$root" verify --man=no --recursive-errors=no "$unit"
  echo "systemd-analyze verify: no complaint"
  systemd-analyze --root="$root" security --offline=true "$unit" | grep 'Overall exposure level'
}

# The unit's settings, as systemd would apply them: User=, Group=, UMask=, WorkingDirectory=,
# EnvironmentFile=, ExecStart=.
unit_value() {
  sed -nE "s/^$1=(.*)$/\1/p" "$root/lib/systemd/system/jwtfort-server.service" | tail -1
}

# Runs in a new network namespace: starts the server as the unit would, logs alice in over HTTP
# with the host's curl, stops the server with SIGTERM.
serve_and_log_in() {  # ROOT USER GROUP UMASK WORKING_DIRECTORY LOG EXEC_START ENVIRONMENT...
  local root=$1 user=$2 group=$3 umask=$4 directory=$5 log=$6 exec_start=$7
  shift 7
  ip link set lo up
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  # shellcheck disable=SC2086  # ExecStart is split into words, as systemd does with this line
  (umask "$umask" && exec chroot "$root" setpriv --reuid="$user" --regid="$group" --init-groups \
    --no-new-privs /usr/bin/env -i --chdir="$directory" "$@" $exec_start) >"$log" 2>&1 &
  local server=$! url=""
  for _ in $(seq 100); do
    url=$(sed -nE 's/^jwtfort-server listening on (http:.*)$/\1/p' "$log")
    [[ -n $url ]] && break
    kill -0 $server 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $url ]] || { cat "$log" >&2; fail "the server did not start"; }
  echo "server: $url"
  local answer
  answer=$(curl -sS "$url/healthz")
  [[ $answer == '{"status":"ok"}' ]] || fail "/healthz: $answer"

  local body=${log%/*}/check-login.json status access
  printf '{"username":"alice","password":"%s"}' "$JWTFORT_CHECK_PASSWORD" |
    curl -sS -o "$body" -w '%{http_code}' -H 'Content-Type: application/json' -d @- \
      "$url/login" >"$body.status"
  status=$(cat "$body.status")
  [[ $status == 200 ]] || fail "/login: $status"
  access=$(sed -nE 's/.*"access_token":"([^"]+)".*/\1/p' "$body")
  rm -f "$body" "$body.status"
  [[ -n $access ]] || fail "/login gave no access token"
  answer=$(curl -sS -H "Authorization: Bearer $access" "$url/protected")
  [[ $answer == '{"user":"alice"}' ]] || fail "/protected: $answer"
  echo "alice logged in: /protected answers $answer"

  kill -TERM $server
  local code=0
  wait $server || code=$?
  [[ $code == 0 ]] || { cat "$log" >&2; fail "the server exited $code on SIGTERM"; }
  echo "server stopped by SIGTERM: exit 0"
}

run_service() {
  local user group env_file exec_start umask directory
  user=$(unit_value User)
  group=$(unit_value Group)
  umask=$(unit_value UMask)
  directory=$(unit_value WorkingDirectory)
  env_file=$(unit_value EnvironmentFile)
  exec_start=$(unit_value ExecStart)
  # Only what this script can reproduce exactly: no specifiers, quotes or variables.
  [[ $exec_start =~ ^/[^\"\'%\$]*$ ]] || fail "ExecStart needs systemd's parsing: $exec_start"
  local -a environment=()
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*=[^\"\'\\]*$ ]] ||
      fail "$env_file: a line this script cannot read as systemd does: $line"
    environment+=("$line")
  done <"$root$env_file"
  echo "ExecStart=$exec_start as $user:$group, umask $umask, in $directory, with ${environment[*]}"

  # The packaged command line makes the user (as the service user, with the packaged settings).
  local password
  password=$(head -c 18 /dev/urandom | base64)
  printf '%s\n' "$password" |
    in_root setpriv --reuid="$user" --regid="$group" --init-groups \
      jwtfort-server users add alice --role user --config "$env_file"

  # The server in a network namespace of its own (loopback only), started as the unit says; the
  # client is the host's curl in the same namespace.
  local log=$build_dir/check-server.log
  # --pid --kill-child: whatever happens, the server does not outlive this step.
  JWTFORT_CHECK_PASSWORD=$password unshare --net --mount --pid --fork --kill-child -- /bin/bash -c \
    "set -euo pipefail; $(declare -f fail serve_and_log_in); serve_and_log_in \"\$@\"" \
    check "$root" "$user" "$group" "${umask:-0022}" "${directory:-/}" "$log" "$exec_start" \
    "${environment[@]}"

  # What the first start left in the state directory: the service user's alone.
  local listing
  listing=$(in_root find /var/lib/jwtfort -mindepth 1 -maxdepth 1 -printf '%f %m %u:%g\n' | sort)
  echo "$listing"
  for file in keys.jwks users.db tokens.db; do
    grep -qx "$file 600 jwtfort:jwtfort" <<<"$listing" || fail "/var/lib/jwtfort/$file: not 600 jwtfort:jwtfort"
  done
  ! grep -q "password" "$log" || fail "the server log mentions a password"
}

check_conffile_kept() {
  echo "# an operator's edit" >>"$root/etc/jwtfort/jwtfort-server.env"
  in_root apt-get install -y -q --reinstall "/tmp/debs/$(basename "$deb_runtime")" >/dev/null
  tail -1 "$root/etc/jwtfort/jwtfort-server.env" | grep -qx "# an operator's edit" ||
    fail "reinstalling replaced the edited /etc/jwtfort/jwtfort-server.env"
  echo "the edited settings file survives a reinstall"
}

build_consumer() {
  # Only now a toolchain: the development package's Depends bring the -dev packages.
  in_root apt-get install -y -q --no-install-recommends "/tmp/debs/$(basename "$deb_dev")" \
    g++ cmake make
  rm -rf "$root/tmp/consumer"
  cp -r tests/package/consumer "$root/tmp/consumer"
  in_root cmake -S /tmp/consumer -B /tmp/consumer/build -DCMAKE_BUILD_TYPE=Release |
    grep 'jwtfort found in /usr/lib/x86_64-linux-gnu/cmake/jwtfort' ||
    fail "find_package(jwtfort) did not take the packaged CMake package"
  in_root cmake --build /tmp/consumer/build
  mkdir -p "$root/tmp/consumer/run"
  in_root /tmp/consumer/build/consumer /tmp/consumer/run
  echo "consumer (core, http, store_url) built and ran: exit 0"
}

# The packages' files, recorded before they go.
package_files=""
remove_packages() {
  package_files=$(in_root dpkg-query -L jwtfort libjwtfort-dev)
  in_root apt-get remove -y -q jwtfort libjwtfort-dev
  # remove keeps the settings (a conffile) and the state; the programs are gone.
  [[ ! -e $root/usr/bin/jwtfort-server && ! -e $root/usr/bin/jwtfort ]] || fail "programs left after remove"
  [[ -f $root/etc/jwtfort/jwtfort-server.env ]] || fail "remove deleted the settings file"
  [[ -f $root/var/lib/jwtfort/users.db ]] || fail "remove deleted the state"
  in_root getent passwd jwtfort >/dev/null || fail "remove deleted the user"
  echo "after remove: settings, state and user kept; programs gone"
}

purge_packages() {
  # libjwtfort-dev, without conffiles, went with remove; jwtfort kept its settings until now.
  in_root apt-get purge -y -q jwtfort
  local left=""
  while IFS= read -r path; do
    # Directories (and /lib, a link to one) may be shared; a file or link of the package may not.
    if [[ (-e $root$path || -L $root$path) && ! -d $root$path ]]; then left+="$path "; fi
  done <<<"$package_files"
  [[ -z $left ]] || fail "files of the packages left after purge: $left"
  # Nothing named after jwtfort anywhere in the root, but the user's account, which stays
  # (files elsewhere may carry its id).
  left=$(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./tmp \) -prune -o \
    -iname '*jwtfort*' -print)
  [[ -z $left ]] || fail "left after purge: $left"
  [[ ! -e $root/var/lib/jwtfort && ! -e $root/etc/jwtfort ]] || fail "state or settings left after purge"
  if in_root dpkg-query -W -f '${Status}\n' jwtfort 2>/dev/null | grep -q installed; then
    fail "dpkg still knows jwtfort"
  fi
  in_root getent passwd jwtfort >/dev/null && echo "the system user jwtfort stays (by design)"
  echo "after purge: no file of either package, no settings, no state"
}

step "build the packages" build_packages
step "lintian" run_lintian
step "bookworm root (mmdebstrap)" make_root
step "install jwtfort" install_runtime
step "versions, user, modes" check_installed
step "systemd-analyze verify" verify_unit
step "service: users add, login" run_service
step "conffile kept on reinstall" check_conffile_kept
step "libjwtfort-dev: consumer" build_consumer
step "apt-get remove" remove_packages
step "apt-get purge" purge_packages

remove_root() { rm -rf "$root"; }
$keep_root || step "delete the root" remove_root
echo
echo "=== check_packages.sh: all steps passed"
print_timings

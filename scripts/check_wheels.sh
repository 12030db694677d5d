#!/usr/bin/env bash
# Proves the Python artifacts in dist/ (scripts/package.sh) where nothing of the build exists: a
# minimal Debian bookworm root made by mmdebstrap with python3, python3-venv and ca-certificates,
# plus the programs the tests start or call (redis-server, nodejs for the OpenID Connect
# provider, openssl for test certificates), and no compiler, cmake or -dev package.
# Each wheel is pip-installed there with its test dependencies from PyPI, and the source tree's
# Python test suite runs against the installed package. Then the sdist: in a second root that has
# the toolchain and the -dev packages, `pip install` builds it, and the same suite runs.
#
#   scripts/check_wheels.sh [--keep] [X.Y...]    as root; default: every wheel in dist/
#
# The wheel for Debian's own python3 (3.11) runs on it. The others run on a CPython copied into
# the root from this machine's pyenv: an interpreter, not a build tool (the script checks that
# everything it links is in the root). Roots live in build-python/check-root-*; --keep leaves them.
set -Eeuo pipefail

cd "$(dirname "$0")/.."
keep_root=false
if [[ ${1:-} == --keep ]]; then
  keep_root=true
  shift
fi
selected=("$@")

source scripts/clean_root.sh
require_root_user check_wheels.sh

version=$(project_version)
sdist=dist/jwtfort-$version.tar.gz
shopt -s nullglob
wheels=(dist/jwtfort-"$version"-cp3*-manylinux_*_x86_64.whl)
shopt -u nullglob
[[ ${#wheels[@]} -gt 0 && -f $sdist ]] || fail "no wheels or sdist in dist/: run scripts/package.sh"
debian_python=3.11
root_packages=(python3 python3-venv ca-certificates redis-server nodejs openssl)
# What pip needs to build the sdist, as a user following docs/python.md would install it.
sdist_build_packages=(g++ cmake ninja-build pkg-config python3-dev libssl-dev libsodium-dev libsimdjson-dev
  libsqlite3-dev libhiredis-dev libcurl4-openssl-dev libtomlplusplus-dev)

wheel_python() { sed -nE 's/.*-cp([0-9])([0-9]+)-.*/\1.\2/p' <<<"$1"; }

# --- steps ------------------------------------------------------------------------------------
copy_tests() {  # the tests and what they read from the tree; never the package's sources
  local src=$root/src
  rm -rf "$src"
  mkdir -p "$src/python/jwtfort" "$src/examples" "$src/tests"
  cp -r tests/python tests/support tests/vectors "$src/tests/"
  if [[ -d tests/oidc ]]; then
    # The test provider's npm packages, installed here (npm is no runtime of the package).
    (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
    cp -r tests/oidc "$src/tests/"
  fi
  cp -r examples/fastapi "$src/examples/"
  cp CMakeLists.txt pyproject.toml "$src/"
  # test_native_stub.py compares the installed module's stub with the one in the tree.
  cp python/jwtfort/_native.pyi "$src/python/jwtfort/"
  find "$src" -name __pycache__ -prune -exec rm -rf {} +
  echo "tests copied: $(find "$src/tests" -name 'test_*.py' | wc -l) modules"
}

# A pyenv CPython at the same path in the root, so its own RPATH finds its libpython.
copy_interpreter() {  # copy_interpreter X.Y: prints the interpreter's path in the root
  local v=$1 python prefix
  [[ $v == "$debian_python" ]] && { echo /usr/bin/python3; return; }
  command -v pyenv >/dev/null || fail "CPython $v: not Debian's, and no pyenv here to copy it from"
  python=$(find "$(pyenv root)/versions" -maxdepth 3 -path "*/versions/$v.*/bin/python$v" | sort -V | tail -1)
  [[ -n $python ]] || fail "no pyenv CPython $v"
  prefix=${python%/bin/*}
  if [[ ! -x $root$python ]]; then
    mkdir -p "$root${prefix%/*}"
    cp -a "$prefix" "$root$prefix"
  fi
  # Every extension module but Tk's (the tests need no GUI, and the root no X libraries).
  local missing modules
  modules=$(cd "$root" && find ".$prefix/lib/python$v/lib-dynload" -name '*.so' ! -name '_tkinter*' | cut -c2-)
  # shellcheck disable=SC2086  # one path per word
  missing=$(in_root ldd "$python" $modules | grep 'not found' | sort -u || true)
  [[ -z $missing ]] || fail "CPython $v needs libraries the root lacks: $missing"
  echo "$python"
}

install_and_test() {  # install_and_test X.Y ARTIFACT: a venv with ARTIFACT[test], then pytest
  local v=$1 artifact=$2 python venv
  python=$(copy_interpreter "$v")
  venv=/opt/check-$v
  mkdir -p "$root/tmp/dist"
  cp "$artifact" "$root/tmp/dist/"
  in_root rm -rf "$venv"
  in_root "$python" -m venv "$venv"
  in_root "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "/tmp/dist/$(basename "$artifact")[test]"
  # The package under test is the installed one: its files in the venv, its OpenSSL its own.
  in_root "$venv/bin/python" - "$venv" "$version" <<'EOF'
import glob, os, subprocess, sys
import jwtfort
venv, version = sys.argv[1], sys.argv[2]
assert jwtfort.__file__.startswith(venv + "/lib/"), jwtfort.__file__
assert jwtfort.__version__ == version, jwtfort.__version__
(native,) = glob.glob(os.path.join(os.path.dirname(jwtfort.__file__), "_native*.so"))
links = subprocess.run(["ldd", native], capture_output=True, text=True, check=True).stdout
crypto = [line.split()[2] for line in links.splitlines() if "libcrypto" in line]
print(f"jwtfort {jwtfort.__version__} from {jwtfort.__file__}")
print(f"  {jwtfort.__openssl_version__}; libcrypto: {crypto}")
EOF
  in_root sh -c "cd /src && '$venv/bin/python' -m pytest -p no:cacheprovider -q tests/python" |
    tail -3
}

check_wheel() {  # check_wheel WHEEL
  install_and_test "$(wheel_python "$1")" "$1"
}

check_sdist() {
  install_and_test "$debian_python" "$sdist"
}

wanted() {  # wanted X.Y: whether the command line selects this Python
  [[ ${#selected[@]} -eq 0 ]] && return 0
  local s
  for s in "${selected[@]}"; do [[ $s == "$1" ]] && return 0; done
  return 1
}

root=$PWD/build-python/check-root-wheels
step "bookworm root for the wheels (mmdebstrap)" make_root "${root_packages[@]}"
step "the host's local CAs" trust_host_local_cas
step "no build tools in the root" assert_no_build_tools
step "copy the tests" copy_tests
for wheel in "${wheels[@]}"; do
  wanted "$(wheel_python "$wheel")" || continue
  step "$(basename "$wheel")" check_wheel "$wheel"
done
step "still no build tools in the root" assert_no_build_tools
$keep_root || rm -rf "$root"

root=$PWD/build-python/check-root-sdist
# This root has the toolchain and the -dev packages: pip builds the module from the sdist.
step "bookworm root for the sdist (mmdebstrap)" make_root "${root_packages[@]}" "${sdist_build_packages[@]}"
step "the host's local CAs" trust_host_local_cas
step "copy the tests" copy_tests
step "$(basename "$sdist") (built by pip in the root)" check_sdist
$keep_root || rm -rf "$root"

echo
echo "=== check_wheels.sh: all steps passed"
print_timings

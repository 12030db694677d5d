#!/usr/bin/env bash
# Installs the Debian packages jwtfort builds and tests with. Idempotent: does nothing when
# everything is present. Needs root (or sudo).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config openssl python3
  libssl-dev libsodium-dev libsimdjson-dev nlohmann-json3-dev
  libsqlite3-dev libhiredis-dev redis-server libcurl4-openssl-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 clang-format-14 libfuzzer-14-dev libclang-rt-14-dev
  libjwt-dev
  libboost1.81-dev libcpp-httplib-dev libargon2-dev nginx wrk python3-venv curl
  nodejs
)
# The OpenID Connect provider of the tests runs on Node.js, installed by npm (tests/oidc). A nodejs
# package that brings its own npm needs nothing more; Debian's own nodejs needs the npm package.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[deps] all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "[deps] installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

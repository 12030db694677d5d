#!/usr/bin/env bash
# The main job for now: builds the `jwtfort` command and walks through keygen -> sign -> verify,
# including a rejected token. Keys and tokens go to a temporary directory that is removed after.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
build="${BUILD_DIR:-build}"  # another build directory may be named, e.g. BUILD_DIR=build-cli
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target jwtfort_cli -j "$(nproc)"
jwtfort="$(cd "$build" && pwd)/cli/jwtfort"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# The echoed command goes to stderr, so a pipe after `run` (| tee token) gets the output only.
run() { printf '\n$ %s\n' "$*" >&2; "$@"; }

run "$jwtfort" keygen --alg ES256 --out es256.jwk
run "$jwtfort" jwks es256.jwk | tee jwks.json   # the public half, for verifiers
now=$(date +%s)
run "$jwtfort" sign --key es256.jwk --exp 900 \
  '{"sub":"alice","iss":"https://auth.example.com","aud":"api.example.com"}' | tee token
run "$jwtfort" verify --jwks jwks.json --iss https://auth.example.com --aud api.example.com "$(cat token)"
echo "exit status: $?"

printf '\n# the same token 901 seconds later is rejected:'
status=0
run "$jwtfort" verify --jwks jwks.json --iss https://auth.example.com --aud api.example.com \
  --now $((now + 901)) "$(cat token)" || status=$?
echo "exit status: $status"

printf '\n# a token whose payload was changed is rejected:'
tampered=$(cut -d. -f1 token).$(printf '{"sub":"admin"}' | base64 | tr '+/' '-_' | tr -d '=\n').$(cut -d. -f3 token)
status=0
run "$jwtfort" verify --jwks jwks.json "$tampered" || status=$?
echo "exit status: $status"

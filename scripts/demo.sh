#!/usr/bin/env bash
# The main job for now: builds the `jwtfort` command and walks through keygen -> sign -> verify,
# including rejected tokens, then the token life cycle on an embedded SQLite store: a key ring,
# access and refresh tokens, refresh rotation, reuse detection and revocation. Keys, tokens and
# the database go to a temporary directory that is removed after.
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
# Tokens go in on stdin (`-`): an argument would show in every user's process list.
run "$jwtfort" verify --jwks jwks.json --iss https://auth.example.com --aud api.example.com - < token
echo "exit status: $?"

printf '\n# the same token 901 seconds later is rejected:'
status=0
run "$jwtfort" verify --jwks jwks.json --iss https://auth.example.com --aud api.example.com \
  --now $((now + 901)) - < token || status=$?
echo "exit status: $status"

printf '\n# a token whose payload was changed is rejected:'
tampered=$(cut -d. -f1 token).$(printf '{"sub":"admin"}' | base64 | tr '+/' '-_' | tr -d '=\n').$(cut -d. -f3 token)
status=0
printf '%s\n' "$tampered" | run "$jwtfort" verify --jwks jwks.json - || status=$?
echo "exit status: $status"

printf '\n# the token life cycle, on a key ring and an embedded SQLite store:\n'
export AUTHJWT_ALGORITHM=ES256 AUTHJWT_DENYLIST_ENABLED=true \
  JWTFORT_KEY_RING_FILE="$work/ring.json" JWTFORT_STORE_URL="sqlite://$work/tokens.db"
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
run "$jwtfort" keys rotate --alg ES256
run "$jwtfort" token create --sub alice --fresh | tee pair.json
field pair.json access_token | run "$jwtfort" token verify --fresh - >/dev/null && echo "valid"
field pair.json refresh_token | run "$jwtfort" token refresh - | tee pair2.json

printf '\n# the spent refresh token again: reuse, and its whole family is revoked:'
status=0
field pair.json refresh_token | run "$jwtfort" token refresh - || status=$?
echo "exit status: $status"
status=0
field pair2.json refresh_token | run "$jwtfort" token refresh - || status=$?
echo "exit status: $status"

printf '\n# log out everywhere, then the access token is refused too:'
run "$jwtfort" token revoke --subject alice
status=0
field pair2.json access_token | run "$jwtfort" token verify - || status=$?
echo "exit status: $status"
run "$jwtfort" store stats

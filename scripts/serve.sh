#!/usr/bin/env bash
# The main job: builds and starts the reference server jwtfort-server on http://127.0.0.1:8000
# with an embedded SQLite store in ./jwtfort-data (users, keys and revocations survive a restart).
# The first run creates the user "demo" and prints its password once.
# Arguments go to `jwtfort-server serve` (e.g. --listen 127.0.0.1:9000); JWTFORT_*/AUTHJWT_*
# environment variables configure it (docs/configuration.md, docs/server.md). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
build="${BUILD_DIR:-build}"
echo "[serve] building jwtfort-server in $build (the first build takes a few minutes)"
cmake --preset release -B "$build" >/dev/null  # the build scripts/test.sh makes (CMakePresets.json)
cmake --build "$build" --target jwtfort_server -j "$(nproc)"
exec "$build/server/jwtfort-server" serve --data-dir "${JWTFORT_DATA_DIR:-jwtfort-data}" "$@"

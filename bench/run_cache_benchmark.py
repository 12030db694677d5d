#!/usr/bin/env python3
"""Measures jwtfort-server's verified-token cache over HTTP and writes its section of
docs/benchmarks.md: `/auth/verify` with a working set of 200 tokens on a fresh server, next to
the same load on a server whose cache has just seen ten times its capacity in distinct tokens.

Usage: python3 bench/run_cache_benchmark.py [--quick] [--build DIR] [--server PATH] [--no-doc]

Two servers, both on 127.0.0.1 and both up for the whole run, with the same HS256 secret and a
cache of 2,000 entries (JWTFORT_VERIFIED_CACHE_ENTRIES, small so that filling it ten times over
takes seconds). The tokens are minted here with the secret. wrk sends the working set round
robin, one token per request; before each of its measured runs, the filled server first gets
20,000 requests with tokens it has never seen, over keep-alive connections. The repetitions of
the two servers are interleaved and the report shows medians; the cache's own counters, read
from /metrics around each run, give its hit rate. Any response other than 200 fails the run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import pathlib
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from harness import (
    HOST,
    VERIFY,
    Bar,
    Server,
    Servers,
    WrkPlan,
    add_run_arguments,
    add_server_arguments,
    check_verify,
    clean_environment,
    hit_rate,
    hs256_signer,
    machine,
    mint,
    progress,
    publish,
    run_wrk,
    section_head,
    server_binary,
    server_command_line,
    start_jwtfort_server,
    tokens_lua_script,
    tool_versions,
    verified_cache_stats,
    wrk_command,
)

BEGIN, END = "<!-- cache-results:begin -->", "<!-- cache-results:end -->"
CAPACITY = 2000  # JWTFORT_VERIFIED_CACHE_ENTRIES for both servers
WORKING_SET = 200
FILL = 10 * CAPACITY  # distinct tokens before each measured run of the filled server
FILL_CONNECTIONS = 4
WRK_THREADS, WRK_CONNECTIONS = 2, 64
MIN_RATIO = 0.9  # filled ÷ fresh, requests/s
PATH = VERIFY
FRESH, FILLED = "fresh server", f"after {FILL:,} distinct tokens"


FULL = WrkPlan(seconds=8, warmup=2, repetitions=5)
QUICK = WrkPlan(seconds=2, warmup=1, repetitions=1)


# --- the servers ----------------------------------------------------------------------------


def start_server(servers: Servers, binary: pathlib.Path, env: dict[str, str],
                 work: pathlib.Path, name: str) -> Server:
    data = work / name.replace(" ", "-").replace(",", "")
    return start_jwtfort_server(servers, binary, name, env, data)


def fill(server: Server, tokens: list[str]) -> float:
    """Sends each token once over keep-alive connections; returns the seconds it took."""
    failures: list[str] = []

    def send(part: list[str]) -> None:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
        try:
            for token in part:
                conn.request("GET", PATH, headers={"Authorization": f"Bearer {token}"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    failures.append(f"{r.status}")
                    return
        finally:
            conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=send, args=(tokens[i::FILL_CONNECTIONS],))
               for i in range(FILL_CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{server.name}: filling answered {failures[0]}")
    return time.monotonic() - started


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p99_ms: float
    requests: int
    cpu_us_per_request: float
    hit_rate: float  # of the cache, during the run
    errors: int


def working_set_wrk(url: str, script: pathlib.Path, seconds: int) -> list[str]:
    return wrk_command(url, seconds, threads=WRK_THREADS, connections=WRK_CONNECTIONS,
                       script=script)


def wrk(server: Server, script: pathlib.Path, seconds: int) -> Run:
    before = verified_cache_stats(server)
    command = working_set_wrk(server.url(PATH), script, seconds)
    parsed = run_wrk(server, command, server.name, seconds)
    return Run(rps=parsed.rps, p99_ms=parsed.p99_ms, requests=parsed.requests,
               cpu_us_per_request=parsed.cpu_seconds / parsed.requests * 1e6,
               hit_rate=hit_rate(before, verified_cache_stats(server)), errors=parsed.errors)


@dataclass
class Outcome:
    runs: dict[str, list[Run]]
    fill_rates: list[float]  # requests/s while filling
    after_fill: dict[str, int]  # the filled server's counters after its last fill
    info: dict[str, str]
    load: tuple[float, float]


def run_all(plan: WrkPlan, binary: pathlib.Path, build_dir: pathlib.Path,
            servers: Servers) -> Outcome:
    load_start = os.getloadavg()[0]
    secret = secrets.token_urlsafe(48)
    env = dict(clean_environment(), AUTHJWT_SECRET_KEY=secret, AUTHJWT_ALGORITHM="HS256",
               JWTFORT_LOG="off", JWTFORT_VERIFIED_CACHE_ENTRIES=str(CAPACITY))
    now = int(time.time())
    sign = hs256_signer(secret)
    working_set = [mint("HS256", sign, f"client-{i}", now) for i in range(WORKING_SET)]
    runs: dict[str, list[Run]] = {FRESH: [], FILLED: []}
    fill_rates: list[float] = []
    after_fill: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="jwtfort-cache-bench-") as tmp:
        work = pathlib.Path(tmp)
        tokens_file = work / "working_set.txt"
        tokens_file.write_text("\n".join(working_set) + "\n")
        script = tokens_lua_script(tokens_file, work / "working_set.lua", PATH, WRK_THREADS)
        started = {name: start_server(servers, binary, env, work, name)
                   for name in (FRESH, FILLED)}
        for server in started.values():
            check_verify(server, working_set[0])
            wrk(server, script, plan.warmup)
        for rep in range(plan.repetitions):
            order = [FRESH, FILLED] if rep % 2 == 0 else [FILLED, FRESH]
            for name in order:
                server = started[name]
                if name == FILLED:
                    tokens = [mint("HS256", sign, f"once-{rep}-{i}", now) for i in range(FILL)]
                    seconds = fill(server, tokens)
                    fill_rates.append(FILL / seconds)
                    after_fill = verified_cache_stats(server)
                    progress(f"  filled with {FILL:,} distinct tokens in {seconds:.1f} s; cache: "
                             f"{after_fill}")
                r = wrk(server, script, plan.seconds)
                runs[name].append(r)
                progress(f"  {rep + 1}/{plan.repetitions} {name}: {r.rps:,.0f} req/s, "
                         f"p99 {r.p99_ms:.2f} ms, hit rate {r.hit_rate * 100:.1f}%")
        servers.stop_all()
    info = machine(build_dir) | tool_versions(binary, pathlib.Path(sys.executable))
    return Outcome(runs, fill_rates, after_fill, info, (load_start, os.getloadavg()[0]))


# --- the report -----------------------------------------------------------------------------


def median(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def report(o: Outcome, plan: WrkPlan, command: str) -> str:
    example = " ".join(working_set_wrk(f"http://{HOST}:PORT{PATH}",
                                       pathlib.Path("working_set.lua"), plan.seconds))
    ratio = median(o.runs[FILLED], "rps") / median(o.runs[FRESH], "rps")
    cpu_ratio = (median(o.runs[FILLED], "cpu_us_per_request") /
                 median(o.runs[FRESH], "cpu_us_per_request"))
    errors = sum(r.errors for runs in o.runs.values() for r in runs)
    bar = Bar(f"requests/s after {FILL:,} distinct tokens ÷ on a fresh server ≥ {MIN_RATIO}",
              ratio, MIN_RATIO, False, "×")
    lines = section_head(BEGIN, "bench/run_cache_benchmark.py", o.info, o.load, command)
    lines += [
        f"**Load generator:** `{example}` ({o.info['wrk']}), the script sending the "
        f"{WORKING_SET} working-set tokens round robin; {plan.warmup} s of warm-up per server, "
        f"then {plan.repetitions} interleaved repetitions of {plan.seconds} s; medians. Cache: "
        f"`JWTFORT_VERIFIED_CACHE_ENTRIES={CAPACITY}` on both servers (the default is 16384), "
        f"default byte bound (16 MiB).", "",
        "| server | requests/s | p99 ms | server CPU µs/request | cache hit rate during the run |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in (FRESH, FILLED):
        runs = o.runs[name]
        lines.append(f"| {name} | {median(runs, 'rps'):,.0f} | {median(runs, 'p99_ms'):.2f} | "
                     f"{median(runs, 'cpu_us_per_request'):.1f} | "
                     f"{median(runs, 'hit_rate') * 100:.2f}% |")
    s = o.after_fill
    lines += [
        "",
        f"Filling: {FILL:,} requests with distinct tokens before each run of the second server, "
        f"{FILL_CONNECTIONS} keep-alive connections, median "
        f"{statistics.median(o.fill_rates):,.0f} requests/s. Its cache after the last fill: "
        f"{s.get('entries', 0):,} entries, {s.get('bytes', 0):,} bytes, "
        f"{s.get('evictions', 0):,} evictions in all, {s.get('hits', 0):,} hits and "
        f"{s.get('misses', 0):,} misses in all.", "",
        f"Server CPU time per request after the fill ÷ on the fresh server: {cpu_ratio:.2f}× "
        "(wrk and other work on the machine move requests/s much more than this).", "",
        f"Every response was 200 (any other fails the run); wrk socket errors: {errors}.", "",
        "| bar | measured | result | margin |", "|---|---:|---|---:|", bar.row(), "",
        "Margin: how far inside (+) or outside (−) the limit, relative to the limit.", END,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_arguments(parser,
                         "build directory holding server/jwtfort-server (default: build)")
    add_run_arguments(parser)
    args = parser.parse_args()
    build_dir = args.build.resolve()
    binary = server_binary(parser, args)
    plan = QUICK if args.quick else FULL
    servers = Servers()
    try:
        outcome = run_all(plan, binary, build_dir, servers)
    finally:
        servers.stop_all()
    section = report(outcome, plan, server_command_line("bench/run_cache_benchmark.py", args))
    publish(section, BEGIN, END, to_doc=not args.no_doc)
    return 0 if outcome.runs and section.count("| PASS |") == 1 else 1


if __name__ == "__main__":
    sys.exit(main())

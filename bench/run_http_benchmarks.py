#!/usr/bin/env python3
"""Measures jwtfort-server over HTTP next to two FastAPI peers and writes its section of
docs/benchmarks.md.

Usage: python3 bench/run_http_benchmarks.py [--quick] [--build DIR] [--server PATH]
                                            [--baseline PATH] [--no-doc]

Servers, all on 127.0.0.1 and all up for the whole run: jwtfort-server with its default thread
count, jwtfort-server with one thread, and the apps in bench/http/peers (fastapi-jwt-auth and
AuthX, each on uvicorn with one worker, each in its own virtualenv under <build>/bench-venvs).
All sign and verify HS256 with the same secret. wrk loads `GET /protected` with a valid access
token and `GET /public` (no authentication) on every server; the repetitions of all targets are
interleaved, so a slow stretch of the shared machine hits every target alike, and the report
shows medians. With --baseline, an earlier jwtfort-server binary runs beside this one (default
threads), and a bar says what this build costs on /protected against it. Any non-2xx response
fails the run. Last, wrk sends at least a million requests
to jwtfort's /protected while the server's VmRSS is sampled every second.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from harness import (
    HOST,
    PEER_DIR,
    PEERS,
    Bar,
    Peer,
    Run,
    Server,
    Servers,
    Target,
    add_run_arguments,
    add_server_arguments,
    check_routes,
    cpu_busy,
    cpu_us_per_request,
    ensure_venv,
    environments,
    free_port,
    log_in,
    machine,
    measure_interleaved,
    median_of,
    pinning,
    progress,
    publish,
    run_wrk,
    section_head,
    server_binary,
    server_command_line,
    shown_path,
    start_jwtfort_server,
    stop_on_signals,
    tool_versions,
    wait_ready,
    wrk_command,
)

BEGIN, END = "<!-- http-results:begin -->", "<!-- http-results:end -->"
WRK_THREADS, WRK_CONNECTIONS = 2, 64
MAX_AUTH_COST = 10.0  # per cent of /public's throughput that authentication may cost
MIN_PEER_RATIO = 20.0  # jwtfort /protected at least this many times a peer's
MAX_GROWTH_FRACTION, MAX_GROWTH_MIB = 0.05, 4.0  # "flat": growth within the larger of the two
MIN_BASELINE_RATIO = 0.98  # this build's /protected at least this share of the baseline's
BASELINE = "jwtfort-server (baseline)"


@dataclass(frozen=True)
class Plan:
    seconds: int  # one measured wrk run
    warmup: int  # one unmeasured wrk run per target first
    repetitions: int
    memory_requests: int
    memory_seconds: int  # at most, so that a slow server cannot stretch the run without bound


FULL = Plan(seconds=8, warmup=2, repetitions=3, memory_requests=1_000_000, memory_seconds=150)
QUICK = Plan(seconds=2, warmup=1, repetitions=3, memory_requests=200_000, memory_seconds=20)


# --- the servers ----------------------------------------------------------------------------


def start_peer(servers: Servers, peer: Peer, python: pathlib.Path, env: dict[str, str],
               work: pathlib.Path, cpus: set[int] | None) -> Server:
    port = free_port()
    # One worker, uvloop and httptools named explicitly so that a missing one fails loudly;
    # no access log, like jwtfort-server with JWTFORT_LOG=off.
    cmd = [str(python), "-m", "uvicorn", f"{peer.module}:app", "--app-dir", str(PEER_DIR),
           "--host", HOST, "--port", str(port), "--workers", "1", "--loop", "uvloop",
           "--http", "httptools", "--log-level", "warning", "--no-access-log"]
    server = servers.start(peer.name, cmd, env, port, work / f"{peer.venv}.log", cpus)
    wait_ready(server, "/public")
    return server


def start_jwtfort(servers: Servers, binary: pathlib.Path, env: dict[str, str], password: str,
                  work: pathlib.Path, threads: int | None, cpus: set[int] | None,
                  name: str | None = None) -> Server:
    name = name or "jwtfort-server" + (f" --threads {threads}" if threads else "")
    data = work / ("jwtfort-baseline" if name == BASELINE else
                   "jwtfort-default" if threads is None else f"jwtfort-{threads}")
    return start_jwtfort_server(servers, binary, name, env, data, password=password,
                                threads=threads, cpus=cpus)


# --- wrk ------------------------------------------------------------------------------------


def bearer_wrk(url: str, token: str, seconds: int) -> list[str]:
    # Every target gets the same header, /public too, so that both routes parse the same bytes.
    return wrk_command(url, seconds, threads=WRK_THREADS, connections=WRK_CONNECTIONS,
                       token=token)


def other_cpus(server: Server) -> set[int] | None:
    """wrk stays off the CPUs of a confined server, so that it takes nothing from it."""
    if server.cpus is None:
        return None
    return (os.sched_getaffinity(0) - server.cpus) or None


def wrk(server: Server, path: str, seconds: int) -> Run:
    return run_wrk(server, bearer_wrk(server.url(path), server.token, seconds),
                   f"{server.name} {path}", seconds, pinning(other_cpus(server)))


def measure(servers: dict[str, Server], targets: list[Target],
            plan: Plan) -> dict[Target, list[Run]]:
    return measure_interleaved(
        targets, plan.warmup, plan.seconds, plan.repetitions,
        lambda t, seconds: wrk(servers[t.server], t.path, seconds),
        lambda r: f"{r.rps:,.0f} req/s, p99 {r.p99_ms:.2f} ms")


# --- memory ---------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Memory:
    requests: int = 0
    seconds: float = 0.0
    samples: list[int] = field(default_factory=list)  # KiB, one a second, the first at idle
    idle_after: int = 0

    @property
    def start(self) -> int:  # one second into the load, the server already warm
        return self.samples[1] if len(self.samples) > 1 else self.samples[0]


def sample_rss(pid: int, memory: Memory, stop: threading.Event) -> None:
    while True:
        memory.samples.append(rss_kib(pid))
        if stop.wait(1.0):
            return


def memory_run(server: Server, plan: Plan, rate: float) -> Memory:
    """wrk on /protected until the plan's requests were served, VmRSS sampled every second."""
    memory, stop = Memory(), threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(server.proc.pid, memory, stop))
    sampler.start()
    started = time.monotonic()
    try:
        # wrk runs for a duration, not a count: aim 10% past the goal and top up if short.
        while memory.requests < plan.memory_requests:
            left = plan.memory_seconds - int(time.monotonic() - started)
            if left < 1:
                break
            wanted = math.ceil((plan.memory_requests - memory.requests) * 1.1 / rate)
            seconds = min(left, max(5, wanted))
            progress(f"  {server.name} /protected for {seconds} s (RSS every second)")
            memory.requests += wrk(server, "/protected", seconds).requests
    finally:
        stop.set()
        sampler.join()
    memory.seconds = time.monotonic() - started
    time.sleep(1)
    memory.idle_after = rss_kib(server.proc.pid)
    return memory


# --- the report -----------------------------------------------------------------------------


def auth_cost(runs: dict[Target, list[Run]], server: str) -> float:
    """Throughput lost to authentication, in per cent of the unauthenticated route's."""
    protected = median_of(runs[Target(server, "/protected")], "rps")
    public = median_of(runs[Target(server, "/public")], "rps")
    return (1 - protected / public) * 100


def mib(kib: float) -> float:
    return kib / 1024


@dataclass
class Outcome:
    runs: dict[Target, list[Run]]
    layout: dict[str, str]  # server key -> threads and CPUs, as shown
    memory: Memory
    versions: dict[str, dict[str, str]]  # peer name -> distribution versions
    info: dict[str, str]
    load: tuple[float, float]


def results_table(o: Outcome) -> list[str]:
    lines = ["| server | threads, CPUs | route | requests/s | p99 ms | server CPU µs/request "
             "| server CPU % of a core |", "|---|---|---|---:|---:|---:|---:|"]
    for t, runs in o.runs.items():
        lines.append(f"| {t.server} | {o.layout[t.server]} | `{t.path}` | "
                     f"{median_of(runs, 'rps'):,.0f} | {median_of(runs, 'p99_ms'):.2f} | "
                     f"{cpu_us_per_request(runs):.1f} | {cpu_busy(runs):.0f} |")
    return lines


def bars(o: Outcome, default: str, single: str, plan: Plan) -> list[Bar]:
    def rps(server: str) -> float:
        return median_of(o.runs[Target(server, "/protected")], "rps")

    out = [Bar(f"auth cost on jwtfort, {o.layout[s]}: 1 − /protected ÷ /public ≤ "
               f"{MAX_AUTH_COST:.0f}%", auth_cost(o.runs, s), MAX_AUTH_COST, True, "%")
           for s in (default, single)]
    for ours in (default, single):
        for peer in PEERS:
            out.append(Bar(f"jwtfort ({o.layout[ours]}) ÷ {peer.name} (1 worker), /protected "
                           f"requests/s ≥ {MIN_PEER_RATIO:.0f}×", rps(ours) / rps(peer.name),
                           MIN_PEER_RATIO, False, "×"))
    if BASELINE in o.layout:
        out.append(Bar(f"{default} ÷ {BASELINE}, /protected requests/s ≥ {MIN_BASELINE_RATIO}",
                       rps(default) / rps(BASELINE), MIN_BASELINE_RATIO, False, "×"))
    m = o.memory
    limit = max(MAX_GROWTH_FRACTION * mib(m.start), MAX_GROWTH_MIB)
    out.append(Bar(f"jwtfort RSS growth over {m.requests:,} requests ≤ the larger of "
                   f"{MAX_GROWTH_FRACTION * 100:.0f}% and {MAX_GROWTH_MIB:.0f} MiB "
                   f"({limit:.1f} MiB)", mib(m.samples[-1] - m.start), limit, True, " MiB"))
    if m.requests < plan.memory_requests:
        out[-1].text += f" (short of the {plan.memory_requests:,} aimed at)"
    return out


def peer_versions(o: Outcome) -> str:
    parts = []
    for peer in PEERS:
        v = o.versions[peer.name]
        own = next(iter(v))  # the first pin is the library itself
        rest = ", ".join(f"{shown} {v[k]}" for k, shown in (("fastapi", "FastAPI"),
                         ("starlette", "Starlette"), ("pydantic", "pydantic"), ("PyJWT", "PyJWT")))
        parts.append(f"{peer.name} {v[own]} ({rest})")
    uvicorn = o.versions[PEERS[0].name]
    return ("; ".join(parts) + f"; both on uvicorn {uvicorn['uvicorn']} with uvloop "
            f"{uvicorn['uvloop']} and httptools {uvicorn['httptools']}, "
            f"Python {o.info['python']}")


def spread(o: Outcome) -> str:
    """The largest (max − min) ÷ median of requests/s across the repetitions of one target."""
    worst, target = 0.0, None
    for t, runs in o.runs.items():
        rates = [r.rps for r in runs]
        s = (max(rates) - min(rates)) / statistics.median(rates)
        if s > worst:
            worst, target = s, t
    return f"{worst * 100:.1f}% ({target.server} {target.path})" if target else "–"


def cpu_ratio_line(o: Outcome, single: str) -> str:
    """The comparison that neither wrk's speed nor other work on the machine moves much."""
    def cost(server: str) -> float:
        return cpu_us_per_request(o.runs[Target(server, "/protected")])

    ratios = ", ".join(f"{p.name} {cost(p.name) / cost(single):.1f}×" for p in PEERS)
    return (f"Server CPU time per `/protected` request, as a multiple of jwtfort's with one "
            f"thread: {ratios}.")


def memory_lines(m: Memory, server: str) -> list[str]:
    growth = m.samples[-1] - m.start
    return [f"Memory: {m.requests:,} requests to {server} `/protected` in {m.seconds:.0f} s, "
            f"VmRSS sampled every second ({len(m.samples)} samples): "
            f"{mib(m.samples[0]):.1f} MiB idle before, {mib(m.start):.1f} MiB one second into "
            f"the load (the start; the server had already served the runs above), "
            f"{mib(max(m.samples)):.1f} MiB at most, {mib(m.samples[-1]):.1f} MiB at the end "
            f"(growth {mib(growth):+.2f} MiB, {growth / m.start * 100:+.1f}%), "
            f"{mib(m.idle_after):.1f} MiB idle after."]


def report(o: Outcome, plan: Plan, command: str, default: str, single: str) -> str:
    errors = sum(r.errors for runs in o.runs.values() for r in runs)
    example = " ".join(bearer_wrk(f"http://{HOST}:PORT/protected", "<token>", plan.seconds))
    example = example.replace("Authorization: Bearer <token>", "'Authorization: Bearer <token>'")
    lines = section_head(BEGIN, "bench/run_http_benchmarks.py", o.info, o.load, command,
                         f"; above {o.info['cores']} at the start, other work was competing for "
                         "the CPU (the end includes this benchmark's own load)")
    lines += [
        f"**Load generator:** `{example}` ({o.info['wrk']}); {plan.warmup} s of warm-up per "
        f"target, then {plan.repetitions} interleaved repetitions of {plan.seconds} s; medians.",
        "",
        f"**Peers:** {peer_versions(o)}. All servers sign and verify HS256 with the same "
        "secret. jwtfort-server also checks every token against its revocation store (SQLite "
        "in its data directory, read from an in-process index); the peers check none, their "
        "denylists being off by default.", "",
    ]
    lines += results_table(o) + [""]
    peer_costs = ", ".join(f"{p.name} {auth_cost(o.runs, p.name):.0f}%" for p in PEERS)
    lines += [f"Share of throughput that authentication costs (1 − /protected ÷ /public): "
              f"jwtfort {auth_cost(o.runs, default):.1f}% ({o.layout[default]}), "
              f"{auth_cost(o.runs, single):.1f}% ({o.layout[single]}); {peer_costs}.", ""]
    lines += [cpu_ratio_line(o, single), ""]
    lines += memory_lines(o.memory, default) + [""]
    lines += [f"Every response was 2xx (any other fails the run); wrk socket errors: {errors}. "
              f"Spread of requests/s across repetitions, largest: {spread(o)}.", ""]
    lines += ["| bar | measured | result | margin |", "|---|---:|---|---:|"]
    lines += [b.row() for b in bars(o, default, single, plan)]
    lines += ["", "Margin: how far inside (+) or outside (−) the limit, relative to the limit.",
              END]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------


def cpu_layout() -> tuple[set[int] | None, str]:
    """The CPU for the one-core servers, the rest left to wrk; no pinning on one CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, "unpinned"
    return {cpus[0]}, f"CPU {cpus[0]}, wrk on the others"


def run_all(args: argparse.Namespace, binary: pathlib.Path, build_dir: pathlib.Path,
            servers: Servers) -> Outcome:
    plan = QUICK if args.quick else FULL
    load_start = os.getloadavg()[0]
    venvs = {p.name: ensure_venv(p, build_dir / "bench-venvs") for p in PEERS}
    secret, password = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    jwtfort_env, peer_env = environments(secret, password)
    one_cpu, one_cpu_text = cpu_layout()
    cores = len(os.sched_getaffinity(0))
    default, single = "jwtfort-server", "jwtfort-server --threads 1"
    layout = {default: f"default threads ({cores}), unpinned, wrk alongside",
              single: f"1 thread, {one_cpu_text}"}
    with tempfile.TemporaryDirectory(prefix="jwtfort-http-bench-") as tmp:
        work = pathlib.Path(tmp)
        started = {default: start_jwtfort(servers, binary, jwtfort_env, password, work, None, None),
                   single: start_jwtfort(servers, binary, jwtfort_env, password, work, 1, one_cpu)}
        if args.baseline:
            started[BASELINE] = start_jwtfort(servers, args.baseline.resolve(), jwtfort_env,
                                              password, work, None, None, BASELINE)
            layout[BASELINE] = layout[default]
        for peer in PEERS:
            started[peer.name] = start_peer(servers, peer, venvs[peer.name][0], peer_env, work,
                                            one_cpu)
            layout[peer.name] = f"1 worker, {one_cpu_text}"
        for server in started.values():
            log_in(server, password)
            check_routes(server)
        targets = [Target(name, path) for name in started for path in ("/protected", "/public")]
        progress(f"measuring {len(targets)} targets: {plan.warmup} s warm-up each, then "
                 f"{plan.repetitions} × {plan.seconds} s, interleaved")
        runs = measure(started, targets, plan)
        progress(f"memory: {plan.memory_requests:,} requests to {default} /protected")
        rate = median_of(runs[Target(default, "/protected")], "rps")
        memory = memory_run(started[default], plan, rate)
        servers.stop_all()
    info = machine(build_dir) | tool_versions(binary, venvs[PEERS[0].name][0])
    return Outcome(runs, layout, memory, {n: v[1] for n, v in venvs.items()}, info,
                   (load_start, os.getloadavg()[0]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_arguments(parser, "build directory: the server and bench-venvs/ (default: build)")
    parser.add_argument("--baseline", type=pathlib.Path,
                        help="an earlier jwtfort-server binary to measure beside this one")
    add_run_arguments(parser)
    args = parser.parse_args()
    build_dir = args.build.resolve()
    binary = server_binary(parser, args)
    stop_on_signals()
    servers = Servers()
    try:
        outcome = run_all(args, binary, build_dir, servers)
    finally:
        servers.stop_all()
    plan = QUICK if args.quick else FULL
    baseline = ("--baseline", shown_path(args.baseline)) if args.baseline else ()
    command = server_command_line("bench/run_http_benchmarks.py", args, baseline)
    section = report(outcome, plan, command, "jwtfort-server", "jwtfort-server --threads 1")
    publish(section, BEGIN, END, to_doc=not args.no_doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

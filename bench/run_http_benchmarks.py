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
import contextlib
import json
import math
import os
import pathlib
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run_benchmarks import ROOT, Bar, machine, progress, run, write_doc  # noqa: E402

BEGIN, END = "<!-- http-results:begin -->", "<!-- http-results:end -->"
PEER_DIR = ROOT / "bench" / "http" / "peers"
HOST = "127.0.0.1"  # loopback only: nothing here may leave the machine
USERNAME = "bench"
WRK_THREADS, WRK_CONNECTIONS = 2, 64
MAX_AUTH_COST = 10.0  # per cent of /public's throughput that authentication may cost
MIN_PEER_RATIO = 20.0  # jwtfort /protected at least this many times a peer's
MAX_GROWTH_FRACTION, MAX_GROWTH_MIB = 0.05, 4.0  # "flat": growth within the larger of the two
MIN_BASELINE_RATIO = 0.98  # this build's /protected at least this share of the baseline's
BASELINE = "jwtfort-server (baseline)"
# uvloop and httptools are uvicorn's fastest event loop and HTTP parser: the peers get their
# best setup, and both run on the same uvicorn.
UVICORN = ("uvicorn[standard]==0.54.0", "uvloop==0.23.0", "httptools==0.9.0")


@dataclass(frozen=True)
class Peer:
    name: str  # as shown in the report
    venv: str  # directory under <build>/bench-venvs
    module: str  # the app in bench/http/peers
    requirements: tuple[str, ...]  # exact pins; the report prints what is installed


PEERS = (
    # fastapi-jwt-auth 0.5.0 requires PyJWT < 2 and pydantic 1, so FastAPI from before pydantic 2.
    Peer("fastapi-jwt-auth", "fastapi-jwt-auth", "fastapi_jwt_auth_app",
         ("fastapi-jwt-auth==0.5.0", "fastapi==0.99.1", "starlette==0.27.0", "pydantic==1.10.27",
          "PyJWT==1.7.1", *UVICORN)),
    Peer("AuthX", "authx", "authx_app",
         ("authx==1.7.1", "fastapi==0.165.0", "starlette==1.10.0", "pydantic==2.14.3",
          "PyJWT==2.15.1", *UVICORN)),
)


@dataclass(frozen=True)
class Plan:
    seconds: int  # one measured wrk run
    warmup: int  # one unmeasured wrk run per target first
    repetitions: int
    memory_requests: int
    memory_seconds: int  # at most, so that a slow server cannot stretch the run without bound


FULL = Plan(seconds=8, warmup=2, repetitions=3, memory_requests=1_000_000, memory_seconds=150)
QUICK = Plan(seconds=2, warmup=1, repetitions=3, memory_requests=200_000, memory_seconds=20)


# --- processes ------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    cpus: set[int] | None  # the CPUs it is confined to; None: all
    log: pathlib.Path
    token: str = ""

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


class Servers:
    """Every server this run starts; `stop_all` ends each of them, whatever ended the run."""

    def __init__(self) -> None:
        self.running: list[Server] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str], port: int, log: pathlib.Path,
              cpus: set[int] | None = None, cwd: pathlib.Path | None = None) -> Server:
        progress(f"starting {name} on {HOST}:{port}")
        with open(log, "wb") as out:
            # Its own process group, so that stopping it also stops anything it spawned.
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=pinning(cpus))
        server = Server(name, proc, port, cpus, log)
        self.running.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.proc.pid, signal.SIGTERM)
        for server in self.running:
            try:
                server.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.proc.pid, signal.SIGKILL)
                server.proc.wait()
        self.running.clear()


def pinning(cpus: set[int] | None):
    """A preexec_fn that confines the child (and every thread it starts) to `cpus`."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """The caller's environment without anything that would configure a server under test
    (jwtfort reads AUTHJWT_* and JWTFORT_*, AuthX's settings read JWT_*)."""
    prefixes = ("AUTHJWT_", "JWTFORT_", "JWT_", "BENCH_")
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(prefixes)}


def request(url: str, *, body: dict | None = None, token: str | None = None,
            timeout: float = 5) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_ready(server: Server, path: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        with contextlib.suppress(OSError):
            if request(server.url(path), timeout=1)[0] == 200:
                return
        time.sleep(0.1)
    tail = server.log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{server.name} did not become ready on port {server.port}:\n{tail}")


def log_in(server: Server, password: str) -> None:
    """Gets an access token from the server's own POST /login, in the library's own format."""
    status, body = request(server.url("/login"),
                           body={"username": USERNAME, "password": password})
    if status != 200:
        raise RuntimeError(f"{server.name}: POST /login answered {status}: {body[:200]!r}")
    server.token = json.loads(body)["access_token"]


def body_json(body: bytes) -> dict:
    with contextlib.suppress(ValueError):
        value = json.loads(body)
        return value if isinstance(value, dict) else {}
    return {}


def check_routes(server: Server) -> None:
    """Before any measurement: /protected admits the token and nothing else, so no server is
    measured with its authentication switched off."""
    status, body = request(server.url("/protected"), token=server.token)
    if status != 200 or body_json(body).get("user") != USERNAME:
        raise RuntimeError(f"{server.name}: GET /protected with the token: {status} {body!r}")
    header, payload, signature = server.token.split(".")
    forged = ".".join([header, payload, ("B" if signature[0] == "A" else "A") + signature[1:]])
    for token, what in ((None, "no token"), (forged, "a forged signature")):
        status, _ = request(server.url("/protected"), token=token)
        if not 400 <= status < 500:
            raise RuntimeError(f"{server.name}: GET /protected with {what} answered {status}")
    if request(server.url("/public"))[0] != 200:
        raise RuntimeError(f"{server.name}: GET /public did not answer 200")


# --- the servers ----------------------------------------------------------------------------


def venv_versions(python: pathlib.Path, names: list[str]) -> dict[str, str] | None:
    code = ("import importlib.metadata as m, json, sys\n"
            "try: print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))\n"
            "except m.PackageNotFoundError: print('null')")
    out = subprocess.run([str(python), "-c", code, *names], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else None


def ensure_venv(peer: Peer, root: pathlib.Path) -> tuple[pathlib.Path, dict[str, str]]:
    """Creates or reuses the peer's virtualenv with exactly the pinned versions."""
    venv = root / peer.venv
    python = venv / "bin" / "python"
    pins = {re.sub(r"\[.*\]", "", r.split("==")[0]): r.split("==")[1] for r in peer.requirements}
    if not python.exists():
        progress(f"creating the {peer.name} virtualenv in {venv}")
        run([sys.executable, "-m", "venv", str(venv)])
    versions = venv_versions(python, list(pins))
    if versions != pins:
        progress(f"installing {', '.join(peer.requirements)}")
        run([str(python), "-m", "pip", "install", "--quiet", *peer.requirements])
        versions = venv_versions(python, list(pins))
        if versions != pins:
            raise RuntimeError(f"{peer.name}: installed {versions}, pinned {pins}")
    progress(f"{peer.name} virtualenv ready: {venv}")
    return python, versions


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
    data.mkdir()
    added = subprocess.run([str(binary), "users", "add", USERNAME, "--data-dir", str(data)],
                           input=password + "\n", text=True, env=env, cwd=data,
                           capture_output=True)
    if added.returncode != 0:
        raise RuntimeError(f"{name} users add failed: {added.stderr.strip()}")
    port = free_port()
    cmd = [str(binary), "serve", "--listen", f"{HOST}:{port}", "--data-dir", str(data)]
    if threads:
        cmd += ["--threads", str(threads)]
    server = servers.start(name, cmd, env, port, data / "server.log", cpus, cwd=data)
    wait_ready(server, "/healthz")
    return server


def environments(secret: str, password: str) -> tuple[dict[str, str], dict[str, str]]:
    """(jwtfort's, the peers') environment: the same HS256 secret and account for all."""
    base = clean_environment()
    jwtfort = dict(base, AUTHJWT_SECRET_KEY=secret, AUTHJWT_ALGORITHM="HS256",
                   # A token minted at start-up must outlive the run, as the peers' do.
                   AUTHJWT_ACCESS_TOKEN_EXPIRES="86400", JWTFORT_LOG="off")
    peers = dict(base, AUTHJWT_SECRET_KEY=secret, BENCH_USERNAME=USERNAME,
                 BENCH_PASSWORD=password)
    return jwtfort, peers


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p99_ms: float
    requests: int
    seconds: float  # as wrk measured it
    errors: int  # wrk's socket errors: connect, read, write, timeout
    cpu_seconds: float  # the server's user + system time during the run


@dataclass(frozen=True)
class Target:
    server: str  # key into the started servers
    path: str


UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk_command(url: str, token: str, seconds: int) -> list[str]:
    # Every target gets the same header, /public too, so that both routes parse the same bytes.
    return ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency",
            "-H", f"Authorization: Bearer {token}", url]


def parse_wrk(out: str, what: str) -> Run:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),", out, re.M)
    if not (rps and p99 and total):
        raise RuntimeError(f"{what}: cannot read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{what}: {non2xx.group(1)} non-2xx responses out of "
                           f"{total.group(1)}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return Run(rps=float(rps.group(1)), p99_ms=float(p99.group(1)) * UNIT_MS[p99.group(2)],
               requests=int(total.group(1)),
               seconds=float(total.group(2)) * UNIT_MS[total.group(3)] / 1e3,
               errors=sum(int(g) for g in errors.groups()) if errors else 0, cpu_seconds=0.0)


def cpu_seconds(pid: int) -> float:
    """User + system time of every thread of `pid` so far."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def other_cpus(server: Server) -> set[int] | None:
    """wrk stays off the CPUs of a confined server, so that it takes nothing from it."""
    if server.cpus is None:
        return None
    return (os.sched_getaffinity(0) - server.cpus) or None


def wrk(server: Server, path: str, seconds: int) -> Run:
    what = f"{server.name} {path}"
    before = cpu_seconds(server.proc.pid)
    out = subprocess.run(wrk_command(server.url(path), server.token, seconds),
                         capture_output=True, text=True, timeout=seconds + 60,
                         preexec_fn=pinning(other_cpus(server)))
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed on {what}: {out.stderr or out.stdout}")
    result = parse_wrk(out.stdout, what)
    result.cpu_seconds = cpu_seconds(server.proc.pid) - before
    if server.proc.poll() is not None:
        raise RuntimeError(f"{server.name} exited during the run")
    return result


def measure(servers: dict[str, Server], targets: list[Target],
            plan: Plan) -> dict[Target, list[Run]]:
    for t in targets:
        wrk(servers[t.server], t.path, plan.warmup)
    runs: dict[Target, list[Run]] = {t: [] for t in targets}
    for rep in range(plan.repetitions):
        # Each repetition starts one target further on, so no target always runs first or last.
        order = targets[rep % len(targets):] + targets[:rep % len(targets)]
        for t in order:
            r = wrk(servers[t.server], t.path, plan.seconds)
            runs[t].append(r)
            progress(f"  {rep + 1}/{plan.repetitions} {t.server} {t.path}: {r.rps:,.0f} req/s, "
                     f"p99 {r.p99_ms:.2f} ms")
    return runs


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


def median_of(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def cpu_us_per_request(runs: list[Run]) -> float:
    return statistics.median(r.cpu_seconds / r.requests * 1e6 for r in runs)


def cpu_busy(runs: list[Run]) -> float:
    """The server's CPU time over wall time, in per cent of one core: below 100 for a one-core
    server, something else (wrk, other work on the machine) held it back."""
    return statistics.median(r.cpu_seconds / r.seconds * 100 for r in runs)


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
    example = " ".join(wrk_command(f"http://{HOST}:PORT/protected", "<token>", plan.seconds))
    example = example.replace("Authorization: Bearer <token>", "'Authorization: Bearer <token>'")
    lines = [
        BEGIN,
        "<!-- Generated by bench/run_http_benchmarks.py; "
        "edits between these markers are overwritten. -->", "",
        f"**Machine:** {o.info['cpu']}, {o.info['cores']} cores; {o.info['os']}; "
        f"{o.info['compiler']}; {o.info['openssl']}; {o.info['server']}; {o.info['date']}.",
        "",
        f"**Load:** 1-minute load average {o.load[0]:.2f} at the start and {o.load[1]:.2f} at the "
        f"end on {o.info['cores']} cores; above {o.info['cores']} at the start, other work "
        "was competing for the CPU (the end includes this benchmark's own load).", "",
        f"**Command:** `{command}`", "",
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


def build_kind(binary: pathlib.Path) -> str:
    """CMake's build type of `binary` (<build>/server/jwtfort-server), with its sanitizers: a
    Debug or sanitized server would make the comparison meaningless."""
    cache = binary.parent.parent / "CMakeCache.txt"
    if not cache.exists():
        return "unknown build"
    values = dict(line.split("=", 1) for line in cache.read_text().splitlines()
                  if "=" in line and not line.startswith(("#", "//")))
    kind = values.get("CMAKE_BUILD_TYPE:STRING") or "default (no CMAKE_BUILD_TYPE)"
    sanitizers = values.get("JWTFORT_SANITIZE:STRING")
    return f"{kind} + {sanitizers} sanitizers" if sanitizers else kind


def tool_versions(binary: pathlib.Path, python: pathlib.Path) -> dict[str, str]:
    # wrk has no --version; its usage text starts with the version and it exits 1.
    wrk_out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    py = subprocess.run([str(python), "-c", "import platform; print(platform.python_version())"],
                        capture_output=True, text=True).stdout.strip()
    server = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    return {"wrk": wrk_out.split("[")[0].strip() or "wrk", "python": py,
            "server": (server.stdout.strip() or "jwtfort-server (version unknown)") +
            f" ({build_kind(binary)})"}


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


def command_line(args: argparse.Namespace) -> str:
    """This run's command as the report shows it, with paths inside the tree made relative."""
    def shown(path: pathlib.Path) -> str:
        path = path.resolve()
        return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)

    words = ["python3", "bench/run_http_benchmarks.py"]
    if args.build.resolve() != (ROOT / "build").resolve():
        words += ["--build", shown(args.build)]
    if args.server:
        words += ["--server", shown(args.server)]
    if args.baseline:
        words += ["--baseline", shown(args.baseline)]
    return " ".join(words + (["--quick"] if args.quick else []))


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def on_signal(signum: int, _frame) -> None:
    progress(f"stopped by {signal.Signals(signum).name}")
    for s in STOP_SIGNALS:  # a second Ctrl-C must not interrupt the clean-up
        signal.signal(s, signal.SIG_IGN)
    raise SystemExit(128 + signum)  # unwinds through `finally`, which stops the servers


def server_binary(parser: argparse.ArgumentParser, args: argparse.Namespace) -> pathlib.Path:
    """The jwtfort-server to measure: --server, else <build>/server/jwtfort-server. Refuses a
    missing one; warns about a build that is not Release."""
    binary = (args.server or args.build.resolve() / "server" / "jwtfort-server").resolve()
    if not os.access(binary, os.X_OK):
        parser.error(f"no jwtfort-server at {binary}: build it (cmake -S . -B {args.build} "
                     "-DCMAKE_BUILD_TYPE=Release && cmake --build "
                     f"{args.build} --target jwtfort_server) or pass --server")
    if (build := build_kind(binary)) not in ("Release", "unknown build"):
        progress(f"warning: {binary} is a {build} build; the figures will not be representative")
    return binary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=pathlib.Path, default=ROOT / "build",
                        help="build directory: the server and bench-venvs/ (default: build)")
    parser.add_argument("--server", type=pathlib.Path,
                        help="jwtfort-server binary (default: <build>/server/jwtfort-server)")
    parser.add_argument("--baseline", type=pathlib.Path,
                        help="an earlier jwtfort-server binary to measure beside this one")
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    parser.add_argument("--no-doc", action="store_true", help="print, leave the doc alone")
    args = parser.parse_args()
    build_dir = args.build.resolve()
    binary = server_binary(parser, args)
    # SIGINT too: a shell starts a background job with SIGINT ignored, which would leave
    # Python without its KeyboardInterrupt.
    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    servers = Servers()
    try:
        outcome = run_all(args, binary, build_dir, servers)
    finally:
        servers.stop_all()
    plan = QUICK if args.quick else FULL
    section = report(outcome, plan, command_line(args), "jwtfort-server",
                     "jwtfort-server --threads 1")
    if not args.no_doc:
        write_doc(section, BEGIN, END)
        progress("wrote docs/benchmarks.md")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())

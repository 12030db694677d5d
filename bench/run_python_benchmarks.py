#!/usr/bin/env python3
"""Measures jwtfort from Python: one verification next to PyJWT and joserfc, and a FastAPI app
next to fastapi-jwt-auth, AuthX and fastapi-auth-jwt; writes its section of docs/benchmarks.md.

Usage: python3 bench/run_python_benchmarks.py [--quick] [--build DIR] [--only verify|http]
                                              [--keep-install] [--no-doc]

jwtfort is installed from this tree with `pip install .[fastapi]` (a Release build, not
editable) into its own virtualenv under <build>/bench-venvs, next to the peers' (the HTTP
benchmark's two, and fastapi-auth-jwt's); every run reinstalls it, so the numbers are those of
the tree as it is (the CMake build directory is kept, so a rebuild compiles only what changed).

verify: bench/python/verify_bench.py in jwtfort's virtualenv, interleaved rounds, medians.
http: every app on uvicorn with one worker on one CPU (`taskset -c 1`), wrk on the other
(`taskset -c 0 wrk -t1 -c32`), `GET /protected` with a valid token and `GET /public`; the
repetitions of all targets are interleaved and the report shows medians. The jwtfort apps that
stand in for fastapi-jwt-auth and fastapi-auth-jwt are those peers' own apps with their imports
changed, made at run time, so nothing else can differ. Everything listens on 127.0.0.1 only.
"""

# ruff: noqa: RUF001  (the report uses typographic signs: multiplication, minus)

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

from harness import (
    HOST,
    PEER_DIR,
    PEERS,
    ROOT,
    SHARED_MACHINE,
    STOP_SIGNALS,
    UVICORN,
    Bar,
    Peer,
    Run,
    Server,
    Servers,
    Target,
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
    on_signal,
    progress,
    run,
    run_wrk,
    section_head,
    venv_versions,
    wait_ready,
    write_doc,
)

# Two sections, so that a run of one half (--only) leaves the other's last results in place.
VERIFY_MARKERS = ("<!-- python-verify-results:begin -->", "<!-- python-verify-results:end -->")
HTTP_MARKERS = ("<!-- python-results:begin -->", "<!-- python-results:end -->")
APP_DIR = ROOT / "bench" / "python"
WRK_THREADS, WRK_CONNECTIONS = 1, 32
MIN_PYJWT_RATIO = 10.0  # jwtfort's Verifier.verify at least this many times PyJWT's decode

FASTAPI_AUTH_JWT = Peer(
    "fastapi-auth-jwt",
    "fastapi-auth-jwt",
    "fastapi_auth_jwt_app",
    (
        "fastapi-auth-jwt==0.1.11",
        "fastapi==0.165.0",
        "starlette==1.10.0",
        "pydantic==2.14.3",
        "PyJWT==2.15.1",
        "python-decouple==3.8",
        *UVICORN,
    ),
)
# Installed before jwtfort itself, which then builds without isolation (with these
# scikit-build-core and nanobind) so that the kept CMake build directory stays valid.
JWTFORT_VENV = "jwtfort"
JWTFORT_PINS = (
    "scikit-build-core==1.1.2",
    "nanobind==3.1.0",
    "fastapi==0.165.0",
    "starlette==1.10.0",
    "pydantic==2.14.3",
    "pydantic-settings==2.16.3",
    "PyJWT==2.15.1",
    "joserfc==1.8.0",
    "cryptography==50.0.2",
    *UVICORN,
)


@dataclass(frozen=True)
class App:
    name: str  # as shown in the report
    venv: str  # directory under <build>/bench-venvs
    module: str
    app_dir: pathlib.Path | None  # None: made at run time from `drop_in_of`
    library: str  # the distribution whose version the report shows
    # A drop-in: the peer app it is made from, and the import lines changed.
    drop_in_of: App | None = None
    imports: tuple[tuple[str, str], ...] = ()
    # "module:attribute" that must import in the virtualenv, else the row is left out.
    needs: str | None = None


FJA = App(
    "fastapi-jwt-auth", "fastapi-jwt-auth", "fastapi_jwt_auth_app", PEER_DIR, "fastapi-jwt-auth"
)
AUTHX = App("AuthX", "authx", "authx_app", PEER_DIR, "authx")
FAJ = App(
    "fastapi-auth-jwt", "fastapi-auth-jwt", "fastapi_auth_jwt_app", APP_DIR, "fastapi-auth-jwt"
)
APPS = (
    FJA,
    App(
        "jwtfort: fastapi-jwt-auth drop-in",
        JWTFORT_VENV,
        "jwtfort_fastapi_jwt_auth_app",
        None,
        "jwtfort",
        FJA,
        (
            (
                "from fastapi_jwt_auth import AuthJWT",
                "from jwtfort.compat.fastapi_jwt_auth import AuthJWT",
            ),
            (
                "from fastapi_jwt_auth.exceptions import AuthJWTException",
                "from jwtfort.compat.fastapi_jwt_auth.exceptions import AuthJWTException",
            ),
        ),
        needs="jwtfort.compat.fastapi_jwt_auth:AuthJWT",
    ),
    App(
        "jwtfort: jwtfort.fastapi.AuthJWT",
        JWTFORT_VENV,
        "jwtfort_authjwt_app",
        APP_DIR,
        "jwtfort",
        needs="jwtfort.fastapi:AuthJWT",
    ),
    App(
        "jwtfort: jwtfort.fastapi.JWTBearer",
        JWTFORT_VENV,
        "jwtfort_bearer_app",
        APP_DIR,
        "jwtfort",
        needs="jwtfort.fastapi:JWTBearer",
    ),
    AUTHX,
    FAJ,
    App(
        "jwtfort: fastapi-auth-jwt drop-in (jwtfort.fastapi.JWTAuthenticationMiddleware)",
        JWTFORT_VENV,
        "jwtfort_fastapi_auth_jwt_app",
        None,
        "jwtfort",
        FAJ,
        (("from fastapi_auth_jwt import (", "from jwtfort.compat.fastapi_auth_jwt import ("),),
        needs="jwtfort.compat.fastapi_auth_jwt:JWTAuthenticationMiddleware",
    ),
)
PEER_APPS = (FJA, AUTHX, FAJ)
# Authentication's share of throughput (1 - /protected / /public) each jwtfort app must stay
# within: the middleware and the bearer do one header lookup and one native call; AuthJWT also
# resolves its configuration and keeps fastapi-jwt-auth's order of checks.
AUTH_SHARE_BARS = {
    "jwtfort: fastapi-auth-jwt drop-in (jwtfort.fastapi.JWTAuthenticationMiddleware)": 10.0,
    "jwtfort: jwtfort.fastapi.JWTBearer": 10.0,
    "jwtfort: jwtfort.fastapi.AuthJWT": 25.0,
    "jwtfort: fastapi-jwt-auth drop-in": 25.0,
}


@dataclass(frozen=True)
class Plan:
    rounds: int  # verify: interleaved rounds
    batch_seconds: float  # verify: one batch of calls
    seconds: int  # http: one measured wrk run
    warmup: int  # http: one unmeasured wrk run per target first
    repetitions: int


FULL = Plan(rounds=7, batch_seconds=0.2, seconds=8, warmup=2, repetitions=3)
QUICK = Plan(rounds=3, batch_seconds=0.05, seconds=2, warmup=1, repetitions=2)


# --- virtualenvs ----------------------------------------------------------------------------


def ensure_jwtfort_venv(root: pathlib.Path, reinstall: bool) -> pathlib.Path:
    """jwtfort's virtualenv: the pinned dependencies, then jwtfort from this tree."""
    venv = root / JWTFORT_VENV
    python = venv / "bin" / "python"
    if not python.exists():
        progress(f"creating the jwtfort virtualenv in {venv}")
        run([sys.executable, "-m", "venv", str(venv)])
    pins = {p.split("==")[0].split("[")[0]: p.split("==")[1] for p in JWTFORT_PINS}
    if venv_versions(python, list(pins)) != pins:
        run([str(python), "-m", "pip", "install", "--quiet", *JWTFORT_PINS])
    installed = venv_versions(python, ["jwtfort"]) is not None
    if reinstall or not installed:
        progress("installing jwtfort from this tree (Release; the first build takes minutes)")
        run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-build-isolation",
                "--no-deps",
                "--force-reinstall",
                "-C",
                f"build-dir={venv / 'build'}",
                "-C",
                "cmake.build-type=Release",
                f"{ROOT}[fastapi]",
            ]
        )
    return python


def importable(python: pathlib.Path, target: str) -> str | None:
    """None when `module:attribute` imports in that Python, else the error's last line."""
    module, attribute = target.split(":")
    code = f"import importlib; getattr(importlib.import_module({module!r}), {attribute!r})"
    # Run outside the tree, so that what imports is the virtualenv's jwtfort.
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir()
    )
    if out.returncode == 0:
        return None
    lines = out.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {out.returncode}"


def make_drop_in(app: App, work: pathlib.Path) -> pathlib.Path:
    """Writes the peer's app with its imports changed, every other byte the same."""
    assert app.drop_in_of is not None and app.drop_in_of.app_dir is not None
    text = (app.drop_in_of.app_dir / f"{app.drop_in_of.module}.py").read_text()
    for old, new in app.imports:
        if text.count(old + "\n") != 1:
            raise RuntimeError(f"{app.drop_in_of.module}.py: expected `{old}` once")
        text = text.replace(old + "\n", new + "\n")
    directory = work / "drop-ins"
    directory.mkdir(exist_ok=True)
    (directory / f"{app.module}.py").write_text(text)
    return directory


# --- verify ---------------------------------------------------------------------------------


@dataclass
class Verify:
    us: dict[tuple[str, str], float] = field(default_factory=dict)  # (row, alg) -> median
    rounds: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


def run_verify(python: pathlib.Path, plan: Plan) -> Verify:
    cmd = [
        str(python),
        str(APP_DIR / "verify_bench.py"),
        "--rounds",
        str(plan.rounds),
        "--seconds",
        str(plan.batch_seconds),
    ]
    progress("$ " + " ".join(cmd))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise RuntimeError(f"verify_bench.py exited with {out.returncode}")
    result = Verify()
    for line in out.stdout.splitlines():
        value = json.loads(line)
        if "versions" in value:
            result.versions = value["versions"]
            continue
        result.us[(value["row"], value["alg"])] = value["us"]
        result.rounds[(value["row"], value["alg"])] = value["rounds"]
    return result


# --- http -----------------------------------------------------------------------------------


def cpu_layout() -> tuple[list[str], list[str], str]:
    """(server prefix, wrk prefix, description): one CPU for the servers, another for wrk."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return [], [], "unpinned (one CPU)"
    server, load = cpus[1], cpus[0]
    return (
        ["taskset", "-c", str(server)],
        ["taskset", "-c", str(load)],
        f"server on CPU {server} (`taskset -c {server}`), wrk on CPU {load}",
    )


def start_app(
    servers: Servers,
    app: App,
    python: pathlib.Path,
    app_dir: pathlib.Path,
    env: dict[str, str],
    work: pathlib.Path,
    prefix: list[str],
) -> Server:
    port = free_port()
    # One worker, uvloop and httptools named explicitly so that a missing one fails loudly;
    # no access log. taskset confines the worker and every thread it starts.
    cmd = [
        *prefix,
        str(python),
        "-m",
        "uvicorn",
        f"{app.module}:app",
        "--app-dir",
        str(app_dir),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    # Outside the tree, so that the jwtfort apps import the installed package.
    server = servers.start(app.name, cmd, env, port, work / f"{app.module}.log", None, cwd=work)
    wait_ready(server, "/public")
    return server


def wrk_command(prefix: list[str], url: str, token: str, seconds: int) -> list[str]:
    # /public gets the same header, so that both routes parse the same bytes.
    return [
        *prefix,
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        url,
    ]


def wrk(server: Server, path: str, seconds: int, prefix: list[str]) -> Run:
    # Any non-2xx response fails the run.
    command = wrk_command(prefix, server.url(path), server.token, seconds)
    return run_wrk(server, command, f"{server.name} {path}", seconds)


def measure(started: dict[str, Server], plan: Plan, prefix: list[str]) -> dict[Target, list[Run]]:
    targets = [Target(name, path) for name in started for path in ("/protected", "/public")]
    progress(
        f"measuring {len(targets)} targets: {plan.warmup} s warm-up each, then "
        f"{plan.repetitions} × {plan.seconds} s, interleaved"
    )
    return measure_interleaved(
        targets,
        plan.warmup,
        plan.seconds,
        plan.repetitions,
        lambda t, seconds: wrk(started[t.server], t.path, seconds, prefix),
        lambda r: f"{r.rps:,.0f} req/s",
    )


@dataclass
class Http:
    runs: dict[Target, list[Run]]
    layout: str
    versions: dict[str, dict[str, str]]  # app name -> distribution versions
    skipped: dict[str, str]  # app name -> why
    drop_ins: dict[str, App]


def run_http(
    args: argparse.Namespace, jwtfort_python: pathlib.Path, servers: Servers, plan: Plan
) -> Http:
    root = args.build.resolve() / "bench-venvs"
    pythons = {JWTFORT_VENV: jwtfort_python}
    versions: dict[str, dict[str, str]] = {}
    for peer in (*PEERS, FASTAPI_AUTH_JWT):
        pythons[peer.venv], versions[peer.name] = ensure_venv(peer, root)
    versions["jwtfort"] = (
        venv_versions(
            jwtfort_python,
            ["jwtfort", "fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools"],
        )
        or {}
    )
    skipped = {
        a.name: why
        for a in APPS
        if a.needs and (why := importable(pythons[a.venv], a.needs)) is not None
    }
    for name, why in skipped.items():
        progress(f"leaving out {name}: {why}")
    secret, password = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    env = environments(secret, password)[1]
    server_prefix, wrk_prefix, layout = cpu_layout()
    with tempfile.TemporaryDirectory(prefix="jwtfort-py-http-bench-") as tmp:
        work = pathlib.Path(tmp)
        started: dict[str, Server] = {}
        for app in APPS:
            if app.name in skipped:
                continue
            app_dir = app.app_dir or make_drop_in(app, work)
            started[app.name] = start_app(
                servers, app, pythons[app.venv], app_dir, env, work, server_prefix
            )
        for server in started.values():
            log_in(server, password)
            check_routes(server)  # 200 with the token; 4xx without one and for a forgery
        runs = measure(started, plan, wrk_prefix)
        servers.stop_all()
    return Http(runs, layout, versions, skipped, {a.name: a for a in APPS if a.drop_in_of})


# --- the report -----------------------------------------------------------------------------


def us(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def spread(samples: list[float]) -> float:
    return (max(samples) - min(samples)) / statistics.median(samples) * 100


def verify_lines(v: Verify, plan: Plan) -> list[str]:
    algs = list(dict.fromkeys(alg for _, alg in v.us))
    head = [
        "alg",
        "jwtfort µs",
        "jwtfort + claims dict µs",
        "jwtfort TokenService, SQLite µs",
        "PyJWT µs",
        "joserfc µs",
        "PyJWT ÷ jwtfort",
        "joserfc ÷ jwtfort",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for alg in algs:
        ours = v.us[("jwtfort", alg)]
        cells = [alg] + [
            us(v.us[(row, alg)])
            for row in ("jwtfort", "jwtfort, claims", "jwtfort service", "PyJWT", "joserfc")
        ]
        cells += [f"{v.us[('PyJWT', alg)] / ours:.1f}×", f"{v.us[('joserfc', alg)] / ours:.1f}×"]
        lines.append("| " + " | ".join(cells) + " |")
    worst = max(v.rounds, key=lambda k: spread(v.rounds[k]))
    lines += [
        "",
        f"{plan.rounds} interleaved rounds per row, medians; the largest spread "
        f"(max − min) ÷ median across rounds: {spread(v.rounds[worst]):.0f}% "
        f"({worst[0]}, {worst[1]}).",
        "",
    ]
    lines += ["| bar | measured | result | margin |", "|---|---:|---|---:|"]
    lines += [
        Bar(
            f"{alg}: PyJWT decode ÷ jwtfort Verifier.verify ≥ {MIN_PYJWT_RATIO:.0f}×",
            v.us[("PyJWT", alg)] / v.us[("jwtfort", alg)],
            MIN_PYJWT_RATIO,
            False,
            "×",
        ).row()
        for alg in algs
    ]
    return lines


def http_table(h: Http) -> list[str]:
    lines = [
        "| app | route | requests/s | p99 ms | server CPU µs/request | server CPU % of a core |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for t, runs in h.runs.items():
        lines.append(
            f"| {t.server} | `{t.path}` | {median_of(runs, 'rps'):,.0f} | "
            f"{median_of(runs, 'p99_ms'):.2f} | {cpu_us_per_request(runs):.0f} | "
            f"{cpu_busy(runs):.0f} |"
        )
    return lines


def rps(h: Http, server: str, path: str = "/protected") -> float:
    return median_of(h.runs[Target(server, path)], "rps")


def http_ratios(h: Http) -> list[str]:
    """jwtfort's apps against each peer: requests/s and server CPU per request on /protected."""
    servers = list(dict.fromkeys(t.server for t in h.runs))
    ours = [a.name for a in APPS if a.venv == JWTFORT_VENV and a.name in servers]
    peers = [a.name for a in PEER_APPS if a.name in servers]
    head = [
        "/protected",
        *(f"÷ {p}: requests/s" for p in peers),
        *(f"{p} ÷ it: CPU µs/request" for p in peers),
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for s in ours:
        cpu = cpu_us_per_request(h.runs[Target(s, "/protected")])
        cells = [s] + [f"{rps(h, s) / rps(h, p):.2f}×" for p in peers]
        cells += [
            f"{cpu_us_per_request(h.runs[Target(p, '/protected')]) / cpu:.2f}×" for p in peers
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *auth_cost_lines(h, servers)]
    return lines


def auth_share(h: Http, server: str) -> float:
    """Per cent of /public's throughput that authentication takes: 1 - /protected / /public."""
    return (1 - rps(h, server) / rps(h, server, "/public")) * 100


def auth_cost_lines(h: Http, servers: list[str]) -> list[str]:
    """Every app's authentication cost: its share of throughput, and the server CPU an
    authenticated request takes above the same app's /public."""
    lines = [
        "| app | authentication's share of throughput (1 − /protected ÷ /public) "
        "| server CPU µs/request, /protected − /public |",
        "|---|---:|---:|",
    ]
    for s in servers:
        above = cpu_us_per_request(h.runs[Target(s, "/protected")]) - cpu_us_per_request(
            h.runs[Target(s, "/public")]
        )
        lines.append(f"| {s} | {auth_share(h, s):.0f}% | {above:.0f} |")
    bars = [
        Bar(f"{s}: authentication's share ≤ {limit:.0f}%", auth_share(h, s), limit, True, "%")
        for s, limit in AUTH_SHARE_BARS.items()
        if s in servers
    ]
    if bars:
        lines += ["", "| bar | measured | result | margin |", "|---|---:|---|---:|"]
        lines += [bar.row() for bar in bars]
    return lines


def version_line(h: Http) -> str:
    def of(name: str, library: str) -> str:
        v = h.versions[name]
        rest = ", ".join(
            f"{shown} {v[k]}"
            for k, shown in (
                ("fastapi", "FastAPI"),
                ("starlette", "Starlette"),
                ("pydantic", "pydantic"),
                ("PyJWT", "PyJWT"),
            )
            if k in v
        )
        return f"{name} {v[library]} ({rest})"

    parts = [of(a.name, a.library) for a in PEER_APPS] + [of("jwtfort", "jwtfort")]
    uv = h.versions["jwtfort"]
    return (
        "; ".join(parts) + f"; all on uvicorn {uv['uvicorn']} with uvloop {uv['uvloop']} and "
        f"httptools {uv['httptools']}"
    )


def drop_in_lines(h: Http) -> list[str]:
    lines = []
    for name, app in h.drop_ins.items():
        if name in h.skipped:
            continue
        assert app.drop_in_of is not None and app.drop_in_of.app_dir is not None
        source = app.drop_in_of.app_dir.relative_to(ROOT) / f"{app.drop_in_of.module}.py"
        changes = "; ".join(f"`{old}` → `{new}`" for old, new in app.imports)
        lines.append(f"- **{name}**: `{source}` with {changes}; nothing else changed.")
    return lines


def preamble(
    markers: tuple[str, str], command: str, info: dict[str, str], load: tuple[float, float]
) -> list[str]:
    return section_head(
        markers[0], "bench/run_python_benchmarks.py", info, load, command, SHARED_MACHINE
    )


def verify_report(
    v: Verify, plan: Plan, command: str, info: dict[str, str], load: tuple[float, float]
) -> str:
    ver = v.versions
    lines = preamble(VERIFY_MARKERS, command, info, load)
    lines += [
        "### One verification from Python",
        "",
        f"jwtfort {ver['jwtfort']} (installed from this tree, Release), PyJWT "
        f"{ver['PyJWT']}, joserfc {ver['joserfc']}, cryptography "
        f"{ver['cryptography']}; Python {ver['python']} ({ver['python ssl']}). "
        "Microseconds per call, one thread.",
        "",
        *verify_lines(v, plan),
        VERIFY_MARKERS[1],
    ]
    return "\n".join(lines)


def http_report(
    h: Http, plan: Plan, command: str, info: dict[str, str], load: tuple[float, float]
) -> str:
    example = " ".join(
        wrk_command(["taskset", "-c", "0"], f"http://{HOST}:PORT/protected", "<token>", plan.seconds)
    )
    example = example.replace("Authorization: Bearer <token>", "'Authorization: Bearer <token>'")
    lines = preamble(HTTP_MARKERS, command, info, load)
    lines += [
        "### A FastAPI app with one protected route",
        "",
        f"**Load generator:** `{example}`; {h.layout}; {plan.warmup} s of warm-up per "
        f"target, then {plan.repetitions} interleaved repetitions of {plan.seconds} s; "
        "medians. Every response was 2xx (any other fails the run).",
        "",
        f"**Apps:** {version_line(h)}. One uvicorn worker each, HS256, the same "
        "secret (32 random bytes, base64url), a token from each app's own "
        "`POST /login`.",
        "",
    ]
    lines += drop_in_lines(h)
    lines += [
        f"- **{name}**: left out, not importable in this tree: {why}"
        for name, why in h.skipped.items()
    ]
    lines += ["", *http_table(h), "", *http_ratios(h), HTTP_MARKERS[1]]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------


def command_line(args: argparse.Namespace) -> str:
    words = ["python3", "bench/run_python_benchmarks.py"]
    build = args.build.resolve()
    if build != (ROOT / "build").resolve():
        words += [
            "--build",
            str(build.relative_to(ROOT)) if build.is_relative_to(ROOT) else str(build),
        ]
    if args.only:
        words += ["--only", args.only]
    return " ".join(words + (["--quick"] if args.quick else []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--build",
        type=pathlib.Path,
        default=ROOT / "build",
        help="where bench-venvs/ lives (default: build)",
    )
    parser.add_argument("--only", choices=("verify", "http"), help="one half of the benchmark")
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    parser.add_argument(
        "--keep-install",
        action="store_true",
        help="use the jwtfort already in the bench virtualenv, if any",
    )
    parser.add_argument("--no-doc", action="store_true", help="print, leave the doc alone")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    load_start = os.getloadavg()[0]
    venvs = args.build.resolve() / "bench-venvs"
    python = ensure_jwtfort_venv(venvs, reinstall=not args.keep_install)
    verify = run_verify(python, plan) if args.only != "http" else None
    servers = Servers()
    try:
        http = run_http(args, python, servers, plan) if args.only != "verify" else None
    finally:
        servers.stop_all()
    info = machine(venvs / JWTFORT_VENV / "build")
    load = (load_start, os.getloadavg()[0])
    command = command_line(args)
    sections = []
    if verify is not None:
        sections.append((verify_report(verify, plan, command, info, load), VERIFY_MARKERS))
    if http is not None:
        sections.append((http_report(http, plan, command, info, load), HTTP_MARKERS))
    for section, (begin, end) in sections:
        if not args.no_doc:
            write_doc(section, begin, end)
        print(section)
    if not args.no_doc:
        progress("wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())

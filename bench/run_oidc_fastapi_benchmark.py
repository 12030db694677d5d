#!/usr/bin/env python3
"""Measures how FastAPI accepts an OpenID Connect provider's tokens: jwtfort's OIDCBearer next to
PyJWT + PyJWKClient in the same app and run, for RS256 and ES256 tokens of a real provider
(oidc-provider on loopback, tests/support/oidc_provider.py); writes its section of
docs/benchmarks.md.

Usage: python3 bench/run_oidc_fastapi_benchmark.py [--python PATH] [--quick] [--no-doc]

PATH is a Python with jwtfort (installed from this tree), fastapi, uvicorn with uvloop and
httptools, and PyJWT[crypto] (default: build/bench-venvs/jwtfort/bin/python, which
bench/run_python_benchmarks.py makes, else this Python).

verify: bench/python/oidc_verify_bench.py, one call per row, warm keys, interleaved rounds.
http: bench/python/oidc_app.py on uvicorn with one worker on one CPU, wrk on the other
(`wrk -t1 -c32`), the tokens the provider issued over its token endpoint (client_credentials);
the repetitions of every target are interleaved and the report shows medians. Everything
listens on 127.0.0.1 only.
"""

# ruff: noqa: RUF001  (the report uses typographic signs: multiplication)

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from harness import (
    HOST,
    ROOT,
    SHARED_MACHINE,
    Bar,
    Run,
    Server,
    Servers,
    Target,
    add_run_arguments,
    clean_environment,
    cpu_us_per_request,
    free_port,
    machine,
    measure_interleaved,
    median_of,
    progress,
    publish,
    run_wrk,
    section_head,
    stop_on_signals,
    venv_versions,
    wait_ready,
    wrk_command,
)
from oidc_provider import ES256_CLIENT, RESOURCE, RS256_CLIENT, OidcProvider

BEGIN, END = "<!-- oidc-python-results:begin -->", "<!-- oidc-python-results:end -->"
APP_DIR = ROOT / "bench" / "python"
WRK_THREADS, WRK_CONNECTIONS = 1, 32
ALGS = ("RS256", "ES256")
WAYS = ("jwtfort", "pyjwt")
WAY_NAMES = {"jwtfort": "jwtfort OIDCBearer", "pyjwt": "PyJWT + PyJWKClient"}
MAX_OWN_RATIO = 1.10  # a provider's token at most 10% dearer than jwtfort's own


@dataclass(frozen=True)
class Plan:
    rounds: int
    batch_seconds: float
    seconds: int
    warmup: int
    repetitions: int


FULL = Plan(rounds=7, batch_seconds=0.2, seconds=8, warmup=2, repetitions=3)
QUICK = Plan(rounds=3, batch_seconds=0.05, seconds=2, warmup=1, repetitions=2)


def default_python() -> pathlib.Path:
    bench = ROOT / "build" / "bench-venvs" / "jwtfort" / "bin" / "python"
    return bench if bench.exists() else pathlib.Path(sys.executable)


# --- verify ---------------------------------------------------------------------------------


def run_verify(
    python: pathlib.Path, provider: OidcProvider, tokens: dict[str, str], plan: Plan
) -> tuple[dict[tuple[str, str], float], dict[str, str]]:
    cmd = [str(python), str(APP_DIR / "oidc_verify_bench.py"), provider.issuer, RESOURCE]
    cmd += [tokens["RS256"], tokens["ES256"], "--rounds", str(plan.rounds)]
    cmd += ["--seconds", str(plan.batch_seconds)]
    progress("running bench/python/oidc_verify_bench.py")
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise RuntimeError(f"oidc_verify_bench.py exited with {out.returncode}")
    us: dict[tuple[str, str], float] = {}
    versions: dict[str, str] = {}
    for line in out.stdout.splitlines():
        value = json.loads(line)
        if "versions" in value:
            versions = value["versions"]
        else:
            us[(value["row"], value["alg"])] = value["us"]
    return us, versions


# --- http -----------------------------------------------------------------------------------


def cpu_layout() -> tuple[set[int] | None, tuple[str, ...], str]:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, (), "unpinned (one CPU)"
    server, load = cpus[1], cpus[0]
    return {server}, ("taskset", "-c", str(load)), f"server on CPU {server}, wrk on CPU {load}"


def bearer_wrk(prefix: tuple[str, ...], url: str, token: str, seconds: int) -> list[str]:
    return wrk_command(
        url, seconds, threads=WRK_THREADS, connections=WRK_CONNECTIONS, token=token, prefix=prefix
    )


def start_app(
    servers: Servers, python: pathlib.Path, issuer: str, cpus: set[int] | None, work: pathlib.Path
) -> Server:
    port = free_port()
    cmd = [str(python), "-m", "uvicorn", "oidc_app:app", "--app-dir", str(APP_DIR)]
    cmd += ["--host", HOST, "--port", str(port), "--workers", "1", "--loop", "uvloop"]
    cmd += ["--http", "httptools", "--log-level", "warning", "--no-access-log"]
    env = {**clean_environment(), "BENCH_OIDC_ISSUER": issuer, "BENCH_OIDC_AUDIENCE": RESOURCE}
    server = servers.start("oidc_app", cmd, env, port, work / "oidc_app.log", cpus, cwd=work)
    wait_ready(server, "/public")
    return server


def path_of(way: str, alg: str) -> str:
    return f"/{way}/{alg.lower()}"


def run_http(
    python: pathlib.Path, provider: OidcProvider, tokens: dict[str, str], plan: Plan
) -> tuple[dict[Target, list[Run]], str]:
    server_cpus, wrk_prefix, layout = cpu_layout()
    servers = Servers()
    try:
        with tempfile.TemporaryDirectory(prefix="jwtfort-oidc-bench-") as tmp:
            server = start_app(servers, python, provider.issuer, server_cpus, pathlib.Path(tmp))
            token_of: dict[str, str] = {"/public": tokens["RS256"]}
            for alg in ALGS:
                for way in WAYS:
                    token_of[path_of(way, alg)] = tokens[alg]
            check_routes(server, token_of)
            targets = [Target(server.name, path) for path in token_of]

            def one(target: Target, seconds: int) -> Run:
                url = server.url(target.path)
                command = bearer_wrk(wrk_prefix, url, token_of[target.path], seconds)
                return run_wrk(server, command, target.path, seconds)

            progress(f"measuring {len(targets)} targets, {plan.repetitions} × {plan.seconds} s")
            runs = measure_interleaved(
                targets,
                plan.warmup,
                plan.seconds,
                plan.repetitions,
                one,
                lambda r: f"{r.rps:,.0f} req/s",
            )
    finally:
        servers.stop_all()
    return runs, layout


def check_routes(server: Server, token_of: dict[str, str]) -> None:
    """Every route answers 200 with its token (once the keys arrived), and 401 with none."""
    import urllib.error
    import urllib.request

    from loopback import wait_until

    def status(path: str, token: str | None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(server.url(path), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as e:
            return e.code

    for path, token in token_of.items():
        if not wait_until(lambda p=path, t=token: status(p, t) == 200, 30, 0.2):
            raise RuntimeError(f"{path} did not answer 200 with its token")
        if path != "/public" and status(path, None) not in (401, 403):
            raise RuntimeError(f"{path} answered without a token")


# --- the report -----------------------------------------------------------------------------


def report(
    us: dict[tuple[str, str], float] | None,
    runs: dict[Target, list[Run]] | None,
    layout: str,
    versions: dict[str, str],
    plan: Plan,
    command: str,
    info: dict[str, str],
    load: tuple[float, float],
) -> str:
    lines = section_head(BEGIN, "bench/run_oidc_fastapi_benchmark.py", info, load, command,
                         SHARED_MACHINE)
    lines += [
        "**Versions:** " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + ".",
        "",
    ]
    bars: list[Bar] = []
    if us:
        lines += [
            "### One verification of a provider's access token",
            "",
            "Microseconds per call, one thread, warm keys; medians of "
            f"{plan.rounds} interleaved rounds.",
            "",
            "| | RS256 | ES256 |",
            "|---|---:|---:|",
        ]
        for row in ("jwtfort, provider", "jwtfort, own", "PyJWT"):
            cells = " | ".join(f"{us[(row, alg)]:.1f}" for alg in ALGS)
            lines.append(f"| {row} | {cells} |")
        lines.append("")
        for alg in ALGS:
            ratio = us[("jwtfort, provider", alg)] / us[("jwtfort, own", alg)]
            bars.append(
                Bar(
                    f"{alg}: a provider's token / jwtfort's own token, same checks",
                    ratio,
                    MAX_OWN_RATIO,
                    True,
                    "×",
                )
            )
    if runs:
        example = " ".join(bearer_wrk(("taskset", "-c", "0"), "URL", "<token>", plan.seconds))
        example = example.replace(
            "Authorization: Bearer <token>", "'Authorization: Bearer <token>'"
        )
        lines += [
            "### FastAPI: one app, both ways",
            "",
            f"**Load generator:** `{example}`; {layout}; {plan.warmup} s of warm-up per target, "
            f"then {plan.repetitions} interleaved repetitions of {plan.seconds} s; medians. "
            "Every response was 2xx.",
            "",
            "| Route | Token | Requests/s | p99 (ms) | Server CPU µs/request |",
            "|---|---|---:|---:|---:|",
        ]
        by_path = {t.path: r for t, r in runs.items()}
        for alg in ALGS:
            for way in WAYS:
                r = by_path[path_of(way, alg)]
                lines.append(
                    f"| {WAY_NAMES[way]} | {alg} | {median_of(r, 'rps'):,.0f} | "
                    f"{median_of(r, 'p99_ms'):.2f} | {cpu_us_per_request(r):.0f} |"
                )
        public = by_path["/public"]
        lines.append(
            f"| no authentication | – | {median_of(public, 'rps'):,.0f} | "
            f"{median_of(public, 'p99_ms'):.2f} | {cpu_us_per_request(public):.0f} |"
        )
        lines.append("")
        for alg in ALGS:
            ours = median_of(by_path[path_of("jwtfort", alg)], "rps")
            theirs = median_of(by_path[path_of("pyjwt", alg)], "rps")
            bars.append(
                Bar(
                    f"{alg}: OIDCBearer / PyJWT + PyJWKClient, requests/s",
                    ours / theirs,
                    1.0,
                    False,
                    "×",
                )
            )
    lines += ["#### Bars", "", "| Bar | Value | Result | Margin |", "|---|---:|---|---:|"]
    lines += [bar.row() for bar in bars]
    lines.append(END)
    return "\n".join(lines)


def command_line(args: argparse.Namespace) -> str:
    words = ["python3", "bench/run_oidc_fastapi_benchmark.py"]
    if args.python:
        words += ["--python", str(args.python)]
    if args.only:
        words += ["--only", args.only]
    return " ".join(words + (["--quick"] if args.quick else []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", type=pathlib.Path, help="the Python that runs the apps")
    parser.add_argument("--only", choices=("verify", "http"), help="one half of the benchmark")
    add_run_arguments(parser)
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    python = (args.python or default_python()).absolute()  # the apps run elsewhere
    stop_on_signals()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="jwtfort-oidc-provider-") as tmp:
        progress("starting oidc-provider")
        with OidcProvider(tmp, ttl=3600) as provider:
            tokens = {
                "RS256": provider.client_credentials_token(RS256_CLIENT, scope="read"),
                "ES256": provider.client_credentials_token(ES256_CLIENT, scope="read"),
            }
            us, versions = (None, {})
            if args.only != "http":
                us, versions = run_verify(python, provider, tokens, plan)
            runs, layout = (None, "")
            if args.only != "verify":
                runs, layout = run_http(python, provider, tokens, plan)
    versions = versions or venv_versions(python, ["jwtfort", "PyJWT", "fastapi"]) or {}
    for name in ("uvicorn", "uvloop", "httptools", "starlette", "pydantic"):
        found = venv_versions(python, [name])
        if found:
            versions.update(found)
    info = machine(ROOT / "build")
    load = (load_start, os.getloadavg()[0])
    section = report(us, runs, layout, versions, plan, command_line(args), info, load)
    publish(section, BEGIN, END, to_doc=not args.no_doc)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())

#!/usr/bin/env python3
"""Measures jwtfort-server verifying an OpenID Connect provider's access tokens on /auth/verify
next to its own tokens of the same algorithm, and writes its section of docs/benchmarks.md.

Usage: python3 bench/run_oidc_benchmarks.py [--quick] [--build DIR] [--server PATH] [--no-doc]

One provider (the oidc-provider package the tests run, tests/support/oidc_provider.py) issues
RS256 and ES256 access tokens over its real token endpoint. Four jwtfort-server processes trust
it, each with one thread on one CPU (wrk on the others): an RS256 and an ES256 key ring of its
own, each with the verified-token cache on (the default) and off. wrk loads `GET /auth/verify`
on each server with its own token and with the provider's token of the same algorithm; the
repetitions of all targets are interleaved, the report shows medians. The provider is up for the
whole run but idle: its keys were fetched before the first measurement (warm keys). Any non-2xx
response fails the run.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass

from harness import (
    Bar,
    Run,
    Server,
    Servers,
    Target,
    WrkPlan,
    add_run_arguments,
    add_server_arguments,
    check_verify,
    clean_environment,
    cpu_layout,
    cpu_us_per_request,
    log_in,
    machine,
    measure_interleaved,
    median_of,
    pinning,
    progress,
    publish,
    request,
    run_wrk,
    server_binary,
    server_command_line,
    start_jwtfort_server,
    stop_on_signals,
    wrk_command,
)
from oidc_provider import ES256_CLIENT, RESOURCE, RS256_CLIENT, OidcProvider

BEGIN, END = "<!-- oidc-results:begin -->", "<!-- oidc-results:end -->"
WRK_THREADS, WRK_CONNECTIONS = 2, 64
MAX_COST = 1.10  # a provider's token: at most this many times the own token's CPU per request


FULL = WrkPlan(seconds=8, warmup=2, repetitions=3)
QUICK = WrkPlan(seconds=2, warmup=1, repetitions=3)
ALGORITHMS = {"RS256": RS256_CLIENT, "ES256": ES256_CLIENT}


def server_name(alg: str, cache: bool) -> str:
    return f"{alg} ring, cache {'on' if cache else 'off'}"


def start_jwtfort(servers: Servers, binary: pathlib.Path, provider: OidcProvider, alg: str,
                  cache: bool, password: str, work: pathlib.Path, cpus: set[int] | None) -> Server:
    name = server_name(alg, cache)
    env = dict(clean_environment(), AUTHJWT_ALGORITHM=alg, AUTHJWT_ACCESS_TOKEN_EXPIRES="86400",
               JWTFORT_LOG="off", JWTFORT_OIDC_ISSUER=provider.issuer,
               JWTFORT_OIDC_AUDIENCE=RESOURCE, JWTFORT_OIDC_ALGORITHMS="RS256,ES256",
               JWTFORT_OIDC_REQUIRE_AT_JWT="true")
    if not cache:
        env["JWTFORT_VERIFIED_CACHE_ENTRIES"] = "0"
    data = work / name.replace(" ", "-").replace(",", "")
    server = start_jwtfort_server(servers, binary, name, env, data, password=password, threads=1,
                                  cpus=cpus)
    log_in(server, password)
    return server


def wait_warm(server: Server, token: str) -> None:
    """The provider's keys are fetched in the background after start: wait for them."""
    for _ in range(600):
        if request(server.url("/auth/verify"), token=token)[0] == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} never fetched the provider's keys")


@dataclass
class Outcome:
    runs: dict[Target, list[Run]]
    layout: str
    info: dict[str, str]
    load: tuple[float, float]


def run_all(args: argparse.Namespace, binary: pathlib.Path, servers: Servers) -> Outcome:
    plan = QUICK if args.quick else FULL
    load_start = os.getloadavg()[0]
    password = secrets.token_urlsafe(16)
    server_cpus, wrk_cpus, layout = cpu_layout()
    with tempfile.TemporaryDirectory(prefix="jwtfort-oidc-bench-") as tmp:
        work = pathlib.Path(tmp)
        provider = OidcProvider(str(work / "provider"), ttl=86400).start()
        try:
            tokens: dict[Target, str] = {}
            started: dict[str, Server] = {}
            for alg, client in ALGORITHMS.items():
                provider_token = provider.client_credentials_token(client, scope="read")
                for cache in (True, False):
                    server = start_jwtfort(servers, binary, provider, alg, cache, password, work,
                                           server_cpus)
                    started[server.name] = server
                    wait_warm(server, provider_token)
                    check_verify(server, server.token, timeout=30)
                    check_verify(server, provider_token, timeout=30)
                    tokens[Target(server.name, "own")] = server.token
                    tokens[Target(server.name, "provider")] = provider_token
            targets = list(tokens)
            progress(f"measuring {len(targets)} targets: {plan.warmup} s warm-up each, then "
                     f"{plan.repetitions} × {plan.seconds} s, interleaved")

            def run_one(t: Target, seconds: int) -> Run:
                server = started[t.server]
                command = wrk_command(server.url("/auth/verify"), seconds, threads=WRK_THREADS,
                                      connections=WRK_CONNECTIONS, token=tokens[t])
                return run_wrk(server, command, f"{t.server} {t.path}", seconds,
                               pinning(wrk_cpus))

            runs = measure_interleaved(targets, plan.warmup, plan.seconds, plan.repetitions,
                                       run_one,
                                       lambda r: f"{r.rps:,.0f} req/s, "
                                                 f"{r.cpu_seconds / r.requests * 1e6:.1f} µs CPU")
        finally:
            servers.stop_all()
            provider.stop()
    info = machine(args.build.resolve())
    return Outcome(runs, layout, info, (load_start, os.getloadavg()[0]))


def cost(o: Outcome, server: str) -> float:
    """The server's CPU time per request for a provider's token over that for its own token."""
    own = cpu_us_per_request(o.runs[Target(server, "own")])
    return cpu_us_per_request(o.runs[Target(server, "provider")]) / own


def report(o: Outcome, plan: WrkPlan, command: str) -> str:
    lines = [BEGIN,
             "<!-- Generated by bench/run_oidc_benchmarks.py; edits between these markers are "
             "overwritten. -->",
             "",
             f"Command: `{command}` ({plan.repetitions} × {plan.seconds} s per target, "
             f"interleaved; medians). Layout: {o.layout}; wrk {WRK_THREADS} threads, "
             f"{WRK_CONNECTIONS} connections; `GET /auth/verify`, one server thread.",
             "",
             "| server | token | requests/s | p99 ms | server CPU µs/request |",
             "|---|---|---|---|---|"]
    servers = sorted({t.server for t in o.runs}, key=lambda s: (s.split()[0], "off" in s))
    for server in servers:
        for kind in ("own", "provider"):
            runs = o.runs[Target(server, kind)]
            lines.append(f"| {server} | {kind} | {median_of(runs, 'rps'):,.0f} | "
                         f"{median_of(runs, 'p99_ms'):.2f} | {cpu_us_per_request(runs):.1f} |")
    bars = [Bar(f"{alg}: CPU per request, provider token ÷ own token, verified-token cache off "
                "(both verify the signature on every request)", cost(o, server_name(alg, False)),
                MAX_COST, True, "×") for alg in ALGORITHMS]
    bars += [Bar(f"{alg}: the same with the cache on (the default; both skip the signature "
                 "after their first request)",
                 cost(o, server_name(alg, True)), MAX_COST, True, "×") for alg in ALGORITHMS]
    lines += ["", "| bar | value | result | margin |", "|---|---|---|---|"]
    lines += [b.row() for b in bars]
    lines += ["",
              "Machine: " + ", ".join(f"{k}: {v}" for k, v in o.info.items()) + "; load average "
              f"{o.load[0]:.2f} at the start, {o.load[1]:.2f} at the end.",
              END]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_arguments(parser, "build directory holding the server (default: build)")
    add_run_arguments(parser)
    args = parser.parse_args()
    binary = server_binary(parser, args)
    stop_on_signals()
    servers = Servers()
    try:
        outcome = run_all(args, binary, servers)
    finally:
        servers.stop_all()
    command = server_command_line("bench/run_oidc_benchmarks.py", args)
    publish(report(outcome, QUICK if args.quick else FULL, command), BEGIN, END,
            to_doc=not args.no_doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

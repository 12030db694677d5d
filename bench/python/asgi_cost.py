"""The CPU cost of authentication inside one process, without sockets: each benchmark app's ASGI
callable is called directly with `GET /protected` (a valid token) and `GET /public`, and the
difference per request is what the authentication layer costs in Python.

Usage: python bench/python/asgi_cost.py [--requests N] [--rounds R] [--profile APP]

Run it in the virtualenv bench/run_python_benchmarks.py makes (jwtfort[fastapi] installed).
The drop-in apps are made from the peers' apps with their imports changed, as that script does.
`--profile APP` prints a cProfile of that app's `/protected` requests instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pathlib
import pstats
import secrets
import statistics
import sys
import time
import types
from collections.abc import Callable
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
PEERS = HERE.parent / "http" / "peers"

os.environ.setdefault("AUTHJWT_SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("BENCH_USERNAME", "bench")
os.environ.setdefault("BENCH_PASSWORD", secrets.token_urlsafe(16))

FJA_IMPORTS = (
    ("from fastapi_jwt_auth import AuthJWT", "from jwtfort.compat.fastapi_jwt_auth import AuthJWT"),
    (
        "from fastapi_jwt_auth.exceptions import AuthJWTException",
        "from jwtfort.compat.fastapi_jwt_auth.exceptions import AuthJWTException",
    ),
)
FAJ_IMPORTS = (("from fastapi_auth_jwt import (", "from jwtfort.compat.fastapi_auth_jwt import ("),)

# name -> (source file, import replacements)
APPS: dict[str, tuple[pathlib.Path, tuple[tuple[str, str], ...]]] = {
    "middleware": (HERE / "fastapi_auth_jwt_app.py", FAJ_IMPORTS),
    "bearer": (HERE / "jwtfort_bearer_app.py", ()),
    "authjwt": (HERE / "jwtfort_authjwt_app.py", ()),
    "fja-drop-in": (PEERS / "fastapi_jwt_auth_app.py", FJA_IMPORTS),
    # No authentication: one no-op dependency, FastAPI's own cost for any of them.
    "floor": (HERE / "fastapi_floor_app.py", ()),
}


def load(name: str) -> Any:
    path, imports = APPS[name]
    text = path.read_text()
    for old, new in imports:
        text = text.replace(old + "\n", new + "\n")
    module = types.ModuleType(f"bench_app_{name.replace('-', '_')}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    exec(compile(text, str(path), "exec"), module.__dict__)
    return module.app


def scope_of(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(app: Any, scope: dict[str, Any], body: bytes = b"") -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(scope, state={}), receive, send)
    status = sent[0]["status"]
    return status, b"".join(m.get("body", b"") for m in sent[1:])


async def token_for(app: Any) -> str:
    body = json.dumps(
        {"username": os.environ["BENCH_USERNAME"], "password": os.environ["BENCH_PASSWORD"]}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    status, answer = await call(app, scope_of("POST", "/login", headers), body)
    if status != 200:
        raise RuntimeError(f"/login answered {status}: {answer!r}")
    return str(json.loads(answer)["access_token"])


async def per_request(app: Any, scope: dict[str, Any], n: int) -> float:
    """CPU seconds per request, over n requests."""
    start = time.process_time()
    for _ in range(n):
        await call(app, scope)
    return (time.process_time() - start) / n


async def measure(names: list[str], n: int, rounds: int) -> None:
    apps = {name: load(name) for name in names}
    scopes: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for name, app in apps.items():
        token = await token_for(app)
        protected = scope_of("GET", "/protected", [(b"authorization", f"Bearer {token}".encode())])
        public = scope_of("GET", "/public", [])
        for scope in (protected, public):
            status, answer = await call(app, scope)
            if status != 200:
                raise RuntimeError(f"{name} {scope['path']}: {status} {answer!r}")
        scopes[name] = (protected, public)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for _ in range(rounds):  # interleaved, so that load changes hit every app alike
        for name, app in apps.items():
            protected, public = scopes[name]
            samples[name].append(
                (await per_request(app, protected, n), await per_request(app, public, n))
            )
    print(f"{'app':<14} {'protected µs':>13} {'public µs':>10} {'auth µs':>8} {'share':>6}")
    for name in names:
        p = statistics.median(s[0] for s in samples[name]) * 1e6
        q = statistics.median(s[1] for s in samples[name]) * 1e6
        print(f"{name:<14} {p:13.1f} {q:10.1f} {p - q:8.1f} {1 - q / p:6.0%}")


async def profile(name: str, n: int, sort: str) -> None:
    app = load(name)
    token = await token_for(app)
    scope = scope_of("GET", "/protected", [(b"authorization", f"Bearer {token}".encode())])
    await per_request(app, scope, 200)
    profiler = cProfile.Profile()
    profiler.enable()
    await per_request(app, scope, n)
    profiler.disable()
    pstats.Stats(profiler).sort_stats(sort).print_stats(45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", choices=sorted(APPS))
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("apps", nargs="*", choices=[[], *APPS], default=[])
    args = parser.parse_args()
    runner: Callable[[], Any]
    if args.profile:
        runner = lambda: profile(args.profile, args.requests, args.sort)  # noqa: E731
    else:
        runner = lambda: measure(args.apps or list(APPS), args.requests, args.rounds)  # noqa: E731
    asyncio.run(runner())


if __name__ == "__main__":
    main()

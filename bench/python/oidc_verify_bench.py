#!/usr/bin/env python3
"""One verification of an OpenID Connect provider's access token from Python, warm keys:

  jwtfort, provider  TrustedIssuers.verify(token): routed by iss, the provider's cached key,
                     RFC 9068 checks, roles and scopes mapped
  jwtfort, own       Verifier.verify(own) of a token with the same header and claims signed by
                     a key of the same algorithm jwtfort holds itself, with the same checks
                     (issuer, audience, typ at+jwt, the RFC 9068 claims)
  PyJWT              PyJWKClient.get_signing_key_from_jwt (keys cached) and jwt.decode with the
                     same checks

Usage: oidc_verify_bench.py ISSUER AUDIENCE RS256_TOKEN ES256_TOKEN [--rounds N] [--seconds S]
(bench/run_oidc_fastapi_benchmark.py runs it). Each row is first shown to accept its token and
to refuse it with one signature character changed. Rounds are interleaved, garbage collection off
during a batch; prints one JSON line per row and algorithm, {"row", "alg", "us", "rounds"}, then
{"versions": {...}}.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import jwt as pyjwt

import jwtfort

REQUIRED = ["iss", "aud", "exp", "iat", "sub", "client_id", "jti"]


def tampered(token: str) -> str:
    head, _, signature = token.rpartition(".")
    flipped = "A" if signature[5] != "A" else "B"
    return f"{head}.{signature[:5]}{flipped}{signature[6:]}"


def rows_for(issuer: str, audience: str, token: str, alg: str) -> dict[str, tuple[Any, str]]:
    trusted = jwtfort.TrustedIssuers(
        jwtfort.IssuerOptions(
            issuer=issuer, audience=audience, algorithms=[alg], require_at_jwt=True
        )
    )
    if not trusted.wait_until_ready(30):
        raise RuntimeError("the provider's keys did not arrive")

    claims = jwtfort.unverified_claims(token)
    own_key = jwtfort.Key.generate(alg).with_id("own-1")
    own = jwtfort.Signer(own_key).sign(claims, headers={"typ": "at+jwt"})
    verifier = jwtfort.Verifier(
        algorithms=[alg],
        keys=own_key,
        issuer=issuer,
        audiences=audience,
        typ="at+jwt",
        required_claims=REQUIRED,
    )

    jwks = pyjwt.PyJWKClient(issuer + "/jwks", cache_keys=True, lifespan=3600)

    def with_pyjwt(text: str) -> Any:
        if pyjwt.get_unverified_header(text).get("typ") != "at+jwt":
            raise pyjwt.InvalidTokenError("typ")
        key = jwks.get_signing_key_from_jwt(text)
        return pyjwt.decode(
            text,
            key,
            algorithms=[alg],
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED},
        )

    return {
        "jwtfort, provider": (trusted.verify, token),
        "jwtfort, own": (verifier.verify, own),
        "PyJWT": (with_pyjwt, token),
    }


def check(name: str, call: Callable[[str], Any], token: str) -> None:
    call(token)
    try:
        call(tampered(token))
    except Exception:  # every library's own error
        return
    raise RuntimeError(f"{name} accepted a tampered token")


def batch(call: Callable[[str], Any], token: str, seconds: float) -> float:
    """Microseconds per call over about `seconds`."""
    calls = 0
    gc.disable()
    try:
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            for _ in range(200):
                call(token)
            calls += 200
    finally:
        gc.enable()
    return elapsed / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("issuer")
    parser.add_argument("audience")
    parser.add_argument("rs256_token")
    parser.add_argument("es256_token")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2)
    args = parser.parse_args()
    tokens = {"RS256": args.rs256_token, "ES256": args.es256_token}
    for alg, token in tokens.items():
        rows = rows_for(args.issuer, args.audience, token, alg)
        for name, (call, text) in rows.items():
            check(name, call, text)
        rounds: dict[str, list[float]] = {name: [] for name in rows}
        names = list(rows)
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                call, text = rows[name]
                rounds[name].append(batch(call, text, args.seconds))
            print(f"{alg} round {r + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for name, values in rounds.items():
            line = {"row": name, "alg": alg, "us": statistics.median(values), "rounds": values}
            print(json.dumps(line), flush=True)
    versions = {
        name: version(name) for name in ("jwtfort", "PyJWT", "cryptography", "fastapi", "uvicorn")
    }
    versions["python"] = platform.python_version()
    print(json.dumps({"versions": versions}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

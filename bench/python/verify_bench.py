#!/usr/bin/env python3
"""One token verification from Python: jwtfort, PyJWT and joserfc on the same tokens, with the
same checks, and jwtfort's token service on a SQLite store.

Usage: verify_bench.py [--rounds N] [--seconds S]
(run with the Python of the jwtfort bench virtualenv; bench/run_python_benchmarks.py does)

Every library checks the same token the same way: the signature with a key loaded once, the
algorithm allow-list [alg], and `exp` required and in the future. The rows:

  jwtfort          Verifier.verify(token)
  jwtfort, claims  Verifier.verify(token).claims: the claims as a dict, which PyJWT returns
  jwtfort service  TokenService.require_access(token) on a SQLite store: the signature, the
                   claims of an access token (type, iat, nbf, jti...) and the revocation check
  PyJWT            jwt.decode(token, key, algorithms=[alg], options={"require": ["exp"]})
  joserfc          jwt.decode(token, key, algorithms=[alg]), then a JWTClaimsRegistry with
                   exp essential validates the claims

Each library is first shown to accept the token and to reject it with one signature character
changed, so none is measured doing less than the others. The rounds are interleaved: in each,
every row runs one batch of calls, starting one row further on than the round before; a batch
lasts about S seconds, with garbage collection off. Prints one JSON line per row and algorithm
on stdout, {"row", "alg", "us", "rounds"} with the median and every round in microseconds per
call, then one {"versions": {...}} line; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

import jwtfort

ALGORITHMS = ("HS256", "ES256", "RS256")
LIFETIME = 24 * 3600  # longer than any run


class Keys:
    """The key of one algorithm, as each library loads it: a 32-byte secret for HS256, a P-256
    or RSA-2048 key pair otherwise."""

    def __init__(self, alg: str) -> None:
        self.alg = alg
        if alg == "HS256":
            self.secret = secrets.token_bytes(32)
            self.signing = jwtfort.Key.from_secret(self.secret, alg)
            self.public = self.signing
            return
        private = (
            ec.generate_private_key(ec.SECP256R1())
            if alg == "ES256"
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        self.private_pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.public_pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.signing = jwtfort.Key.from_pem(self.private_pem, alg)
        self.public = jwtfort.Key.from_pem(self.public_pem, alg)

    def pyjwt_key(self) -> Any:
        """A PyJWK holds a prepared key: PyJWT's fastest path, with no key parsing per call."""
        algorithm = pyjwt.get_algorithm_by_name(self.alg)
        raw = self.secret if self.alg == "HS256" else self.public_pem
        prepared = algorithm.prepare_key(raw)
        return pyjwt.PyJWK.from_json(algorithm.to_jwk(prepared), algorithm=self.alg)

    def joserfc_key(self) -> Any:
        if self.alg == "HS256":
            return OctKey.import_key(self.secret)
        return (ECKey if self.alg == "ES256" else RSAKey).import_key(self.public_pem)


def forged(token: str) -> str:
    """`token` with the first signature character changed (it carries no padding bits)."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def checked(name: str, call: Callable[[str], Any], token: str) -> Callable[[], Any]:
    """`call` bound to `token`, once shown to accept it and to refuse a forged signature."""
    call(token)
    try:
        call(forged(token))
    except Exception:  # each library has its own exceptions: any refusal will do
        return lambda: call(token)
    raise SystemExit(f"{name} accepted a forged signature: it would be measured checking nothing")


def rows_for(keys: Keys, store: jwtfort.Store) -> dict[str, Callable[[], Any]]:
    alg = keys.alg
    now = int(time.time())
    claims = {"sub": "alice", "iat": now, "exp": now + LIFETIME, "jti": secrets.token_hex(8)}
    token = jwtfort.Signer(keys.signing).sign(claims)

    verifier = jwtfort.Verifier(algorithms=[alg], keys=keys.public)
    service = jwtfort.TokenService(keys.signing, store=store, access_lifetime=LIFETIME)
    service_token = service.create_access_token("alice")
    pyjwt_key = keys.pyjwt_key()
    jose_key = keys.joserfc_key()
    registry = jose_jwt.JWTClaimsRegistry(exp={"essential": True})

    def with_joserfc(t: str) -> Any:
        decoded = jose_jwt.decode(t, jose_key, algorithms=[alg])
        registry.validate(decoded.claims)  # exp, and nbf/iat when present
        return decoded.claims

    rows = {
        "jwtfort": checked("jwtfort", verifier.verify, token),
        "jwtfort, claims": checked("jwtfort", lambda t: verifier.verify(t).claims, token),
        "jwtfort service": checked("jwtfort service", service.require_access, service_token),
        "PyJWT": checked(
            "PyJWT",
            lambda t: pyjwt.decode(t, pyjwt_key, algorithms=[alg], options={"require": ["exp"]}),
            token,
        ),
        "joserfc": checked("joserfc", with_joserfc, token),
    }
    assert pyjwt.decode(token, pyjwt_key, algorithms=[alg]) == claims
    assert verifier.verify(token).claims == claims == with_joserfc(token)
    return rows


def batch_size(call: Callable[[], Any], seconds: float) -> int:
    """Calls that take about `seconds`, measured after a short warm-up."""
    for _ in range(50):
        call()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds / 4 or calls < 10:
        call()
        calls += 1
    return max(10, int(calls * seconds / (time.perf_counter() - start)))


def time_batch(call: Callable[[], Any], n: int) -> float:
    """Microseconds per call over `n` calls."""
    start = time.perf_counter_ns()
    for _ in range(n):
        call()
    return (time.perf_counter_ns() - start) / n / 1000


def measure(
    rows: dict[tuple[str, str], Callable[[], Any]], rounds: int, seconds: float
) -> dict[tuple[str, str], list[float]]:
    sizes = {key: batch_size(call, seconds) for key, call in rows.items()}
    order = list(rows)
    out: dict[tuple[str, str], list[float]] = {key: [] for key in order}
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            # Each round starts one row further on, so that no row always runs first.
            for key in order[r % len(order) :] + order[: r % len(order)]:
                out[key].append(time_batch(rows[key], sizes[key]))
            print(
                f"  round {r + 1}/{rounds}: "
                + ", ".join(
                    f"{row} {alg} {out[(row, alg)][-1]:.2f}"
                    for row, alg in order
                    if row == "jwtfort"
                )
                + " µs",
                file=sys.stderr,
                flush=True,
            )
    finally:
        gc.enable()
    return out


def versions() -> dict[str, str]:
    import ssl

    names = {
        "jwtfort": "jwtfort",
        "PyJWT": "PyJWT",
        "joserfc": "joserfc",
        "cryptography": "cryptography",
    }
    out = {shown: version(dist) for shown, dist in names.items()}
    out["python"] = platform.python_version()
    out["python ssl"] = ssl.OPENSSL_VERSION
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2, help="one batch, roughly")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # e.g. joserfc's notes on algorithm recommendations
    with tempfile.TemporaryDirectory(prefix="jwtfort-py-bench-") as tmp:
        store = jwtfort.open_store(f"sqlite://{tmp}/tokens.db")
        rows: dict[tuple[str, str], Callable[[], Any]] = {}
        for alg in ALGORITHMS:
            for row, call in rows_for(Keys(alg), store).items():
                rows[(row, alg)] = call
        print(
            f"measuring {len(rows)} rows: {args.rounds} interleaved rounds of about "
            f"{args.seconds} s each",
            file=sys.stderr,
            flush=True,
        )
        results = measure(rows, args.rounds, args.seconds)
    for (row, alg), samples in results.items():
        print(
            json.dumps(
                {
                    "row": row,
                    "alg": alg,
                    "us": statistics.median(samples),
                    "rounds": [round(s, 3) for s in samples],
                }
            ),
            flush=True,
        )
    print(json.dumps({"versions": versions()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""PyJWT and joserfc on the jwtfort benchmark fixtures.

Usage: python_peers.py FIXTURE_DIR [--target-seconds S] [--repeats N]

Prints one JSON line per measurement on stdout, e.g.
  {"peer": "pyjwt", "op": "verify", "alg": "HS256", "ns": 9123.4, "version": "2.10.1"}
and progress on stderr. Each measurement is timeit-style: garbage collection off, a warm-up,
then N calls timed with perf_counter_ns, repeated; the median of the repeats per call is reported.

Verify means what jwtfort's verifier does: signature with a pre-loaded key, the algorithm pinned,
iss and aud equal, exp/nbf/iat checked against the clock, sub and jti required. Sign encodes
the claims dict with a pre-loaded key.
"""

import argparse
import gc
import json
import pathlib
import statistics
import sys
import time
from typing import Any, Callable

from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

ALGORITHMS = ["HS256", "RS256", "PS256", "ES256", "EdDSA"]
KEY_FILES = {"RS256": "rsa", "PS256": "rsa", "ES256": "es256", "EdDSA": "ed25519"}
ISSUER = "jwtfort-bench"
AUDIENCE = "api"
REQUIRED = ["exp", "iat", "sub", "jti"]


class Fixtures:
    def __init__(self, directory: pathlib.Path):
        self.dir = directory
        self.secret = (directory / "hs256.secret").read_text().strip()
        self.claims = json.loads((directory / "claims.json").read_text())

    def pem(self, alg: str, public: bool) -> bytes:
        suffix = ".pub.pem" if public else ".pem"
        return (self.dir / (KEY_FILES[alg] + suffix)).read_bytes()


def time_per_call(fn: Callable[[], Any], target_seconds: float, repeats: int) -> float:
    """Median over `repeats` of the mean time per call, in nanoseconds."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        # Warm-up that also sizes the loop so one repeat lasts about target_seconds.
        calls, start = 0, time.perf_counter_ns()
        while time.perf_counter_ns() - start < target_seconds * 0.5e9 or calls < 3:
            fn()
            calls += 1
        per_call = (time.perf_counter_ns() - start) / calls
        n = max(3, int(target_seconds * 1e9 / per_call))
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter_ns()
            for _ in range(n):
                fn()
            samples.append((time.perf_counter_ns() - t0) / n)
        return statistics.median(samples)
    finally:
        if gc_was_enabled:
            gc.enable()


# --- PyJWT ----------------------------------------------------------------------------------


def pyjwt_ops(fx: Fixtures, alg: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
    import jwt

    # PyJWK objects carry a prepared key, PyJWT's fastest path (no key checks on every call).
    algorithm = jwt.get_algorithm_by_name(alg)
    if alg == "HS256":
        signing_key = verification_key = jwk_of(algorithm, algorithm.prepare_key(fx.secret), alg)
    else:
        signing_key = jwk_of(algorithm, load_pem_private_key(fx.pem(alg, public=False), None), alg)
        verification_key = jwk_of(algorithm, load_pem_public_key(fx.pem(alg, public=True)), alg)
    claims = dict(fx.claims)
    token = jwt.encode(claims, signing_key, algorithm=alg)
    options = {"require": REQUIRED}

    def verify(issuer: str = ISSUER) -> Any:
        return jwt.decode(token, verification_key, algorithms=[alg], audience=AUDIENCE,
                          issuer=issuer, options=options)

    def sign() -> str:
        return jwt.encode(claims, signing_key, algorithm=alg)

    assert verify()["sub"] == claims["sub"]
    must_fail(lambda: verify("someone-else"), "pyjwt", alg)
    return verify, sign


def jwk_of(algorithm: Any, prepared_key: Any, alg: str) -> Any:
    import jwt

    return jwt.PyJWK.from_json(algorithm.to_jwk(prepared_key), algorithm=alg)


# --- joserfc --------------------------------------------------------------------------------


def joserfc_ops(fx: Fixtures, alg: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
    from joserfc import jwt
    from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

    key_types = {"HS256": OctKey, "RS256": RSAKey, "PS256": RSAKey, "ES256": ECKey, "EdDSA": OKPKey}
    key_type = key_types[alg]
    if alg == "HS256":
        signing_key = verification_key = OctKey.import_key(fx.secret.encode())
    else:
        signing_key = key_type.import_key(fx.pem(alg, public=False))
        verification_key = key_type.import_key(fx.pem(alg, public=True))
    claims = dict(fx.claims)
    header = {"alg": alg, "typ": "JWT"}
    algorithms = [alg]

    def registry(issuer: str) -> Any:
        return jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": AUDIENCE},
            **{name: {"essential": True} for name in REQUIRED},
        )

    accepted = registry(ISSUER)
    token = jwt.encode(header, claims, signing_key, algorithms=algorithms)

    def verify(checks: Any = accepted) -> Any:
        decoded = jwt.decode(token, verification_key, algorithms=algorithms)
        checks.validate(decoded.claims)  # exp, nbf, iat and the options above
        return decoded

    def sign() -> str:
        return jwt.encode(header, claims, signing_key, algorithms=algorithms)

    assert verify().claims["sub"] == claims["sub"]
    must_fail(lambda: verify(registry("someone-else")), "joserfc", alg)
    return verify, sign


def must_fail(call: Callable[[], Any], peer: str, alg: str) -> None:
    """Guards against a peer configured so loosely that it checks nothing."""
    try:
        call()
    except Exception:  # noqa: BLE001 - any rejection will do
        return
    raise SystemExit(f"{peer} {alg}: a token from another issuer was accepted")


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {"pyjwt": version("PyJWT"), "joserfc": version("joserfc")}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("fixtures", type=pathlib.Path)
    parser.add_argument("--target-seconds", type=float, default=0.25,
                        help="approximate duration of one repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import warnings

    warnings.simplefilter("ignore")  # e.g. "EdDSA" being superseded by "Ed25519" in new drafts
    fx = Fixtures(args.fixtures)
    version_of = versions()
    for peer, make_ops in (("pyjwt", pyjwt_ops), ("joserfc", joserfc_ops)):
        for alg in ALGORITHMS:
            verify, sign = make_ops(fx, alg)
            for op, fn in (("verify", verify), ("sign", sign)):
                ns = time_per_call(fn, args.target_seconds, args.repeats)
                progress = f"  {peer:8} {op:6} {alg:6} {ns / 1000:10.2f} us"
                print(progress, file=sys.stderr, flush=True)
                line = {"peer": peer, "op": op, "alg": alg, "ns": round(ns, 1),
                        "version": version_of[peer]}
                print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

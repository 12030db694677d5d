#!/usr/bin/env python3
"""Writes COUNT distinct access tokens, one a line, signed with a benchmark fixture's key.

Usage: python3 bench/mint_tokens.py ALG KEY COUNT NOW OUT

ALG is HS256 (KEY: the secret's file, hs256.secret of bench/make_fixtures.py), ES256 or EdDSA
(KEY: the PKCS#8 PEM file). The claims are those of harness.mint with `iat` NOW and subjects
client-0 ... client-COUNT-1. ES256 and EdDSA sign with the `cryptography` package, so this runs
in the virtualenv that run_signature_benchmark.py sets up for it.
"""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Callable

from harness import hs256_signer, mint


def signer(alg: str, key: pathlib.Path) -> Callable[[bytes], bytes]:
    if alg == "HS256":
        return hs256_signer(key.read_text())
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    private = load_pem_private_key(key.read_bytes(), password=None)
    if alg == "ES256" and isinstance(private, ec.EllipticCurvePrivateKey):
        ecdsa = ec.ECDSA(hashes.SHA256())

        def es256(data: bytes) -> bytes:
            # RFC 7518 §3.4: the JWS signature is R||S, each 32 bytes big-endian, not DER.
            r, s = decode_dss_signature(private.sign(data, ecdsa))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")

        return es256
    if alg == "EdDSA" and isinstance(private, ed25519.Ed25519PrivateKey):
        return private.sign
    raise SystemExit(f"{key}: not a key for {alg}")


def main() -> int:
    if len(sys.argv) != 6:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    alg, key, count, now, out = sys.argv[1:]
    sign = signer(alg, pathlib.Path(key))
    tokens = (mint(alg, sign, f"client-{i}", int(now)) for i in range(int(count)))
    pathlib.Path(out).write_text("".join(t + "\n" for t in tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())

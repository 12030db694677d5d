#!/usr/bin/env python3
"""Writes the benchmark fixtures that jwtfort and every peer library read.

Usage: python3 bench/make_fixtures.py DIR

DIR receives:
  hs256.secret               64 ASCII characters (hex of 32 random bytes), no newline
  rsa.pem, rsa.pub.pem       RSA-2048 private key (PKCS#8) and its SPKI public key
  es256.pem, es256.pub.pem   P-256
  ed25519.pem, ed25519.pub.pem
  claims.json                the token claims: fixed values, exp in 2100

Keys come from the openssl command; an existing, complete DIR is left as it is so that repeated
runs measure the same keys.
"""

import json
import pathlib
import secrets
import subprocess
import sys

# An access token of the usual shape; with HS256 the compact token is 260 bytes.
CLAIMS = {
    "sub": "4711",
    "iat": 1700000000,
    "exp": 4102444800,  # 2100-01-01
    "jti": "9f1c2a4e7b3d4c1e",
    "type": "access",
    "fresh": False,
    "iss": "jwtfort-bench",
    "aud": "api",
}

KEYS = {
    "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "es256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ed25519": ["-algorithm", "ED25519"],
}

FILES = ["hs256.secret", "claims.json"] + [f"{n}{s}" for n in KEYS for s in (".pem", ".pub.pem")]


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make(directory: pathlib.Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if all((directory / f).is_file() for f in FILES):
        return
    (directory / "hs256.secret").write_text(secrets.token_hex(32))
    for name, options in KEYS.items():
        private = directory / f"{name}.pem"
        openssl("genpkey", *options, "-out", str(private))
        openssl("pkey", "-in", str(private), "-pubout", "-out", str(directory / f"{name}.pub.pem"))
    (directory / "claims.json").write_text(json.dumps(CLAIMS, separators=(",", ":")) + "\n")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    make(pathlib.Path(sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The keys of one ``AuthJWT`` configuration: the ``authjwt_secret_key``, ``authjwt_private_key``
and ``authjwt_public_key`` texts made into keys bound to one algorithm each, and the key rings
the token services are built on.

Used by the runtime (``_runtime.py``) only. The compatibility class may accept legacy short
HMAC secrets and short RSA keys, always with a :class:`SecurityWarning`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .. import errors
from ..keys import ALGORITHMS, Key, KeyRing
from ._settings import Snapshot
from ._warnings import warn_security

__all__ = ["check_algorithm", "load_key", "placeholder_key", "ring_of"]

# Signatures go through keys bound to one algorithm; a key whose own id names its algorithm
# keeps HS256 and HS384 made from one secret (or RS256 and PS256 from one key pair) apart.
_KID_DIGITS: Final = 16
# When a key family has no signing key, the ring's required active key is one of these.
_PLACEHOLDER_ALGORITHMS: Final = ("Ed448", "Ed25519", "ES512", "ES384", "ES256")


def check_algorithm(alg: str) -> None:
    """Errors: ``ValueError`` (fastapi-jwt-auth's message) for an algorithm jwtfort lacks."""
    if alg not in ALGORITHMS:
        raise ValueError(f"Algorithm {alg} could not be found")


def load_key(config: Snapshot, alg: str, *, sign: bool, weak_secrets: bool) -> Key:
    """The key ``config`` gives for ``alg``: the secret for HS*, else the private key
    (``sign``) or the public key, with an id naming its algorithm.

    Errors: ``ValueError`` (unknown algorithm), ``RuntimeError`` (the setting is not set),
    :class:`jwtfort.WeakKey`, :class:`jwtfort.InvalidKey`."""
    check_algorithm(alg)
    if alg.startswith("HS"):
        if not config.secret_key:
            raise RuntimeError(
                f"authjwt_secret_key must be set when using symmetric algorithm {alg}"
            )
        key = _secret(config.secret_key, alg, weak_secrets=weak_secrets)
    else:
        which = "private" if sign else "public"
        pem = config.private_key if sign else config.public_key
        if not pem:
            raise RuntimeError(
                f"authjwt_{which}_key must be set when using asymmetric algorithm {alg}"
            )
        key = _pem(pem, alg, which, weak_secrets=weak_secrets)
    return key.with_id(f"{alg}-{key.thumbprint()[:_KID_DIGITS]}")


def ring_of(active: Key, others: Sequence[Key]) -> KeyRing:
    """A ring that signs with ``active`` and also verifies with ``others``."""
    ring = KeyRing.from_key(active)
    for key in others:
        ring.add_verification_key(key)
    return ring


def placeholder_key(algorithms: Sequence[str]) -> Key:
    """A fresh signing key of an algorithm outside ``algorithms``: the active key of a ring
    that only verifies, which can never verify a token the allow-list accepts."""
    for alg in _PLACEHOLDER_ALGORITHMS:
        key = Key.generate(alg)
        if not any(key.accepts(a) for a in algorithms):
            return key.with_id("unused-" + key.thumbprint()[:_KID_DIGITS])
    raise errors.ConfigurationError("no placeholder key fits this algorithm allow-list")


def _secret(secret: str, alg: str, *, weak_secrets: bool) -> Key:
    try:
        return Key.from_secret(secret, alg)
    except errors.WeakKey:
        if not weak_secrets:
            raise
    warn_security(
        f"authjwt_secret_key is shorter than {alg} requires (RFC 7518 §3.2); accepted only "
        "for compatibility: use a random secret of at least "
        f"{int(alg[2:]) // 8} bytes"
    )
    return Key.from_weak_secret_unsafe(secret, alg)


def _pem(pem: str, alg: str, which: str, *, weak_secrets: bool) -> Key:
    try:
        return Key.from_pem(pem, alg)
    except errors.WeakKey:
        if not weak_secrets or not alg.startswith(("RS", "PS")):
            raise
        # Only a short RSA modulus is let through; a bad exponent stays refused.
        key = Key.from_legacy_pem_unsafe(pem, alg)
    warn_security(
        f"authjwt_{which}_key is an RSA key of {key.bits} bits, shorter than the 2048 "
        "RFC 7518 §3.3 requires; accepted only for compatibility: use a key of at least "
        "2048 bits"
    )
    return key

"""Keys, each bound to one JWS algorithm, key sets (JWKS) and key rings (rotation by ``kid``).

Keys are immutable and safe to share between threads. Loading enforces the key policy: HMAC
secrets at least as long as the hash, RSA moduli of 2048 to 8192 bits, EC points on the curve.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final, Literal, TypeAlias

from . import _native
from ._convert import JSONObject, from_json, json_text

__all__ = ["ALGORITHMS", "Algorithm", "Key", "KeyRing", "KeySet"]

#: A JWS algorithm name (RFC 7518, RFC 8037, RFC 9864). There is no "none".
Algorithm: TypeAlias = Literal[
    "HS256", "HS384", "HS512",
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512",
    "EdDSA", "Ed25519", "Ed448",
]  # fmt: skip

#: Every algorithm name, as the core spells it.
ALGORITHMS: Final[tuple[str, ...]] = tuple(_native.algorithms())


class Key:
    """A signing or verification key bound to one algorithm.

    Make one with a factory: :meth:`generate`, :meth:`from_secret`, :meth:`from_pem` or
    :meth:`from_jwk`. Errors: :class:`~jwtfort.errors.InvalidKey`,
    :class:`~jwtfort.errors.WeakKey`, :class:`~jwtfort.errors.AlgorithmNotAllowed` (an unknown
    algorithm name).

    Example::

        key = Key.from_secret(secrets.token_bytes(32), "HS256")
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Key) -> None:
        if not isinstance(native, _native.Key):
            raise TypeError("make a Key with Key.generate, from_secret, from_pem or from_jwk")
        self._native = native

    @classmethod
    def generate(cls, alg: Algorithm | str, *, rsa_bits: int = 2048) -> Key:
        """A new private key, or a random secret of the hash length for HS*."""
        return cls(_native.Key.generate(alg, rsa_bits))

    @classmethod
    def from_secret(cls, secret: str | bytes, alg: Algorithm | str) -> Key:
        """An HMAC key; a text secret is used as its UTF-8 bytes. Refused (``WeakKey``) when
        shorter than the hash output (RFC 7518 §3.2)."""
        return cls(_native.Key.from_secret(secret, alg))

    @classmethod
    def from_weak_secret_unsafe(cls, secret: str | bytes, alg: Algorithm | str) -> Key:
        """An HMAC key from a secret shorter than the hash. Unsafe: only to migrate legacy
        deployments; an empty secret is still refused."""
        return cls(_native.Key.from_weak_secret_unsafe(secret, alg))

    @classmethod
    def from_pem(cls, pem: str | bytes, alg: Algorithm | str) -> Key:
        """A PEM key: SPKI public, PKCS#8 private, or PKCS#1 RSA."""
        return cls(_native.Key.from_pem(pem, alg))

    @classmethod
    def from_legacy_pem_unsafe(cls, pem: str | bytes, alg: Algorithm | str) -> Key:
        """A PEM key whose RSA modulus may be 1000 to 2047 bits, below RFC 7518's floor. Unsafe:
        only to migrate legacy deployments; the other checks of :meth:`from_pem` still apply."""
        return cls(_native.Key.from_legacy_pem_unsafe(pem, alg))

    @classmethod
    def from_jwk(cls, jwk: JSONObject, alg: Algorithm | str | None = None) -> Key:
        """One JWK (RFC 7517), as JSON text or a mapping. Without ``alg``, the JWK's own ``alg``
        is used, or inferred where unambiguous (EC from ``crv``, OKP)."""
        return cls(_native.Key.from_jwk(json_text(jwk), alg))

    @property
    def alg(self) -> str:
        """The one algorithm this key is used with."""
        return self._native.alg

    @property
    def id(self) -> str:
        """The key id (``kid``); empty when none was given."""
        return self._native.id

    @property
    def can_sign(self) -> bool:
        """True for private keys and HMAC secrets."""
        return self._native.can_sign

    @property
    def is_symmetric(self) -> bool:
        return self._native.is_symmetric

    @property
    def bits(self) -> int:
        """RSA modulus, EC/OKP field or secret size, in bits."""
        return self._native.bits

    def with_id(self, kid: str) -> Key:
        """A copy of this key with another id."""
        return Key(self._native.with_id(kid))

    def accepts(self, alg: str) -> bool:
        """True when a token whose header says ``alg`` may be verified with this key."""
        return self._native.accepts(alg)

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
        return self._native.thumbprint()

    def to_public_jwk(self) -> dict[str, Any]:
        """The public JWK, with ``kid`` (the id, or the thumbprint). ``InvalidKey`` for a
        secret, which has no public part."""
        return from_json(self._native.to_public_jwk())

    def to_private_jwk(self) -> dict[str, Any]:
        """The whole JWK including private members. Handle with care."""
        return from_json(self._native.to_private_jwk())

    def to_public_pem(self) -> str:
        """The public key as SPKI PEM. ``InvalidKey`` for a secret."""
        return self._native.to_public_pem()

    def __repr__(self) -> str:
        kind = "secret" if self.is_symmetric else "private" if self.can_sign else "public"
        return f"<Key {self.alg} {kind} id={self.id!r}>"


class KeySet:
    """Verification keys looked up by ``kid`` (a JWKS).

    Example::

        keys = KeySet.from_jwks(requests.get(jwks_url).json())
    """

    __slots__ = ("_native",)

    def __init__(self, keys: Iterable[Key] = ()) -> None:
        """A set of ``keys``. ``InvalidKey`` for a duplicate ``kid`` or a mix of secrets and
        public keys."""
        self._native = _native.KeySet()
        for key in keys:
            self.add(key)

    @classmethod
    def from_jwks(cls, jwks: JSONObject) -> KeySet:
        """A JWK Set; entries with an unknown ``kty`` or ``use: "enc"`` are skipped."""
        return cls._wrap(_native.KeySet.from_jwks(json_text(jwks)))

    @classmethod
    def _wrap(cls, native: _native.KeySet) -> KeySet:
        self = cls.__new__(cls)
        self._native = native
        return self

    def add(self, key: Key) -> None:
        self._native.add(key._native)

    def find(self, kid: str | None, alg: Algorithm | str) -> Key:
        """The key that verifies a token with this ``kid`` and ``alg``. ``UnknownKey`` when
        there is none."""
        return Key(self._native.find(kid, alg))

    def to_jwks(self) -> dict[str, Any]:
        """The public JWKS, ``{"keys": [...]}``; secrets are left out."""
        return from_json(self._native.to_jwks())

    def __iter__(self) -> Iterator[Key]:
        return (Key(k) for k in self._native.keys)

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return f"<KeySet of {len(self)}>"


class KeyRing:
    """The keys a token service owns: the active key signs; it and the keys it replaced verify.

    Example::

        ring = KeyRing.from_jwks(Path("keys.json").read_text())
        ring = ring.rotated(keep=3)    # a new active key, the 2 newest old ones kept
        Path("keys.json").write_text(json.dumps(ring.to_private_jwks()))
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.KeyRing) -> None:
        if not isinstance(native, _native.KeyRing):
            raise TypeError("make a KeyRing with KeyRing.from_key or KeyRing.from_jwks")
        self._native = native

    @classmethod
    def from_key(cls, key: Key) -> KeyRing:
        """A ring of one key, which must be able to sign; it gets its thumbprint as ``kid``
        when it has none."""
        return cls(_native.KeyRing.from_key(key._native))

    @classmethod
    def from_jwks(cls, private_jwks: JSONObject) -> KeyRing:
        """A private JWK Set, active key first."""
        return cls(_native.KeyRing.from_jwks(json_text(private_jwks)))

    def add_verification_key(self, key: Key) -> None:
        """Adds a key that only verifies, e.g. the previous secret during a manual rotation."""
        self._native.add_verification_key(key._native)

    def rotated(self, keep: int = 3) -> KeyRing:
        """A new ring with a freshly generated active key, followed by the current keys,
        newest first, ``keep`` keys in all (2..100)."""
        return KeyRing(self._native.rotated(keep))

    @property
    def active(self) -> Key:
        return Key(self._native.active)

    @property
    def keys(self) -> KeySet:
        return KeySet._wrap(self._native.keys)

    def to_public_jwks(self) -> dict[str, Any]:
        """The JWKS to publish; empty for an HMAC ring."""
        return from_json(self._native.to_public_jwks())

    def to_private_jwks(self) -> dict[str, Any]:
        """The whole ring with private members, for the ring file. Handle with care."""
        return from_json(self._native.to_private_jwks())

    def __repr__(self) -> str:
        return f"<KeyRing {self.active.alg} active={self.active.id!r} keys={len(self.keys)}>"

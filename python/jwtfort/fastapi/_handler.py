"""``JWTHandler``: fastapi-auth-jwt's token codec, on jwtfort's signer and verifier."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar, Final

from .._convert import Clock
from ..errors import WeakKey
from ..keys import Key
from ..signer import Signer
from ..verifier import Verifier
from ._warnings import warn_security

__all__ = ["JWTHandler"]

# The Verifier options decode() passes on; "audience" is PyJWT's spelling of "audiences".
_DECODE_OPTIONS: Final = frozenset(
    {"issuer", "audiences", "ignore_audience", "typ", "required_claims", "leeway"}
)


class JWTHandler:
    """Encodes a payload into a signed token and decodes it back, with one HMAC secret.

    ``algorithm`` is HS256, HS384 or HS512; only that algorithm is accepted when decoding,
    whatever the token's header says. Errors: ``WeakKey`` when ``secret`` is shorter than the
    hash (32 bytes for HS256), ``AlgorithmNotAllowed`` for an unknown algorithm name.
    ``clock`` fixes "now" for tests, as in :class:`~jwtfort.Verifier`.

    This is a codec: :meth:`decode` does not require ``exp``, since :meth:`encode` without an
    ``expiration`` makes a token without one. :class:`JWTAuthBackend` requires it.

    Example::

        handler = JWTHandler(secret=secrets.token_urlsafe(32))
        token = handler.encode({"user_id": 123}, expiration=3600)
        assert handler.decode(token) == {"user_id": 123}
    """

    # The fastapi-auth-jwt compatibility module accepts short secrets, with a warning.
    _allow_weak_secret: ClassVar[bool] = False

    def __init__(self, secret: str, algorithm: str = "HS256", *, clock: Clock = None) -> None:
        self.secret = secret
        self.algorithm = algorithm
        self._clock = clock
        self._key = self._load_key(secret, algorithm)
        self._signer = Signer(self._key)
        self._verifier = self._make_verifier({})

    @property
    def key(self) -> Key:
        """The jwtfort key made from the secret."""
        return self._key

    def encode(
        self,
        payload: Mapping[str, Any],
        expiration: float | timedelta | None = None,
        **kwargs: Any,
    ) -> str:
        """A token holding ``payload`` and ``kwargs``, plus ``exp`` = now + ``expiration``
        seconds when given. ``TypeError`` for a value JSON cannot hold."""
        claims = {**payload, **kwargs}
        if expiration is not None:
            claims["exp"] = int(self.now() + _seconds(expiration))
        return self._signer.sign(claims)

    def decode(self, token: str | bytes, **kwargs: Any) -> dict[str, Any]:
        """The claims of a valid token, without ``exp``.

        ``kwargs`` are :class:`~jwtfort.Verifier` options (``issuer``, ``audience`` or
        ``audiences``, ``leeway``, ``required_claims``...); ``TypeError`` for any other.
        Errors: any :class:`~jwtfort.errors.InvalidToken`, e.g. ``ExpiredToken`` or
        ``InvalidSignature``.
        """
        verifier = self._make_verifier(kwargs) if kwargs else self._verifier
        claims = dict(verifier.verify(token).claims)
        claims.pop("exp", None)
        return claims

    def now(self) -> float:
        """The handler's "now", in seconds since the epoch."""
        if self._clock is None:
            return time.time()
        return self._clock if isinstance(self._clock, int) else self._clock()

    def _make_verifier(self, options: dict[str, Any]) -> Verifier:
        options = dict(options)
        if "audience" in options:
            options["audiences"] = options.pop("audience")
        unknown = options.keys() - _DECODE_OPTIONS
        if unknown:
            raise TypeError(f"decode() got unexpected keyword arguments: {sorted(unknown)}")
        options.setdefault("required_claims", ())
        return Verifier(algorithms=[self.algorithm], keys=self._key, clock=self._clock, **options)

    @classmethod
    def _load_key(cls, secret: str, algorithm: str) -> Key:
        try:
            return Key.from_secret(secret, algorithm)
        except WeakKey:
            if not cls._allow_weak_secret:
                raise
        warn_security(
            f"the {algorithm} secret is shorter than the hash: tokens can be forged by "
            "guessing it; use a random secret of at least the hash length"
        )
        return Key.from_weak_secret_unsafe(secret, algorithm)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(algorithm={self.algorithm!r})"


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

"""Verification: compact JWS tokens checked against an algorithm allow-list, keys and claim
rules. A :class:`VerifiedToken` comes only from a verifier or the token service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import _native
from ._convert import Clock, Seconds, from_json, names, seconds
from .keys import Algorithm, Key, KeySet

__all__ = ["VerifiedToken", "Verifier", "unverified_claims", "unverified_header"]


class VerifiedToken:
    """A token that passed every check. ``header`` and ``claims`` are parsed on first use.

    Registered claims have typed accessors (``None`` when absent); any other claim is in
    ``claims``.
    """

    __slots__ = ("_claims", "_header", "_native")

    def __init__(self, native: _native.VerifiedToken) -> None:
        if not isinstance(native, _native.VerifiedToken):
            raise TypeError("a VerifiedToken comes only from Verifier.verify or TokenService")
        self._native = native
        self._header: dict[str, Any] | None = None
        self._claims: dict[str, Any] | None = None

    @property
    def header(self) -> dict[str, Any]:
        if self._header is None:
            self._header = from_json(self._native.header_json)
        return self._header

    @property
    def claims(self) -> dict[str, Any]:
        if self._claims is None:
            self._claims = from_json(self._native.claims_json)
        return self._claims

    @property
    def alg(self) -> str:
        return self._native.alg

    @property
    def key_id(self) -> str | None:
        return self._native.key_id or None

    @property
    def subject(self) -> str | None:
        return self._native.subject

    @property
    def issuer(self) -> str | None:
        return self._native.issuer

    @property
    def jwt_id(self) -> str | None:
        return self._native.jwt_id

    @property
    def expires_at(self) -> int | None:
        """``exp`` in whole seconds since the epoch."""
        return self._native.expires_at

    @property
    def not_before(self) -> int | None:
        return self._native.not_before

    @property
    def issued_at(self) -> int | None:
        return self._native.issued_at

    def __repr__(self) -> str:
        return f"<VerifiedToken {self.alg} sub={self.subject!r} jti={self.jwt_id!r}>"


class Verifier:
    """Checks tokens. Immutable and safe to share between threads.

    ``algorithms`` is required and never taken from the token. ``keys`` is one key, several, or
    a :class:`KeySet` (looked up by ``kid``). ``exp`` is required unless ``required_claims``
    says otherwise. A token with an ``aud`` is refused when no ``audiences`` are given (RFC 7519
    §4.1.3), unless ``ignore_audience`` is set. ``clock`` fixes "now" for tests: an int, or a
    callable such as ``time.time``.

    Errors: ``ConfigurationError`` for bad options (no algorithms, no keys, an algorithm no key
    can verify, leeway outside 0..300 s).

    Example::

        verifier = Verifier(algorithms=["ES256"], keys=public_key, issuer="https://auth.example")
        token = verifier.verify(text)       # ExpiredToken, InvalidSignature, ...
        print(token.subject, token.claims["roles"])
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        *,
        algorithms: Iterable[Algorithm | str],
        keys: Key | KeySet | Iterable[Key],
        issuer: str | None = None,
        audiences: str | Iterable[str] = (),
        ignore_audience: bool = False,
        typ: str | None = None,
        required_claims: Iterable[str] = ("exp",),
        leeway: Seconds = 0,
        understood_critical: Iterable[str] = (),
        max_token_bytes: int = 8192,
        clock: Clock = None,
    ) -> None:
        self._native = _native.Verifier(
            algorithms=names(algorithms),
            keys=_key_set(keys)._native,
            issuer=issuer,
            audiences=names(audiences),
            ignore_audience=ignore_audience,
            typ=typ,
            required_claims=names(required_claims),
            leeway=seconds(leeway, "leeway"),
            understood_critical=names(understood_critical),
            max_token_bytes=max_token_bytes,
            clock=clock,
        )

    def verify(self, token: str | bytes) -> VerifiedToken:
        """The verified token. Errors: any :class:`~jwtfort.errors.InvalidToken`, e.g.
        ``ExpiredToken``, ``InvalidSignature``, ``AlgorithmNotAllowed``, ``MalformedToken``."""
        return VerifiedToken(self._native.verify(token))


def _key_set(keys: Key | KeySet | Iterable[Key]) -> KeySet:
    if isinstance(keys, KeySet):
        return keys
    return KeySet([keys] if isinstance(keys, Key) else keys)


def unverified_header(token: str | bytes) -> dict[str, Any]:
    """The header of a token, decoded without any verification: for routing (``kid``,
    ``alg``), never for decisions. ``MalformedToken`` when it cannot be decoded."""
    return from_json(_native.decode_unverified(token)[0])


def unverified_claims(token: str | bytes) -> dict[str, Any]:
    """The claims of a token, decoded without any verification: for debugging only."""
    return from_json(_native.decode_unverified(token)[1])

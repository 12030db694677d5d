"""The token service: access and refresh tokens, fresh tokens, revocation, and refresh-token
rotation with reuse detection (RFC 9700 §4.14.2).

Tokens carry fastapi-jwt-auth's claims (``sub``, ``iat``, ``nbf``, ``jti``, ``exp``, ``type``,
``fresh``, and ``iss``, ``aud``, ``csrf`` when configured), plus ``fam``: the refresh family (the
login) a token descends from. Every refresh token has one; an access token has one when it was
issued with a refresh token (:meth:`TokenService.create_token_pair`, :meth:`TokenService.refresh`),
so that revoking the family, on refresh-token reuse or logout, stops its access tokens too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple, TypeAlias

from . import _native
from ._convert import Clock, Seconds, names, seconds, split_headers, to_json
from .keys import Algorithm, Key, KeyRing
from .store import Store
from .verifier import VerifiedToken

__all__ = ["Lifetime", "TokenPair", "TokenService", "TokenType", "VerifiedCacheStats"]

#: A token lifetime: whole seconds, a ``timedelta``, or ``False`` for tokens without ``exp``,
#: which never expire (fastapi-jwt-auth's spelling; only ever by this explicit choice).
Lifetime: TypeAlias = Seconds | Literal[False]
TokenType: TypeAlias = Literal["access", "refresh"]


class TokenPair(NamedTuple):
    access_token: str
    refresh_token: str


class VerifiedCacheStats(NamedTuple):
    """What the verified-token cache has done since the service was created: ``hits`` (calls
    answered from the cache), ``misses`` (calls that verified the token), ``evictions``
    (entries dropped to make room), ``expired`` (entries dropped because their token expired),
    and what it holds now: ``entries`` and their estimated ``bytes``."""

    hits: int
    misses: int
    evictions: int
    expired: int
    entries: int
    bytes: int


class TokenService:
    """The token life cycle of an API. Safe to share between threads.

    ``keys`` is one signing key or a :class:`KeyRing`. Without a ``store`` the service is
    stateless: nothing can be revoked and refresh tokens cannot be rotated. ``algorithms``
    defaults to the active key's. ``decode_issuer`` is checked on access tokens only, as
    fastapi-jwt-auth does. ``reuse_grace`` forgives a refresh token presented again within that
    many seconds (two tabs refreshing at once). ``verified_cache_entries`` remembers that many
    verified tokens (and at most ``verified_cache_bytes`` of them, estimated), so that a token
    sent again skips the signature check; the time window, the type and revocation are still
    checked on every call, and :meth:`cache_stats` tells its hit rate.

    Errors: ``ConfigurationError`` (lifetimes <= 0, leeway outside 0..300 s, algorithms the keys
    cannot verify).

    Example::

        service = TokenService(Key.generate("ES256"), store=open_store("memory://"))
        access = service.create_access_token("alice", fresh=True)
        token = service.require_fresh(access)    # FreshTokenRequired when it is not
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        keys: Key | KeyRing,
        *,
        store: Store | None = None,
        algorithms: Iterable[Algorithm | str] = (),
        access_lifetime: Lifetime = 15 * 60,
        refresh_lifetime: Lifetime = 30 * 24 * 3600,
        encode_issuer: str | None = None,
        decode_issuer: str | None = None,
        audiences: str | Iterable[str] = (),
        leeway: Seconds = 0,
        csrf_claim: bool = False,
        revocation_checks: Iterable[TokenType] = ("access", "refresh"),
        reuse_grace: Seconds = 0,
        max_token_bytes: int = 8192,
        verified_cache_entries: int = 0,
        verified_cache_bytes: int = 16 * 1024 * 1024,
        clock: Clock = None,
    ) -> None:
        ring = keys if isinstance(keys, KeyRing) else KeyRing.from_key(keys)
        self._native = _native.TokenService(
            ring._native,
            store=store,
            algorithms=names(algorithms),
            access_lifetime=_lifetime(access_lifetime, "access_lifetime"),
            refresh_lifetime=_lifetime(refresh_lifetime, "refresh_lifetime"),
            encode_issuer=encode_issuer,
            decode_issuer=decode_issuer,
            audiences=names(audiences),
            leeway=seconds(leeway, "leeway"),
            csrf_claim=csrf_claim,
            revocation_checks=list(revocation_checks),
            reuse_grace=seconds(reuse_grace, "reuse_grace"),
            max_token_bytes=max_token_bytes,
            verified_cache_entries=verified_cache_entries,
            verified_cache_bytes=verified_cache_bytes,
            clock=clock,
        )

    def create_access_token(
        self,
        subject: str,
        *,
        fresh: bool = False,
        lifetime: Lifetime | None = None,
        audience: str | Iterable[str] = (),
        extra_claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A new access token for ``subject``; ``fresh`` right after a password login.

        ``lifetime`` overrides the service's (``False``: no ``exp``). ``extra_claims`` may not
        hold the service's own claims (``InvalidClaim``). ``headers`` as in
        :meth:`Signer.sign`.
        """
        request = _request(lifetime, audience, extra_claims, headers)
        return self._native.create_access_token(subject, fresh=fresh, **request)

    def create_refresh_token(
        self,
        subject: str,
        *,
        lifetime: Lifetime | None = None,
        audience: str | Iterable[str] = (),
        extra_claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A new refresh token for ``subject``; it starts a new refresh family."""
        request = _request(lifetime, audience, extra_claims, headers)
        return self._native.create_refresh_token(subject, fresh=False, **request)

    def create_token_pair(
        self,
        subject: str,
        *,
        fresh: bool = False,
        lifetime: Lifetime | None = None,
        audience: str | Iterable[str] = (),
        extra_claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> TokenPair:
        """A login: an access token (``fresh`` as asked) and a refresh token that start a new
        refresh family together, so that revoking the family (reuse of a spent refresh token,
        :meth:`revoke` of one of its refresh tokens) stops the access token as well.
        ``lifetime`` applies to both tokens."""
        request = _request(lifetime, audience, extra_claims, headers)
        return TokenPair(*self._native.create_token_pair(subject, fresh=fresh, **request))

    def require_access(self, token: str | bytes) -> VerifiedToken:
        """An access token. Errors: those of :meth:`Verifier.verify`, ``WrongTokenType``,
        ``MissingClaim``, ``InvalidIssuer``, ``RevokedToken``, ``StoreUnavailable``."""
        return VerifiedToken(self._native.require_access(token))

    def optional_access(self, token: str | bytes | None) -> VerifiedToken | None:
        """No token (``None`` or empty) is anonymous; a token that is there must be a valid
        access token."""
        verified = self._native.optional_access(token or "")
        return VerifiedToken(verified) if verified is not None else None

    def require_fresh(self, token: str | bytes) -> VerifiedToken:
        """An access token with ``fresh: true``; else ``FreshTokenRequired``."""
        return VerifiedToken(self._native.require_fresh(token))

    def require_refresh(self, token: str | bytes) -> VerifiedToken:
        """A refresh token whose family is not revoked."""
        return VerifiedToken(self._native.require_refresh(token))

    def refresh(self, refresh_token: str | bytes) -> TokenPair:
        """Spends the refresh token for a new access token (not fresh) and refresh token, both
        of the same family, subject, audience and extra claims. A spent token presented again
        revokes its whole family, access tokens included: ``RevokedToken`` with code
        ``token_reused``."""
        return TokenPair(*self._native.refresh(refresh_token))

    def revoke(self, token: VerifiedToken) -> None:
        """Revokes one token until its ``exp``; a refresh token takes its family with it, the
        family's access tokens included."""
        self._native.revoke(token._native)

    def revoke_subject(self, subject: str) -> None:
        """Revokes every token of ``subject`` issued up to now ("log out everywhere")."""
        self._native.revoke_subject(subject)

    def cache_stats(self) -> VerifiedCacheStats:
        """The verified-token cache's counters; all zero when it is off."""
        return VerifiedCacheStats(**self._native.cache_stats())


def _request(
    lifetime: Lifetime | None,
    audience: str | Iterable[str],
    extra_claims: Mapping[str, Any] | None,
    headers: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """What the core's token request takes beyond the subject. A lifetime of None is the
    service's; False is no `exp` at all."""
    typ, extra_header = split_headers(headers)
    return {
        "lifetime": None
        if lifetime is None or lifetime is False
        else seconds(lifetime, "lifetime"),
        "never_expires": lifetime is False,
        "audience": names(audience),
        "extra_claims_json": to_json(extra_claims) if extra_claims else "",
        "typ": typ,
        "extra_header_json": extra_header,
    }


def _lifetime(value: Lifetime, what: str) -> int | None:
    return None if value is False else seconds(value, what)

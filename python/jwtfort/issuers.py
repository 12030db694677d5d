"""Tokens from OpenID Connect providers (Keycloak, Auth0, Okta, Entra ID, Cognito, Google...):
each trusted issuer with its audience, algorithms and claim mapping, its keys discovered and
fetched in the background.

:meth:`TrustedIssuers.verify` never does network I/O: discovery, JWKS fetches, the refetch an
unknown ``kid`` asks for and the periodic refresh all run on a thread of the C++ core, so
verifying on an event loop is fine. Until an issuer's keys first arrive, its tokens are refused
with :class:`~jwtfort.errors.JWKSUnavailable` (HTTP 503) while discovery is retried with backoff.
What that thread reports (a failed fetch, a recovery) is logged on the ``jwtfort.issuers``
logger by the next call that looks (``verify``, ``stats``, ``wait_until_ready``,
``log_events``); no token is ever logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from . import _native
from ._convert import Seconds, names, seconds
from .keys import Algorithm
from .tokens import VerifiedCacheStats
from .verifier import VerifiedToken

__all__ = ["IssuerIdentity", "IssuerOptions", "IssuerStats", "ProviderMetadata", "TrustedIssuers"]

log: Final = logging.getLogger("jwtfort.issuers")

# Failures are warnings; a discovery or fetch that works again is news too, at a lower level.
_EVENT_LEVELS: Final = {
    "discovery_failed": logging.WARNING,
    "jwks_failed": logging.WARNING,
    "discovery_ok": logging.INFO,
    "jwks_ok": logging.INFO,
}


@dataclass(frozen=True)
class IssuerOptions:
    """One trusted issuer.

    ``issuer`` is compared exactly with the token's ``iss`` and with the ``issuer`` of the
    provider's ``/.well-known/openid-configuration``; it must be ``https://``, or ``http://`` on
    a loopback host. ``audience`` is one accepted ``aud`` or several. ``jwks_url`` skips
    discovery. ``require_at_jwt`` asks for RFC 9068 access tokens (``typ: at+jwt`` and the claims
    ``iss exp aud sub client_id iat jti``); leave it off for providers whose access tokens are
    shaped like ID tokens. ``roles_claim`` and ``scopes_claim`` are JSON paths into the claims
    (``realm_access.roles``, ``permissions``, ``cognito:groups``, ``scp``...), each naming a
    space-separated string or a list of strings; several paths add up.

    Example::

        IssuerOptions(
            issuer="https://idp.example.com/realms/main",
            audience="orders-api",
            roles_claim="realm_access.roles",
        )
    """

    issuer: str
    audience: str | Iterable[str]
    #: Where the audience is: ``"aud"``, or ``"client_id"`` for providers whose access tokens
    #: carry no ``aud`` (Amazon Cognito; a token with an ``aud`` is then refused).
    audience_claim: str = "aud"
    algorithms: Iterable[Algorithm | str] = ("RS256",)
    jwks_url: str | None = None
    require_at_jwt: bool = False
    roles_claim: str | Iterable[str] = "roles"
    scopes_claim: str | Iterable[str] = ("scope", "scp")
    subject_claim: str = "sub"
    leeway: Seconds = 0
    #: How often the key set is fetched again.
    refresh_interval: Seconds = 300
    #: The least time between two fetches caused by an unknown ``kid``.
    min_refresh_interval: Seconds = 30
    #: Keys not refreshed for this long stop verifying (503).
    max_key_age: Seconds = 86400
    max_bytes: int = 256 * 1024
    #: Seconds allowed for one discovery or JWKS fetch.
    timeout: float = 3.0
    #: A PEM bundle of CAs to trust instead of the system's.
    ca_file: str | None = None
    _native_options: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        native = _native.IssuerOptions(
            issuer=self.issuer,
            audiences=names(self.audience),
            audience_claim=self.audience_claim,
            algorithms=names(self.algorithms),
            jwks_url=self.jwks_url or "",
            require_at_jwt=self.require_at_jwt,
            roles_claims=names(self.roles_claim),
            scopes_claims=names(self.scopes_claim),
            subject_claim=self.subject_claim,
            leeway=seconds(self.leeway, "leeway"),
            refresh_interval=seconds(self.refresh_interval, "refresh_interval"),
            min_refresh_interval=seconds(self.min_refresh_interval, "min_refresh_interval"),
            max_key_age=seconds(self.max_key_age, "max_key_age"),
            max_bytes=self.max_bytes,
            timeout=self.timeout,
            ca_file=self.ca_file or "",
        )
        object.__setattr__(self, "_native_options", native)


class IssuerIdentity:
    """A caller authenticated by a trusted issuer: the verified ``token``, the ``issuer``, the
    mapped ``subject``, ``roles`` and ``scopes``, and the RFC 9068 ``client_id`` (or ``azp``;
    None when the token has neither)."""

    __slots__ = ("_native", "_token")

    def __init__(self, native: _native.IssuerIdentity) -> None:
        if not isinstance(native, _native.IssuerIdentity):
            raise TypeError("an IssuerIdentity comes only from TrustedIssuers.verify")
        self._native = native
        self._token: VerifiedToken | None = None

    @property
    def token(self) -> VerifiedToken:
        if self._token is None:
            self._token = VerifiedToken(self._native.token)
        return self._token

    @property
    def claims(self) -> dict[str, Any]:
        return self.token.claims

    @property
    def issuer(self) -> str:
        return self._native.issuer

    @property
    def subject(self) -> str:
        return self._native.subject

    @property
    def client_id(self) -> str | None:
        return self._native.client_id or None

    @property
    def roles(self) -> list[str]:
        return self._native.roles

    @property
    def scopes(self) -> list[str]:
        return self._native.scopes

    def __repr__(self) -> str:
        return f"<IssuerIdentity iss={self.issuer!r} sub={self.subject!r}>"


@dataclass(frozen=True)
class IssuerStats:
    """Counters of one issuer since start: key fetches (failed ones included) and ``verify``
    outcomes; ``ready`` when it has usable keys."""

    issuer: str
    fetches: int
    fetch_failures: int
    accepted: int
    rejected: int
    ready: bool


@dataclass(frozen=True)
class ProviderMetadata:
    """What an issuer's discovery document says besides its keys. An endpoint the document
    lacks, or whose URL is neither ``https://`` nor ``http://`` on loopback, is None (and the
    discovery event logged on ``jwtfort.issuers`` says why)."""

    issuer: str
    jwks_uri: str
    authorization_endpoint: str | None
    token_endpoint: str | None


class TrustedIssuers:
    """Verifies access tokens of the configured OpenID Connect providers. A token is routed to
    its issuer's keys by its ``iss`` before any signature work; a token from any other issuer is
    refused (``InvalidIssuer``) without any network request. Safe to share between threads.

    ``clock`` fixes "now" (a Unix time) for tests; it dates the key cache too.
    ``verified_cache_entries`` remembers that many verified tokens (at most
    ``verified_cache_bytes``), so a client that sends the same token again skips the signature;
    the time window is checked on every call, and a key the provider stops publishing stops its
    tokens. :meth:`cache_stats` tells the hit rate.

    Errors of the constructor: ``ConfigurationError`` naming the issuer and the option. Of
    ``verify``: any :class:`~jwtfort.errors.InvalidToken`, and ``JWKSUnavailable`` while the
    issuer's keys are not fetched yet or too old.

    Example::

        issuers = TrustedIssuers(IssuerOptions(issuer="https://idp.example", audience="api"))
        identity = issuers.verify(bearer_token)
        print(identity.subject, identity.scopes)
    """

    __slots__ = ("_native", "options")

    def __init__(
        self,
        issuers: IssuerOptions | Iterable[IssuerOptions],
        *,
        clock: int | None = None,
        verified_cache_entries: int = 0,
        verified_cache_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        listed = [issuers] if isinstance(issuers, IssuerOptions) else list(issuers)
        if isinstance(clock, bool) or not (clock is None or isinstance(clock, int)):
            raise TypeError("clock must be None or a Unix time in whole seconds")
        self._native = _native.TrustedIssuers(
            [i._native_options for i in listed],
            clock=clock,
            verified_cache_entries=verified_cache_entries,
            verified_cache_bytes=verified_cache_bytes,
        )
        #: The issuers, as configured.
        self.options: tuple[IssuerOptions, ...] = tuple(listed)

    def cache_stats(self) -> VerifiedCacheStats:
        """The verified-token cache's counters; all zero when it is off."""
        return VerifiedCacheStats(**self._native.cache_stats())

    def verify(self, token: str | bytes) -> IssuerIdentity:
        """The identity of a token from a trusted issuer. Never does network I/O."""
        try:
            return IssuerIdentity(self._native.verify(token))
        finally:
            if self._native.has_events:
                self.log_events()

    def knows_issuer_of(self, token: str | bytes) -> bool:
        """True when the token's (unverified) ``iss`` is a configured issuer: lets an
        application choose between this and its own verifier. Never verifies anything."""
        return self._native.knows_issuer_of(token)

    def wait_until_ready(self, timeout: float) -> bool:
        """Blocks until every issuer has keys or ``timeout`` seconds pass; True when all are
        ready. For startup probes, tests and tools, never on an event loop."""
        try:
            return self._native.wait_until_ready(timeout)
        finally:
            self.log_events()

    def stats(self) -> list[IssuerStats]:
        self.log_events()
        return [IssuerStats(**entry) for entry in self._native.stats()]

    def metadata(self, issuer: str) -> ProviderMetadata | None:
        """The discovery metadata of a configured ``issuer`` once its discovery succeeded; None
        before that, for an issuer that is not configured, or one with a ``jwks_url`` (no
        discovery). Never does network I/O: it reads what the background thread fetched."""
        found = self._native.metadata(issuer)
        if self._native.has_events:
            self.log_events()
        return None if found is None else ProviderMetadata(**found)

    def log_events(self) -> None:
        """Logs what the background thread reported since the last call."""
        for issuer, kind, code, detail in self._native.take_events():
            level = _EVENT_LEVELS.get(kind, logging.WARNING)
            reason = f" ({code})" if code else ""
            log.log(level, "%s %s%s: %s", issuer, kind.replace("_", " "), reason, detail)

    def close(self) -> None:
        """Stops the background thread (waiting for a fetch under way, at most its timeout).
        Later calls raise ``ConfigurationError``."""
        self.log_events()
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

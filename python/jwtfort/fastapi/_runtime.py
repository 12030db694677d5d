"""The runtime of ``AuthJWT``: the token services of each configuration, and the process-wide
caches that keep them.

- :class:`Runtime`: one configuration's services, built on first use and shared by every
  request (a ``TokenService`` is thread-safe);
- :func:`runtime_of`: one ``Runtime`` per (configuration, clock, compatibility) for the process;
  :func:`runtime_of_class`: the one a class's current attributes name, rebuilt only when one of
  them changed;
- :func:`shared_store`: one token store per URL for the process;
- an exit hook that drops them all before interpreter shutdown.

Nothing here reads a request; ``_authjwt.py`` does.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from datetime import timedelta
from typing import Any, Final, Literal, TypeAlias, cast

from .. import errors
from .._convert import Clock
from ..keys import ALGORITHMS, Key, KeyRing
from ..store import Store, open_store
from ..tokens import Lifetime, TokenService
from ..verifier import VerifiedToken, unverified_claims, unverified_header
from ._keys import check_algorithm, load_key, placeholder_key, ring_of
from ._settings import Snapshot

__all__ = [
    "Runtime",
    "Want",
    "names_of",
    "runtime_of",
    "runtime_of_class",
    "shared_store",
]

#: What a protection method wants: the token type, or ``any`` for get_raw_jwt and friends.
Want: TypeAlias = Literal["access", "fresh", "refresh", "optional", "any"]

_VERIFIED_CACHE: Final = 1024  # tokens remembered per service, so a repeated token skips crypto
_RUNTIME_CACHE_LIMIT: Final = 256


class Runtime:
    """The token services of one configuration.

    One service per signing algorithm makes tokens (``algorithm=`` may differ per token); one
    service per key family (HMAC secrets, public keys: a key set holds one kind) verifies, with
    the allow-list ``authjwt_decode_algorithms``.
    """

    def __init__(self, config: Snapshot, *, clock: Clock, weak_secrets: bool) -> None:
        self.config = config
        self._clock = clock
        self._weak_secrets = weak_secrets
        self._store = shared_store(config.store_url) if config.store_url else None
        self._services: dict[str, TokenService] = {}
        self._keys: dict[tuple[str, bool], Key] = {}
        self._groups: list[frozenset[str]] | None = None
        self._verifiers: dict[frozenset[str], TokenService] = {}
        self._only_verifier: TokenService | None = None
        self._lock = threading.Lock()

    def check_keys(self) -> None:
        """Loads every configured key, so that a weak or unreadable one fails now."""
        config = self.config
        for alg in dict.fromkeys([config.algorithm, *(config.decode_algorithms or ())]):
            if alg not in ALGORITHMS:
                continue
            symmetric = alg.startswith("HS")
            if symmetric and config.secret_key:
                self._key(alg, sign=True)
            if not symmetric and config.private_key:
                self._key(alg, sign=True)
            if not symmetric and config.public_key:
                self._key(alg, sign=False)

    def check_usable(self, *, has_denylist: bool) -> None:
        """Refuses a configuration under which every request would fail: no key for any
        algorithm of the allow-list, or a denylist with neither a callback nor a store."""
        config = self.config
        allowed = config.decode_algorithms or (config.algorithm,)
        for alg in allowed:
            check_algorithm(alg)
        usable = [
            alg
            for alg in allowed
            if (config.secret_key if alg.startswith("HS") else config.public_key)
        ]
        if not usable:
            which = "secret" if allowed[0].startswith("HS") else "public"
            raise errors.ConfigurationError(
                f"no key to verify tokens: authjwt_{which}_key must be set for {allowed[0]}"
            )
        if config.denylist_enabled and not has_denylist and config.store_url is None:
            raise errors.ConfigurationError(
                "authjwt_denylist_enabled needs authjwt_store_url or a token_in_denylist callback"
            )

    def service(self, algorithm: str | None) -> TokenService:
        """The service that signs with ``algorithm`` (default: ``authjwt_algorithm``)."""
        alg = algorithm or self.config.algorithm
        service = self._services.get(alg)
        if service is None:
            with self._lock:
                service = self._services.get(alg)
                if service is None:
                    key = self._key(alg, sign=True)
                    service = self._make(KeyRing.from_key(key), [alg])
                    self._services[alg] = service
        return service

    def verify(self, token: str, want: Want) -> VerifiedToken:
        """The core's verdict on ``token`` as the type ``want`` names."""
        service = self._verifier_for_token(token)
        if want == "refresh":
            return service.require_refresh(token)
        if want == "fresh":
            return service.require_fresh(token)
        if want == "any" and _unverified_type(token) == "refresh":
            return service.require_refresh(token)
        return service.require_access(token)

    def verifier_for(self, alg: str | None) -> TokenService:
        """The service that verifies ``alg``. The allow-list decides first: an algorithm it
        does not hold is refused before any key is looked for, so a family whose key is not
        configured fails only for tokens of an allowed algorithm of that family."""
        groups = self._allowed_groups()
        for algorithms in groups:
            if alg in algorithms:
                return self._verifier(algorithms)
        if alg in ALGORITHMS:
            raise errors.AlgorithmNotAllowed(f"algorithm {alg} is not allowed")
        # No alg, or one jwtfort does not know: the first family's service says which.
        return self._verifier(groups[0])

    def _verifier_for_token(self, token: str) -> TokenService:
        if self._only_verifier is not None:
            return self._only_verifier
        try:
            alg = unverified_header(token).get("alg")
        except errors.MalformedToken:
            alg = None
        return self.verifier_for(alg if isinstance(alg, str) else None)

    def _allowed_groups(self) -> list[frozenset[str]]:
        """The allow-list split by key family (HMAC secrets, public keys: a key set holds one
        kind)."""
        if self._groups is None:
            config = self.config
            algorithms = list(dict.fromkeys(config.decode_algorithms or (config.algorithm,)))
            for alg in algorithms:
                check_algorithm(alg)
            symmetric = frozenset(a for a in algorithms if a.startswith("HS"))
            asymmetric = frozenset(a for a in algorithms if not a.startswith("HS"))
            self._groups = [group for group in (symmetric, asymmetric) if group]
        return self._groups

    def _verifier(self, algorithms: frozenset[str]) -> TokenService:
        service = self._verifiers.get(algorithms)
        if service is None:
            with self._lock:
                service = self._verifiers.get(algorithms)
                if service is None:
                    service = self._verifiers[algorithms] = self._build_verifier(algorithms)
                    if len(self._allowed_groups()) == 1:
                        # One key family: every token goes to it, without reading its header.
                        self._only_verifier = service
        return service

    def _build_verifier(self, algorithms: frozenset[str]) -> TokenService:
        ordered = sorted(algorithms)
        if all(a.startswith("HS") for a in ordered):
            keys = [self._key(a, sign=True) for a in ordered]
            return self._make(ring_of(keys[0], keys[1:]), ordered)
        keys = [self._key(a, sign=False) for a in ordered]
        # A ring's active key must sign; this one never does, and verifies nothing the
        # allow-list accepts.
        return self._make(ring_of(placeholder_key(ordered), keys), ordered)

    def _make(self, ring: KeyRing, algorithms: list[str]) -> TokenService:
        config = self.config
        return TokenService(
            ring,
            store=self._store,
            algorithms=algorithms,
            access_lifetime=_configured_lifetime(config.access_token_expires),
            refresh_lifetime=_configured_lifetime(config.refresh_token_expires),
            encode_issuer=config.encode_issuer,
            decode_issuer=config.decode_issuer,
            audiences=names_of(config.decode_audience),
            leeway=config.decode_leeway,
            csrf_claim="cookies" in config.token_location and config.cookie_csrf_protect,
            revocation_checks=cast(Any, sorted(config.denylist_token_checks)),
            verified_cache_entries=_VERIFIED_CACHE,
            clock=self._clock,
        )

    def _key(self, alg: str, *, sign: bool) -> Key:
        key = self._keys.get((alg, sign))
        if key is None:
            key = load_key(self.config, alg, sign=sign, weak_secrets=self._weak_secrets)
            self._keys[(alg, sign)] = key
        return key


def names_of(value: object) -> list[str]:
    """An audience setting (one name, several, or none) as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(cast(Sequence[str], value))


def _configured_lifetime(value: object) -> Lifetime:
    if value is False:
        return False
    if isinstance(value, bool) or not isinstance(value, (int, timedelta)):
        raise TypeError("token lifetimes must be seconds, a timedelta, or False")
    return value


def _unverified_type(token: str) -> object:
    try:
        return unverified_claims(token).get("type")
    except errors.MalformedToken:
        return None


# --- the process-wide caches ------------------------------------------------------------------

_RUNTIMES: Final[dict[tuple[Snapshot, Clock, bool], Runtime]] = {}
_RUNTIMES_LOCK: Final = threading.Lock()
_CLASS_RUNTIMES: Final[weakref.WeakKeyDictionary[type, tuple[Hashable, Runtime]]] = (
    weakref.WeakKeyDictionary()
)
_STORES: Final[dict[str, Store]] = {}
_STORES_LOCK: Final = threading.Lock()


def runtime_of(snapshot: Snapshot, clock: Clock, *, weak_secrets: bool) -> Runtime:
    """The process's runtime for this configuration; the cache starts over past 256 of them
    (configurations made per request, say), so it cannot grow without bound."""
    key = (snapshot, clock, weak_secrets)
    runtime = _RUNTIMES.get(key)
    if runtime is None:
        with _RUNTIMES_LOCK:
            if len(_RUNTIMES) >= _RUNTIME_CACHE_LIMIT:
                _RUNTIMES.clear()
            runtime = _RUNTIMES.setdefault(
                key, Runtime(snapshot, clock=clock, weak_secrets=weak_secrets)
            )
    return runtime


def runtime_of_class(owner: type, attributes: Hashable, build: Callable[[], Runtime]) -> Runtime:
    """The runtime of ``owner``'s configuration ``attributes`` (its raw class attributes):
    ``build()`` runs only when they differ from the last call's, so reading the class
    configuration on every request costs one tuple comparison."""
    cached = _CLASS_RUNTIMES.get(owner)
    if cached is None or cached[0] != attributes:
        cached = (attributes, build())
        _CLASS_RUNTIMES[owner] = cached
    return cached[1]


def shared_store(url: str) -> Store:
    """One store per URL for the process, so that configurations differing in other keys
    (and ``memory://``) see the same revocations."""
    with _STORES_LOCK:
        store = _STORES.get(url)
        if store is None:
            store = _STORES[url] = open_store(url)
        return store


@atexit.register
def _forget_services() -> None:
    """Drops the cached services before interpreter shutdown, which tears modules down in no
    particular order: the native objects are freed while their extension is still there."""
    with _RUNTIMES_LOCK:
        _RUNTIMES.clear()
    _CLASS_RUNTIMES.clear()
    with _STORES_LOCK:
        _STORES.clear()

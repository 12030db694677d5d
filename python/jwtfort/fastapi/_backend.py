"""``JWTAuthBackend``: fastapi-auth-jwt's backend, on jwtfort's token service and stores.

fastapi-auth-jwt kept an allow-list, every issued token mapped to its user in a cache: a memory
cache lost every session on restart, and a token was valid only where its entry was. This backend
keeps a revocation list instead: a token is valid when its signature and ``exp`` check out and
its ``jti`` was not invalidated. With a SQLite file or a Redis server, processes and restarts
share those revocations, and nothing about a live session is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar, Final

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from .._convert import Clock
from ..errors import InvalidClaim, RevokedToken
from ..store import Store, open_store
from ..tokens import TokenService
from ..verifier import VerifiedToken
from ._config import AuthConfig, StorageConfig, User
from ._handler import JWTHandler

__all__ = ["JWTAuthBackend"]

# Claims the backend writes itself; a payload may not set them. The token service reserves the
# same names, so a token made here reads the same there.
_RESERVED: Final = frozenset(
    {"exp", "iat", "nbf", "jti", "type", "fresh", "fam", "csrf", "iss", "aud"}
)
_VERIFIED_CACHE: Final = 1024  # verified tokens remembered, as AuthJWT's services do
# Claims the backend adds to the payload, left out of the user model.
_BOOKKEEPING: Final = ("exp", "iat", "jti", "type")


class JWTAuthBackend:
    """Creates, checks and invalidates the tokens of an application.

    ``authentication_config`` holds the secret (required: without it ``AuthConfig`` raises a
    pydantic ``ValidationError`` naming ``secret``). ``storage_config`` says where revocations
    are kept (memory by default; ``SQLiteConfig`` or ``RedisConfig`` to share them).
    ``user_schema`` is the pydantic model the claims are validated into (``User`` by default,
    which keeps every claim). ``clock`` fixes "now" for tests.

    Tokens carry the payload plus ``exp``, ``iat``, ``jti`` and ``type: "access"``, and ``sub``:
    the payload's, which must then be a string, or the ``jti`` (the token service keys
    revocations by subject too). The user model gets the payload back, without these.

    Errors: ``WeakKey`` (secret shorter than the hash), ``ConfigurationError`` (bad store URL),
    ``StoreUnavailable`` (the store cannot be opened).

    Example::

        backend = JWTAuthBackend(
            AuthConfig(secret=os.environ["JWT_SECRET"]),
            SQLiteConfig(path="/var/lib/app/tokens.db"),
            user_schema=LoggedUser,
        )
        token = await backend.create_token({"user_id": 123}, expiration=3600)
        user = await backend.get_current_user(token)
        await backend.invalidate_token(token)           # logout
        assert await backend.get_current_user(token) is None
    """

    # Every backend made becomes the one get_instance() returns, whatever its class.
    _latest: ClassVar[JWTAuthBackend | None] = None
    _handler_class: ClassVar[type[JWTHandler]] = JWTHandler

    def __init__(
        self,
        authentication_config: AuthConfig | None = None,
        storage_config: StorageConfig | BaseModel | None = None,
        user_schema: type[BaseModel] | None = None,
        *,
        clock: Clock = None,
    ) -> None:
        self._config = authentication_config or AuthConfig.model_validate({})
        self._storage_config = storage_config or StorageConfig()
        self._user_schema = user_schema or User
        self._schema_takes_token = self._takes_token(self._user_schema)
        self._jwt_handler = self._handler_class(
            self._config.secret, self._config.jwt_algorithm, clock=clock
        )
        self._cache = open_store(_as_storage_config(self._storage_config).store_url())
        # A token sent again skips the signature (the time window and revocation are still
        # checked on every call), as AuthJWT's services do: a session sends the same token
        # with each request.
        self._tokens = TokenService(
            self._jwt_handler.key,
            store=self._cache,
            clock=clock,
            verified_cache_entries=_VERIFIED_CACHE,
        )
        # The token get_current_user accepted last and its claims, for the middleware's
        # credentials of the same request (see _accepted_claims).
        self._accepted: tuple[str | bytes, dict[str, Any]] | None = None
        JWTAuthBackend._latest = self

    @classmethod
    def get_instance(cls) -> JWTAuthBackend | None:
        """The backend made last, or None. Not a singleton: fastapi-auth-jwt returned the first
        backend and silently ignored the configuration of any later one; here each
        ``JWTAuthBackend(...)`` is a backend of its own, and the latest is the one returned.

        Example::

            backend = JWTAuthBackend.get_instance()
        """
        return JWTAuthBackend._latest

    @property
    def config(self) -> AuthConfig:
        return self._config

    @property
    def storage_config(self) -> StorageConfig | BaseModel:
        return self._storage_config

    @property
    def user_schema(self) -> type[BaseModel]:
        return self._user_schema

    @property
    def jwt_handler(self) -> JWTHandler:
        return self._jwt_handler

    @property
    def cache(self) -> Store:
        """The jwtfort store that keeps revoked token ids."""
        return self._cache

    async def create_token(
        self,
        payload: Mapping[str, Any] | BaseModel,
        expiration: float | timedelta | None = None,
    ) -> str:
        """A token for ``payload`` (a mapping, or a pydantic model: its fields that are not
        None), valid for ``expiration`` seconds (the configuration's ``expiration_seconds`` by
        default).

        Errors: ``TypeError`` when ``payload`` is neither, or holds a value JSON cannot hold;
        ``ValueError`` when the lifetime is not above zero; ``InvalidClaim`` when the payload
        sets a claim the backend writes (``exp``, ``iat``, ``jti``, ``type``...) or a ``sub``
        that is not a non-empty string.

        Example::

            token = await backend.create_token({"user_id": 123}, expiration=3600)
            token = await backend.create_token(UserSchema(username="john", role="admin"))
        """
        if isinstance(payload, BaseModel):
            payload = payload.model_dump(mode="json", exclude_none=True)
        elif not isinstance(payload, Mapping):
            raise TypeError(
                f"payload must be a mapping or a pydantic model, not {type(payload).__name__}"
            )
        lifetime = self._config.expiration_seconds if expiration is None else expiration
        if _seconds(lifetime) <= 0:
            raise ValueError("Expiration time must be greater than zero.")
        if reserved := sorted(payload.keys() & _RESERVED):
            raise InvalidClaim(f'payload claim "{reserved[0]}" is reserved: the backend sets it')
        jti = str(uuid.uuid4())
        subject = payload.get("sub", jti)
        if not isinstance(subject, str) or not subject:
            raise InvalidClaim('payload claim "sub" must be a non-empty string')
        claims = {
            **payload,
            "sub": subject,
            "jti": jti,
            "iat": int(self._jwt_handler.now()),
            "type": "access",
        }
        return self._jwt_handler.encode(claims, expiration=lifetime)

    async def get_current_user(self, token: str | bytes) -> BaseModel | None:
        """The user of a valid token; None when the token was invalidated. When the user
        schema has a ``token`` field, the user's ``token`` is the token itself, so that a
        logout route can invalidate ``request.state.user.token``.

        Errors: any :class:`~jwtfort.errors.InvalidToken` (``ExpiredToken``,
        ``InvalidSignature``, ``MissingClaim``...; ``InvalidClaim`` when the claims do not fit
        the user schema), ``StoreUnavailable``.

        Example::

            user = await backend.get_current_user(token)
        """
        _check_token_type(token)
        try:
            verified = self._tokens.require_access(token)
        except RevokedToken:
            return None
        user = self._to_user(verified, token)
        self._accepted = (token, verified.claims)
        return user

    def _accepted_claims(self, token: str | bytes) -> dict[str, Any] | None:
        """The verified claims of ``token`` when it is the token :meth:`get_current_user`
        accepted last (the middleware's request, unless an override did something else), so
        that they are not decoded a second time; else None. Read-only."""
        accepted = self._accepted  # one read: another thread may replace it
        if accepted is not None and accepted[0] == token:
            return accepted[1]
        return None

    async def authenticate(self, token: str | bytes) -> BaseModel | None:
        """What the middleware calls for every request, as fastapi-auth-jwt's did: the user of a
        valid token, None when the token was invalidated. Override it to add checks of your
        own; the middleware calls the override.

        Errors: as :meth:`get_current_user`: any :class:`~jwtfort.errors.InvalidToken` for a
        token that must not be trusted, ``StoreUnavailable``, which is never read as "not
        invalidated".

        Example::

            user = await backend.authenticate(token)
        """
        return await self.get_current_user(token)

    async def invalidate_token(self, token: str | bytes) -> None:
        """Revokes ``token`` until its ``exp`` (logout), in every process sharing the store. A
        token already invalidated is left as it is.

        Errors: any :class:`~jwtfort.errors.InvalidToken` for a token that is not valid
        (forged, malformed, expired: there is nothing to log out), ``StoreUnavailable``.

        Example::

            await backend.invalidate_token(token)
        """
        _check_token_type(token)
        try:
            verified = self._tokens.require_access(token)
        except RevokedToken:
            return
        # A Redis or SQLite write: off the event loop.
        await run_in_threadpool(self._tokens.revoke, verified)

    @classmethod
    def _takes_token(cls, schema: type[BaseModel]) -> bool:
        """Whether users get the token they came with: only a schema that declares ``token``
        (a user dumped into a log or a response then shows it where the schema says so)."""
        return "token" in schema.model_fields

    def _to_user(self, verified: VerifiedToken, token: str | bytes) -> BaseModel:
        claims = dict(verified.claims)
        if claims.get("sub") == claims.get("jti"):
            del claims["sub"]
        for name in _BOOKKEEPING:
            claims.pop(name, None)
        if self._schema_takes_token:
            claims["token"] = token.decode() if isinstance(token, bytes) else token
        try:
            return self._user_schema.model_validate(claims)
        except ValidationError as error:
            raise InvalidClaim("the token's claims do not fit the user schema") from error

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self._config.jwt_algorithm} "
            f"store={_as_storage_config(self._storage_config).storage_type.value}>"
        )


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _as_storage_config(config: StorageConfig | BaseModel) -> StorageConfig:
    """jwtfort's configuration model, or one read from an application's own pydantic model with
    the same fields (``storage_type``, ``host``, ``port``...), as fastapi-auth-jwt took."""
    if isinstance(config, StorageConfig):
        return config
    return StorageConfig.model_validate(config.model_dump())


def _check_token_type(token: object) -> None:
    # A user model without a token (None) reaching a logout route, most often.
    if not isinstance(token, (str, bytes)):
        raise TypeError(f"token must be a str or bytes, not {type(token).__name__}")

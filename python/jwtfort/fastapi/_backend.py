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
from ..errors import InvalidClaim, InvalidToken, RevokedToken
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
        storage_config: StorageConfig | None = None,
        user_schema: type[BaseModel] | None = None,
        *,
        clock: Clock = None,
    ) -> None:
        self._config = authentication_config or AuthConfig.model_validate({})
        self._storage_config = storage_config or StorageConfig()
        self._user_schema = user_schema or User
        self._jwt_handler = self._handler_class(
            self._config.secret, self._config.jwt_algorithm, clock=clock
        )
        self._cache = open_store(self._storage_config.store_url())
        self._tokens = TokenService(self._jwt_handler.key, store=self._cache, clock=clock)
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
    def storage_config(self) -> StorageConfig:
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
        self, payload: Mapping[str, Any], expiration: float | timedelta | None = None
    ) -> str:
        """A token for ``payload``, valid for ``expiration`` seconds (the configuration's
        ``expiration_seconds`` by default). Errors: ``InvalidClaim`` when the payload sets a
        claim the backend writes (``exp``, ``iat``, ``jti``, ``type``...) or a ``sub`` that is
        not a non-empty string; ``TypeError`` for a value JSON cannot hold.

        Example::

            token = await backend.create_token({"user_id": 123}, expiration=3600)
        """
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
        lifetime = self._config.expiration_seconds if expiration is None else expiration
        return self._jwt_handler.encode(claims, expiration=lifetime)

    async def get_current_user(self, token: str | bytes) -> BaseModel | None:
        """The user of a valid token; None when the token was invalidated.

        Errors: any :class:`~jwtfort.errors.InvalidToken` (``ExpiredToken``,
        ``InvalidSignature``, ``MissingClaim``...; ``InvalidClaim`` when the claims do not fit
        the user schema), ``StoreUnavailable``.

        Example::

            user = await backend.get_current_user(token)
        """
        try:
            verified = self._tokens.require_access(token)
        except RevokedToken:
            return None
        return self._to_user(verified)

    async def authenticate(self, token: str | bytes) -> BaseModel | None:
        """The user of a valid token, or None for any token that does not authenticate
        (invalid, expired, invalidated). Errors: ``StoreUnavailable``, which is never read as
        "not invalidated".

        Example::

            if (user := await backend.authenticate(token)) is not None:
                ...
        """
        try:
            return await self.get_current_user(token)
        except InvalidToken:
            return None

    async def invalidate_token(self, token: str | bytes) -> None:
        """Revokes ``token`` until its ``exp`` (logout), in every process sharing the store. A
        token that is already invalid, expired or invalidated is left as it is. Errors:
        ``StoreUnavailable``.

        Example::

            await backend.invalidate_token(token)
        """
        try:
            verified = self._tokens.require_access(token)
        except InvalidToken:
            return
        # A Redis or SQLite write: off the event loop.
        await run_in_threadpool(self._tokens.revoke, verified)

    def _to_user(self, verified: VerifiedToken) -> BaseModel:
        claims = dict(verified.claims)
        if claims.get("sub") == claims.get("jti"):
            del claims["sub"]
        for name in _BOOKKEEPING:
            claims.pop(name, None)
        try:
            return self._user_schema.model_validate(claims)
        except ValidationError as error:
            raise InvalidClaim("the token's claims do not fit the user schema") from error

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self._config.jwt_algorithm} "
            f"store={self._storage_config.storage_type.value}>"
        )

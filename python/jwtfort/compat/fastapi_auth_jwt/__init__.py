"""Drop-in for ``fastapi_auth_jwt`` (fastapi-auth-jwt 0.1): change the imports, keep the code.

The names, signatures, messages and statuses are fastapi-auth-jwt's. What differs, and why:

- ``AuthConfig.secret`` is required; fastapi-auth-jwt defaulted to a public string. A secret
  shorter than the hash still works here, with a :class:`SecurityWarning`.
- Tokens are checked against a revocation list in a jwtfort store (memory, ``SQLiteConfig`` or
  ``RedisConfig``) instead of an allow-list of issued tokens: a restart with SQLite or Redis
  loses no session, and ``invalidate_token`` still logs a token out everywhere.
- ``JWTAuthBackend.get_instance()`` returns the backend made last; fastapi-auth-jwt's singleton
  ignored any configuration after the first.
- ``exclude_urls`` match a path and what is below it, not any path containing the string, and
  are matched without the application's root path, as routes are.
- The ``Authorization`` cookie is read only with ``cookie_tokens=True``, and then needs a CSRF
  double submit on unsafe methods; it never authenticates a WebSocket handshake.
- Refusals add a ``WWW-Authenticate`` header; a store outage is a 503.

Example::

    from jwtfort.compat.fastapi_auth_jwt import (
        AuthConfig, JWTAuthBackend, JWTAuthenticationMiddleware,
    )

    backend = JWTAuthBackend(AuthConfig(secret=settings.secret), user_schema=UserSchema)
    app.add_middleware(JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/sign-in"])
"""

from __future__ import annotations

from typing import ClassVar

from ...fastapi._backend import JWTAuthBackend as _NativeBackend
from ...fastapi._config import (
    AuthConfig,
    RedisConfig,
    SQLiteConfig,
    StorageConfig,
    StorageTypes,
    User,
)
from ...fastapi._handler import JWTHandler as _NativeHandler
from ...fastapi._middleware import JWTAuthenticationMiddleware
from ...fastapi._warnings import SecurityWarning
from .utils.jwt_token import JWTHandler

__all__ = [
    "AuthConfig",
    "JWTAuthBackend",
    "JWTAuthenticationMiddleware",
    "JWTHandler",
    "RedisConfig",
    "SQLiteConfig",
    "SecurityWarning",
    "StorageConfig",
    "StorageTypes",
    "User",
]


class JWTAuthBackend(_NativeBackend):
    """:class:`jwtfort.fastapi.JWTAuthBackend`, except that a secret shorter than the hash is
    accepted with a :class:`SecurityWarning`.

    Example::

        backend = JWTAuthBackend(AuthConfig(secret="secret"))     # SecurityWarning
        token = await backend.create_token({"user_id": 123}, expiration=3600)
    """

    _handler_class: ClassVar[type[_NativeHandler]] = JWTHandler

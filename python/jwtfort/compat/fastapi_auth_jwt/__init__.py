"""Drop-in for ``fastapi_auth_jwt`` (fastapi-auth-jwt 0.1): change the imports, keep the code.

The names, module paths (``fastapi_auth_jwt.backend``, ``.middleware``, ``.config``,
``.utils.jwt_token``...), signatures, messages, statuses and PyJWT exceptions are
fastapi-auth-jwt's. What differs, and why (docs/migration.md has the full table):

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
- There is no ``repository`` package (fastapi-auth-jwt's allow-list cache): importing it
  raises an ``ImportError`` that says so. ``backend.cache`` is a :class:`jwtfort.store.Store`,
  chosen by ``storage_config``.

Example::

    from jwtfort.compat.fastapi_auth_jwt import (
        AuthConfig, JWTAuthBackend, JWTAuthenticationMiddleware,
    )

    backend = JWTAuthBackend(AuthConfig(secret=settings.secret), user_schema=UserSchema)
    app.add_middleware(JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/sign-in"])
"""

from __future__ import annotations

from ...fastapi._warnings import SecurityWarning
from .backend import JWTAuthBackend
from .config import AuthConfig, RedisConfig, SQLiteConfig, StorageConfig, StorageTypes, User
from .middleware import JWTAuthenticationMiddleware
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

"""Stands in for ``fastapi_auth_jwt.utils.jwt_token``."""

from __future__ import annotations

from typing import ClassVar

from ....fastapi._handler import JWTHandler as _NativeHandler

__all__ = ["JWTHandler"]


class JWTHandler(_NativeHandler):
    """:class:`jwtfort.fastapi.JWTHandler`, except that a secret shorter than the hash is
    accepted with a :class:`~jwtfort.fastapi.SecurityWarning`, as fastapi-auth-jwt accepted
    any secret.

    Example::

        handler = JWTHandler(secret="mysecret")     # SecurityWarning
        token = handler.encode({"user_id": 123}, expiration=3600)
        assert handler.decode(token) == {"user_id": 123}
    """

    _allow_weak_secret: ClassVar[bool] = True

"""Stands in for ``fastapi_auth_jwt.backend``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...errors import InvalidToken
from ...fastapi._backend import JWTAuthBackend as _NativeBackend
from ...fastapi._handler import JWTHandler as _NativeHandler
from ._pyjwt import pyjwt_error
from .utils.jwt_token import JWTHandler

__all__ = ["JWTAuthBackend"]


class JWTAuthBackend(_NativeBackend):
    """:class:`jwtfort.fastapi.JWTAuthBackend` as fastapi-auth-jwt's: a secret shorter than the
    hash is accepted with a :class:`SecurityWarning`, and a token that must not be trusted
    raises PyJWT's exception for it (``jwt.ExpiredSignatureError``,
    ``jwt.InvalidSignatureError``, ``jwt.DecodeError``..., all ``jwt.PyJWTError``) from
    ``authenticate``, ``get_current_user`` and ``invalidate_token``. Users get their
    ``token`` when the schema declares it or allows extra fields (``User`` does), for a logout
    route.

    Example::

        backend = JWTAuthBackend(AuthConfig(secret="secret"))     # SecurityWarning
        token = await backend.create_token({"user_id": 123}, expiration=3600)
    """

    _handler_class: ClassVar[type[_NativeHandler]] = JWTHandler

    @classmethod
    def _takes_token(cls, schema: type[BaseModel]) -> bool:
        # fastapi-auth-jwt gave the token to every schema that could hold it, User included.
        return super()._takes_token(schema) or schema.model_config.get("extra") == "allow"

    async def get_current_user(self, token: str | bytes) -> BaseModel | None:
        try:
            return await super().get_current_user(token)
        except InvalidToken as error:
            raise pyjwt_error(error) from error

    async def invalidate_token(self, token: str | bytes) -> None:
        try:
            await super().invalidate_token(token)
        except InvalidToken as error:
            raise pyjwt_error(error) from error

"""Stands in for ``fastapi_auth_jwt.utils.jwt_token``."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from ....errors import InvalidToken
from ....fastapi._handler import JWTHandler as _NativeHandler
from .._pyjwt import pyjwt_error

__all__ = ["JWTHandler"]

# The claims PyJWT's encode() turns from a datetime into seconds since the epoch.
_TIME_CLAIMS: Final = frozenset({"exp", "iat", "nbf"})
# decode(options=...) switches that keep every check: PyJWT verifies these by default.
_CHECKS: Final = frozenset(
    {"verify_signature", "verify_exp", "verify_nbf", "verify_iat", "verify_iss", "verify_jti"}
)


class JWTHandler(_NativeHandler):
    """:class:`jwtfort.fastapi.JWTHandler` as fastapi-auth-jwt's: a secret shorter than the hash
    is accepted with a :class:`~jwtfort.fastapi.SecurityWarning`, ``exp``, ``iat`` and ``nbf``
    may be given as datetimes, ``decode`` takes PyJWT's ``options`` and raises PyJWT's
    exceptions (``jwt.ExpiredSignatureError``, ``jwt.InvalidSignatureError``...).

    ``options`` may require claims (``{"require": ["email"]}``) and skip the audience check
    (``{"verify_aud": False}``); switching any other check off raises ``ValueError``: a token
    is never accepted unverified.

    Example::

        handler = JWTHandler(secret="mysecret")     # SecurityWarning
        token = handler.encode({"user_id": 123}, expiration=3600)
        assert handler.decode(token) == {"user_id": 123}
    """

    _allow_weak_secret: ClassVar[bool] = True

    def encode(
        self,
        payload: Mapping[str, Any],
        expiration: float | timedelta | None = None,
        **kwargs: Any,
    ) -> str:
        for name in _TIME_CLAIMS & kwargs.keys():
            if isinstance(kwargs[name], datetime):
                kwargs[name] = calendar.timegm(kwargs[name].utctimetuple())
        return super().encode(payload, expiration, **kwargs)

    def decode(
        self, token: str | bytes, options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if options:
            kwargs.update(_verifier_options(options))
        try:
            return super().decode(token, **kwargs)
        except InvalidToken as error:
            raise pyjwt_error(error) from error


def _verifier_options(options: Mapping[str, Any]) -> dict[str, Any]:
    translated: dict[str, Any] = {}
    for name, value in options.items():
        if name == "require":
            translated["required_claims"] = tuple(value)
        elif name == "verify_aud":
            translated["ignore_audience"] = not value
        elif name in _CHECKS:
            if not value:
                raise ValueError(f"options[{name!r}] = False: verification cannot be switched off")
        else:
            raise TypeError(f"decode() got an unsupported option {name!r}")
    return translated

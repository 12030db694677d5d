"""The exceptions :class:`~jwtfort.fastapi.AuthJWT` raises, named as fastapi-jwt-auth names them.

Each is a FastAPI ``HTTPException``, so an application that registers no handler still answers
``{"detail": message}`` with the right status (and ``WWW-Authenticate`` on a 401) instead of
a 500. A handler registered for :class:`AuthJWTException` takes precedence over FastAPI's own,
since Starlette picks the most specific handler of the exception's class hierarchy.

These are HTTP answers: :class:`FreshTokenRequired` here is not
:class:`jwtfort.FreshTokenRequired`, the error of the core it translates (kept as
``__cause__``, its wire name as ``.code``).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException

__all__ = [
    "AccessTokenRequired",
    "AuthJWTException",
    "CSRFError",
    "FreshTokenRequired",
    "InvalidHeaderError",
    "JWTDecodeError",
    "MissingTokenError",
    "RefreshTokenRequired",
    "RevokedTokenError",
]


class AuthJWTException(HTTPException):
    """A refused request. ``status_code`` and ``message`` as fastapi-jwt-auth has them (1008 is
    the WebSocket close code for a missing token), ``code`` the jwtfort wire name of the cause
    (``"expired"``, ``"csrf_failed"``...; ``None`` when raised by hand).

    Example::

        @app.exception_handler(AuthJWTException)
        def refused(request: Request, exc: AuthJWTException) -> JSONResponse:
            return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})
    """

    message: str
    code: str | None

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        if headers is None and status_code == 401:
            headers = {"WWW-Authenticate": "Bearer"}  # RFC 9110 §15.5.2: a 401 names a scheme
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.message = message
        self.code = code


class InvalidHeaderError(AuthJWTException):
    """The Authorization header, or the token's JOSE header, cannot be read."""


class JWTDecodeError(AuthJWTException):
    """The token failed verification: signature, algorithm, time, issuer, audience, claims."""


class CSRFError(AuthJWTException):
    """A token read from a cookie came without the matching CSRF double-submit value."""


class MissingTokenError(AuthJWTException):
    """No token where the route looks for one."""


class RevokedTokenError(AuthJWTException):
    """The token was revoked (denylist callback or token store)."""


class AccessTokenRequired(AuthJWTException):
    """A refresh token was sent where an access token is required."""


class RefreshTokenRequired(AuthJWTException):
    """An access token was sent where a refresh token is required."""


class FreshTokenRequired(AuthJWTException):
    """The route needs a fresh access token (made right after a password login)."""

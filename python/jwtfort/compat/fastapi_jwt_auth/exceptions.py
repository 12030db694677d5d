"""Stands in for ``fastapi_jwt_auth.exceptions``: the same classes, each with ``status_code``
and ``message``; they are also FastAPI ``HTTPException`` s, so an application that forgot its
exception handler still answers with the right status."""

from jwtfort.fastapi._exceptions import (
    AccessTokenRequired,
    AuthJWTException,
    CSRFError,
    FreshTokenRequired,
    InvalidHeaderError,
    JWTDecodeError,
    MissingTokenError,
    RefreshTokenRequired,
    RevokedTokenError,
)

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

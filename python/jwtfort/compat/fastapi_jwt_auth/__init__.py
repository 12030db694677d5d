"""Stands in for ``fastapi_jwt_auth`` (fastapi-jwt-auth 0.5): an application moves to jwtfort
by changing two imports::

    from jwtfort.compat.fastapi_jwt_auth import AuthJWT
    from jwtfort.compat.fastapi_jwt_auth.exceptions import AuthJWTException

and keeps its settings, routes, exception handler and tests: the class-level configuration
(``AuthJWT.load_config``, ``AuthJWT._decode_issuer = ...``), the status codes (422 for a token
that fails to decode) and PyJWT's messages ("Signature has expired", "Signature verification
failed", "The specified alg value is not allowed"...), and the legacy spellings of early
releases: ``create_access_token(identity=...)`` (also called on the class),
``get_jwt_identity()``, ``authjwt_blacklist_enabled``, and the ``AUTHJWT_*`` environment
variables as the configuration of an application that never calls ``load_config``. It runs on
pydantic 2 and needs no PyJWT.

What changes, on purpose:

- a forged or unknown ``alg``, a missing ``alg`` and a token of another key family are a clean
  422, never a 500; so is a handled refusal without an exception handler (the exceptions are
  ``HTTPException`` s);
- the Authorization header is read when first needed, so a token route ignores a foreign one;
- an ``int`` subject is written as text (RFC 7519 §4.1.2), and read back as text;
- tokens must carry ``sub``, ``iat``, ``jti``, ``type`` and, unless the configured lifetime is
  ``False``, ``exp``; ``user_claims`` may not replace those claims; tokens carry a ``kid``;
- an HMAC secret shorter than the hash, and an RSA key of 1000 to 2047 bits, still work, with a
  :class:`~jwtfort.fastapi.SecurityWarning` at the application's line; an unknown
  ``authjwt_*`` key is refused;
- the denylist callback may be ``async def``; it is asked after the token type is checked;
- a token cookie sent twice is refused (422 "the token cookie is sent more than once"), where
  fastapi-jwt-auth kept the last copy.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from types import MethodType
from typing import Any, Concatenate, Final, Generic, ParamSpec, TypeVar, cast

from jwtfort import errors
from jwtfort.errors import JWTError
from jwtfort.fastapi import _authjwt
from jwtfort.fastapi._authjwt import Want, exception_class
from jwtfort.fastapi._challenge import challenge_for
from jwtfort.fastapi._cookies import TOKEN_COOKIE_SENT_TWICE
from jwtfort.fastapi._exceptions import (
    AuthJWTException,
    CSRFError,
    FreshTokenRequired,
    InvalidHeaderError,
    JWTDecodeError,
    MissingTokenError,
    RevokedTokenError,
)
from jwtfort.fastapi._settings import AuthJWTSettings, Snapshot

__all__ = ["AuthJWT"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _OnClassToo(Generic[_P, _R]):
    """A method that also runs when called on the class, on an instance made for the call:
    early fastapi-jwt-auth documentation calls ``AuthJWT.create_access_token(...)``."""

    def __init__(self, method: Callable[Concatenate[Any, _P], _R]) -> None:
        self._method = method
        self.__doc__ = method.__doc__
        self.__name__ = method.__name__
        self.__wrapped__ = method

    def __get__(self, instance: object, owner: type) -> Callable[_P, _R]:
        target = instance if instance is not None else owner()
        return cast(Callable[_P, _R], MethodType(self._method, target))


class AuthJWT(_authjwt.AuthJWT):
    """fastapi-jwt-auth's ``AuthJWT``, on jwtfort: same configuration, methods, exceptions,
    status codes and messages (see the module documentation for the few differences).

    Example::

        @AuthJWT.load_config
        def get_config() -> Settings:
            return Settings()

        @app.exception_handler(AuthJWTException)
        def refused(request: Request, exc: AuthJWTException) -> JSONResponse:
            return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})

        @app.get("/user")
        def user(Authorize: AuthJWT = Depends()) -> dict[str, str | None]:
            Authorize.jwt_required()
            return {"user": Authorize.get_jwt_subject()}
    """

    _weak_secrets = True

    @_OnClassToo
    def create_access_token(
        self,
        subject: str | int | None = None,
        fresh: bool = False,
        algorithm: str | None = None,
        headers: Mapping[str, Any] | None = None,
        expires_time: int | timedelta | bool | None = None,
        audience: str | Sequence[str] | None = None,
        user_claims: Mapping[str, Any] | None = None,
        *,
        identity: str | int | None = None,
    ) -> str:
        """As fastapi-jwt-auth; ``identity`` is the name of ``subject`` before 0.5."""
        return super().create_access_token(
            _subject(subject, identity, "create_access_token"),
            fresh,
            algorithm,
            headers,
            expires_time,
            audience,
            user_claims,
        )

    @_OnClassToo
    def create_refresh_token(
        self,
        subject: str | int | None = None,
        algorithm: str | None = None,
        headers: Mapping[str, Any] | None = None,
        expires_time: int | timedelta | bool | None = None,
        audience: str | Sequence[str] | None = None,
        user_claims: Mapping[str, Any] | None = None,
        *,
        identity: str | int | None = None,
    ) -> str:
        """As fastapi-jwt-auth; ``identity`` is the name of ``subject`` before 0.5."""
        return super().create_refresh_token(
            _subject(subject, identity, "create_refresh_token"),
            algorithm,
            headers,
            expires_time,
            audience,
            user_claims,
        )

    def get_jwt_identity(self) -> str | None:
        """:meth:`get_jwt_subject`, by its name before fastapi-jwt-auth 0.5."""
        return self.get_jwt_subject()

    def _parse_authorization(self, values: list[str], config: Snapshot) -> str:
        # fastapi-jwt-auth's rule: the first header, its type matched case-sensitively.
        auth = values[0]
        parts = auth.split()
        if not config.header_type:
            if len(parts) != 1:
                raise self._bad_header(f"Bad {config.header_name} header. Expected value '<JWT>'")
            return parts[0]
        # The type, then whitespace (a regular expression's `\s`, which is str.isspace()).
        size = len(config.header_type)
        typed = auth.startswith(config.header_type) and auth[size : size + 1].isspace()
        if not typed or len(parts) != 2:
            expected = f"'{config.header_type} <JWT>'"
            raise self._bad_header(f"Bad {config.header_name} header. Expected value {expected}")
        return parts[1]

    def _warn_without_cookies(self, method: str) -> None:
        # fastapi-jwt-auth raises the warning: the cookies are not set.
        if "cookies" not in self._runtime().config.token_location:
            raise RuntimeWarning(
                f"{method}() called without 'authjwt_token_location' configured to use cookies"
            )

    def _no_token_for_headers(self) -> AuthJWTException:
        return InvalidHeaderError(422, "Invalid token type", code="malformed_token")

    def _refuse(
        self, error: JWTError, want: Want, *, websocket: bool = False, token: str | None = None
    ) -> AuthJWTException:
        status, kind, message = _pyjwt_answer(error, want, token)
        if websocket:
            status = 1008
        headers = challenge_for(error).headers if status == 401 else None
        exception = kind(status, message, headers=headers, code=error.code)
        exception.__cause__ = error
        return exception


def _environment_defaults() -> Snapshot:
    """The configuration before ``load_config``: fastapi-jwt-auth's defaults, replaced by the
    ``AUTHJWT_*`` environment variables, from which its early releases took their settings
    (``AUTHJWT_SECRET_KEY``, ``AUTHJWT_ACCESS_TOKEN_EXPIRES=300``,
    ``AUTHJWT_BLACKLIST_ENABLED=true``...). A bad value fails loudly, naming the variable."""
    return Snapshot.of(AuthJWTSettings.from_env(None))


# The class's own configuration, so that configuring jwtfort.fastapi.AuthJWT does not leak in.
for _name, _value in zip(Snapshot._fields, _environment_defaults(), strict=True):
    setattr(AuthJWT, "_" + _name, _value)
AuthJWT._token_in_denylist_callback = None


def _subject(subject: str | int | None, identity: str | int | None, method: str) -> str | int:
    if identity is not None:
        if subject is not None:
            raise TypeError("pass subject or identity, not both")
        return identity
    if subject is None:
        # Python's own words for a missing argument, as fastapi-jwt-auth's signature gives.
        raise TypeError(f"{method}() missing 1 required positional argument: 'subject'")
    return subject


# PyJWT's texts, which fastapi-jwt-auth passes through and its users' tests assert.
_PYJWT_MESSAGES: Final[Mapping[str, str]] = {
    "expired": "Signature has expired",
    "invalid_signature": "Signature verification failed",
    "unknown_key": "Signature verification failed",
    "key_algorithm_mismatch": "Signature verification failed",
    "algorithm_not_allowed": "The specified alg value is not allowed",
    "unsupported_algorithm": "The specified alg value is not allowed",
    "invalid_audience": "Invalid audience",
    "invalid_issuer": "Invalid issuer",
    "not_yet_valid": "The token is not yet valid (nbf)",
    "issued_in_future": "The token is not yet valid (iat)",
}
_CLAIM_NAME: Final = re.compile(r'"([^"]+)"|has no (\w+)')
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")

Answer = tuple[int, type[AuthJWTException], str]


def _pyjwt_answer(error: JWTError, want: Want, token: str | None) -> Answer:
    """fastapi-jwt-auth's status, class and message for a jwtfort error."""
    code, message = error.code, error.message
    if code == "missing_token":
        return 401, MissingTokenError, message
    if code == "invalid_authorization_header" or message == TOKEN_COOKIE_SENT_TWICE:
        return 422, InvalidHeaderError, message
    if code == "csrf_failed":
        if message == "Missing claim: csrf":
            return 422, JWTDecodeError, message
        return 401, CSRFError, message
    if code in ("revoked", "token_reused"):
        return 401, RevokedTokenError, "Token has been revoked"
    if code == "fresh_token_required":
        return 401, FreshTokenRequired, "Fresh token required"
    if code == "wrong_token_type":
        kind = "refresh" if want == "refresh" else "access"
        return 422, exception_class(error, want), f"Only {kind} tokens are allowed"
    if isinstance(error, errors.Unavailable):
        challenge = challenge_for(error)
        return challenge.status, AuthJWTException, challenge.detail
    if code in _PYJWT_MESSAGES:
        return 422, JWTDecodeError, _PYJWT_MESSAGES[code]
    if code == "missing_claim":
        return 422, JWTDecodeError, f'Token is missing the "{_claim_name(message)}" claim'
    if code == "invalid_header" and token is not None and not _has_alg(token):
        return 422, JWTDecodeError, "The specified alg value is not allowed"
    if isinstance(error, errors.MalformedToken) and not isinstance(error, errors.InvalidClaim):
        return _malformed(token or "", message)
    return 422, JWTDecodeError, message


def _claim_name(message: str) -> str:
    found = _CLAIM_NAME.search(message)
    return (found.group(1) or found.group(2)) if found else "required"


def _has_alg(token: str) -> bool:
    header = _json_object(_base64url(token.split(".")[0]))
    return header is not None and isinstance(header.get("alg"), str)


def _malformed(token: str, message: str) -> Answer:
    """PyJWT's reading of a token the core found malformed: which segment broke, and how."""
    segments = token.split(".")
    if len(segments) < 3:
        return 422, InvalidHeaderError, "Not enough segments"
    if len(segments) > 3:
        return 422, InvalidHeaderError, "Invalid payload padding"
    decoded = [_base64url(s) for s in segments]
    for name, data in zip(("header", "payload", "crypto"), decoded, strict=True):
        if data is None:
            return 422, InvalidHeaderError, f"Invalid {name} padding"
    if _json_object(decoded[0]) is None:
        return 422, InvalidHeaderError, f"Invalid header string: {message}"
    if _json_object(decoded[1]) is None:
        return 422, JWTDecodeError, f"Invalid payload string: {message}"
    return 422, JWTDecodeError, message


def _base64url(segment: str) -> bytes | None:
    if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _json_object(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

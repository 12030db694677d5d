"""Cookies read as jwtfort-server reads them, the CSRF double submit that guards them, and the
token and CSRF cookies ``AuthJWT`` writes and deletes.

A cookie sent twice under one name is refused rather than resolved: a sibling domain can plant
a second cookie of the same name (cookie tossing), and keeping either copy would let the planted
one win whenever it comes in the right place. Starlette's ``request.cookies`` keeps the last
copy and reads the first ``Cookie`` header only, so the tokens and CSRF values are read here.

Used by ``AuthJWT`` (``_authjwt.py``) and the middleware (``_middleware.py``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Final, Literal

from starlette.requests import HTTPConnection
from starlette.responses import Response

from .. import errors
from ..errors import JWTError
from ._settings import Snapshot

__all__ = [
    "CSRF_MISMATCH",
    "CSRF_MISSING",
    "TOKEN_COOKIE_SENT_TWICE",
    "CookieNames",
    "check_double_submit",
    "csrf_error",
    "csrf_guarded",
    "delete_token_cookies",
    "find_cookie",
    "set_csrf_cookie",
    "set_token_cookie",
    "submitted_csrf",
]

#: jwtfort-server's message for a token cookie sent twice (code ``malformed_token``).
TOKEN_COOKIE_SENT_TWICE: Final = "the token cookie is sent more than once"
CSRF_MISSING: Final = "Missing CSRF Token"
CSRF_MISMATCH: Final = "CSRF double submit tokens do not match"

_OWS: Final = " \t"  # RFC 9110 §5.6.3: optional whitespace


def find_cookie(connection: HTTPConnection, name: str) -> tuple[str | None, bool]:
    """The value of the cookie ``name`` (``None`` when absent), and whether it came more than
    once. Every ``Cookie`` header is read: HTTP/2 sends one per cookie (RFC 9113 §8.2.3). A
    value wrapped in double quotes loses them (RFC 6265 §4.2.1); a piece without ``=`` is no
    cookie, and is skipped as browsers do."""
    found: str | None = None
    seen = 0
    for header, value in connection.scope["headers"]:
        if header.lower() != b"cookie":
            continue
        for pair in value.decode("latin-1").split(";"):
            key, equals, rest = pair.partition("=")
            if not equals or key.strip(_OWS) != name:
                continue
            seen += 1
            if seen == 1:
                found = _unquote(rest.strip(_OWS))
    return found, seen > 1


def check_double_submit(submitted: str | None, expected: str | None, *, unset: str) -> None:
    """Checks that ``submitted`` (the CSRF header) equals ``expected`` (what the page was
    given: the token's ``csrf`` claim, or a CSRF cookie), in constant time. ``unset`` is the
    message when there is nothing to compare with.

    Errors: ``InvalidToken`` with code ``csrf_failed`` and "Missing CSRF Token", ``unset``, or
    "CSRF double submit tokens do not match".
    """
    if not submitted:
        raise csrf_error(CSRF_MISSING)
    if not expected:
        raise csrf_error(unset)
    if not hmac.compare_digest(_utf8(submitted), _utf8(expected)):
        raise csrf_error(CSRF_MISMATCH)


def csrf_error(message: str) -> JWTError:
    return errors.InvalidToken(message, code="csrf_failed")


@dataclass(frozen=True)
class CookieNames:
    """The cookies of one token kind in an ``AuthJWT`` configuration: the token's and its CSRF
    value's, each with its path."""

    token: str
    path: str
    csrf: str
    csrf_path: str
    csrf_header: str

    @classmethod
    def of(cls, config: Snapshot, kind: Literal["access", "refresh"]) -> CookieNames:
        if kind == "access":
            return cls(
                config.access_cookie_key,
                config.access_cookie_path,
                config.access_csrf_cookie_key,
                config.access_csrf_cookie_path,
                config.access_csrf_header_name,
            )
        return cls(
            config.refresh_cookie_key,
            config.refresh_cookie_path,
            config.refresh_csrf_cookie_key,
            config.refresh_csrf_cookie_path,
            config.refresh_csrf_header_name,
        )


def submitted_csrf(connection: HTTPConnection, names: CookieNames, given: str | None) -> str | None:
    """The CSRF value sent with a cookie token: the CSRF header of an HTTP request; a WebSocket
    handshake carries no such header, so the route passes what the client sent (``given``)."""
    if connection.scope["type"] == "websocket":
        return given
    return connection.headers.get(names.csrf_header)


def csrf_guarded(connection: HTTPConnection, config: Snapshot) -> bool:
    """Whether a cookie token needs the double submit here: with CSRF protection on, for the
    configured methods and for every WebSocket handshake (browsers send those cross-origin)."""
    return config.cookie_csrf_protect and (
        connection.scope["type"] == "websocket"
        or connection.scope.get("method") in config.csrf_methods
    )


def set_token_cookie(
    response: Response, config: Snapshot, names: CookieNames, token: str, max_age: int | None
) -> None:
    """Sets the token cookie, ``HttpOnly``: the page's scripts never see the token."""
    response.set_cookie(
        names.token, token, max_age=max_age, path=names.path, httponly=True, **_attributes(config)
    )


def set_csrf_cookie(
    response: Response, config: Snapshot, names: CookieNames, csrf: str, max_age: int | None
) -> None:
    """Sets the CSRF cookie beside the token cookie, readable by the page's scripts, which
    send it back in the CSRF header."""
    response.set_cookie(
        names.csrf,
        csrf,
        max_age=max_age,
        path=names.csrf_path,
        httponly=False,
        **_attributes(config),
    )


def delete_token_cookies(response: Response, config: Snapshot, names: CookieNames) -> None:
    """Deletes the token cookie and, with CSRF protection, its CSRF cookie."""
    attributes = _attributes(config)
    response.delete_cookie(names.token, path=names.path, httponly=True, **attributes)
    if config.cookie_csrf_protect:
        response.delete_cookie(names.csrf, path=names.csrf_path, httponly=False, **attributes)


def _attributes(config: Snapshot) -> dict[str, Any]:
    return {
        "domain": config.cookie_domain,
        "secure": config.cookie_secure,
        "samesite": config.cookie_samesite,
    }


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def _utf8(text: str) -> bytes:
    # compare_digest refuses non-ASCII text; header values may hold any Latin-1 byte.
    return text.encode("utf-8", "surrogatepass")

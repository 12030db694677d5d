"""Cookies read as jwtfort-server reads them, and the CSRF double submit that guards them.

A cookie sent twice under one name is refused rather than resolved: a sibling domain can plant
a second cookie of the same name (cookie tossing), and keeping either copy would let the planted
one win whenever it comes in the right place. Starlette's ``request.cookies`` keeps the last
copy and reads the first ``Cookie`` header only, so the tokens and CSRF values are read here.
"""

from __future__ import annotations

import hmac
from typing import Final

from starlette.requests import HTTPConnection

from .. import errors
from ..errors import JWTError

__all__ = [
    "CSRF_MISMATCH",
    "CSRF_MISSING",
    "TOKEN_COOKIE_SENT_TWICE",
    "check_double_submit",
    "csrf_error",
    "find_cookie",
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


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def _utf8(text: str) -> bytes:
    # compare_digest refuses non-ASCII text; header values may hold any Latin-1 byte.
    return text.encode("utf-8", "surrogatepass")

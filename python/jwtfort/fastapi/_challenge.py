"""The HTTP answer to a jwtfort error.

The table is the C++ middleware's (``challenge_for``), so a FastAPI application and jwtfort-server
answer a given failure with the same status, message and ``WWW-Authenticate`` value: 401 with
``Bearer error="invalid_token"`` for a bad token, a bare ``Bearer`` challenge when there is none
(RFC 6750 §3.1), 400 for an unusable Authorization header, 403 ``insufficient_scope``, 503 when
the store is down. Every signature, format, algorithm and key failure reads "Invalid token": the
precise reason stays on the exception (``.code``) for logs, never in the response.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple

from fastapi import HTTPException

from .. import _native
from ..errors import JWTError

__all__ = ["Challenge", "challenge_for"]

_CODE_VALUES: Final[dict[str, int]] = dict(_native.error_codes())


class Challenge(NamedTuple):
    """A refusal: the status, the client-facing message and the ``WWW-Authenticate`` value
    (empty when the status takes none)."""

    status: int
    detail: str
    www_authenticate: str

    @property
    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": self.www_authenticate} if self.www_authenticate else None

    def to_http_exception(self) -> HTTPException:
        """FastAPI renders it as ``{"detail": ...}`` with the status and header, with no
        exception handler to register."""
        return HTTPException(self.status, self.detail, headers=self.headers)


def challenge_for(
    error: JWTError,
    *,
    header_name: str = "Authorization",
    realm: str = "",
    scopes: Iterable[str] = (),
) -> Challenge:
    """The answer to ``error``. ``header_name`` names the header in "Missing <name> Header";
    ``realm`` goes into the challenge when set; ``scopes``, the scopes the route requires, go
    into an ``insufficient_scope`` challenge (RFC 6750 §3)."""
    value = _CODE_VALUES.get(error.code, _CODE_VALUES["invalid_configuration"])
    status, detail, www_authenticate = _native.http_challenge(
        value, error.message, header_name, realm, list(scopes)
    )
    return Challenge(status, detail, www_authenticate)

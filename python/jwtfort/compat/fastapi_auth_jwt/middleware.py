"""Stands in for ``fastapi_auth_jwt.middleware``."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import HTTPException
from pydantic import BaseModel
from starlette.requests import HTTPConnection
from starlette.types import Scope

from ...errors import JWTError, MalformedToken, MissingClaim
from ...fastapi._middleware import INVALID_CREDENTIALS, MISSING_CLAIM, SERVER_ERROR, _refusal
from ...fastapi._middleware import JWTAuthenticationMiddleware as _NativeMiddleware
from ._pyjwt import MissingRequiredClaimError, PyJWTError

__all__ = ["JWTAuthenticationMiddleware"]

_log = logging.getLogger(__name__)


class JWTAuthenticationMiddleware(_NativeMiddleware):
    """:class:`jwtfort.fastapi.JWTAuthenticationMiddleware`, also answering the errors a
    fastapi-auth-jwt backend raises, as fastapi-auth-jwt did: ``jwt.MissingRequiredClaimError``
    400 "Missing required claim.", any other ``jwt.PyJWTError`` 401 "Could not validate
    credentials.", any other exception 500 "Internal Server Error" (its class is logged, not
    its message). The refusal's ``timestamp`` is whole seconds since the epoch, as there.

    Example::

        app.add_middleware(JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/login"])
    """

    @classmethod
    def _error_body(cls, scope: Scope, detail: Any) -> dict[str, Any]:
        return {**super()._error_body(scope, detail), "timestamp": int(time.time())}

    async def _authenticate(self, connection: HTTPConnection) -> BaseModel:
        try:
            return await super()._authenticate(connection)
        except HTTPException:
            raise
        except MissingRequiredClaimError as error:
            raise _refusal(400, MISSING_CLAIM, _cause(error, MissingClaim())) from None
        except PyJWTError as error:
            raise _refusal(401, INVALID_CREDENTIALS, _cause(error, MalformedToken())) from None
        except Exception as error:
            _log.error("authenticate() raised %s: answered 500", type(error).__name__)
            raise HTTPException(500, SERVER_ERROR) from None


def _cause(error: Exception, default: JWTError) -> JWTError:
    """The jwtfort error a PyJWT error was raised from, which chooses the challenge."""
    cause = error.__cause__
    return cause if isinstance(cause, JWTError) else default

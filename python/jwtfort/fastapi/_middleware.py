"""``JWTAuthenticationMiddleware``: fastapi-auth-jwt's middleware, as a pure ASGI middleware.

Every HTTP request and WebSocket handshake must carry a valid token, except on excluded paths and
for CORS preflight requests. The user model lands in ``request.state.user`` and
``request.user``. Refusals keep fastapi-auth-jwt's JSON body, messages and statuses, and add
the ``WWW-Authenticate`` value of jwtfort's challenge table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, ClassVar, Final

from fastapi import HTTPException
from pydantic import BaseModel
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import (
    ConfigurationError,
    InvalidToken,
    JWTError,
    MalformedToken,
    MissingClaim,
    MissingToken,
    RevokedToken,
    Unavailable,
)
from ._authorization import credentials
from ._backend import JWTAuthBackend
from ._challenge import challenge_for

__all__ = ["JWTAuthenticationMiddleware"]

# The path the router routes on: scope["path"] holds root_path too (ASGI 2.x, uvicorn
# --root-path), so exclude_urls are matched on what follows it, as routes are.
try:
    from starlette._utils import get_route_path
except ImportError:  # a private helper: the same rule, should it move

    def get_route_path(scope: Scope) -> str:
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if not root or not path.startswith(root):
            return path
        if path == root:
            return ""
        return path[len(root) :] if path[len(root)] == "/" else path


MISSING_HEADER: Final = "Authorization header is missing."
INVALID_HEADER: Final = "Invalid authorization header, expected value in format 'Bearer <token>'."
INVALID_CREDENTIALS: Final = "Could not validate credentials."
MISSING_CLAIM: Final = "Missing required claim."
USER_NOT_FOUND: Final = "User not found."
SERVER_ERROR: Final = "Internal Server Error"

# WebSocket close code for a refused handshake when the server cannot send an HTTP response
# (RFC 6455 §7.4.1: policy violation).
_POLICY_VIOLATION: Final = 1008


class JWTAuthenticationMiddleware:
    """Requires a valid token on every request, except on ``exclude_urls``.

    ``backend`` checks the tokens; without one, the backend made last
    (:meth:`JWTAuthBackend.get_instance`) is used, and ``ConfigurationError`` is raised when
    there is none. The token is read from the ``Authorization`` header, or else from a cookie
    named ``Authorization`` (as fastapi-auth-jwt does), as ``Bearer <token>`` with the scheme
    in any case.

    An ``exclude_urls`` entry matches that path and the paths below it, at a ``/`` boundary:
    ``"/login"`` exempts ``/login`` and ``/login/reset``, not ``/login-history`` nor
    ``/api/login``; ``"/public/*"`` exempts only what is below ``/public/``; ``"/"`` exempts only
    the root. (fastapi-auth-jwt matched substrings, so ``/login`` also exempted
    ``/api/login-history``.) Paths are those the routes are written with: behind
    ``uvicorn --root-path /api``, ``"/login"`` exempts the request for ``/api/login``, and an
    entry naming the root path itself exempts nothing. A path with a ``.`` or ``..`` segment is
    never exempt. The
    documentation pages (``default_excluded_urls``) are always exempt, and CORS preflight
    requests (``OPTIONS`` with ``Access-Control-Request-Method``) pass through.

    Refusals: 401 "Authorization header is missing.", 400 "Invalid authorization header,
    expected value in format 'Bearer <token>'.", 401 "Could not validate credentials." (any
    invalid or expired token), 400 "Missing required claim.", 401 "User not found." (an
    invalidated token), 503 when the store is down; as JSON ``{"path", "method", "detail",
    "timestamp"}``. A refused WebSocket handshake gets the same HTTP response when the server
    supports it, else a close with code 1008.

    Example::

        backend = JWTAuthBackend(AuthConfig(secret=os.environ["JWT_SECRET"]))
        app.add_middleware(JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/login"])

        @app.get("/me")
        def me(request: Request) -> dict[str, Any]:
            return request.state.user.model_dump()
    """

    default_excluded_urls: ClassVar[frozenset[str]] = frozenset(
        {
            "/docs",
            "/docs/oauth2-redirect",
            "/redoc",
            "/openapi.json",
            "/swagger",
            "/swagger.json",
            "/swagger-ui",
            "/favicon.ico",
        }
    )

    def __init__(
        self,
        app: ASGIApp,
        backend: JWTAuthBackend | None = None,
        exclude_urls: Iterable[str] = (),
    ) -> None:
        self.app = app
        backend = backend or JWTAuthBackend.get_instance()
        if backend is None:
            raise ConfigurationError(
                "JWTAuthenticationMiddleware needs a backend: pass backend= or make a "
                "JWTAuthBackend first"
            )
        self.backend = backend
        self.exclude_urls = list(exclude_urls)
        self._rules = [_ExcludeRule(url) for url in self.exclude_urls]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._is_exempt(scope):
            await self.app(scope, receive, send)
            return
        try:
            user = await self._authenticate(HTTPConnection(scope))
        except HTTPException as refusal:
            await _refuse(scope, receive, send, refusal)
            return
        scope.setdefault("state", {})["user"] = user
        scope["user"] = user
        await self.app(scope, receive, send)

    @classmethod
    def extract_token_from_request(cls, request: HTTPConnection) -> str:
        """The token of ``request``, from the ``Authorization`` header or cookie.

        Errors: ``HTTPException`` 401 when there is neither, 400 when the value is not
        ``Bearer <token>`` or the header is sent twice.

        Example::

            token = JWTAuthenticationMiddleware.extract_token_from_request(request)
        """
        headers = request.headers.getlist("authorization")
        if len(headers) > 1:
            raise _invalid_header()
        value = (headers[0] if headers else "") or request.cookies.get("Authorization", "")
        if not value:
            raise _refusal(401, MISSING_HEADER, MissingToken())
        token = credentials(value, "Bearer")
        if token is None:
            raise _invalid_header()
        return token

    async def _authenticate(self, connection: HTTPConnection) -> BaseModel:
        token = self.extract_token_from_request(connection)
        try:
            user = await self.backend.get_current_user(token)
        except JWTError as error:
            raise _refusal_for(error) from None
        if user is None:
            raise _refusal(401, USER_NOT_FOUND, RevokedToken())
        return user

    def _is_exempt(self, scope: Scope) -> bool:
        if scope.get("method") == "OPTIONS" and _is_preflight(scope):
            return True
        path = get_route_path(scope)
        if path in self.default_excluded_urls:
            return True
        if any(segment in (".", "..") for segment in path.split("/")):
            return False
        return any(rule.matches(path) for rule in self._rules)


class _ExcludeRule:
    """One ``exclude_urls`` entry: a path and what is below it, or only what is below it."""

    __slots__ = ("_base", "_children_only")

    def __init__(self, url: str) -> None:
        if not url.startswith("/"):
            raise ValueError(f"exclude_urls entries are paths starting with '/', not {url!r}")
        self._children_only = url.endswith("/*")
        self._base = url[:-2] if self._children_only else url.rstrip("/")

    def matches(self, path: str) -> bool:
        below = path.startswith(self._base + "/")
        if self._children_only:
            return below
        if not self._base:  # "/" is the root alone, not a prefix of every path
            return path == "/"
        return below or path == self._base


def _is_preflight(scope: Scope) -> bool:
    return any(name == b"access-control-request-method" for name, _ in scope["headers"])


def _refusal(status: int, detail: str, error: JWTError) -> HTTPException:
    """fastapi-auth-jwt's status and message, with jwtfort's challenge for the error."""
    return HTTPException(status, detail, headers=challenge_for(error).headers)


def _invalid_header() -> HTTPException:
    return _refusal(400, INVALID_HEADER, MalformedToken(code="invalid_authorization_header"))


def _refusal_for(error: JWTError) -> HTTPException:
    if isinstance(error, MissingClaim):
        return _refusal(400, MISSING_CLAIM, error)
    if isinstance(error, InvalidToken):
        return _refusal(401, INVALID_CREDENTIALS, error)
    challenge = challenge_for(error)
    detail = challenge.detail if isinstance(error, Unavailable) else SERVER_ERROR
    return HTTPException(challenge.status, detail, headers=challenge.headers)


async def _refuse(scope: Scope, receive: Receive, send: Send, refusal: HTTPException) -> None:
    response = JSONResponse(_body(scope, refusal.detail), refusal.status_code, refusal.headers)
    if scope["type"] == "http":
        await response(scope, receive, send)
        return
    if (await receive())["type"] != "websocket.connect":
        return  # the client left before the handshake
    if "websocket.http.response" in scope.get("extensions", {}):
        await response(scope, receive, send)
    else:
        await send({"type": "websocket.close", "code": _POLICY_VIOLATION, "reason": refusal.detail})


def _body(scope: Scope, detail: Any) -> dict[str, Any]:
    return {
        "path": scope["path"],
        "method": scope.get("method", "GET"),
        "detail": detail,
        "timestamp": datetime.now(timezone.utc).isoformat(),
    }

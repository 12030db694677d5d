"""``JWTAuthenticationMiddleware``: fastapi-auth-jwt's middleware, as a pure ASGI middleware.

Every HTTP request and WebSocket handshake must carry a valid token, except on excluded paths and
for CORS preflight requests. The user model lands in ``request.state.user`` and
``request.user``, the token's scopes and roles in ``request.auth`` (Starlette's
``AuthCredentials``, so that ``@requires(...)`` works). Refusals keep fastapi-auth-jwt's JSON
body, messages and statuses, and add the ``WWW-Authenticate`` value of jwtfort's challenge
table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, ClassVar, Final

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from starlette.authentication import AuthCredentials
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
from ..verifier import unverified_claims
from ._authorization import credentials, granted_roles, granted_scopes, header_values
from ._backend import JWTAuthBackend
from ._challenge import challenge_for
from ._cookies import check_double_submit, csrf_error, find_cookie

__all__ = ["JWTAuthenticationMiddleware"]


def _route_path(scope: Scope) -> str:
    """The path the router routes on: scope["path"] holds root_path too (ASGI 2.x, uvicorn
    --root-path), so exclude_urls are matched on what follows it, as routes are."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


try:  # Starlette's own rule, when it still has it under this name
    from starlette._utils import get_route_path
except ImportError:
    get_route_path = _route_path


MISSING_HEADER: Final = "Authorization header is missing."
INVALID_HEADER: Final = "Invalid authorization header, expected value in format 'Bearer <token>'."
INVALID_CREDENTIALS: Final = "Could not validate credentials."
MISSING_CLAIM: Final = "Missing required claim."
USER_NOT_FOUND: Final = "User not found."
SERVER_ERROR: Final = "Internal Server Error"
# The name of the security scheme the middleware adds to the OpenAPI document.
OPENAPI_SCHEME: Final = "JWTAuthentication"

# RFC 9110 §9.2.1: what a cross-site page may make a browser send needs no CSRF check.
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# The scope every authenticated request has, as Starlette's documentation names it.
AUTHENTICATED_SCOPE: Final = "authenticated"
_AUTHENTICATED_ONLY: Final = (AUTHENTICATED_SCOPE,)

# WebSocket close code for a refused handshake when the server cannot send an HTTP response
# (RFC 6455 §7.4.1: policy violation).
_POLICY_VIOLATION: Final = 1008


class JWTAuthenticationMiddleware:
    """Requires a valid token on every request, except on ``exclude_urls``.

    ``backend`` checks the tokens; without one, the backend made last
    (:meth:`JWTAuthBackend.get_instance`) is used, and ``ConfigurationError`` is raised when
    there is none. The token is read from the ``Authorization`` header, as ``Bearer <token>``
    with the scheme in any case.

    ``cookie_tokens=True`` also reads it from a cookie named ``Authorization`` when the request
    has no header (fastapi-auth-jwt always did). A browser sends cookies with requests that
    other sites make, so a cookie token needs a CSRF double submit on every method but ``GET``,
    ``HEAD``, ``OPTIONS`` and ``TRACE``: the ``csrf_header`` header must equal the
    ``csrf_cookie`` cookie, which the application sets beside the token (a random value,
    readable by the page's scripts). A cookie never authenticates a WebSocket handshake, which
    carries no such header and which browsers send cross-origin. Either cookie sent twice is
    refused.

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
    invalidated token), 401 "Missing CSRF Token" and "CSRF double submit tokens do not match"
    (a cookie token), 503 when the store is down; as JSON ``{"path", "method", "detail",
    "timestamp"}``. A refused WebSocket handshake gets the same HTTP response when the server
    supports it, else a close with code 1008.

    ``request.auth`` holds Starlette's ``AuthCredentials``: ``authenticated``, the token's
    scopes (its ``scope`` and ``scp`` claims) and its roles (its ``roles`` claim), so that
    Starlette's ``@requires("items:write")`` guards a route (403 without it). On an excluded
    path it holds no scope, so ``@requires`` there answers 403 too.

    Example::

        backend = JWTAuthBackend(AuthConfig(secret=os.environ["JWT_SECRET"]))
        app.add_middleware(JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/login"])

        @app.get("/me")
        def me(request: Request) -> dict[str, Any]:
            return request.state.user.model_dump()

        @app.delete("/items/{id}")
        @requires("admin")
        async def delete(request: Request, id: int) -> None: ...
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
        *,
        cookie_tokens: bool = False,
        csrf_cookie: str = "csrf_token",
        csrf_header: str = "X-CSRF-Token",
    ) -> None:
        if not (csrf_cookie and csrf_header):
            raise ValueError("csrf_cookie and csrf_header must not be empty")
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
        self.cookie_tokens = cookie_tokens
        self.csrf_cookie = csrf_cookie
        self.csrf_header = csrf_header
        self._documented = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self._is_exempt(scope):
            if scope["type"] == "http" and not self._documented:
                self._document(scope)
            # No credentials: @requires answers 403 rather than failing on a missing scope key.
            scope.setdefault("auth", AuthCredentials())
            await self.app(scope, receive, send)
            return
        try:
            user = await self._authenticate(HTTPConnection(scope))
        except HTTPException as refusal:
            await _refuse(scope, receive, send, refusal, self._error_body(scope, refusal.detail))
            return
        scope.setdefault("state", {})["user"] = user
        scope["user"] = user
        await self.app(scope, receive, send)

    @classmethod
    def extract_token_from_request(cls, request: HTTPConnection) -> str:
        """The token of ``request``'s ``Authorization`` header. (fastapi-auth-jwt also read a
        cookie here; cookies are the middleware's ``cookie_tokens`` option, which checks CSRF.)

        Errors: ``HTTPException`` 401 when there is none, 400 when the value is not
        ``Bearer <token>`` or the header is sent twice.

        Example::

            token = JWTAuthenticationMiddleware.extract_token_from_request(request)
        """
        value = _authorization_header(request)
        if not value:
            raise _refusal(401, MISSING_HEADER, MissingToken())
        return _bearer_token(value)

    def _token_of(self, connection: HTTPConnection) -> str:
        if (
            self.cookie_tokens
            and connection.scope["type"] == "http"
            and not _authorization_header(connection)
        ):
            token = self._cookie_token(connection)
            if token is not None:
                return token
        return self.extract_token_from_request(connection)

    def _cookie_token(self, connection: HTTPConnection) -> str | None:
        value, twice = find_cookie(connection, "Authorization")
        if twice:
            raise _invalid_header()
        if not value:
            return None
        token = _bearer_token(value)
        if connection.scope["method"] not in _SAFE_METHODS:
            self._check_csrf(connection)
        return token

    def _check_csrf(self, connection: HTTPConnection) -> None:
        expected, twice = find_cookie(connection, self.csrf_cookie)
        try:
            if twice:
                raise csrf_error("the CSRF cookie is sent more than once")
            submitted = connection.headers.get(self.csrf_header)
            check_double_submit(submitted, expected, unset=f"Missing cookie {self.csrf_cookie}")
        except JWTError as error:
            raise _refusal_for(error) from None

    async def _authenticate(self, connection: HTTPConnection) -> BaseModel:
        token = self._token_of(connection)
        try:
            # authenticate(), not get_current_user(): a backend subclass may override it.
            user = await self.backend.authenticate(token)
        except JWTError as error:
            raise _refusal_for(error) from None
        if user is None:
            raise _refusal(401, USER_NOT_FOUND, RevokedToken())
        # Only once the backend accepted the token: a refused request gets no credentials.
        connection.scope["auth"] = _credentials_of(token, self.backend)
        return user

    @classmethod
    def _error_body(cls, scope: Scope, detail: Any) -> dict[str, Any]:
        """The JSON body of a refusal; ``timestamp`` is an ISO 8601 UTC time."""
        return _body(scope, detail)

    def _document(self, scope: Scope) -> None:
        """Adds the bearer scheme to the application's OpenAPI document when it is served, so
        that /docs has an Authorize button: the routes this middleware guards declare no
        dependency that would add it. Excluded routes are marked as needing nothing."""
        app = scope.get("app")
        if not isinstance(app, FastAPI) or get_route_path(scope) != app.openapi_url:
            return
        self._documented = True
        schema = app.openapi()  # FastAPI keeps this dict and serves it from now on
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes.setdefault(
            OPENAPI_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        )
        for path, operations in schema.get("paths", {}).items():
            exempt = path in self.default_excluded_urls or any(
                rule.matches(path) for rule in self._rules
            )
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation.setdefault("security", [] if exempt else [{OPENAPI_SCHEME: []}])

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


def _credentials_of(token: str, backend: object) -> AuthCredentials:
    """Starlette's credentials for a token the backend has just accepted: its signature was
    checked there, so its claims are read here without checking it a second time; those the
    backend kept from its check when it has them, else decoded."""
    accepted = getattr(backend, "_accepted_claims", None)
    claims = accepted(token) if accepted is not None else None
    if claims is None:
        try:
            claims = unverified_claims(token)
        except JWTError:  # an overridden authenticate() accepted a token that is no JWT
            claims = {}
    granted = granted_scopes(claims) | granted_roles(claims)
    if not granted:
        return AuthCredentials(_AUTHENTICATED_ONLY)
    return AuthCredentials([AUTHENTICATED_SCOPE, *sorted(granted)])


def _authorization_header(connection: HTTPConnection) -> str:
    headers = header_values(connection, "authorization")
    if len(headers) > 1:  # two candidate tokens: intermediaries may keep either
        raise _invalid_header()
    return headers[0] if headers else ""


def _bearer_token(value: str) -> str:
    token = credentials(value, "Bearer")
    if token is None:
        raise _invalid_header()
    return token


def _is_preflight(scope: Scope) -> bool:
    return any(name == b"access-control-request-method" for name, _ in scope["headers"])


def _refusal(status: int, detail: str, error: JWTError) -> HTTPException:
    """fastapi-auth-jwt's status and message, with jwtfort's challenge for the error."""
    return HTTPException(status, detail, headers=challenge_for(error).headers)


def _invalid_header() -> HTTPException:
    return _refusal(400, INVALID_HEADER, MalformedToken(code="invalid_authorization_header"))


def _refusal_for(error: JWTError) -> HTTPException:
    if error.code == "csrf_failed":
        return challenge_for(error).to_http_exception()
    if isinstance(error, MissingClaim):
        return _refusal(400, MISSING_CLAIM, error)
    if isinstance(error, InvalidToken):
        return _refusal(401, INVALID_CREDENTIALS, error)
    challenge = challenge_for(error)
    detail = challenge.detail if isinstance(error, Unavailable) else SERVER_ERROR
    return HTTPException(challenge.status, detail, headers=challenge.headers)


async def _refuse(
    scope: Scope, receive: Receive, send: Send, refusal: HTTPException, body: dict[str, Any]
) -> None:
    response = JSONResponse(body, refusal.status_code, refusal.headers)
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

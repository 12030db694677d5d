"""JWTAuthenticationMiddleware over HTTP and WebSocket: token locations, exempt paths, refusals
(status, body, WWW-Authenticate) and logout on memory, SQLite and Redis stores."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, HTTPException, Request, WebSocket
from fastapi.middleware.cors import CORSMiddleware
from fastapi.testclient import TestClient
from loopback import free_port
from pydantic import BaseModel
from starlette.requests import HTTPConnection
from starlette.testclient import WebSocketDenialResponse
from starlette.types import Message, Scope

import jwtfort
from jwtfort.fastapi._backend import JWTAuthBackend
from jwtfort.fastapi._config import AuthConfig, RedisConfig, SQLiteConfig, StorageConfig
from jwtfort.fastapi._middleware import JWTAuthenticationMiddleware

SECRET = "a-secret-for-hs256-of-32-bytes!!"
OTHER_SECRET = "another-secret-for-hs256-32-byte"

MISSING = "Authorization header is missing."
BAD_HEADER = "Invalid authorization header, expected value in format 'Bearer <token>'."
INVALID = "Could not validate credentials."
NOT_FOUND = "User not found."
NO_CHALLENGE = "Bearer"
INVALID_TOKEN = 'Bearer error="invalid_token"'
INVALID_REQUEST = 'Bearer error="invalid_request"'


class LoggedUser(BaseModel):
    id: str
    email: str
    roles: list[str]


PAYLOAD = {"id": "1", "email": "john.doe@example.com", "roles": ["Admin"]}


def make_app(
    backend: JWTAuthBackend,
    exclude_urls: list[str] | None = None,
    cors: bool = False,
    **options: Any,
) -> FastAPI:
    app = FastAPI()
    if cors:  # added first, so it runs inside the authentication middleware
        app.add_middleware(CORSMiddleware, allow_origins=["https://app.example"])
    app.add_middleware(
        JWTAuthenticationMiddleware,
        backend=backend,
        exclude_urls=exclude_urls or ["/login"],
        **options,
    )

    @app.post("/login")
    async def login() -> dict[str, str]:
        return {"token": await backend.create_token(PAYLOAD)}

    @app.post("/logout")
    async def logout(request: Request) -> None:
        await backend.invalidate_token(request.headers["authorization"].split()[1])

    @app.get("/me")
    def me(request: Request) -> dict[str, Any]:
        user = request.state.user
        assert request.user is user
        return {"type": type(user).__name__, **user.model_dump()}

    @app.api_route(
        "/transfer",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "PROPFIND"],
        include_in_schema=False,  # one route, many methods: a single operation id
    )
    def transfer(request: Request) -> dict[str, str]:
        return {"from": request.state.user.id}

    for path in (
        "/login/reset",
        "/login-history",
        "/api/login",
        "/public",
        "/public/page",
        "/secret",
    ):
        app.add_api_route(path, lambda: {"ok": True})
    app.add_api_route("/docs/private", lambda: {"ok": True})
    app.add_api_route("/", lambda: {"ok": True})

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(websocket.state.user.model_dump())
        await websocket.close()

    return app


@pytest.fixture
def backend(clock: Any) -> JWTAuthBackend:
    return JWTAuthBackend(AuthConfig(secret=SECRET), user_schema=LoggedUser, clock=clock)


@pytest.fixture
def client(backend: JWTAuthBackend) -> TestClient:
    return TestClient(make_app(backend))


@pytest.fixture
def token(client: TestClient) -> str:
    token: str = client.post("/login").json()["token"]
    return token


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def refused(response: Any, status: int, detail: str, challenge: str | None) -> None:
    """Checks fastapi-auth-jwt's error body, the status and the WWW-Authenticate header."""
    assert response.status_code == status
    body = response.json()
    assert list(body) == ["path", "method", "detail", "timestamp"]
    assert (body["path"], body["method"], body["detail"]) == (
        response.request.url.path,
        response.request.method,
        detail,
    )
    assert datetime.fromisoformat(body["timestamp"]).tzinfo == timezone.utc
    assert response.headers.get("www-authenticate") == challenge


# --- tokens and refusals ---------------------------------------------------------------------


def test_valid_token_sets_the_user_model(client: TestClient, token: str) -> None:
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"type": "LoggedUser", **PAYLOAD}


def test_scheme_is_case_insensitive(client: TestClient, token: str) -> None:
    for scheme in ("bearer", "BEARER", "bEaReR"):
        assert client.get("/me", headers=bearer(token, scheme)).json()["type"] == "LoggedUser"


def test_missing_token(client: TestClient) -> None:
    refused(client.get("/me"), 401, MISSING, NO_CHALLENGE)
    refused(client.get("/me", headers={"Authorization": ""}), 401, MISSING, NO_CHALLENGE)
    refused(client.delete("/me"), 401, MISSING, NO_CHALLENGE)


def test_malformed_header(client: TestClient) -> None:
    for value in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token abc", "abc"):
        response = client.get("/me", headers={"Authorization": value})
        refused(response, 400, BAD_HEADER, INVALID_REQUEST)


def test_header_sent_twice(client: TestClient, token: str) -> None:
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    refused(client.get("/me", headers=headers), 400, BAD_HEADER, INVALID_REQUEST)


# --- the Authorization cookie: off unless asked for, and then with a CSRF double submit ---------

CSRF = "Missing CSRF Token"
CSRF_MISMATCH = "CSRF double submit tokens do not match"
EVIL = "https://evil.example"


def cookie_header(**values: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in values.items())}


def authorization_cookie(token: str, **more: str) -> dict[str, str]:
    return cookie_header(Authorization=f'"Bearer {token}"', **more)


def test_the_authorization_cookie_is_ignored_by_default(client: TestClient, token: str) -> None:
    # A cross-site form post carries the victim's cookies; without the opt-in they are not read.
    headers = {**authorization_cookie(token), "Origin": EVIL}
    for method in ("GET", "POST", "DELETE"):
        response = client.request(method, "/transfer", headers=headers)
        refused(response, 401, MISSING, NO_CHALLENGE)
    assert client.post("/transfer", headers=bearer(token)).json() == {"from": "1"}


def test_a_cross_origin_websocket_with_the_cookie_is_refused(
    client: TestClient, token: str
) -> None:
    headers = {**authorization_cookie(token), "Origin": EVIL}
    with pytest.raises(WebSocketDenialResponse) as raised:
        with client.websocket_connect("/ws", headers=headers):
            pass
    assert (raised.value.status_code, raised.value.json()["detail"]) == (401, MISSING)
    assert raised.value.headers["www-authenticate"] == NO_CHALLENGE


@pytest.fixture
def cookie_client(backend: JWTAuthBackend) -> TestClient:
    return TestClient(make_app(backend, cookie_tokens=True))


def test_an_opted_in_cookie_authenticates_safe_methods(
    cookie_client: TestClient, token: str
) -> None:
    assert cookie_client.head("/transfer", headers=authorization_cookie(token)).status_code == 200
    assert cookie_client.get("/me", headers=authorization_cookie(token)).json() == {
        "type": "LoggedUser",
        **PAYLOAD,
    }
    # The header is read first: a bad header is not rescued by a good cookie.
    headers = {**authorization_cookie(token), **bearer("x.y.z")}
    refused(cookie_client.get("/me", headers=headers), 401, INVALID, INVALID_TOKEN)
    without_scheme = cookie_header(Authorization=token)
    refused(cookie_client.get("/me", headers=without_scheme), 400, BAD_HEADER, INVALID_REQUEST)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "PROPFIND"])
def test_an_opted_in_cookie_needs_the_csrf_double_submit_on_unsafe_methods(
    cookie_client: TestClient, token: str, method: str
) -> None:
    def send(cookies: dict[str, str], headers: dict[str, str]) -> Any:
        all_headers = {**authorization_cookie(token, **cookies), "Origin": EVIL, **headers}
        return cookie_client.request(method, "/transfer", headers=all_headers)

    refused(send({}, {}), 401, CSRF, INVALID_TOKEN)
    refused(send({"csrf_token": "c1"}, {}), 401, CSRF, INVALID_TOKEN)
    refused(send({}, {"X-CSRF-Token": "c1"}), 401, CSRF_MISMATCH, INVALID_TOKEN)
    refused(send({"csrf_token": "c1"}, {"X-CSRF-Token": "c2"}), 401, CSRF_MISMATCH, INVALID_TOKEN)
    refused(send({"csrf_token": "c1"}, {"X-CSRF-Token": "C1"}), 401, CSRF_MISMATCH, INVALID_TOKEN)
    accepted = send({"csrf_token": "c1"}, {"X-CSRF-Token": "c1"})
    assert (accepted.status_code, accepted.json()) == (200, {"from": "1"})
    # A bearer header is not sent by the browser on its own: it needs no CSRF value.
    assert cookie_client.request(method, "/transfer", headers=bearer(token)).status_code == 200


def test_a_duplicated_csrf_cookie_is_refused(cookie_client: TestClient, token: str) -> None:
    # A sibling domain can plant a second csrf_token cookie (cookie tossing): neither is trusted.
    for first, second in (("c1", "evil"), ("evil", "c1")):
        headers = {
            "Cookie": f'Authorization="Bearer {token}"; csrf_token={first}; csrf_token={second}',
            "X-CSRF-Token": "c1",
        }
        refused(cookie_client.post("/transfer", headers=headers), 401, CSRF_MISMATCH, INVALID_TOKEN)


def test_a_duplicated_authorization_cookie_is_refused(
    cookie_client: TestClient, backend: JWTAuthBackend, token: str
) -> None:
    other = asyncio.run(backend.create_token({**PAYLOAD, "id": "2"}))
    for first, second in ((other, token), (token, other)):
        headers = {"Cookie": f'Authorization="Bearer {first}"; Authorization="Bearer {second}"'}
        refused(cookie_client.get("/me", headers=headers), 400, BAD_HEADER, INVALID_REQUEST)


def test_an_opted_in_cookie_never_authenticates_a_websocket_handshake(
    cookie_client: TestClient, token: str
) -> None:
    # No CSRF header comes with a handshake, and browsers do not apply CORS to it.
    headers = {**authorization_cookie(token, csrf_token="c1"), "X-CSRF-Token": "c1"}
    with pytest.raises(WebSocketDenialResponse) as raised:
        with cookie_client.websocket_connect("/ws", headers=headers):
            pass
    assert (raised.value.status_code, raised.value.json()["detail"]) == (401, MISSING)
    with cookie_client.websocket_connect("/ws", headers=bearer(token)) as websocket:
        assert websocket.receive_json() == PAYLOAD


def test_csrf_cookie_and_header_names(backend: JWTAuthBackend, token: str) -> None:
    client = TestClient(
        make_app(backend, cookie_tokens=True, csrf_cookie="__Host-csrf", csrf_header="X-XSRF")
    )
    headers = {**authorization_cookie(token, **{"__Host-csrf": "c1"}), "X-XSRF": "c1"}
    assert client.post("/transfer", headers=headers).json() == {"from": "1"}
    refused(
        client.post("/transfer", headers={**headers, "X-XSRF": "c2"}),
        401,
        CSRF_MISMATCH,
        INVALID_TOKEN,
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def other_secret(token: str, clock: Any) -> str:
    other = JWTAuthBackend(AuthConfig(secret=OTHER_SECRET))
    return asyncio.run(other.create_token(PAYLOAD))


def alg_none(token: str, clock: Any) -> str:
    header = b64(b'{"alg":"none"}')
    return f"{header}.{token.split('.')[1]}."


def tampered(token: str, clock: Any) -> str:
    header, _, signature = token.split(".")
    claims = jwtfort.unverified_claims(token) | {"roles": ["Admin", "Root"]}
    forged = b64(json.dumps(claims).encode())
    return f"{header}.{forged}.{signature}"


def other_algorithm(token: str, clock: Any) -> str:
    key = jwtfort.Key.from_secret(SECRET + SECRET, "HS512")
    return jwtfort.Signer(key).sign(jwtfort.unverified_claims(token))


def expired(token: str, clock: Any) -> str:
    clock.advance(3600)
    return token


def garbage(token: str, clock: Any) -> str:
    return "eyJhbGciOiJIUzI1NiJ9.e30"


def test_invalid_tokens_cannot_validate_credentials(
    client: TestClient, clock: Any, token: str
) -> None:
    # expired() moves the clock, so it comes last.
    for forge in (other_secret, alg_none, tampered, other_algorithm, garbage, expired):
        forged = forge(token, clock)
        refused(client.get("/me", headers=bearer(forged)), 401, INVALID, INVALID_TOKEN)


def test_token_one_second_before_exp_is_valid(client: TestClient, clock: Any, token: str) -> None:
    clock.advance(3599)
    assert client.get("/me", headers=bearer(token)).status_code == 200
    clock.advance(1)
    refused(client.get("/me", headers=bearer(token)), 401, INVALID, INVALID_TOKEN)


def test_token_without_exp_misses_a_claim(
    client: TestClient, backend: JWTAuthBackend, clock: Any
) -> None:
    claims = {**PAYLOAD, "sub": "1", "jti": "j1", "iat": clock.now, "type": "access"}
    token = jwtfort.Signer(backend.jwt_handler.key).sign(claims)
    refused(client.get("/me", headers=bearer(token)), 400, "Missing required claim.", INVALID_TOKEN)


def test_claims_that_do_not_fit_the_schema(client: TestClient, backend: JWTAuthBackend) -> None:
    token = asyncio.run(backend.create_token({"id": "1"}))
    refused(client.get("/me", headers=bearer(token)), 401, INVALID, INVALID_TOKEN)


def test_error_body_names_the_method_and_path(client: TestClient) -> None:
    response = client.put("/me?x=1")
    refused(response, 401, MISSING, NO_CHALLENGE)
    assert response.json()["path"] == "/me" and response.json()["method"] == "PUT"


def test_wrapping_an_application(backend: JWTAuthBackend, token: str) -> None:
    app = FastAPI()

    @app.get("/me")
    def me(request: Request) -> dict[str, Any]:
        return request.state.user.model_dump()  # type: ignore[no-any-return]

    client = TestClient(JWTAuthenticationMiddleware(app, backend=backend))
    assert client.get("/me", headers=bearer(token)).json() == PAYLOAD
    refused(client.get("/me"), 401, MISSING, NO_CHALLENGE)


# --- exempt paths ----------------------------------------------------------------------------


def test_exclude_urls_match_at_segment_boundaries(backend: JWTAuthBackend) -> None:
    client = TestClient(make_app(backend, ["/login", "/public/*", "/"]))
    assert client.post("/login").status_code == 200
    for path in ("/login/reset", "/public/page", "/"):
        assert (client.get(path).status_code, client.get(path).json()) == (200, {"ok": True})
    for path in ("/login-history", "/api/login", "/public", "/me"):
        refused(client.get(path), 401, MISSING, NO_CHALLENGE)


def test_documentation_is_exempt_exactly(client: TestClient) -> None:
    for path in ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 200, path
    assert "Swagger UI" in client.get("/docs").text
    refused(client.get("/docs/private"), 401, MISSING, NO_CHALLENGE)


def test_exclude_urls_match_the_route_path_under_a_root_path(backend: JWTAuthBackend) -> None:
    # Behind a proxy that strips /public, uvicorn --root-path /public puts /public/secret in
    # scope["path"]: the router routes /secret, so /secret is what the rules see.
    public = TestClient(make_app(backend, ["/public/*"]), root_path="/public")
    refused(public.get("/public/secret"), 401, MISSING, NO_CHALLENGE)
    assert public.get("/public/public/page").json() == {"ok": True}
    api = TestClient(make_app(backend, ["/login"]), root_path="/api")
    assert api.post("/api/login").status_code == 200
    refused(api.get("/api/login-history"), 401, MISSING, NO_CHALLENGE)
    refused(api.get("/api/me"), 401, MISSING, NO_CHALLENGE)
    assert api.get("/api/openapi.json").status_code == 200
    refused(api.get("/api/login/../me"), 401, MISSING, NO_CHALLENGE)


def test_a_path_outside_the_root_path_is_matched_as_it_is(backend: JWTAuthBackend) -> None:
    # A server that leaves root_path out of scope["path"] (the older ASGI reading).
    inner = Recorder()
    middleware = JWTAuthenticationMiddleware(inner, backend=backend, exclude_urls=["/login"])
    sent = call(middleware, {**http_scope("/apilogin"), "root_path": "/api"}, [])
    assert inner.scopes == [] and sent[0]["status"] == 401
    call(middleware, {**http_scope("/login"), "root_path": "/api"}, [])
    call(middleware, {**http_scope("/api/login"), "root_path": "/api"}, [])
    assert [s["path"] for s in inner.scopes] == ["/login", "/api/login"]


def test_the_fallback_route_path_rule_is_starlettes() -> None:
    from starlette._utils import get_route_path

    from jwtfort.fastapi import _middleware

    assert _middleware.get_route_path is get_route_path
    cases = [
        ("/api/login", "/api"),
        ("/api", "/api"),
        ("/apilogin", "/api"),
        ("/login", "/api"),
        ("/login", ""),
        ("/api/", "/api"),
    ]
    for path, root in cases:
        scope = {"type": "http", "path": path, "root_path": root}
        assert _middleware._route_path(scope) == get_route_path(scope), (path, root)


class Uvicorn:
    """A real uvicorn serving ``app`` on a free 127.0.0.1 port, in a thread of this process."""

    def __init__(self, app: FastAPI, root_path: str) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        port = int(self.url.rsplit(":", 1)[1])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, root_path=root_path, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> Uvicorn:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)  # polling a starting server
        assert self._server.started, "uvicorn did not start"
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def test_exclude_urls_under_uvicorn_root_path(backend: JWTAuthBackend) -> None:
    with Uvicorn(make_app(backend, ["/public/*"]), "/public") as server:
        response = httpx.get(server.url + "/secret", timeout=10)
        assert response.status_code == 401
        # The body names the path the client sees through the proxy.
        assert (response.json()["path"], response.json()["detail"]) == ("/public/secret", MISSING)
    with Uvicorn(make_app(backend, ["/login"]), "/api") as server:
        assert httpx.post(server.url + "/login", timeout=10).status_code == 200
        response = httpx.get(server.url + "/me", timeout=10)
        assert (response.status_code, response.json()["detail"]) == (401, MISSING)


def test_exclude_urls_must_be_paths(backend: JWTAuthBackend) -> None:
    with pytest.raises(ValueError, match="exclude_urls entries are paths starting with '/'"):
        JWTAuthenticationMiddleware(FastAPI(), backend=backend, exclude_urls=["login"])


def test_cors_preflight_passes_unauthenticated(backend: JWTAuthBackend) -> None:
    client = TestClient(make_app(backend, cors=True))
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    response = client.options("/me", headers=preflight)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    refused(client.options("/me"), 401, MISSING, NO_CHALLENGE)


# --- raw ASGI: scopes a test client does not send -------------------------------------------


class Recorder:
    """An inner ASGI app that records the scopes it gets."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self.scopes.append(scope)


def call(
    middleware: JWTAuthenticationMiddleware, scope: Scope, incoming: list[Message]
) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    return sent


def http_scope(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "headers": headers or [],
        "query_string": b"",
    }


def test_lifespan_passes_through(backend: JWTAuthBackend) -> None:
    inner = Recorder()
    call(JWTAuthenticationMiddleware(inner, backend=backend), {"type": "lifespan"}, [])
    assert inner.scopes == [{"type": "lifespan"}]


def test_dot_segments_are_never_exempt(backend: JWTAuthBackend) -> None:
    inner = Recorder()
    middleware = JWTAuthenticationMiddleware(inner, backend=backend, exclude_urls=["/login"])
    sent = call(middleware, http_scope("/login/../admin"), [])
    assert inner.scopes == [] and sent[0]["status"] == 401
    call(middleware, http_scope("/login/reset"), [])
    assert [s["path"] for s in inner.scopes] == ["/login/reset"]


def test_user_lands_in_scope_state_and_user(backend: JWTAuthBackend) -> None:
    inner = Recorder()
    token = asyncio.run(backend.create_token(PAYLOAD))
    scope = http_scope("/me", [(b"authorization", f"Bearer {token}".encode())])
    scope["state"] = {"db": "kept"}
    call(JWTAuthenticationMiddleware(inner, backend=backend), scope, [])
    (seen,) = inner.scopes
    assert seen["state"] == {"db": "kept", "user": LoggedUser(**PAYLOAD)}
    assert seen["user"] is seen["state"]["user"]


def test_websocket_without_denial_responses_is_closed(backend: JWTAuthBackend) -> None:
    inner = Recorder()
    scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b""}
    sent = call(
        JWTAuthenticationMiddleware(inner, backend=backend), scope, [{"type": "websocket.connect"}]
    )
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": MISSING}]
    assert inner.scopes == []


# --- WebSocket -------------------------------------------------------------------------------


def test_websocket_with_a_token(client: TestClient, token: str) -> None:
    with client.websocket_connect("/ws", headers=bearer(token)) as websocket:
        assert websocket.receive_json() == PAYLOAD


def test_websocket_refusals_are_http_responses(client: TestClient) -> None:
    cases = [
        ({}, 401, MISSING, NO_CHALLENGE),
        (bearer("x.y.z"), 401, INVALID, INVALID_TOKEN),
        ({"Authorization": "Basic x"}, 400, BAD_HEADER, INVALID_REQUEST),
    ]
    for headers, status, detail, challenge in cases:
        with pytest.raises(WebSocketDenialResponse) as raised:
            with client.websocket_connect("/ws", headers=headers):
                pass
        assert raised.value.status_code == status
        assert raised.value.headers["www-authenticate"] == challenge
        assert raised.value.json()["detail"] == detail
        assert raised.value.json()["path"] == "/ws"


# --- backend resolution and token extraction -------------------------------------------------


def test_without_a_backend_the_latest_is_used(clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(JWTAuthBackend, "_latest", None)
    with pytest.raises(jwtfort.ConfigurationError) as raised:
        JWTAuthenticationMiddleware(FastAPI())
    assert raised.value.code == "invalid_configuration"
    latest = JWTAuthBackend(AuthConfig(secret=SECRET), clock=clock)
    assert JWTAuthenticationMiddleware(FastAPI()).backend is latest


def connection(headers: list[tuple[bytes, bytes]]) -> HTTPConnection:
    return HTTPConnection(http_scope("/", headers))


def test_extract_token_from_request() -> None:
    extract = JWTAuthenticationMiddleware.extract_token_from_request
    assert extract(connection([(b"authorization", b"Bearer abc.def.ghi")])) == "abc.def.ghi"
    with pytest.raises(HTTPException) as raised:
        extract(connection([]))
    assert (raised.value.status_code, raised.value.detail) == (401, MISSING)
    with pytest.raises(HTTPException) as raised:  # cookies are the middleware's opt-in
        extract(connection([(b"cookie", b"Authorization=Bearer c.o.k")]))
    assert (raised.value.status_code, raised.value.detail) == (401, MISSING)
    assert raised.value.headers == {"WWW-Authenticate": NO_CHALLENGE}
    with pytest.raises(HTTPException) as raised:
        extract(connection([(b"authorization", b"Basic abc")]))
    assert (raised.value.status_code, raised.value.detail) == (400, BAD_HEADER)


# --- logout on each store --------------------------------------------------------------------


def storage(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StorageConfig:
    if kind == "sqlite":
        return SQLiteConfig(path=tmp_path / "tokens.db")
    if kind == "redis":
        return RedisConfig(url=request.getfixturevalue("redis_url"))
    return StorageConfig()


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_login_protected_logout(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, clock: Any
) -> None:
    config = storage(kind, tmp_path, request)
    backend = JWTAuthBackend(AuthConfig(secret=SECRET), config, LoggedUser, clock=clock)
    client = TestClient(make_app(backend))
    token = client.post("/login").json()["token"]
    assert client.get("/me", headers=bearer(token)).status_code == 200
    assert client.post("/logout", headers=bearer(token)).status_code == 200
    refused(client.get("/me", headers=bearer(token)), 401, NOT_FOUND, INVALID_TOKEN)
    refused(client.post("/logout", headers=bearer(token)), 401, NOT_FOUND, INVALID_TOKEN)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_logout_reaches_every_app_on_the_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, clock: Any, eventually: Any
) -> None:
    config = storage(kind, tmp_path, request)
    first, second = (
        TestClient(
            make_app(JWTAuthBackend(AuthConfig(secret=SECRET), config, LoggedUser, clock=clock))
        )
        for _ in range(2)
    )
    token = first.post("/login").json()["token"]
    assert second.get("/me", headers=bearer(token)).status_code == 200
    first.post("/logout", headers=bearer(token))
    assert eventually(lambda: second.get("/me", headers=bearer(token)).status_code == 401)
    refused(second.get("/me", headers=bearer(token)), 401, NOT_FOUND, INVALID_TOKEN)


def test_store_down_is_503(redis_server: Any, clock: Any, eventually: Any) -> None:
    backend = JWTAuthBackend(
        AuthConfig(secret=SECRET), RedisConfig(url=redis_server.url), LoggedUser, clock=clock
    )
    client = TestClient(make_app(backend))
    token = client.post("/login").json()["token"]
    redis_server.stop()
    assert eventually(lambda: client.get("/me", headers=bearer(token)).status_code == 503)
    refused(client.get("/me", headers=bearer(token)), 503, "Token store unavailable", None)


# --- what an application changes and sees ----------------------------------------------------


class Auditing(JWTAuthBackend):
    """An application's backend: its authenticate() also refuses users without a role."""

    async def authenticate(self, token: str | bytes) -> BaseModel | None:
        user = await super().authenticate(token)
        if user is not None and not getattr(user, "roles", None):
            raise jwtfort.InvalidClaim("the user has no role")
        return user


def test_the_middleware_calls_the_backends_authenticate(clock: Any) -> None:
    backend = Auditing(AuthConfig(secret=SECRET), user_schema=LoggedUser, clock=clock)
    client = TestClient(make_app(backend))
    allowed = client.get("/me", headers=bearer(client.post("/login").json()["token"]))
    assert (allowed.status_code, allowed.json()["roles"]) == (200, ["Admin"])
    no_role = asyncio.run(backend.create_token({**PAYLOAD, "roles": []}))
    refused(client.get("/me", headers=bearer(no_role)), 401, INVALID, INVALID_TOKEN)


def test_the_openapi_document_has_the_bearer_scheme(client: TestClient) -> None:
    for _ in range(2):  # once added, served as it is
        document = client.get("/openapi.json").json()
        assert document["components"]["securitySchemes"] == {
            "JWTAuthentication": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        }
        paths = document["paths"]
        assert paths["/me"]["get"]["security"] == [{"JWTAuthentication": []}]
        assert paths["/public/page"]["get"]["security"] == [{"JWTAuthentication": []}]
        assert paths["/login"]["post"]["security"] == []
        assert paths["/login/reset"]["get"]["security"] == []


def test_a_routes_own_security_is_kept(backend: JWTAuthBackend) -> None:
    app = make_app(backend)
    app.add_api_route("/keyed", lambda: {"ok": True}, openapi_extra={"security": [{"ApiKey": []}]})
    document = TestClient(app).get("/openapi.json").json()
    assert document["paths"]["/keyed"]["get"]["security"] == [{"ApiKey": []}]

"""Starlette's ``@requires`` behind JWTAuthenticationMiddleware (native and the fastapi-auth-jwt
drop-in): ``request.auth`` holds the token's scopes and roles, a missing one is a 403, and a
request without a token is refused by the middleware as before."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI, Request, WebSocket
from fastapi.testclient import TestClient
from starlette.authentication import requires
from starlette.websockets import WebSocketDisconnect

from jwtfort.compat.fastapi_auth_jwt import JWTAuthenticationMiddleware as DropInMiddleware
from jwtfort.fastapi import AuthConfig, JWTAuthBackend, JWTAuthenticationMiddleware

SECRET = "a-secret-for-hs256-of-32-bytes!!"
MIDDLEWARES = [JWTAuthenticationMiddleware, DropInMiddleware]


def make_app(backend: JWTAuthBackend, middleware: type[JWTAuthenticationMiddleware]) -> FastAPI:
    app = FastAPI()
    app.add_middleware(middleware, backend=backend, exclude_urls=["/public"])

    @app.get("/items")
    @requires("items:write")
    async def write_items(request: Request) -> dict[str, Any]:
        return {"scopes": request.auth.scopes, "user": request.user.name}

    @app.get("/admin")
    @requires(["authenticated", "admin"])
    def admin(request: Request) -> dict[str, str]:
        return {"user": request.user.name}

    @app.get("/public")
    @requires("items:write")
    async def public(request: Request) -> dict[str, bool]:
        return {"ok": True}

    @app.websocket("/ws")
    @requires("items:write")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"scopes": websocket.auth.scopes})
        await websocket.close()

    return app


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> JWTAuthBackend:
    # Every backend made becomes the latest; the previous one is put back after the test.
    monkeypatch.setattr(JWTAuthBackend, "_latest", JWTAuthBackend.get_instance())
    return JWTAuthBackend(AuthConfig(secret=SECRET))


def token(backend: JWTAuthBackend, **claims: Any) -> dict[str, str]:
    made = asyncio.run(backend.create_token({"name": "alice", **claims}))
    return {"Authorization": f"Bearer {made}"}


@pytest.mark.parametrize("middleware", MIDDLEWARES, ids=["native", "drop-in"])
def test_the_right_scope_passes_with_every_scope_and_role_of_the_token(
    backend: JWTAuthBackend, middleware: type[JWTAuthenticationMiddleware]
) -> None:
    client = TestClient(make_app(backend, middleware))
    headers = token(backend, scope="items:read items:write", scp=["extra"], roles=["admin"])
    response = client.get("/items", headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "scopes": ["authenticated", "admin", "extra", "items:read", "items:write"],
        "user": "alice",
    }
    # A role counts as a scope for @requires, and every accepted request is "authenticated".
    assert client.get("/admin", headers=headers).json() == {"user": "alice"}


@pytest.mark.parametrize("middleware", MIDDLEWARES, ids=["native", "drop-in"])
def test_a_missing_scope_or_role_is_403(
    backend: JWTAuthBackend, middleware: type[JWTAuthenticationMiddleware]
) -> None:
    client = TestClient(make_app(backend, middleware))
    read_only = token(backend, scope="items:read", roles=["user"])
    for path in ("/items", "/admin"):
        response = client.get(path, headers=read_only)
        assert response.status_code == 403
        assert response.json() == {"detail": "Forbidden"}
    # Grants of another shape grant nothing: an object, a number.
    odd = token(backend, scope={"items:write": True}, roles=1)
    assert client.get("/items", headers=odd).status_code == 403


@pytest.mark.parametrize("middleware", MIDDLEWARES, ids=["native", "drop-in"])
def test_a_request_without_a_token_is_refused_by_the_middleware_as_before(
    backend: JWTAuthBackend, middleware: type[JWTAuthenticationMiddleware]
) -> None:
    client = TestClient(make_app(backend, middleware))
    response = client.get("/items")
    assert response.status_code == 401
    assert response.json()["detail"] == "Authorization header is missing."
    assert response.headers["www-authenticate"] == "Bearer"
    forged = {"Authorization": "Bearer a.b.c"}
    response = client.get("/items", headers=forged)
    assert response.status_code == 401
    assert response.json()["detail"] == "Could not validate credentials."


@pytest.mark.parametrize("middleware", MIDDLEWARES, ids=["native", "drop-in"])
def test_an_excluded_path_has_no_credentials_so_requires_answers_403(
    backend: JWTAuthBackend, middleware: type[JWTAuthenticationMiddleware]
) -> None:
    client = TestClient(make_app(backend, middleware))
    response = client.get("/public")
    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden"}


def test_a_websocket_handshake_gets_the_scopes_too(backend: JWTAuthBackend) -> None:
    client = TestClient(make_app(backend, JWTAuthenticationMiddleware))
    with client.websocket_connect("/ws", headers=token(backend, scope="items:write")) as ws:
        assert ws.receive_json() == {"scopes": ["authenticated", "items:write"]}
    # Without the scope, @requires closes the accepted handshake at once.
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("/ws", headers=token(backend)) as ws,
    ):
        ws.receive_json()

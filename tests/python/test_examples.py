"""The FastAPI examples (examples/fastapi), each served by a real uvicorn process on a loopback
port and driven over HTTP and WebSocket as their docstrings describe. A process per example also
keeps the class-level configuration of one (``AuthJWT.load_config``) out of the others."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from loopback import Process, free_port, wait_until
from oidc_provider import RESOURCE, OidcProvider
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fastapi"
STARTUP_DEADLINE = 20.0
SECRET = secrets.token_hex(32)


class Server:
    """``uvicorn <module>:app`` on a free 127.0.0.1 port."""

    def __init__(self, module: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "uvicorn", f"{module}:app", "--app-dir", str(EXAMPLES)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        self._process = Process(command, env={**os.environ, **env}, name="uvicorn")
        try:
            self._process.wait_for_port(self.port, STARTUP_DEADLINE)
        except RuntimeError:
            self._process.stop(timeout=15)
            raise
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def stop(self) -> str:
        """Stops the server; returns what it printed."""
        self.http.close()
        self._process.stop(timeout=15)
        return "\n".join(self._process.stdout_lines + self._process.stderr_lines)


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(module: str, **env: str) -> Server:
        server = Server(module, {"AUTHJWT_SECRET_KEY": SECRET, **env})
        started.append(server)
        return server

    yield start
    for server in started:
        output = server.stop()
        # Nothing the examples log may hold a token: every token starts with a base64url "{".
        assert "eyJ" not in output, output


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_basic_login_protected_refresh(serve: Callable[..., Server]) -> None:
    http = serve("basic").http
    bad = http.post("/login", json={"username": "test", "password": "nope"})
    assert (bad.status_code, bad.json()) == (401, {"detail": "Bad username or password"})
    missing = http.get("/protected")
    assert (missing.status_code, missing.json()) == (
        401,
        {"detail": "Missing Authorization Header"},
    )

    tokens = http.post("/login", json={"username": "test", "password": "test"}).json()
    protected = http.get("/protected", headers=bearer(tokens["access_token"]))
    assert (protected.status_code, protected.json()) == (200, {"logged_in_as": "test"})

    wrong_type = http.post("/refresh", headers=bearer(tokens["access_token"]))
    assert (wrong_type.status_code, wrong_type.json()) == (
        422,
        {"detail": "Only refresh tokens are allowed"},
    )
    refreshed = http.post("/refresh", headers=bearer(tokens["refresh_token"])).json()
    again = http.get("/protected", headers=bearer(refreshed["access_token"]))
    assert again.json() == {"logged_in_as": "test"}


def test_basic_raw_jwt_is_none_without_a_token(serve: Callable[..., Server]) -> None:
    http = serve("basic").http
    assert http.get("/get-raw-jwt").json() == {"token": None}
    access = http.post("/login", json={"username": "test", "password": "test"}).json()
    claims = http.get("/get-raw-jwt", headers=bearer(access["access_token"])).json()["token"]
    assert (claims["sub"], claims["type"], claims["fresh"]) == ("test", "access", False)
    assert claims["exp"] - claims["iat"] == 15 * 60


def test_basic_refuses_a_forged_token_without_a_500(serve: Callable[..., Server]) -> None:
    http = serve("basic").http
    access = http.post("/login", json={"username": "test", "password": "test"}).json()
    header, payload, _ = access["access_token"].split(".")
    unsigned = f"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."
    forged = http.get("/protected", headers=bearer(unsigned))
    assert (forged.status_code, forged.json()) == (
        422,
        {"detail": "The specified alg value is not allowed"},
    )
    tampered = http.get("/protected", headers=bearer(f"{header}.{payload}.AAAA"))
    assert tampered.status_code == 422
    assert tampered.json() == {"detail": "Signature verification failed"}


def test_blog_tutorial_runs_as_written(serve: Callable[..., Server]) -> None:
    http = serve("blog").http
    tokens = http.post("/login", params={"username": "alice", "password": "x"}).json()
    welcome = http.get("/protected", headers=bearer(tokens["access_token"]))
    assert (welcome.status_code, welcome.json()) == (200, {"message": "Welcome, alice!"})
    refreshed = http.post("/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 200
    again = http.get("/protected", headers=bearer(refreshed.json()["access_token"]))
    assert again.json() == {"message": "Welcome, alice!"}


def test_denylist_revokes_access_and_refresh_tokens(serve: Callable[..., Server]) -> None:
    http = serve("denylist").http
    tokens = http.post("/login", json={"username": "test", "password": "test"}).json()
    access, refresh = bearer(tokens["access_token"]), bearer(tokens["refresh_token"])
    assert http.get("/protected", headers=access).json() == {"user": "test"}

    revoked = http.delete("/access-revoke", headers=access)
    assert revoked.json() == {"detail": "Access token has been revoke"}
    refused = http.get("/protected", headers=access)
    assert (refused.status_code, refused.json()) == (401, {"detail": "Token has been revoked"})

    assert http.post("/refresh", headers=refresh).status_code == 200
    assert http.delete("/refresh-revoke", headers=refresh).status_code == 200
    spent = http.post("/refresh", headers=refresh)
    assert (spent.status_code, spent.json()) == (401, {"detail": "Token has been revoked"})


def _cookie_attributes(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie lines by cookie name."""
    lines = response.headers.get_list("set-cookie")
    return {line.split("=", 1)[0]: line for line in lines}


def test_cookies_with_csrf_double_submit(serve: Callable[..., Server]) -> None:
    http = serve("cookies").http
    login = http.post("/login", json={"username": "test", "password": "test"})
    assert login.json() == {"msg": "Successfully login"}
    cookies = _cookie_attributes(login)
    assert set(cookies) == {
        "access_token_cookie",
        "csrf_access_token",
        "refresh_token_cookie",
        "csrf_refresh_token",
    }
    assert "HttpOnly" in cookies["access_token_cookie"]
    assert "HttpOnly" in cookies["refresh_token_cookie"]
    assert "HttpOnly" not in cookies["csrf_access_token"]  # the page's script must read it
    assert "SameSite=lax" in cookies["access_token_cookie"]

    # A GET is not a CSRF method: the cookie alone is enough.
    assert http.get("/protected").json() == {"user": "test"}

    no_csrf = http.post("/refresh")
    assert (no_csrf.status_code, no_csrf.json()) == (401, {"detail": "Missing CSRF Token"})
    mismatch = http.post("/refresh", headers={"X-CSRF-Token": "not-the-cookie"})
    assert (mismatch.status_code, mismatch.json()) == (
        401,
        {"detail": "CSRF double submit tokens do not match"},
    )
    csrf_refresh = http.cookies["csrf_refresh_token"]
    refreshed = http.post("/refresh", headers={"X-CSRF-Token": csrf_refresh})
    assert refreshed.json() == {"msg": "The token has been refresh"}

    csrf_access = http.cookies["csrf_access_token"]
    logout = http.delete("/logout", headers={"X-CSRF-Token": csrf_access})
    assert logout.json() == {"msg": "Successfully logout"}
    assert "access_token_cookie" not in http.cookies
    after = http.get("/protected")
    assert (after.status_code, after.json()) == (
        401,
        {"detail": "Missing cookie access_token_cookie"},
    )


def test_websocket_with_a_query_token(serve: Callable[..., Server]) -> None:
    server = serve("websocket")
    token = server.http.get("/login/alice").json()["access_token"]
    ws_url = server.url.replace("http://", "ws://")
    with connect(f"{ws_url}/ws?token={token}") as ws:
        assert ws.recv(timeout=5) == "Successfully Login as alice"
        ws.send("hello")
        assert ws.recv(timeout=5) == "alice: hello"

    with connect(f"{ws_url}/ws?token={token[:-4]}AAAA") as ws:
        assert ws.recv(timeout=5) == "Signature verification failed"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        1008,
        "Signature verification failed",
    )


def test_middleware_shares_logout_through_redis(
    serve: Callable[..., Server], redis_url: str
) -> None:
    env = {"JWT_SECRET": SECRET, "REDIS_URL": redis_url}
    first, second = serve("middleware", **env).http, serve("middleware", **env).http

    assert first.post("/sign-up", json={"username": "ana", "password": "pw"}).status_code == 200
    token = first.post("/login", json={"username": "ana", "password": "pw"}).json()["token"]
    for http in (first, second):
        assert http.get("/profile-info", headers=bearer(token)).json() == {"username": "ana"}

    # "/login" is excluded, "/login-history" is not (a substring match would exempt it).
    history = second.get("/login-history")
    assert history.status_code == 401
    assert history.json()["detail"] == "Authorization header is missing."
    assert history.headers["www-authenticate"] == "Bearer"

    assert first.post("/logout", headers=bearer(token)).json() == {"message": "Logged out"}
    refused = second.get("/profile-info", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "User not found."
    assert refused.json()["path"] == "/profile-info"


def test_roles_typed_bearer_and_admin_route(serve: Callable[..., Server]) -> None:
    http = serve("roles", JWT_SECRET_KEY=SECRET).http
    wrong = http.post("/api/v1/login", json={"email": "john.doe@example.com", "password": "x"})
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Bad email or password"})

    def login(email: str) -> dict[str, str]:
        answer = http.post("/api/v1/login", json={"email": email, "password": "changeme"})
        return bearer(answer.json()["access_token"])

    admin, reader = login("john.doe@example.com"), login("jane.roe@example.com")
    me = http.get("/api/v1/me", headers=reader)
    assert me.json() == {"id": "2", "email": "jane.roe@example.com", "roles": ["Reader"]}

    users = http.get("/api/v1/admin/users", headers=admin)
    assert users.json() == ["john.doe@example.com", "jane.roe@example.com"]
    forbidden = http.get("/api/v1/admin/users", headers=reader)
    assert forbidden.status_code == 403
    assert forbidden.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')

    anonymous = http.get("/api/v1/me")
    assert (anonymous.status_code, anonymous.headers["www-authenticate"]) == (401, "Bearer")
    openapi = http.get("/openapi.json").json()
    assert openapi["components"]["securitySchemes"]["JWTBearer"]["scheme"] == "bearer"


@pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="Node.js and npm run the OpenID Connect provider",
)
def test_oidc_provider_tokens(serve: Callable[..., Server], tmp_path: Path) -> None:
    with OidcProvider(str(tmp_path), claims={"realm_access": {"roles": ["clerk"]}}) as provider:
        server = serve(
            "oidc", OIDC_ISSUER=provider.issuer, OIDC_AUDIENCE=RESOURCE, OIDC_SWAGGER_CLIENT="spa"
        )
        http = server.http
        token = bearer(provider.client_credentials_token(scope="read"))
        # Keys arrive in the background: 503 "Key set unavailable" until then.
        assert wait_until(lambda: http.get("/me", headers=token).status_code == 200, 20)
        me = http.get("/me", headers=token).json()
        assert (me["subject"], me["roles"], me["scopes"]) == ("service-rs256", ["clerk"], ["read"])
        assert http.get("/orders", headers=token).json() == [{"id": "o-1", "status": "shipped"}]
        cancelled = http.delete("/orders/o-1", headers=token).json()
        assert cancelled == {"cancelled": "o-1", "by": "service-rs256"}
        write_only = bearer(provider.client_credentials_token(scope="write"))
        assert http.get("/orders", headers=write_only).status_code == 403
        assert http.get("/me").status_code == 401

        authorization = provider.discovery()["authorization_endpoint"]

        def scheme() -> Any:
            return http.get("/openapi.json").json()["components"]["securitySchemes"]["OIDCBearer"]

        assert wait_until(lambda: scheme()["type"] == "oauth2", 20)
        flow = scheme()["flows"]["authorizationCode"]
        assert flow["authorizationUrl"] == authorization
        assert '"usePkceWithAuthorizationCodeGrant": true' in http.get("/docs").text

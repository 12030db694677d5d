"""The example applications of fastapi-jwt-auth and fastapi-auth-jwt, each rewritten here as a
small app on the jwtfort.compat module that stands in for its library, and driven with
TestClient through the flow its documentation describes: login, the protected route, refresh,
freshness, the denylist, cookies with CSRF, WebSocket, and logout. Each app keeps its example's
configuration as written (short HMAC secrets, a 1023-bit RSA key), which the compat layer
accepts with a SecurityWarning."""

# Routes are written as fastapi-jwt-auth's users write them: `Authorize: AuthJWT = Depends()`.
# ruff: noqa: N803, B008

from __future__ import annotations

import ast
import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from authjwt_support import class_configuration_restored
from conftest import RedisServer
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, WebSocket
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

import jwtfort
from jwtfort.compat.fastapi_auth_jwt import JWTAuthBackend, JWTAuthenticationMiddleware
from jwtfort.compat.fastapi_jwt_auth import AuthJWT
from jwtfort.compat.fastapi_jwt_auth.exceptions import AuthJWTException
from jwtfort.fastapi import SecurityWarning

SHORT_SECRET = "secret"  # what fastapi-jwt-auth's examples configure
GOOD_LOGIN = {"username": "test", "password": "test"}
BAD_LOGIN = {"username": "test", "password": "wrong"}
BAD_LOGIN_ANSWER = (401, {"detail": "Bad username or password"})

# The examples' six-byte secret is accepted with a SecurityWarning, given once per configuration
# in a process (so not necessarily in the test that loads it).
pytestmark = pytest.mark.filterwarnings(
    "ignore:authjwt_secret_key is shorter:jwtfort.fastapi.SecurityWarning"
)


@pytest.fixture(autouse=True)
def restore_class_configuration() -> Iterator[None]:
    """The examples configure the AuthJWT class itself; put it back after each test."""
    yield from class_configuration_restored(AuthJWT)


class Credentials(BaseModel):
    username: str
    password: str


def check_credentials(credentials: Credentials) -> None:
    """The examples' only account is test/test."""
    if (credentials.username, credentials.password) != ("test", "test"):
        raise HTTPException(status_code=401, detail="Bad username or password")


def load_config(settings: BaseModel) -> None:
    """``AuthJWT.load_config`` with an example's own settings model."""
    AuthJWT.load_config(lambda: settings)


def app_with_handler() -> FastAPI:
    """A FastAPI app that answers AuthJWTException as the examples do: its status and message."""
    app = FastAPI()

    @app.exception_handler(AuthJWTException)
    def refused(request: Request, exc: AuthJWTException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})

    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def answer(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


def add_login_and_protected(app: FastAPI | APIRouter, *, with_refresh: bool) -> None:
    """/login (access token, and a refresh token when asked) and /protected, the routes most
    examples share."""

    @app.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        tokens = {"access_token": Authorize.create_access_token(subject=credentials.username)}
        if with_refresh:
            tokens["refresh_token"] = Authorize.create_refresh_token(subject=credentials.username)
        return tokens

    @app.get("/protected")
    def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"user": Authorize.get_jwt_subject()}


def add_refresh(app: FastAPI) -> None:
    @app.post("/refresh")
    def refresh(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.jwt_refresh_token_required()
        subject = Authorize.get_jwt_subject()
        assert subject is not None
        return {"access_token": Authorize.create_access_token(subject=subject)}


class HMACSettings(BaseModel):
    authjwt_secret_key: str = SHORT_SECRET


# --- fastapi-jwt-auth: examples/*.py --------------------------------------------------------


def test_fastapi_jwt_auth_example_basic() -> None:
    load_config(HMACSettings())
    app = app_with_handler()

    @app.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        return {"access_token": Authorize.create_access_token(subject=credentials.username)}

    @app.get("/user")
    def user(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"user": Authorize.get_jwt_subject()}

    client = TestClient(app)
    assert answer(client.get("/user")) == (401, {"detail": "Missing Authorization Header"})
    assert answer(client.post("/login", json=BAD_LOGIN)) == BAD_LOGIN_ANSWER
    token = client.post("/login", json=GOOD_LOGIN).json()["access_token"]
    assert answer(client.get("/user", headers=bearer(token))) == (200, {"user": "test"})
    assert answer(client.get("/user", headers={"Authorization": f"Token {token}"})) == (
        422,
        {"detail": "Bad Authorization header. Expected value 'Bearer <JWT>'"},
    )


def test_fastapi_jwt_auth_example_refresh() -> None:
    load_config(HMACSettings())
    app = app_with_handler()
    add_login_and_protected(app, with_refresh=True)
    add_refresh(app)

    client = TestClient(app)
    tokens = client.post("/login", json=GOOD_LOGIN).json()
    assert answer(client.get("/protected", headers=bearer(tokens["access_token"]))) == (
        200,
        {"user": "test"},
    )
    # Each route takes only its own kind of token.
    assert answer(client.post("/refresh", headers=bearer(tokens["access_token"]))) == (
        422,
        {"detail": "Only refresh tokens are allowed"},
    )
    assert answer(client.get("/protected", headers=bearer(tokens["refresh_token"]))) == (
        422,
        {"detail": "Only access tokens are allowed"},
    )
    renewed = client.post("/refresh", headers=bearer(tokens["refresh_token"]))
    assert (renewed.status_code, list(renewed.json())) == (200, ["access_token"])
    assert answer(client.get("/protected", headers=bearer(renewed.json()["access_token"]))) == (
        200,
        {"user": "test"},
    )


def test_fastapi_jwt_auth_example_freshness() -> None:
    load_config(HMACSettings())
    app = app_with_handler()

    @app.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        return {
            "access_token": Authorize.create_access_token(subject=credentials.username, fresh=True),
            "refresh_token": Authorize.create_refresh_token(subject=credentials.username),
        }

    @app.post("/refresh")
    def refresh(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.jwt_refresh_token_required()
        subject = Authorize.get_jwt_subject()
        assert subject is not None
        return {"access_token": Authorize.create_access_token(subject=subject, fresh=False)}

    @app.post("/fresh-login")
    def fresh_login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        return {
            "access_token": Authorize.create_access_token(subject=credentials.username, fresh=True)
        }

    @app.get("/protected")
    def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"user": Authorize.get_jwt_subject()}

    @app.get("/protected-fresh")
    def protected_fresh(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.fresh_jwt_required()
        return {"user": Authorize.get_jwt_subject()}

    client = TestClient(app)
    tokens = client.post("/login", json=GOOD_LOGIN).json()
    fresh = bearer(tokens["access_token"])
    assert answer(client.get("/protected-fresh", headers=fresh)) == (200, {"user": "test"})
    stale = bearer(
        client.post("/refresh", headers=bearer(tokens["refresh_token"])).json()["access_token"]
    )
    assert answer(client.get("/protected", headers=stale)) == (200, {"user": "test"})
    assert answer(client.get("/protected-fresh", headers=stale)) == (
        401,
        {"detail": "Fresh token required"},
    )
    assert answer(client.post("/fresh-login", json=BAD_LOGIN)) == BAD_LOGIN_ANSWER
    again = bearer(client.post("/fresh-login", json=GOOD_LOGIN).json()["access_token"])
    assert answer(client.get("/protected-fresh", headers=again)) == (200, {"user": "test"})


def add_revoking_routes(app: FastAPI, revoke: Any) -> None:
    """/access-revoke and /refresh-revoke: each revokes the token it was called with."""

    @app.delete("/access-revoke")
    def access_revoke(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.jwt_required()
        revoke(Authorize, "access")
        return {"detail": "Access token has been revoke"}

    @app.delete("/refresh-revoke")
    def refresh_revoke(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.jwt_refresh_token_required()
        revoke(Authorize, "refresh")
        return {"detail": "Refresh token has been revoke"}


def assert_revocation_flow(client: TestClient) -> dict[str, str]:
    """Revoking the access token locks /protected but not /refresh; revoking the refresh token
    then locks /refresh too. Returns the revoked tokens."""
    revoked = (401, {"detail": "Token has been revoked"})
    tokens: dict[str, str] = client.post("/login", json=GOOD_LOGIN).json()
    access, refresh = bearer(tokens["access_token"]), bearer(tokens["refresh_token"])
    assert answer(client.get("/protected", headers=access)) == (200, {"user": "test"})
    assert answer(client.delete("/access-revoke", headers=access)) == (
        200,
        {"detail": "Access token has been revoke"},
    )
    assert answer(client.get("/protected", headers=access)) == revoked
    assert client.post("/refresh", headers=refresh).status_code == 200
    assert answer(client.delete("/refresh-revoke", headers=refresh)) == (
        200,
        {"detail": "Refresh token has been revoke"},
    )
    assert answer(client.post("/refresh", headers=refresh)) == revoked
    fresh_login = client.post("/login", json=GOOD_LOGIN).json()["access_token"]
    assert answer(client.get("/protected", headers=bearer(fresh_login))) == (200, {"user": "test"})
    return tokens


def test_fastapi_jwt_auth_example_denylist() -> None:
    class Settings(BaseModel):
        authjwt_secret_key: str = SHORT_SECRET
        authjwt_denylist_enabled: bool = True
        authjwt_denylist_token_checks: set[str] = {"access", "refresh"}

    load_config(Settings())
    denylist: set[str] = set()

    @AuthJWT.token_in_denylist_loader
    def is_revoked(decrypted_token: dict[str, Any]) -> bool:
        return decrypted_token["jti"] in denylist

    def revoke(Authorize: AuthJWT, kind: str) -> None:
        denylist.add(Authorize.get_raw_jwt()["jti"])  # type: ignore[index]

    app = app_with_handler()
    add_login_and_protected(app, with_refresh=True)
    add_refresh(app)
    add_revoking_routes(app, revoke)
    assert_revocation_flow(TestClient(app))
    assert len(denylist) == 2


def redis_command(server: RedisServer, *args: str) -> Any:
    """One command to ``server`` over RESP, for what is stored there; only the replies the tests
    read: integers and arrays of bulk strings."""
    request = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(request.encode())
        reply = connection.makefile("rb")
        head = reply.readline().decode().rstrip("\r\n")
        if head.startswith(":"):
            return int(head[1:])
        assert head.startswith("*"), head
        items = []
        for _ in range(int(head[1:])):
            reply.readline()  # $<length>
            items.append(reply.readline().decode().rstrip("\r\n"))
        return items


def test_fastapi_jwt_auth_example_denylist_redis(redis_server: RedisServer) -> None:
    # The example keeps revoked jti values in Redis through the `redis` package, which is not a
    # test dependency here: this app lets jwtfort's token store, on a real redis-server, be the
    # denylist (authjwt_store_url), where each revocation lapses with its token as the example's
    # own expiring entries do.
    class Settings(BaseModel):
        authjwt_secret_key: str = SHORT_SECRET
        authjwt_denylist_enabled: bool = True
        authjwt_denylist_token_checks: set[str] = {"access", "refresh"}
        authjwt_access_token_expires: timedelta = timedelta(minutes=15)
        authjwt_refresh_token_expires: timedelta = timedelta(days=30)
        authjwt_store_url: str = redis_server.url

    load_config(Settings())

    def revoke(Authorize: AuthJWT, kind: str) -> None:
        Authorize.revoke_token()

    app = app_with_handler()
    add_login_and_protected(app, with_refresh=True)
    add_refresh(app)
    add_revoking_routes(app, revoke)
    assert redis_command(redis_server, "DBSIZE") == 0
    tokens = assert_revocation_flow(TestClient(app))
    lifetimes = {"access_token": 15 * 60, "refresh_token": 30 * 24 * 3600}
    for name, lifetime in lifetimes.items():
        jti = jwtfort.unverified_claims(tokens[name])["jti"]
        keys = redis_command(redis_server, "KEYS", f"*{jti}*")
        assert keys, name
        for key in keys:
            assert 0 < redis_command(redis_server, "TTL", key) <= lifetime + 1, (name, key)


def test_fastapi_jwt_auth_example_optional() -> None:
    load_config(HMACSettings())
    app = app_with_handler()
    add_login_and_protected(app, with_refresh=False)

    @app.get("/partially-protected")
    def partially_protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_optional()
        return {"user": Authorize.get_jwt_subject() or "anonymous"}

    client = TestClient(app)
    assert answer(client.get("/partially-protected")) == (200, {"user": "anonymous"})
    token = client.post("/login", json=GOOD_LOGIN).json()["access_token"]
    assert answer(client.get("/partially-protected", headers=bearer(token))) == (
        200,
        {"user": "test"},
    )
    # A token that is there must be valid.
    assert answer(client.get("/partially-protected", headers=bearer("abc"))) == (
        422,
        {"detail": "Not enough segments"},
    )


def test_fastapi_jwt_auth_example_additional_claims() -> None:
    load_config(HMACSettings())
    app = app_with_handler()

    @app.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        claims = {"foo": ["fiz", "baz"]}
        token = Authorize.create_access_token(subject=credentials.username, user_claims=claims)
        return {"access_token": token}

    @app.get("/claims")
    def claims(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"foo": Authorize.get_raw_jwt()["foo"]}  # type: ignore[index]

    client = TestClient(app)
    token = client.post("/login", json=GOOD_LOGIN).json()["access_token"]
    assert answer(client.get("/claims", headers=bearer(token))) == (200, {"foo": ["fiz", "baz"]})
    assert answer(client.get("/claims")) == (401, {"detail": "Missing Authorization Header"})


def legacy_rsa_key_pair() -> tuple[str, str]:
    """A 1023-bit RSA key pair in the PEM forms of the asymmetric example (PKCS#1 private key,
    SubjectPublicKeyInfo public key), made now rather than stored in the repository."""
    openssl = shutil.which("openssl")
    if openssl is not None:
        private = subprocess.run(
            [openssl, "genrsa", "-traditional", "1023"], capture_output=True, text=True, check=True
        ).stdout
        public = subprocess.run(
            [openssl, "rsa", "-pubout"], input=private, capture_output=True, text=True, check=True
        ).stdout
        return private, public
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        pytest.skip("making a 1023-bit RSA key needs the openssl command or cryptography")
    key = rsa.generate_private_key(public_exponent=65537, key_size=1023)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem.decode(), public_pem.decode()


def test_fastapi_jwt_auth_example_asymmetric() -> None:
    private_key, public_key = legacy_rsa_key_pair()
    assert private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")

    class Settings(BaseModel):
        authjwt_algorithm: str = "RS512"
        authjwt_public_key: str = public_key
        authjwt_private_key: str = private_key

    # A fresh key is a new configuration, so the warning comes on every run.
    with pytest.warns(SecurityWarning, match="is an RSA key of 1023 bits"):
        load_config(Settings())
    app = app_with_handler()
    add_login_and_protected(app, with_refresh=True)
    add_refresh(app)

    client = TestClient(app)
    tokens = client.post("/login", json=GOOD_LOGIN).json()
    assert jwtfort.unverified_header(tokens["access_token"])["alg"] == "RS512"
    assert answer(client.get("/protected", headers=bearer(tokens["access_token"]))) == (
        200,
        {"user": "test"},
    )
    renewed = client.post("/refresh", headers=bearer(tokens["refresh_token"])).json()
    assert answer(client.get("/protected", headers=bearer(renewed["access_token"]))) == (
        200,
        {"user": "test"},
    )


def test_fastapi_jwt_auth_example_dynamic_algorithm() -> None:
    class Settings(BaseModel):
        authjwt_secret_key: str = SHORT_SECRET
        authjwt_decode_algorithms: set[str] = {"HS384", "HS512"}

    load_config(Settings())
    app = app_with_handler()

    @app.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        subject = credentials.username
        return {
            "access_token": Authorize.create_access_token(subject=subject, algorithm="HS384"),
            "refresh_token": Authorize.create_refresh_token(subject=subject, algorithm="HS512"),
        }

    add_refresh(app)  # signs with the default HS256, which this app does not decode

    @app.get("/protected")
    def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"user": Authorize.get_jwt_subject()}

    client = TestClient(app)
    tokens = client.post("/login", json=GOOD_LOGIN).json()
    assert answer(client.get("/protected", headers=bearer(tokens["access_token"]))) == (
        200,
        {"user": "test"},
    )
    renewed = client.post("/refresh", headers=bearer(tokens["refresh_token"]))
    assert renewed.status_code == 200
    assert answer(client.get("/protected", headers=bearer(renewed.json()["access_token"]))) == (
        422,
        {"detail": "The specified alg value is not allowed"},
    )


def add_cookie_routes(app: FastAPI) -> None:
    """/login sets the token cookies, /refresh renews the access cookie, /logout clears them."""

    @app.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        Authorize.set_access_cookies(Authorize.create_access_token(subject=credentials.username))
        Authorize.set_refresh_cookies(Authorize.create_refresh_token(subject=credentials.username))
        return {"msg": "Successfully login"}

    @app.post("/refresh")
    def refresh(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.jwt_refresh_token_required()
        subject = Authorize.get_jwt_subject()
        assert subject is not None
        Authorize.set_access_cookies(Authorize.create_access_token(subject=subject))
        return {"msg": "The token has been refresh"}

    @app.delete("/logout")
    def logout(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.jwt_required()
        Authorize.unset_jwt_cookies()
        return {"msg": "Successfully logout"}

    @app.get("/protected")
    def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"user": Authorize.get_jwt_subject()}


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie of ``response`` by cookie name."""
    return {v.split("=", 1)[0]: v for v in response.headers.get_list("set-cookie")}


def test_fastapi_jwt_auth_example_jwt_in_cookies() -> None:
    class Settings(BaseModel):
        authjwt_secret_key: str = SHORT_SECRET
        authjwt_token_location: set[str] = {"cookies"}
        authjwt_cookie_csrf_protect: bool = False

    load_config(Settings())
    app = app_with_handler()
    add_cookie_routes(app)

    client = TestClient(app)
    assert answer(client.get("/protected")) == (
        401,
        {"detail": "Missing cookie access_token_cookie"},
    )
    login = client.post("/login", json=GOOD_LOGIN)
    assert answer(login) == (200, {"msg": "Successfully login"})
    cookies = set_cookies(login)
    assert sorted(cookies) == ["access_token_cookie", "refresh_token_cookie"]
    assert all("HttpOnly" in cookie and "Path=/" in cookie for cookie in cookies.values())
    assert answer(client.get("/protected")) == (200, {"user": "test"})
    assert answer(client.post("/refresh")) == (200, {"msg": "The token has been refresh"})
    assert answer(client.get("/protected")) == (200, {"user": "test"})
    assert answer(client.delete("/logout")) == (200, {"msg": "Successfully logout"})
    assert not client.cookies
    assert answer(client.get("/protected")) == (
        401,
        {"detail": "Missing cookie access_token_cookie"},
    )


def test_fastapi_jwt_auth_example_csrf_protection_cookies() -> None:
    class Settings(BaseModel):
        authjwt_secret_key: str = SHORT_SECRET
        authjwt_token_location: set[str] = {"cookies"}
        authjwt_cookie_secure: bool = False
        authjwt_cookie_csrf_protect: bool = True

    load_config(Settings())
    app = app_with_handler()
    add_cookie_routes(app)

    client = TestClient(app)
    cookies = set_cookies(client.post("/login", json=GOOD_LOGIN))
    assert sorted(cookies) == [
        "access_token_cookie",
        "csrf_access_token",
        "csrf_refresh_token",
        "refresh_token_cookie",
    ]
    # The CSRF cookies are for the page's script to read and send back in X-CSRF-Token.
    assert "HttpOnly" not in cookies["csrf_access_token"] + cookies["csrf_refresh_token"]
    assert (
        "HttpOnly" in cookies["access_token_cookie"]
        and "HttpOnly" in cookies["refresh_token_cookie"]
    )
    access_csrf = {"X-CSRF-Token": client.cookies["csrf_access_token"]}
    refresh_csrf = {"X-CSRF-Token": client.cookies["csrf_refresh_token"]}
    # GET is not a CSRF-checked method; POST and DELETE are.
    assert answer(client.get("/protected")) == (200, {"user": "test"})
    assert answer(client.post("/refresh")) == (401, {"detail": "Missing CSRF Token"})
    assert answer(client.post("/refresh", headers=access_csrf)) == (
        401,
        {"detail": "CSRF double submit tokens do not match"},
    )
    assert answer(client.post("/refresh", headers=refresh_csrf)) == (
        200,
        {"msg": "The token has been refresh"},
    )
    renewed_csrf = {"X-CSRF-Token": client.cookies["csrf_access_token"]}
    assert renewed_csrf != access_csrf
    assert answer(client.delete("/logout", headers=access_csrf)) == (
        401,
        {"detail": "CSRF double submit tokens do not match"},
    )
    assert answer(client.delete("/logout", headers=renewed_csrf)) == (
        200,
        {"msg": "Successfully logout"},
    )
    assert not client.cookies


def test_fastapi_jwt_auth_example_generate_doc() -> None:
    load_config(HMACSettings())
    app = app_with_handler()

    @app.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        return {"access_token": Authorize.create_access_token(subject=credentials.username)}

    @app.get("/protected", operation_id="authorize")
    def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"user": Authorize.get_jwt_subject()}

    authorization = {
        "name": "Authorization",
        "in": "header",
        "required": True,
        "schema": {"title": "Authorization", "type": "string"},
    }

    def openapi_with_authorization_header() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title="Custom title", version="2.5.0", routes=app.routes)
            for route in app.routes:
                if isinstance(route, APIRoute) and route.operation_id == "authorize":
                    for method in route.methods or ():
                        operation = schema["paths"][route.path][method.lower()]
                        operation.setdefault("parameters", []).append(authorization)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi_with_authorization_header  # type: ignore[method-assign]

    client = TestClient(app)
    schema = client.get("/openapi.json").json()
    assert schema["info"] == {"title": "Custom title", "version": "2.5.0"}
    assert schema["paths"]["/protected"]["get"]["parameters"] == [authorization]
    assert "parameters" not in schema["paths"]["/login"]["post"]
    assert client.get("/docs").status_code == 200
    token = client.post("/login", json=GOOD_LOGIN).json()["access_token"]
    assert answer(client.get("/protected", headers=bearer(token))) == (200, {"user": "test"})


def test_fastapi_jwt_auth_example_multiple_files() -> None:
    # One router per module in the example; the configuration lives with the app only.
    users = APIRouter()

    @users.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        return {"access_token": Authorize.create_access_token(subject=credentials.username)}

    items = APIRouter()

    @items.get("/items")
    def list_items(Authorize: AuthJWT = Depends()) -> dict[str, list[str]]:
        Authorize.jwt_required()
        return {"items": ["item1", "item2", "item3"]}

    load_config(HMACSettings())
    app = app_with_handler()
    app.include_router(users, tags=["users"])
    app.include_router(items, tags=["items"])

    client = TestClient(app)
    assert answer(client.get("/items")) == (401, {"detail": "Missing Authorization Header"})
    assert answer(client.post("/login", json=BAD_LOGIN)) == BAD_LOGIN_ANSWER
    token = client.post("/login", json=GOOD_LOGIN).json()["access_token"]
    assert answer(client.get("/items", headers=bearer(token))) == (
        200,
        {"items": ["item1", "item2", "item3"]},
    )


def decoded_token_message(message: str) -> dict[str, Any]:
    """The claims in the examples' "Here your decoded token: {...}" WebSocket message."""
    prefix = "Here your decoded token: "
    assert message.startswith(prefix)
    claims: dict[str, Any] = ast.literal_eval(message[len(prefix) :])
    return claims


def test_fastapi_jwt_auth_example_websocket() -> None:
    load_config(HMACSettings())
    app = app_with_handler()

    @app.websocket("/ws")
    async def websocket(
        websocket: WebSocket, token: str = Query(...), Authorize: AuthJWT = Depends()
    ) -> None:
        await websocket.accept()
        try:
            Authorize.jwt_required("websocket", token=token)
            await websocket.send_text("Successfully Login!")
            await websocket.send_text(f"Here your decoded token: {Authorize.get_raw_jwt(token)}")
        except AuthJWTException as err:
            await websocket.send_text(err.message)
            await websocket.close()

    @app.post("/login")
    def login(credentials: Credentials, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        check_credentials(credentials)
        return {
            "access_token": Authorize.create_access_token(subject=credentials.username, fresh=True),
            "refresh_token": Authorize.create_refresh_token(subject=credentials.username),
        }

    client = TestClient(app)
    tokens = client.post("/login", json=GOOD_LOGIN).json()
    with client.websocket_connect(f"/ws?token={tokens['access_token']}") as ws:
        assert ws.receive_text() == "Successfully Login!"
        claims = decoded_token_message(ws.receive_text())
    assert (claims["sub"], claims["type"], claims["fresh"]) == ("test", "access", True)
    with client.websocket_connect(f"/ws?token={tokens['refresh_token']}") as ws:
        assert ws.receive_text() == "Only access tokens are allowed"
        assert ws.receive() == {"type": "websocket.close", "code": 1000, "reason": ""}
    with client.websocket_connect("/ws?token=abc") as ws:
        assert ws.receive_text() == "Not enough segments"


def test_fastapi_jwt_auth_example_websocket_cookie() -> None:
    class Settings(BaseModel):
        authjwt_secret_key: str = SHORT_SECRET
        authjwt_token_location: set[str] = {"cookies"}

    load_config(Settings())
    app = FastAPI()  # this example has no exception handler: the socket reports refusals

    @app.websocket("/ws")
    async def websocket(
        websocket: WebSocket, csrf_token: str = Query(...), Authorize: AuthJWT = Depends()
    ) -> None:
        await websocket.accept()
        try:
            Authorize.jwt_required("websocket", websocket=websocket, csrf_token=csrf_token)
            await websocket.send_text("Successfully Login!")
            await websocket.send_text(f"Here your decoded token: {Authorize.get_raw_jwt()}")
        except AuthJWTException as err:
            await websocket.send_text(err.message)
            await websocket.close()

    @app.get("/get-cookie")
    def get_cookie(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.set_access_cookies(Authorize.create_access_token(subject="test", fresh=True))
        Authorize.set_refresh_cookies(Authorize.create_refresh_token(subject="test"))
        return {"msg": "Successfully login"}

    client = TestClient(app)
    with client.websocket_connect("/ws?csrf_token=x") as ws:
        assert ws.receive_text() == "Missing cookie access_token_cookie"
    assert answer(client.get("/get-cookie")) == (200, {"msg": "Successfully login"})
    csrf = client.cookies["csrf_access_token"]
    with client.websocket_connect(f"/ws?csrf_token={csrf}") as ws:
        assert ws.receive_text() == "Successfully Login!"
        claims = decoded_token_message(ws.receive_text())
    assert (claims["sub"], claims["csrf"]) == ("test", csrf)
    with client.websocket_connect(f"/ws?csrf_token={client.cookies['csrf_refresh_token']}") as ws:
        assert ws.receive_text() == "CSRF double submit tokens do not match"


# --- fastapi-auth-jwt: examples/standard and examples/redis ---------------------------------


class Account(BaseModel):
    """The examples' user schema, which the middleware builds from the token's claims and fills
    ``token`` in. The examples also put the login's password into the claims (and the schema);
    this copy leaves it out, since anyone holding a JWT can read its payload."""

    username: str
    token: str | None = None


class TokenSettings(BaseModel):
    """The examples' own authentication settings model, with AuthConfig's field names."""

    secret: str = "secret-key"
    jwt_algorithm: str = "HS256"
    expiration_seconds: int = 3600


def account_app(backend: JWTAuthBackend) -> FastAPI:
    """The routes both examples share, behind the middleware except for sign-up and login."""
    app = FastAPI()
    app.add_middleware(
        JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/sign-up", "/login"]
    )

    @app.post("/sign-up")
    async def sign_up(account: Credentials) -> dict[str, str]:
        return {"message": "User created"}

    @app.post("/login")
    async def login(account: Credentials) -> dict[str, str]:
        return {"token": await backend.create_token({"username": account.username})}

    @app.get("/profile-info")
    async def profile_info(request: Request) -> dict[str, str]:
        user: Account = request.state.user
        return {"username": user.username}

    @app.post("/logout")
    async def logout(request: Request) -> dict[str, str]:
        user: Account = request.state.user
        assert user.token is not None
        await backend.invalidate_token(user.token)
        return {"message": "Logged out"}

    return app


def assert_account_flow(client: TestClient) -> str:
    """Sign up, log in, read the profile, log out: the token is refused after logout. Returns
    the token."""
    account = {"username": "john", "password": "s3cret"}
    assert answer(client.post("/sign-up", json=account)) == (200, {"message": "User created"})
    token: str = client.post("/login", json=account).json()["token"]
    refused = client.get("/profile-info")
    assert (refused.status_code, refused.json()["detail"]) == (
        401,
        "Authorization header is missing.",
    )
    assert answer(client.get("/profile-info", headers=bearer(token))) == (
        200,
        {"username": "john"},
    )
    assert answer(client.post("/logout", headers=bearer(token))) == (
        200,
        {"message": "Logged out"},
    )
    after = client.get("/profile-info", headers=bearer(token))
    assert (after.status_code, after.json()["detail"], after.json()["path"]) == (
        401,
        "User not found.",
        "/profile-info",
    )
    return token


def test_fastapi_auth_jwt_example_standard() -> None:
    # The settings are the application's own model, as the example passes them; its annotation
    # (fastapi-auth-jwt's too) names only AuthConfig.
    with pytest.warns(SecurityWarning, match="shorter"):
        backend = JWTAuthBackend(
            authentication_config=TokenSettings(),  # type: ignore[arg-type]
            user_schema=Account,
        )
    assert_account_flow(TestClient(account_app(backend)))


def test_fastapi_auth_jwt_example_redis(redis_server: RedisServer) -> None:
    class RedisStorage(BaseModel):
        """The example's own storage model; it names localhost:6379, here the test's server."""

        storage_type: str = "redis"
        host: str
        port: int
        db: int = 0

    with pytest.warns(SecurityWarning, match="shorter"):
        backend = JWTAuthBackend(
            authentication_config=TokenSettings(),  # type: ignore[arg-type]
            user_schema=Account,
            storage_config=RedisStorage(host="127.0.0.1", port=redis_server.port),
        )
    assert redis_command(redis_server, "DBSIZE") == 0
    token = assert_account_flow(TestClient(account_app(backend)))
    # The logout is in Redis, for the token's remaining hour (and a second's rounding) at most.
    (key,) = redis_command(redis_server, "KEYS", f"*{jwtfort.unverified_claims(token)['jti']}*")
    assert 0 < redis_command(redis_server, "TTL", key) <= 3600 + 1

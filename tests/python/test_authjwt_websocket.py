"""AuthJWT in WebSocket routes: a token from the query, or the cookies of the WebSocket with a
CSRF value from the query; the native and the compatibility class."""

import asyncio
from typing import Annotated, Any

import pytest
from authjwt_support import configured
from fastapi import Depends, FastAPI, Query, WebSocket
from fastapi.testclient import TestClient

import jwtfort
from jwtfort.compat.fastapi_jwt_auth import AuthJWT as CompatAuthJWT
from jwtfort.fastapi import AuthJWT, AuthJWTException

METHODS = ["jwt_required", "jwt_optional", "jwt_refresh_token_required", "fresh_jwt_required"]


def websocket_app(auth: type[AuthJWT]) -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def by_token(
        websocket: WebSocket,
        authorize: Annotated[AuthJWT, Depends(auth)],
        method: Annotated[str, Query()],
        token: Annotated[str, Query()] = "",
    ) -> None:
        await websocket.accept()
        try:
            getattr(authorize, method)("websocket", token=token)
            await websocket.send_json({"user": authorize.get_jwt_subject()})
        except AuthJWTException as error:
            await websocket.send_json({"status": error.status_code, "message": error.message})
        await websocket.close()

    @app.websocket("/ws-cookie")
    async def by_cookie(
        websocket: WebSocket,
        authorize: Annotated[AuthJWT, Depends(auth)],
        method: Annotated[str, Query()],
        csrf_token: Annotated[str, Query()] = "",
    ) -> None:
        await websocket.accept()
        try:
            getattr(authorize, method)("websocket", websocket=websocket, csrf_token=csrf_token)
            await websocket.send_json({"user": authorize.get_jwt_subject()})
        except AuthJWTException as error:
            await websocket.send_json({"status": error.status_code, "message": error.message})
        await websocket.close()

    return app


@pytest.fixture
def auth(base: type[AuthJWT]) -> type[AuthJWT]:
    return configured(base, authjwt_token_location=["headers", "cookies"])


def ask(auth: type[AuthJWT], path: str, **headers: str) -> Any:
    with (
        TestClient(websocket_app(auth)) as client,
        client.websocket_connect(path, headers=headers) as ws,
    ):
        return ws.receive_json()


def tokens(auth: type[AuthJWT]) -> dict[str, str]:
    return {
        "access": auth().create_access_token(subject="alice"),
        "fresh": auth().create_access_token(subject="alice", fresh=True),
        "refresh": auth().create_refresh_token(subject="alice"),
    }


# --- a token from the query -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("jwt_required", "access"),
        ("jwt_optional", "access"),
        ("jwt_refresh_token_required", "refresh"),
        ("fresh_jwt_required", "fresh"),
    ],
)
def test_token_from_the_query(auth: type[AuthJWT], method: str, kind: str) -> None:
    token = tokens(auth)[kind]
    assert ask(auth, f"/ws?method={method}&token={token}") == {"user": "alice"}


@pytest.mark.parametrize(
    ("method", "answer"),
    [
        ("jwt_required", {"status": 1008, "message": "Missing access token from Query or Path"}),
        (
            "fresh_jwt_required",
            {"status": 1008, "message": "Missing access token from Query or Path"},
        ),
        (
            "jwt_refresh_token_required",
            {"status": 1008, "message": "Missing refresh token from Query or Path"},
        ),
        ("jwt_optional", {"user": None}),
    ],
)
def test_missing_token(auth: type[AuthJWT], method: str, answer: dict[str, Any]) -> None:
    assert ask(auth, f"/ws?method={method}") == answer


def test_refused_tokens(base: type[AuthJWT], auth: type[AuthJWT]) -> None:
    issued = tokens(auth)
    compat = base is CompatAuthJWT
    cases = [
        (
            "jwt_required",
            "abc",
            422 if compat else 401,
            "Not enough segments" if compat else "Invalid token",
        ),
        (
            "jwt_required",
            issued["refresh"],
            422 if compat else 401,
            "Only access tokens are allowed",
        ),
        (
            "jwt_refresh_token_required",
            issued["access"],
            422 if compat else 401,
            "Only refresh tokens are allowed",
        ),
        ("fresh_jwt_required", issued["access"], 401, "Fresh token required"),
        (
            "jwt_optional",
            issued["refresh"],
            422 if compat else 401,
            "Only access tokens are allowed",
        ),
    ]
    for method, token, status, message in cases:
        answer = ask(auth, f"/ws?method={method}&token={token}")
        assert answer == {"status": status, "message": message}, method


# --- the cookies of the WebSocket -------------------------------------------------------------


def test_cookies_with_the_csrf_value(auth: type[AuthJWT]) -> None:
    issued = tokens(auth)
    access_csrf = jwtfort.unverified_claims(issued["access"])["csrf"]
    refresh_csrf = jwtfort.unverified_claims(issued["refresh"])["csrf"]
    cookie = f"access_token_cookie={issued['access']}; refresh_token_cookie={issued['refresh']}"
    for method, csrf in [
        ("jwt_required", access_csrf),
        ("jwt_optional", access_csrf),
        ("jwt_refresh_token_required", refresh_csrf),
    ]:
        answer = ask(auth, f"/ws-cookie?method={method}&csrf_token={csrf}", cookie=cookie)
        assert answer == {"user": "alice"}, method


def test_cookie_csrf_is_always_required(auth: type[AuthJWT]) -> None:
    access = tokens(auth)["access"]
    cookie = f"access_token_cookie={access}"
    for method in ("jwt_required", "jwt_optional", "fresh_jwt_required"):
        answer = ask(auth, f"/ws-cookie?method={method}", cookie=cookie)
        assert answer == {"status": 401, "message": "Missing CSRF Token"}, method
    answer = ask(auth, "/ws-cookie?method=jwt_required&csrf_token=nope", cookie=cookie)
    assert answer == {"status": 401, "message": "CSRF double submit tokens do not match"}


def test_missing_cookie(auth: type[AuthJWT]) -> None:
    answer = ask(auth, "/ws-cookie?method=jwt_required&csrf_token=x")
    assert answer == {"status": 401, "message": "Missing cookie access_token_cookie"}
    answer = ask(auth, "/ws-cookie?method=jwt_refresh_token_required&csrf_token=x")
    assert answer == {"status": 401, "message": "Missing cookie refresh_token_cookie"}
    assert ask(auth, "/ws-cookie?method=jwt_optional") == {"user": None}


def test_a_duplicated_cookie_is_refused(base: type[AuthJWT], auth: type[AuthJWT]) -> None:
    victim = tokens(auth)["access"]
    attacker = auth().create_access_token(subject="mallory")
    csrf = jwtfort.unverified_claims(victim)["csrf"]
    if base is CompatAuthJWT:
        expected = {"status": 422, "message": "the token cookie is sent more than once"}
    else:
        expected = {"status": 401, "message": "Invalid token"}
    for first, second in ((attacker, victim), (victim, attacker)):
        cookie = f"access_token_cookie={first}; access_token_cookie={second}"
        path = f"/ws-cookie?method=jwt_required&csrf_token={csrf}"
        assert ask(auth, path, cookie=cookie) == expected


def test_cookies_without_csrf_protection(base: type[AuthJWT]) -> None:
    auth = configured(base, authjwt_token_location=["cookies"], authjwt_cookie_csrf_protect=False)
    cookie = f"access_token_cookie={tokens(auth)['access']}"
    assert ask(auth, "/ws-cookie?method=jwt_required", cookie=cookie) == {"user": "alice"}


# --- arguments and the async denylist -------------------------------------------------------------


def test_wrong_arguments(auth: type[AuthJWT]) -> None:
    with pytest.raises(TypeError) as raised:
        auth().jwt_required("websocket", websocket="ws")  # type: ignore[arg-type]
    assert str(raised.value) == "request must be an instance of 'Request' or 'WebSocket'"
    with pytest.raises(ValueError) as wrong:
        auth().jwt_required("query")
    assert str(wrong.value) == "auth_from must be 'request' or 'websocket'"


def test_async_denylist_for_query_and_cookie_tokens(auth: type[AuthJWT]) -> None:
    revoked: set[str] = set()

    @auth.token_in_denylist_loader
    async def is_revoked(decoded: dict[str, Any]) -> bool:
        await asyncio.sleep(0)
        return decoded["jti"] in revoked

    auth._denylist_enabled = True
    access = tokens(auth)["access"]
    csrf = jwtfort.unverified_claims(access)["csrf"]
    cookie = f"access_token_cookie={access}"
    assert ask(auth, f"/ws?method=jwt_required&token={access}") == {"user": "alice"}
    revoked.add(jwtfort.unverified_claims(access)["jti"])
    revoked_answer = {"status": 401, "message": "Token has been revoked"}
    assert ask(auth, f"/ws?method=jwt_required&token={access}") == revoked_answer
    path = f"/ws-cookie?method=jwt_required&csrf_token={csrf}"
    assert ask(auth, path, cookie=cookie) == revoked_answer


def test_async_denylist_outside_a_request(auth: type[AuthJWT]) -> None:
    """A hand-made AuthJWT (a script, a test) awaits the callback on a loop of its own."""

    @auth.token_in_denylist_loader
    async def is_revoked(decoded: dict[str, Any]) -> bool:
        return True

    auth._denylist_enabled = True
    access = tokens(auth)["access"]
    with pytest.raises(AuthJWTException) as raised:
        auth().jwt_required("websocket", token=access)
    assert (raised.value.status_code, raised.value.message) == (401, "Token has been revoked")


def test_async_denylist_cannot_block_a_running_loop(auth: type[AuthJWT]) -> None:
    @auth.token_in_denylist_loader
    async def is_revoked(decoded: dict[str, Any]) -> bool:
        return False

    auth._denylist_enabled = True
    access = tokens(auth)["access"]

    async def inside_a_loop() -> None:
        auth().jwt_required("websocket", token=access)

    with pytest.raises(RuntimeError) as raised:
        asyncio.run(inside_a_loop())
    assert str(raised.value).startswith(
        "the async token_in_denylist_loader callback cannot be awaited here"
    )

"""jwtfort.compat.fastapi_jwt_auth: fastapi-jwt-auth's behaviour, status codes and PyJWT
messages, class-level configuration, legacy spellings, and the documents users migrate from."""

# Routes are written as fastapi-jwt-auth's users write them: `Authorize: AuthJWT = Depends()`.
# ruff: noqa: N803, B008

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
from authjwt_support import NOW, SECRET, class_configuration_restored
from authjwt_support import FixedClock as Clock
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings

import jwtfort
from jwtfort.compat.fastapi_jwt_auth import AuthJWT
from jwtfort.compat.fastapi_jwt_auth.exceptions import (
    AccessTokenRequired,
    AuthJWTException,
    FreshTokenRequired,
    InvalidHeaderError,
    JWTDecodeError,
    MissingTokenError,
    RefreshTokenRequired,
    RevokedTokenError,
)
from jwtfort.fastapi import AuthJWT as NativeAuthJWT
from jwtfort.fastapi import SecurityWarning


@pytest.fixture(autouse=True)
def restore_class_configuration() -> Iterator[None]:
    """Tests configure the AuthJWT class itself, as applications do; put it back after."""
    yield from class_configuration_restored(AuthJWT)


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    AuthJWT.load_config(lambda: [("authjwt_secret_key", SECRET)])
    AuthJWT._clock = clock
    return clock


def handled_app() -> FastAPI:
    """fastapi-jwt-auth's documented shape: the four protections and the exception handler."""
    app = FastAPI()

    @app.exception_handler(AuthJWTException)
    def authjwt_exception_handler(request: Request, exc: AuthJWTException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})

    @app.get("/jwt-required")
    def jwt_required(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"hello": Authorize.get_jwt_subject()}

    @app.get("/jwt-optional")
    def jwt_optional(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_optional()
        return {"hello": Authorize.get_jwt_subject()}

    @app.post("/jwt-refresh-required")
    def jwt_refresh_required(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_refresh_token_required()
        return {"hello": Authorize.get_jwt_subject()}

    @app.get("/fresh-jwt-required")
    def fresh_jwt_required(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.fresh_jwt_required()
        return {"hello": Authorize.get_jwt_subject()}

    return app


@pytest.fixture
def client(clock: Clock) -> Iterator[TestClient]:
    with TestClient(handled_app()) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()


HS256 = b64('{"alg":"HS256"}')
NONE = b64('{"alg":"none"}')
XX999 = b64('{"alg":"XX999"}')
NO_ALG = b64('{"typ":"JWT"}')
EMPTY = b64("{}")
# Well signed, so that the payload is read: PyJWT's "Invalid payload string".
BAD_PAYLOAD = f"{HS256}.{b64('{x')}"
BAD_PAYLOAD += (
    "."
    + base64.urlsafe_b64encode(
        hmac.new(SECRET.encode(), BAD_PAYLOAD.encode(), hashlib.sha256).digest()
    )
    .rstrip(b"=")
    .decode()
)


def claims(**extra: Any) -> dict[str, Any]:
    base = {"sub": "test", "iat": NOW, "nbf": NOW, "jti": "j-1", "exp": NOW + 900}
    return {
        k: v
        for k, v in {**base, "type": "access", "fresh": False, **extra}.items()
        if v is not None
    }


def pyjwt_token(secret: str = SECRET, algorithm: str = "HS256", **extra: Any) -> str:
    return pyjwt.encode(claims(**extra), secret, algorithm=algorithm)


def answer(client: TestClient, token: str, route: str = "/jwt-required") -> tuple[int, Any]:
    response = client.get(route, headers=bearer(token))
    return response.status_code, response.json()


# --- the four protections over HTTP ------------------------------------------------------------


def test_protections(client: TestClient) -> None:
    access = AuthJWT().create_access_token(subject="test")
    fresh = AuthJWT().create_access_token(subject="test", fresh=True)
    refresh = AuthJWT().create_refresh_token(subject="test")
    assert answer(client, access) == (200, {"hello": "test"})
    assert client.get("/jwt-optional").json() == {"hello": None}
    assert answer(client, access, "/jwt-optional") == (200, {"hello": "test"})
    assert answer(client, fresh, "/fresh-jwt-required") == (200, {"hello": "test"})
    response = client.post("/jwt-refresh-required", headers=bearer(refresh))
    assert (response.status_code, response.json()) == (200, {"hello": "test"})


@pytest.mark.parametrize(
    ("route", "kind", "status", "detail"),
    [
        ("/jwt-required", "refresh", 422, "Only access tokens are allowed"),
        ("/jwt-optional", "refresh", 422, "Only access tokens are allowed"),
        ("/fresh-jwt-required", "refresh", 422, "Only access tokens are allowed"),
        ("/fresh-jwt-required", "access", 401, "Fresh token required"),
        ("/jwt-refresh-required", "access", 422, "Only refresh tokens are allowed"),
        ("/jwt-required", None, 401, "Missing Authorization Header"),
        ("/fresh-jwt-required", None, 401, "Missing Authorization Header"),
        ("/jwt-refresh-required", None, 401, "Missing Authorization Header"),
    ],
)
def test_refusals(
    client: TestClient, route: str, kind: str | None, status: int, detail: str
) -> None:
    headers = {}
    if kind is not None:
        make = AuthJWT().create_access_token if kind == "access" else AuthJWT().create_refresh_token
        headers = bearer(make(subject="test"))
    method = client.post if route == "/jwt-refresh-required" else client.get
    response = method(route, headers=headers)
    assert (response.status_code, response.json()) == (status, {"detail": detail})


@pytest.mark.parametrize(
    ("method", "kind", "exception", "status"),
    [
        ("jwt_required", "refresh", AccessTokenRequired, 422),
        ("jwt_refresh_token_required", "access", RefreshTokenRequired, 422),
        ("fresh_jwt_required", "access", FreshTokenRequired, 401),
        ("jwt_required", None, MissingTokenError, 401),
    ],
)
def test_exception_classes(
    clock: Clock, method: str, kind: str | None, exception: type[AuthJWTException], status: int
) -> None:
    from starlette.requests import Request as StarletteRequest

    headers = []
    if kind is not None:
        make = AuthJWT().create_access_token if kind == "access" else AuthJWT().create_refresh_token
        headers = [(b"authorization", f"Bearer {make(subject='t')}".encode())]
    request = StarletteRequest({"type": "http", "method": "GET", "path": "/", "headers": headers})
    with pytest.raises(exception) as raised:
        getattr(AuthJWT(req=request), method)()
    assert type(raised.value) is exception
    assert raised.value.status_code == status


# --- PyJWT's messages ------------------------------------------------------------------------


def test_signature_has_expired(client: TestClient, clock: Clock) -> None:
    token = AuthJWT().create_access_token(subject="test", expires_time=60)
    clock.now = NOW + 60
    assert answer(client, token) == (422, {"detail": "Signature has expired"})


def test_signature_verification_failed(client: TestClient) -> None:
    head, body, signature = pyjwt_token().split(".")
    tampered = f"{head}.{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for token in (tampered, pyjwt_token(secret="another secret of 32 bytes......")):
        assert answer(client, token) == (422, {"detail": "Signature verification failed"})


def test_alg_not_allowed(client: TestClient) -> None:
    rsa = jwtfort.Key.generate("RS256")
    rsa_private = pyjwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(rsa.to_private_jwk()))
    payload = b64(json.dumps(claims()))
    signature = pyjwt_token().split(".")[2]
    for token in (
        pyjwt_token(secret=SECRET * 2, algorithm="HS512"),
        pyjwt.encode(claims(), rsa_private, algorithm="RS256"),  # a 500 in fastapi-jwt-auth
        f"{NONE}.{payload}.",
        f"{XX999}.{payload}.{signature}",  # a 500 in fastapi-jwt-auth
        f"{NO_ALG}.{payload}.{signature}",  # a 500 in fastapi-jwt-auth
    ):
        assert answer(client, token) == (422, {"detail": "The specified alg value is not allowed"})


def test_audience(client: TestClient) -> None:
    AuthJWT._decode_audience = "api"
    assert answer(client, pyjwt_token(aud="api")) == (200, {"hello": "test"})
    assert answer(client, pyjwt_token(aud=["x", "api"])) == (200, {"hello": "test"})
    assert answer(client, pyjwt_token(aud="web")) == (422, {"detail": "Invalid audience"})
    missing = (422, {"detail": 'Token is missing the "aud" claim'})
    assert answer(client, pyjwt_token()) == missing
    AuthJWT._decode_audience = None
    assert answer(client, pyjwt_token(aud="api")) == (422, {"detail": "Invalid audience"})


def test_issuer(client: TestClient) -> None:
    AuthJWT._decode_issuer = "urn:foo"
    assert answer(client, pyjwt_token(iss="urn:foo")) == (200, {"hello": "test"})
    assert answer(client, pyjwt_token(iss="urn:bar")) == (422, {"detail": "Invalid issuer"})
    assert answer(client, pyjwt_token()) == (422, {"detail": 'Token is missing the "iss" claim'})
    refresh = pyjwt_token(type="refresh", fam="f")
    response = client.post("/jwt-refresh-required", headers=bearer(refresh))
    assert response.status_code == 200  # the issuer is checked on access tokens only
    AuthJWT._encode_issuer = "urn:foo"
    token = AuthJWT().create_access_token(subject="test")
    assert jwtfort.unverified_claims(token)["iss"] == "urn:foo"
    assert "iss" not in jwtfort.unverified_claims(AuthJWT().create_refresh_token(subject="t"))


def test_not_yet_valid(client: TestClient) -> None:
    nbf = (422, {"detail": "The token is not yet valid (nbf)"})
    assert answer(client, pyjwt_token(nbf=NOW + 60)) == nbf
    iat = (422, {"detail": "The token is not yet valid (iat)"})
    assert answer(client, pyjwt_token(iat=NOW + 60)) == iat


@pytest.mark.parametrize("claim", ["exp", "jti", "type", "iat", "sub"])
def test_missing_claims(client: TestClient, claim: str) -> None:
    token = pyjwt_token(**{claim: None})
    expected = (422, {"detail": f'Token is missing the "{claim}" claim'})
    assert answer(client, token) == expected


@pytest.mark.parametrize(
    ("token", "kind", "detail"),
    [
        ("abc", InvalidHeaderError, "Not enough segments"),
        ("abc.def", InvalidHeaderError, "Not enough segments"),
        ("a.b.c", InvalidHeaderError, "Invalid header padding"),
        (f"{HS256}.a.c", InvalidHeaderError, "Invalid payload padding"),
        (f"{HS256}.{EMPTY}.a", InvalidHeaderError, "Invalid crypto padding"),
        (f"{b64('[1]')}.{EMPTY}.abcd", InvalidHeaderError, "Invalid header string: "),
        (BAD_PAYLOAD, JWTDecodeError, "Invalid payload string: "),
    ],
)
def test_malformed_tokens(
    clock: Clock, token: str, kind: type[AuthJWTException], detail: str
) -> None:
    with pytest.raises(kind) as raised:
        AuthJWT().get_raw_jwt(token)
    assert type(raised.value) is kind
    assert raised.value.status_code == 422
    assert raised.value.message.startswith(detail)
    if not detail.endswith(": "):
        assert raised.value.message == detail


def test_leeway(client: TestClient, clock: Clock) -> None:
    token = AuthJWT().create_access_token(subject="test", expires_time=1)
    clock.now = NOW + 2
    assert answer(client, token) == (422, {"detail": "Signature has expired"})
    AuthJWT._decode_leeway = 2
    assert answer(client, token) == (200, {"hello": "test"})
    AuthJWT._decode_leeway = timedelta(seconds=1)
    assert answer(client, token) == (422, {"detail": "Signature has expired"})


def test_decode_algorithms(client: TestClient) -> None:
    AuthJWT._secret_key = SECRET * 2
    AuthJWT._decode_algorithms = ["HS384"]
    hs256 = AuthJWT().create_access_token(subject="test")
    hs384 = AuthJWT().create_access_token(subject="test", algorithm="HS384")
    assert answer(client, hs384) == (200, {"hello": "test"})
    assert answer(client, hs256) == (422, {"detail": "The specified alg value is not allowed"})


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_asymmetric(client: TestClient, alg: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    private = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if alg == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    AuthJWT._algorithm = alg
    AuthJWT._private_key = private_pem
    token = AuthJWT().create_access_token(subject="test")
    with pytest.raises(RuntimeError) as raised:  # TestClient re-raises the server's error
        client.get("/jwt-required", headers=bearer(token))
    assert (
        str(raised.value) == f"authjwt_public_key must be set when using asymmetric algorithm {alg}"
    )
    AuthJWT._public_key = public_pem
    assert answer(client, token) == (200, {"hello": "test"})
    made_by_pyjwt = pyjwt.encode(claims(), private_pem, algorithm=alg)
    assert answer(client, made_by_pyjwt) == (200, {"hello": "test"})
    AuthJWT._private_key = None
    with pytest.raises(RuntimeError) as raised:
        AuthJWT().create_access_token(subject="test")
    assert (
        str(raised.value)
        == f"authjwt_private_key must be set when using asymmetric algorithm {alg}"
    )


# --- headers ----------------------------------------------------------------------------------


def test_bad_headers(client: TestClient) -> None:
    token = AuthJWT().create_access_token(subject="test")
    bad = (422, {"detail": "Bad Authorization header. Expected value 'Bearer <JWT>'"})
    for value in (f"bearer {token}", "Bearer", f"Bearer {token} extra", "Basic abc"):
        response = client.get("/jwt-required", headers={"Authorization": value})
        assert (response.status_code, response.json()) == bad
    AuthJWT._header_type = ""
    response = client.get("/jwt-required", headers=bearer(token))
    assert (response.status_code, response.json()) == (
        422,
        {"detail": "Bad Authorization header. Expected value '<JWT>'"},
    )
    response = client.get("/jwt-required", headers={"Authorization": token})
    assert response.json() == {"hello": "test"}


def test_custom_header(client: TestClient) -> None:
    AuthJWT._header_name = "Foo"
    AuthJWT._header_type = "JWT"
    token = AuthJWT().create_access_token(subject="test")
    assert client.get("/jwt-required", headers={"Foo": f"JWT {token}"}).json() == {"hello": "test"}
    response = client.get("/jwt-required", headers={"Foo": f"Bearer {token}"})
    assert (response.status_code, response.json()) == (
        422,
        {"detail": "Bad Foo header. Expected value 'JWT <JWT>'"},
    )
    response = client.get("/jwt-required")
    assert (response.status_code, response.json()) == (401, {"detail": "Missing Foo Header"})


def test_header_is_read_lazily(clock: Clock) -> None:
    app = FastAPI()

    @app.post("/token")
    def token(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        return {"access_token": Authorize.create_access_token(subject="client")}

    with TestClient(app) as client:
        response = client.post("/token", headers={"Authorization": "Basic Y2xpZW50OnNlY3JldA=="})
    assert response.status_code == 200


def test_jwt_headers(clock: Clock) -> None:
    token = AuthJWT().create_access_token(subject="test", headers={"foo": "bar"})
    header = AuthJWT().get_unverified_jwt_headers(token)
    assert (header["foo"], header["alg"], header["typ"]) == ("bar", "HS256", "JWT")
    with pytest.raises(InvalidHeaderError) as raised:
        AuthJWT().get_unverified_jwt_headers()
    assert (raised.value.status_code, raised.value.message) == (422, "Invalid token type")


# --- making tokens ---------------------------------------------------------------------------


def test_create_token_errors(clock: Clock) -> None:
    cases = [
        ({"subject": 0.1}, "subject must be a string or integer"),
        ({"subject": "t", "fresh": "true"}, "fresh must be a boolean"),
        ({"subject": "t", "audience": 1}, "audience must be a string or sequence"),
        ({"subject": "t", "algorithm": 1}, "algorithm must be a string"),
        ({"subject": "t", "user_claims": ["a"]}, "user_claims must be a dictionary"),
        (
            {"subject": "t", "expires_time": "10"},
            "expires_time must be between timedelta, int, bool",
        ),
        ({}, "create_access_token() missing 1 required positional argument: 'subject'"),
        ({"subject": "a", "identity": "b"}, "pass subject or identity, not both"),
    ]
    for arguments, message in cases:
        with pytest.raises(TypeError) as raised:
            AuthJWT().create_access_token(**arguments)
        assert str(raised.value) == message, arguments


def test_create_tokens(clock: Clock) -> None:
    token = AuthJWT().create_access_token(subject=1, expires_time=90, user_claims={"role": "x"})
    decoded = pyjwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert (decoded["sub"], decoded["exp"], decoded["role"]) == ("1", NOW + 90, "x")
    refresh = AuthJWT().create_refresh_token(subject="t", expires_time=timedelta(days=1))
    assert jwtfort.unverified_claims(refresh)["exp"] == NOW + 86400
    AuthJWT._access_token_expires = False
    assert "exp" not in jwtfort.unverified_claims(AuthJWT().create_access_token(subject="t"))


def test_legacy_identity_and_class_level_calls(clock: Clock) -> None:
    token = AuthJWT.create_access_token(identity="alice")
    refresh = AuthJWT.create_refresh_token(identity="alice")
    assert AuthJWT().get_raw_jwt(token)["sub"] == "alice"  # type: ignore[index]
    assert AuthJWT().get_raw_jwt(refresh)["type"] == "refresh"  # type: ignore[index]
    assert AuthJWT.create_access_token.__doc__ is not None
    assert AuthJWT().get_jti(token) == jwtfort.unverified_claims(token)["jti"]


# --- denylist ---------------------------------------------------------------------------------


@pytest.mark.parametrize("callback_kind", ["sync", "async"])
@pytest.mark.parametrize("route_kind", ["sync", "async"])
def test_denylist(clock: Clock, callback_kind: str, route_kind: str) -> None:
    denylist: set[str] = set()
    AuthJWT._denylist_enabled = True

    if callback_kind == "sync":

        @AuthJWT.token_in_denylist_loader
        def check(decrypted_token: dict[str, Any]) -> bool:
            return decrypted_token["jti"] in denylist
    else:

        @AuthJWT.token_in_denylist_loader
        async def check_async(decrypted_token: dict[str, Any]) -> bool:
            await asyncio.sleep(0)
            return decrypted_token["jti"] in denylist

    app = handled_app()
    if route_kind == "async":

        @app.get("/async")
        async def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
            Authorize.jwt_required()
            return {"hello": Authorize.get_jwt_subject()}

    route = "/async" if route_kind == "async" else "/jwt-required"
    access = AuthJWT().create_access_token(subject="test", fresh=True)
    refresh = AuthJWT().create_refresh_token(subject="test")
    revoked = (401, {"detail": "Token has been revoked"})
    with TestClient(app) as client:
        assert answer(client, access, route) == (200, {"hello": "test"})
        denylist.update(jwtfort.unverified_claims(t)["jti"] for t in (access, refresh))
        assert answer(client, access, route) == revoked
        assert answer(client, access, "/jwt-optional") == revoked
        assert answer(client, access, "/fresh-jwt-required") == revoked
        response = client.post("/jwt-refresh-required", headers=bearer(refresh))
        assert (response.status_code, response.json()) == revoked
    with pytest.raises(RevokedTokenError):
        AuthJWT().jwt_required("websocket", token=access)


def test_denylist_needs_a_callback(client: TestClient) -> None:
    AuthJWT._denylist_enabled = True
    token = AuthJWT().create_access_token(subject="test")
    with pytest.raises(RuntimeError, match=r"token_in_denylist_loader"):
        client.get("/jwt-required", headers=bearer(token))


# --- exception handling -------------------------------------------------------------------------


def test_without_an_exception_handler(clock: Clock) -> None:
    """fastapi-jwt-auth#35: a forgotten handler used to turn every refusal into a 500."""
    app = FastAPI()

    @app.get("/protected")
    def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {}

    with TestClient(app) as client:
        response = client.get("/protected", headers=bearer("abc"))
        assert (response.status_code, response.json()) == (422, {"detail": "Not enough segments"})
        response = client.get("/protected")
        assert (response.status_code, response.json()) == (
            401,
            {"detail": "Missing Authorization Header"},
        )
        assert response.headers["www-authenticate"] == "Bearer"


def test_the_registered_handler_is_picked_over_httpexception(clock: Clock) -> None:
    app = handled_app()

    @app.exception_handler(HTTPException)
    def http(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(status_code=599, content={"generic": True})

    with TestClient(app) as client:
        response = client.get("/jwt-required")
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "Missing Authorization Header"},
    )


def test_exception_attributes() -> None:
    error = MissingTokenError(status_code=401, message="Missing cookie x")
    assert (error.status_code, error.message, error.detail, error.code) == (
        401,
        "Missing cookie x",
        "Missing cookie x",
        None,
    )
    assert error.headers == {"WWW-Authenticate": "Bearer"}
    assert isinstance(error, HTTPException)
    assert JWTDecodeError(422, "x").headers is None


# --- configuration --------------------------------------------------------------------------------


def test_native_configuration_does_not_leak_into_compat() -> None:
    native = type("Native", (NativeAuthJWT,), {})
    native.load_config(lambda: {"authjwt_secret_key": SECRET * 2, "authjwt_algorithm": "HS384"})
    NativeAuthJWT._header_name = "X-Native"
    try:
        assert (AuthJWT._algorithm, AuthJWT._header_name) == ("HS256", "Authorization")
    finally:
        NativeAuthJWT._header_name = "Authorization"


def test_pydantic_base_settings_config() -> None:
    class Settings(BaseSettings):
        authjwt_secret_key: str = SECRET
        authjwt_decode_leeway: int = 7

    AuthJWT.load_config(Settings)
    assert (AuthJWT._secret_key, AuthJWT._decode_leeway) == (SECRET, 7)


def test_int_subject(client: TestClient) -> None:
    token = AuthJWT().create_access_token(subject=1)
    assert answer(client, token) == (200, {"hello": "1"})


def test_pyjwt_token_with_fastapi_jwt_auth_claims(client: TestClient) -> None:
    """A token fastapi-jwt-auth made (PyJWT, same secret) keeps working after the move."""
    assert answer(client, pyjwt_token()) == (200, {"hello": "test"})
    assert answer(client, pyjwt_token(fresh=True), "/fresh-jwt-required") == (
        200,
        {"hello": "test"},
    )


# --- the documents users come from ------------------------------------------------------------


class User(BaseModel):
    username: str = Field(..., min_length=1)
    password: str = Field(..., min_length=1)


def test_seed_basic_setup() -> None:
    """The "basic setup" of a FastAPI JWT Auth tutorial: a plain settings class, tokens made by
    calling the class, the legacy ``identity`` argument, a secret shorter than HS256 wants."""
    app = FastAPI()

    class Settings:
        authjwt_secret_key = "your_secret_key"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        @AuthJWT.load_config
        def get_config() -> Settings:
            return Settings()

    assert [w.category for w in caught] == [SecurityWarning]

    @app.post("/login")
    def login(username: str, password: str) -> dict[str, str]:
        access_token = AuthJWT.create_access_token(identity=username)
        return {"access_token": access_token}

    @app.get("/protected")
    def protected_route(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.jwt_required()
        username = Authorize.get_jwt_subject()
        return {"message": f"Welcome, {username}!"}

    @app.post("/refresh")
    def refresh(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        Authorize.jwt_refresh_token_required()
        current_user = Authorize.get_jwt_subject()
        return {"access_token": Authorize.create_access_token(identity=current_user)}

    with TestClient(app) as client:
        token = client.post("/login", params={"username": "ann", "password": "pw"}).json()
        response = client.get("/protected", headers=bearer(token["access_token"]))
        assert response.json() == {"message": "Welcome, ann!"}
        refresh = AuthJWT().create_refresh_token(identity="ann")
        response = client.post("/refresh", headers=bearer(refresh))
        assert jwtfort.unverified_claims(response.json()["access_token"])["sub"] == "ann"


def test_seed_readme() -> None:
    """fastapi-jwt-auth's README, on pydantic-settings 2: env settings with the legacy
    blacklist key, get_jwt_identity, get_jti and get_raw_jwt."""

    class Settings(BaseSettings):
        authjwt_access_token_expires: timedelta = timedelta(minutes=15)
        authjwt_refresh_token_expires: timedelta = timedelta(days=30)
        authjwt_blacklist_enabled: str = "false"
        authjwt_secret_key: str = SECRET
        authjwt_algorithm: str = "HS256"

    AuthJWT.load_config(Settings)
    app = FastAPI()

    @app.exception_handler(AuthJWTException)
    def handler(request: Request, exc: AuthJWTException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})

    @app.post("/login")
    def login(user: User, Authorize: AuthJWT = Depends()) -> dict[str, str]:
        if user.username != "test" or user.password != "test":
            raise HTTPException(status_code=401, detail="Bad username or password")
        return {"access_token": Authorize.create_access_token(identity=user.username)}

    @app.get("/protected")
    def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"logged_in_as": Authorize.get_jwt_identity()}

    @app.get("/identity")
    def identity(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        return {"logged_in_as": Authorize.get_jwt_identity()}

    @app.get("/jti")
    def get_jti(Authorize: AuthJWT = Depends()) -> str | None:
        return Authorize.get_jti(encoded_token=Authorize.create_access_token(identity="test"))

    @app.get("/raw")
    def get_raw_jwt(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        return {"token": Authorize.get_raw_jwt()}

    with TestClient(app) as client:
        response = client.get("/protected")
        assert (response.status_code, response.json()) == (
            401,
            {"detail": "Missing Authorization Header"},
        )
        bad = client.post("/login", json={"username": "test", "password": "no"})
        assert (bad.status_code, bad.json()) == (401, {"detail": "Bad username or password"})
        token = client.post("/login", json={"username": "test", "password": "test"}).json()
        headers = bearer(token["access_token"])
        assert client.get("/protected", headers=headers).json() == {"logged_in_as": "test"}
        assert client.get("/identity", headers=headers).json() == {"logged_in_as": "test"}
        assert client.get("/identity").json() == {"logged_in_as": None}
        jti = client.get("/jti").json()
        assert isinstance(jti, str) and len(jti) == 36
        raw = client.get("/raw", headers=headers).json()["token"]
        assert raw == jwtfort.unverified_claims(token["access_token"])
        assert client.get("/raw").json() == {"token": None}

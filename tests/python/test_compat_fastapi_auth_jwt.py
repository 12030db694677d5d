"""jwtfort.compat.fastapi_auth_jwt: fastapi-auth-jwt's names, its documented examples, an
application written against it, and the short secrets it accepted (with a SecurityWarning)."""

from __future__ import annotations

import asyncio
import importlib
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, ValidationError

import jwtfort
import jwtfort.compat.fastapi_auth_jwt as compat
from jwtfort.compat.fastapi_auth_jwt import (
    AuthConfig,
    JWTAuthBackend,
    JWTAuthenticationMiddleware,
    JWTHandler,
    RedisConfig,
    SecurityWarning,
    StorageConfig,
    StorageTypes,
    User,
)
from jwtfort.compat.fastapi_auth_jwt.utils.jwt_token import JWTHandler as DeepJWTHandler
from jwtfort.fastapi import _backend, _config, _handler, _middleware

SHORT = "mysecret"
SECRET = "a-secret-for-hs256-of-32-bytes!!"
INVALID_TOKEN = 'Bearer error="invalid_token"'
BEARER = {"Authorization": "Bearer validtoken"}


class UserSchema(BaseModel):
    username: str
    role: str


def test_exports() -> None:
    assert compat.__all__ == [
        "AuthConfig",
        "JWTAuthBackend",
        "JWTAuthenticationMiddleware",
        "JWTHandler",
        "RedisConfig",
        "SQLiteConfig",
        "SecurityWarning",
        "StorageConfig",
        "StorageTypes",
        "User",
    ]
    assert (AuthConfig, StorageConfig, User) == (
        _config.AuthConfig,
        _config.StorageConfig,
        _config.User,
    )
    assert issubclass(RedisConfig, _config.RedisConfig)
    assert issubclass(JWTAuthenticationMiddleware, _middleware.JWTAuthenticationMiddleware)
    assert issubclass(JWTAuthBackend, _backend.JWTAuthBackend)
    assert issubclass(JWTHandler, _handler.JWTHandler)
    assert DeepJWTHandler is JWTHandler
    assert issubclass(SecurityWarning, UserWarning)


def test_documented_handler_examples_with_a_short_secret() -> None:
    with pytest.warns(SecurityWarning, match="the HS256 secret is shorter than the hash"):
        handler = JWTHandler(secret=SHORT)
    token = handler.encode({"user_id": 123}, expiration=3600)
    assert handler.decode(token) == {"user_id": 123}
    token = handler.encode({"user_id": 123, "role": "admin"}, expiration=3600)
    assert handler.decode(token) == {"user_id": 123, "role": "admin"}
    token = handler.encode({"user_id": 123}, role="admin", expiration=3600)
    assert handler.decode(token) == {"user_id": 123, "role": "admin"}


def test_the_native_handler_refuses_what_compat_warns_about() -> None:
    with pytest.raises(jwtfort.WeakKey) as raised:
        _handler.JWTHandler(secret=SHORT)
    assert raised.value.code == "weak_key"
    with warnings.catch_warnings():
        warnings.simplefilter("error", SecurityWarning)
        with pytest.raises(SecurityWarning):
            JWTHandler(secret=SHORT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        JWTHandler(secret=SECRET)  # a long enough secret warns about nothing


def test_an_empty_secret_is_refused_even_here() -> None:
    with pytest.warns(SecurityWarning), pytest.raises(jwtfort.WeakKey) as raised:
        JWTHandler(secret="")
    assert raised.value.code == "weak_key"


def test_auth_config_has_no_default_secret() -> None:
    with pytest.raises(ValidationError) as raised:
        JWTAuthBackend()
    assert [e["loc"] for e in raised.value.errors()] == [("secret",)]


def test_documented_backend_example(clock: Any) -> None:
    with pytest.warns(SecurityWarning):
        backend = JWTAuthBackend(AuthConfig(secret=SHORT), clock=clock)
    assert JWTAuthBackend.get_instance() is backend
    token = asyncio.run(backend.create_token({"user_id": 123}, expiration=3600))
    assert jwtfort.unverified_claims(token)["exp"] == clock.now + 3600
    user = asyncio.run(backend.authenticate(token))
    assert (type(user), user.model_dump()) == (  # type: ignore[union-attr]
        User,
        {"user_id": 123, "token": token},
    )
    assert asyncio.run(backend.get_current_user(token)) == user
    assert asyncio.run(backend.invalidate_token(token)) is None
    assert asyncio.run(backend.get_current_user(token)) is None
    assert asyncio.run(backend.authenticate(token)) is None


def make_app(clock: Any, **storage: Any) -> FastAPI:
    """An application as fastapi-auth-jwt's README writes one."""
    app = FastAPI()
    auth_backend = JWTAuthBackend(
        authentication_config=AuthConfig(secret=SECRET, expiration_seconds=60 * 5),
        storage_config=StorageConfig(**storage),
        user_schema=UserSchema,
        clock=clock,
    )
    app.add_middleware(JWTAuthenticationMiddleware, exclude_urls=["/sign-in"])

    @app.post("/sign-in")
    async def sign_in(user: UserSchema) -> dict[str, str]:
        return {"token": await auth_backend.create_token(user.model_dump())}

    @app.get("/profile-info")
    async def get_profile_info(request: Request) -> dict[str, Any]:
        user: UserSchema = request.state.user
        return {"type": type(user).__name__, "username": user.username}

    @app.post("/sign-out")
    async def sign_out(request: Request) -> dict[str, str]:
        token = JWTAuthenticationMiddleware.extract_token_from_request(request)
        await auth_backend.invalidate_token(token)
        return {"message": "Logged out"}

    return app


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_readme_application(
    storage: str, clock: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if storage == "redis":  # RedisConfig's way: the REDIS_* environment
        port = request.getfixturevalue("redis_url").rsplit(":", 1)[1].split("/")[0]
        monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
        monkeypatch.setenv("REDIS_PORT", port)
        client = TestClient(make_app(clock, storage_type=StorageTypes.REDIS))
    else:
        client = TestClient(make_app(clock))
    token = client.post("/sign-in", json={"username": "john", "role": "user"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/profile-info", headers=auth).json() == {
        "type": "UserSchema",
        "username": "john",
    }
    assert client.post("/sign-out", headers=auth).json() == {"message": "Logged out"}
    response = client.get("/profile-info", headers=auth)
    assert response.status_code == 401
    assert response.json()["detail"] == "User not found."
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_readme_application_refusals(clock: Any) -> None:
    client = TestClient(make_app(clock))
    expected = {
        None: (401, "Authorization header is missing."),
        "Token abc": (
            400,
            "Invalid authorization header, expected value in format 'Bearer <token>'.",
        ),
        "Bearer abc.def.ghi": (401, "Could not validate credentials."),
    }
    for value, (status, detail) in expected.items():
        response = client.get("/profile-info", headers={"Authorization": value} if value else {})
        assert (response.status_code, response.json()["detail"]) == (status, detail)
        assert response.json()["path"] == "/profile-info"
    token = client.post("/sign-in", json={"username": "john", "role": "user"}).json()["token"]
    clock.advance(300)
    response = client.get("/profile-info", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["detail"]) == (
        401,
        "Could not validate credentials.",
    )


# --- fastapi-auth-jwt's module paths ----------------------------------------------------------


def test_the_documented_module_paths_import() -> None:
    from jwtfort.compat.fastapi_auth_jwt.backend import JWTAuthBackend as Backend
    from jwtfort.compat.fastapi_auth_jwt.config import StorageTypes as Types
    from jwtfort.compat.fastapi_auth_jwt.config.auth_token import AuthConfig as Auth
    from jwtfort.compat.fastapi_auth_jwt.config.storage import RedisConfig as Redis
    from jwtfort.compat.fastapi_auth_jwt.config.storage import StorageConfig as Storage
    from jwtfort.compat.fastapi_auth_jwt.config.storage_type import StorageTypes as DeepTypes
    from jwtfort.compat.fastapi_auth_jwt.config.types import EXPIRATION_DTYPE
    from jwtfort.compat.fastapi_auth_jwt.config.user_schema import User as DeepUser
    from jwtfort.compat.fastapi_auth_jwt.middleware import JWTAuthenticationMiddleware as Mw
    from jwtfort.compat.fastapi_auth_jwt.utils.time_helpers import cast_to_seconds

    assert (Backend, Mw, Auth, Storage, Redis, Types, DeepTypes, DeepUser) == (
        JWTAuthBackend,
        JWTAuthenticationMiddleware,
        AuthConfig,
        StorageConfig,
        RedisConfig,
        StorageTypes,
        StorageTypes,
        User,
    )
    assert EXPIRATION_DTYPE == int | float | timedelta
    assert [cast_to_seconds(v) for v in (None, 5, 2.9, timedelta(minutes=2))] == [None, 5, 2, 120]
    with pytest.raises(TypeError) as raised:
        cast_to_seconds("5")  # type: ignore[arg-type]
    assert str(raised.value) == "expiration must be seconds or a timedelta, not str"


def test_the_repository_package_says_why_there_is_none() -> None:
    with pytest.raises(ImportError) as raised:
        importlib.import_module("jwtfort.compat.fastapi_auth_jwt.repository.base")
    assert str(raised.value).startswith(
        "fastapi_auth_jwt.repository has no counterpart in jwtfort.compat.fastapi_auth_jwt: the "
        "backend keeps revoked token ids in a jwtfort store"
    )


def test_storage_types_values_and_either_enum_fits() -> None:
    assert StorageTypes.values() == ["redis", "memory", "sqlite"]
    config = StorageConfig(storage_type=StorageTypes.MEMORY)
    assert config.storage_type is _config.StorageTypes.MEMORY
    assert config.storage_type == StorageTypes.MEMORY


def test_redis_config_get_url_and_a_repr_without_the_password() -> None:
    assert RedisConfig(password="password").get_url() == "redis://:password@localhost:6379/0"
    assert RedisConfig().get_url() == "redis://localhost:6379/0"
    assert RedisConfig(password="pw", url="redis://custom-url").get_url() == "redis://custom-url"
    plain = RedisConfig(host="redis-server", port=6380, db=1)
    assert (
        repr(plain)
        == str(plain)
        == (
            "RedisConfig(storage_type=redis, host=redis-server, port=6380, db=1, "
            "url=redis://redis-server:6380/1)"
        )
    )
    assert repr(RedisConfig(host="redis-server", port=6380, db=1, password="hunter2")) == (
        "RedisConfig(storage_type=redis, host=redis-server, port=6380, db=1, password=***, "
        "url=redis://:***@redis-server:6380/1)"
    )
    assert "hunter2" not in repr(RedisConfig(url="redis://user:hunter2@cache:6379/0"))


# --- PyJWT's exceptions -----------------------------------------------------------------------


@pytest.fixture
def handler(clock: Any) -> JWTHandler:
    return JWTHandler(SECRET, clock=clock)


def raises_pyjwt(
    error: type[Exception], cause: type[jwtfort.JWTError], call: Any, *args: Any, **kw: Any
) -> Exception:
    """Checks that `call` raised exactly PyJWT's `error`, from jwtfort's `cause`."""
    with pytest.raises(error) as raised:
        result = call(*args, **kw)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    assert type(raised.value) is error
    assert isinstance(raised.value, jwt.PyJWTError)
    assert type(raised.value.__cause__) is cause
    return raised.value


def test_decode_raises_pyjwts_exceptions(handler: JWTHandler, clock: Any) -> None:
    token = handler.encode({"user_id": 1}, expiration=1)
    other = JWTHandler("another-secret-for-hs256-32-byte", clock=clock)
    raises_pyjwt(jwt.InvalidSignatureError, jwtfort.InvalidSignature, other.decode, token)
    with pytest.warns(SecurityWarning):
        hs384 = JWTHandler(SECRET, algorithm="HS384", clock=clock)
    error = raises_pyjwt(
        jwt.InvalidAlgorithmError, jwtfort.AlgorithmNotAllowed, hs384.decode, token
    )
    assert str(error) == "algorithm HS256 is not allowed"
    raises_pyjwt(jwt.DecodeError, jwtfort.MalformedToken, handler.decode, "invalid.token.string")
    missing = raises_pyjwt(
        jwt.MissingRequiredClaimError,
        jwtfort.MissingClaim,
        handler.decode,
        token,
        options={"require": ["email"]},
    )
    assert str(missing) == 'Token is missing the "email" claim'
    future = handler.encode({}, nbf=datetime.fromtimestamp(clock.now + 3600, timezone.utc))
    raises_pyjwt(jwt.ImmatureSignatureError, jwtfort.ImmatureToken, handler.decode, future)
    clock.advance(1)
    raises_pyjwt(jwt.ExpiredSignatureError, jwtfort.ExpiredToken, handler.decode, token)


def test_decode_options(handler: JWTHandler) -> None:
    token = handler.encode({"user_id": 1, "aud": "other"}, expiration=60)
    assert handler.decode(token, options={"verify_aud": False}) == {"user_id": 1, "aud": "other"}
    assert handler.decode(token, options={"verify_signature": True, "verify_aud": False}) == {
        "user_id": 1,
        "aud": "other",
    }
    with pytest.raises(ValueError) as refused:
        handler.decode(token, options={"verify_signature": False})
    assert str(refused.value) == (
        "options['verify_signature'] = False: verification cannot be switched off"
    )
    with pytest.raises(TypeError) as unknown:
        handler.decode(token, options={"strict_aud": True})
    assert str(unknown.value) == "decode() got an unsupported option 'strict_aud'"


def test_the_classes_that_stand_in_without_pyjwt() -> None:
    from jwtfort.compat.fastapi_auth_jwt import _pyjwt_absent as absent

    assert issubclass(absent.InvalidSignatureError, absent.DecodeError)
    assert issubclass(absent.MissingRequiredClaimError, absent.InvalidTokenError)
    assert issubclass(absent.InvalidTokenError, absent.PyJWTError)
    assert str(absent.MissingRequiredClaimError("exp")) == 'Token is missing the "exp" claim'


@pytest.fixture
def compat_backend(clock: Any) -> JWTAuthBackend:
    return JWTAuthBackend(AuthConfig(secret=SECRET), clock=clock)


def test_the_backend_raises_pyjwts_exceptions(compat_backend: JWTAuthBackend, clock: Any) -> None:
    for call in (
        compat_backend.authenticate,
        compat_backend.get_current_user,
        compat_backend.invalidate_token,
    ):
        raises_pyjwt(jwt.DecodeError, jwtfort.MalformedToken, call, "invalid_token")
    token = asyncio.run(compat_backend.create_token({"user_id": 1}, expiration=1))
    clock.advance(1)
    raises_pyjwt(
        jwt.ExpiredSignatureError, jwtfort.ExpiredToken, compat_backend.authenticate, token
    )


def test_create_token_argument_errors(compat_backend: JWTAuthBackend) -> None:
    with pytest.raises(TypeError):
        asyncio.run(compat_backend.create_token("invalid_payload"))  # type: ignore[arg-type]
    with pytest.raises(ValueError) as raised:
        asyncio.run(compat_backend.create_token({"user_id": 1}, expiration=-3600))
    assert str(raised.value) == "Expiration time must be greater than zero."


# --- the middleware with a backend of fastapi-auth-jwt's kind ----------------------------------


class Member(BaseModel):
    model_config = ConfigDict(extra="allow")


def member_app(backend: JWTAuthBackend) -> FastAPI:
    app = FastAPI()
    app.add_middleware(JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/login"])

    @app.post("/login")
    async def login(user: UserSchema) -> dict[str, str]:
        return {"token": await backend.create_token(Member(**user.model_dump()))}

    @app.get("/profile-info")
    async def profile(request: Request) -> dict[str, Any]:
        return {"username": request.state.user.username}

    @app.post("/logout")
    async def logout(request: Request) -> dict[str, str]:
        await backend.invalidate_token(request.state.user.token)
        return {"message": "Logged out"}

    return app


def test_logout_with_the_users_own_token(clock: Any) -> None:
    backend = JWTAuthBackend(AuthConfig(secret=SECRET), user_schema=Member, clock=clock)
    client = TestClient(member_app(backend))
    token = client.post("/login", json={"username": "john", "role": "user"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/profile-info", headers=auth).json() == {"username": "john"}
    assert client.post("/logout", headers=auth).json() == {"message": "Logged out"}
    response = client.get("/profile-info", headers=auth)
    assert (response.status_code, response.json()["detail"]) == (401, "User not found.")


class Refusing(JWTAuthBackend):
    """A backend whose authenticate() answers what the test sets: ``outcome()`` makes the user
    or the exception afresh, so that no traceback outlives the request."""

    outcome: Callable[[], Any] = staticmethod(lambda: None)

    async def authenticate(self, token: str | bytes) -> Any:
        result = self.outcome()
        if isinstance(result, Exception):
            raise result
        return result


@pytest.mark.parametrize(
    ("outcome", "status", "detail", "challenge"),
    [
        (
            lambda: jwt.MissingRequiredClaimError("exp"),
            400,
            "Missing required claim.",
            INVALID_TOKEN,
        ),
        (
            lambda: jwt.PyJWTError("Invalid token"),
            401,
            "Could not validate credentials.",
            INVALID_TOKEN,
        ),
        (lambda: RuntimeError("Unhandled exception"), 500, "Internal Server Error", None),
        (lambda: None, 401, "User not found.", INVALID_TOKEN),
    ],
    ids=["missing-claim", "pyjwt-error", "unexpected", "logged-out"],
)
def test_the_middleware_answers_an_overridden_authenticate(
    clock: Any, outcome: Callable[[], Any], status: int, detail: str, challenge: str | None
) -> None:
    backend = Refusing(AuthConfig(secret=SECRET), clock=clock)
    backend.outcome = outcome
    token = asyncio.run(backend.create_token({"username": "john"}))  # valid, but overridden
    headers = {"Authorization": f"Bearer {token}"}
    response = TestClient(member_app(backend)).get("/profile-info", headers=headers)
    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert response.headers.get("www-authenticate") == challenge


def test_the_middleware_keeps_what_authenticate_returns(clock: Any) -> None:
    backend = Refusing(AuthConfig(secret=SECRET), clock=clock)
    backend.outcome = lambda: Member(username="testuser")
    response = TestClient(member_app(backend)).get("/profile-info", headers=BEARER)
    assert (response.status_code, response.json()) == (200, {"username": "testuser"})


class Account(BaseModel):
    username: str
    token: str | None = None


class OwnRedisSettings(BaseModel):
    """An application's own storage model, with RedisConfig's field names."""

    storage_type: str = "redis"
    host: str
    port: int
    db: int = 0


def test_an_app_with_its_own_storage_model_logs_out_on_redis(redis_url: str, clock: Any) -> None:
    host, port = redis_url.split("//")[1].split("/")[0].rsplit(":", 1)
    backend = JWTAuthBackend(
        authentication_config=AuthConfig(secret=SECRET),
        storage_config=OwnRedisSettings(host=host, port=int(port)),
        user_schema=Account,
        clock=clock,
    )
    app = FastAPI()
    app.add_middleware(JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/login"])

    @app.post("/login")
    async def login(account: Account) -> dict[str, str]:
        return {"token": await backend.create_token({"username": account.username})}

    @app.get("/profile-info")
    async def profile(request: Request) -> dict[str, Any]:
        return {"username": request.state.user.username}

    @app.post("/logout")
    async def logout(request: Request) -> dict[str, str]:
        await backend.invalidate_token(request.state.user.token)
        return {"message": "Logged out"}

    client = TestClient(app)
    token = client.post("/login", json={"username": "john"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/profile-info", headers=auth).json() == {"username": "john"}
    assert client.post("/logout", headers=auth).json() == {"message": "Logged out"}
    # Another process on the same Redis sees the logout.
    other = JWTAuthBackend(AuthConfig(secret=SECRET), RedisConfig(url=redis_url), clock=clock)
    assert asyncio.run(other.get_current_user(token)) is None
    response = client.get("/profile-info", headers=auth)
    assert (response.status_code, response.json()["detail"]) == (401, "User not found.")


def test_a_refusals_timestamp_is_whole_seconds(clock: Any) -> None:
    client = TestClient(make_app(clock))
    before = int(time.time())
    body = client.get("/profile-info").json()
    assert list(body) == ["path", "method", "detail", "timestamp"]
    assert type(body["timestamp"]) is int
    assert before <= body["timestamp"] <= int(time.time())

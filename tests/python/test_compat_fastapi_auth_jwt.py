"""jwtfort.compat.fastapi_auth_jwt: fastapi-auth-jwt's names, its documented examples, an
application written against it, and the short secrets it accepted (with a SecurityWarning)."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

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
    assert (AuthConfig, RedisConfig, StorageConfig, StorageTypes, User) == (
        _config.AuthConfig,
        _config.RedisConfig,
        _config.StorageConfig,
        _config.StorageTypes,
        _config.User,
    )
    assert JWTAuthenticationMiddleware is _middleware.JWTAuthenticationMiddleware
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
    assert (type(user), user.model_dump()) == (User, {"user_id": 123})  # type: ignore[union-attr]
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

"""jwtfort.fastapi's configuration models, JWTHandler and JWTAuthBackend on memory, SQLite and
Redis stores."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from loopback import free_port
from pydantic import BaseModel, ValidationError

import jwtfort
from jwtfort.fastapi._backend import JWTAuthBackend
from jwtfort.fastapi._config import (
    AuthConfig,
    RedisConfig,
    SQLiteConfig,
    StorageConfig,
    StorageTypes,
    User,
)
from jwtfort.fastapi._handler import JWTHandler

SECRET = "a-64-byte-secret-for-every-hmac-algorithm-" + "0123456789" * 2 + "ab"
OTHER_SECRET = "another-secret-of-32-bytes-long!"
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def fails(
    error: type[jwtfort.JWTError], code: str, call: Callable[..., Any], *args: Any, **kw: Any
) -> jwtfort.JWTError:
    """Runs `call` (awaiting it when it is a coroutine function) and checks that it raised
    exactly `error` with `code`."""
    with pytest.raises(error) as raised:
        result = call(*args, **kw)
        if asyncio.iscoroutine(result):
            run(result)
    assert type(raised.value) is error
    assert raised.value.code == code
    return raised.value


class LoggedUser(BaseModel):
    id: str
    email: str
    roles: list[str]


@pytest.fixture
def backend(clock: Any) -> JWTAuthBackend:
    return JWTAuthBackend(AuthConfig(secret=SECRET), clock=clock)


# --- configuration ---------------------------------------------------------------------------


def test_auth_config_requires_a_secret() -> None:
    with pytest.raises(ValidationError) as raised:
        AuthConfig()  # type: ignore[call-arg]
    assert [(e["loc"], e["type"]) for e in raised.value.errors()] == [(("secret",), "missing")]


def test_auth_config_defaults() -> None:
    config = AuthConfig(secret=SECRET)
    assert (config.jwt_algorithm, config.expiration_seconds, config.expiration_minutes) == (
        "HS256",
        3600,
        60,
    )
    assert config.model_dump() == {
        "secret": SECRET,
        "jwt_algorithm": "HS256",
        "expiration_seconds": 3600,
        "expiration_minutes": 60,
    }
    assert SECRET not in repr(config)


def test_auth_config_casts_expiration() -> None:
    cases = [(900, 900, 15), (90.9, 90, 1), ("120", 120, 2), ("7.5", 7, 0), (0, 0, 0)]
    for given, seconds, minutes in cases:
        config = AuthConfig(secret=SECRET, expiration_seconds=given)
        assert (config.expiration_seconds, config.expiration_minutes) == (seconds, minutes), given


def test_auth_config_rejects_bad_expiration() -> None:
    for given in (-1, "-5", -1.5, "soon", True, None, [60]):
        with pytest.raises(ValidationError) as raised:
            AuthConfig(secret=SECRET, expiration_seconds=given)
        assert [e["loc"] for e in raised.value.errors()] == [("expiration_seconds",)], given


def test_storage_types() -> None:
    assert [(t.name, t.value) for t in StorageTypes] == [
        ("MEMORY", "memory"),
        ("REDIS", "redis"),
        ("SQLITE", "sqlite"),
    ]


def test_storage_config_urls(tmp_path: Path) -> None:
    assert StorageConfig().store_url() == "memory://"
    assert StorageConfig(storage_type=StorageTypes.REDIS, host="cache", db=3).store_url() == (
        "redis://cache:6379/3"
    )
    assert StorageConfig(storage_type="sqlite", path=tmp_path / "t.db").store_url() == (
        f"sqlite://{tmp_path}/t.db"
    )
    assert SQLiteConfig(path="tokens.db").store_url() == "sqlite://tokens.db"
    assert StorageConfig(storage_type="memory", anything="kept").model_dump() == {
        "storage_type": StorageTypes.MEMORY,
        "anything": "kept",
    }


def test_redis_config_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    config = RedisConfig()
    assert (config.storage_type, config.host, config.port, config.db, config.password) == (
        StorageTypes.REDIS,
        "localhost",
        6379,
        0,
        None,
    )
    assert config.store_url() == "redis://localhost:6379/0"


def test_redis_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_HOST", "cache.internal")
    monkeypatch.setenv("REDIS_PORT", "6380")
    monkeypatch.setenv("REDIS_DB", "2")
    monkeypatch.setenv("REDIS_PASSWORD", "p@ss:w/rd")
    config = RedisConfig()
    assert (config.host, config.port, config.db) == ("cache.internal", 6380, 2)
    assert config.store_url() == "redis://:p%40ss%3Aw%2Frd@cache.internal:6380/2"
    assert "p@ss" not in repr(config)
    assert RedisConfig(url="redis://other:1/5").store_url() == "redis://other:1/5"
    assert RedisConfig(host="::1", password=None).store_url() == "redis://[::1]:6380/2"


def test_user_keeps_every_claim() -> None:
    user = User.model_validate({"user_id": 123, "role": "admin"})
    assert user.model_dump() == {"user_id": 123, "role": "admin"}
    assert user.user_id == 123


# --- JWTHandler ------------------------------------------------------------------------------


def test_handler_documented_examples() -> None:
    handler = JWTHandler(secret=SECRET)
    token = handler.encode({"user_id": 123}, expiration=3600)
    assert handler.decode(token) == {"user_id": 123}
    token = handler.encode({"user_id": 123, "role": "admin"}, expiration=3600)
    assert handler.decode(token) == {"user_id": 123, "role": "admin"}
    token = handler.encode({"user_id": 123}, role="admin", expiration=3600)
    assert handler.decode(token) == {"user_id": 123, "role": "admin"}
    assert (handler.secret, handler.algorithm) == (SECRET, "HS256")
    assert repr(handler) == "JWTHandler(algorithm='HS256')"


def test_handler_expiration_sets_exp(clock: Any) -> None:
    handler = JWTHandler(SECRET, "HS384", clock=clock)
    token = handler.encode({"a": 1}, expiration=60)
    assert jwtfort.unverified_claims(token) == {"a": 1, "exp": clock.now + 60}
    assert jwtfort.unverified_header(token) == {"alg": "HS384", "typ": "JWT"}
    clock.advance(59)
    assert handler.decode(token) == {"a": 1}
    clock.advance(1)
    fails(jwtfort.ExpiredToken, "expired", handler.decode, token)


def test_handler_without_expiration_makes_no_exp() -> None:
    handler = JWTHandler(SECRET)
    token = handler.encode({"a": 1})
    assert jwtfort.unverified_claims(token) == {"a": 1}
    assert handler.decode(token) == {"a": 1}
    fails(jwtfort.MissingClaim, "missing_claim", handler.decode, token, required_claims=["exp"])


def test_handler_refuses_a_short_secret() -> None:
    fails(jwtfort.WeakKey, "weak_key", JWTHandler, "mysecret")


def test_handler_decode_options() -> None:
    handler = JWTHandler(SECRET)
    token = handler.encode({"aud": "api", "iss": "me"}, expiration=60)
    assert handler.decode(token, audience="api", issuer="me") == {"aud": "api", "iss": "me"}
    fails(jwtfort.InvalidAudience, "invalid_audience", handler.decode, token)
    with pytest.raises(TypeError, match=r"\['verify_signature'\]"):
        handler.decode(token, verify_signature=False)


def test_handler_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        JWTHandler(SECRET).encode({"when": object()})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def other_secret(token: str) -> str:
    return JWTHandler(OTHER_SECRET).encode({"a": 1})


def other_algorithm(token: str) -> str:
    return JWTHandler(SECRET, "HS512").encode({"a": 1})


def alg_none(token: str) -> str:
    header = b64(b'{"alg":"none"}')
    return f"{header}.{token.split('.')[1]}."


def tampered(token: str) -> str:
    header, _, signature = token.split(".")
    payload = b64(b'{"a":2}')
    return f"{header}.{payload}.{signature}"


def garbage(token: str) -> str:
    return "not-a-token"


FORGERIES = [
    (other_secret, jwtfort.InvalidSignature, "invalid_signature"),
    (other_algorithm, jwtfort.AlgorithmNotAllowed, "algorithm_not_allowed"),
    (alg_none, jwtfort.AlgorithmNotAllowed, "unsupported_algorithm"),
    (tampered, jwtfort.InvalidSignature, "invalid_signature"),
    (garbage, jwtfort.MalformedToken, "malformed_token"),
]


def test_handler_rejects_forgeries() -> None:
    handler = JWTHandler(SECRET)
    token = handler.encode({"a": 1})
    for forge, error, code in FORGERIES:
        fails(error, code, handler.decode, forge(token))


# --- JWTAuthBackend --------------------------------------------------------------------------


def test_backend_documented_example(backend: JWTAuthBackend, clock: Any) -> None:
    token = run(backend.create_token({"user_id": 123}, expiration=3600))
    claims = jwtfort.unverified_claims(token)
    assert claims == {
        "user_id": 123,
        "sub": claims["jti"],
        "jti": claims["jti"],
        "iat": clock.now,
        "type": "access",
        "exp": clock.now + 3600,
    }
    user = run(backend.get_current_user(token))
    assert type(user) is User
    assert user.model_dump() == {"user_id": 123}
    assert run(backend.authenticate(token)) == user


def test_backend_default_lifetime_is_the_configuration(clock: Any) -> None:
    backend = JWTAuthBackend(AuthConfig(secret=SECRET, expiration_seconds=90), clock=clock)
    token = run(backend.create_token({"user_id": 1}))
    assert jwtfort.unverified_claims(token)["exp"] == clock.now + 90
    clock.advance(89)
    assert run(backend.get_current_user(token)) == User(user_id=1)
    clock.advance(1)
    fails(jwtfort.ExpiredToken, "expired", backend.get_current_user, token)
    fails(jwtfort.ExpiredToken, "expired", backend.authenticate, token)


def test_backend_keeps_a_given_subject(backend: JWTAuthBackend) -> None:
    token = run(backend.create_token({"sub": "alice", "name": "Alice"}))
    assert jwtfort.unverified_claims(token)["sub"] == "alice"
    user = run(backend.get_current_user(token))
    assert user.model_dump() == {"sub": "alice", "name": "Alice"}


def test_backend_refuses_reserved_payload_claims(backend: JWTAuthBackend) -> None:
    for claim in ("exp", "iat", "jti", "type", "nbf", "aud", "iss"):
        error = fails(jwtfort.InvalidClaim, "invalid_claim", backend.create_token, {claim: 1})
        assert error.message == f'payload claim "{claim}" is reserved: the backend sets it'


def test_backend_refuses_a_subject_that_is_not_a_string(backend: JWTAuthBackend) -> None:
    for subject in (123, "", None, ["a"]):
        error = fails(jwtfort.InvalidClaim, "invalid_claim", backend.create_token, {"sub": subject})
        assert error.message == 'payload claim "sub" must be a non-empty string'


def test_backend_validates_into_the_user_schema(clock: Any) -> None:
    backend = JWTAuthBackend(AuthConfig(secret=SECRET), user_schema=LoggedUser, clock=clock)
    payload = {"id": "1", "email": "john.doe@example.com", "roles": ["Admin"]}
    user = run(backend.get_current_user(run(backend.create_token(payload))))
    assert user == LoggedUser(**payload)
    error = fails(
        jwtfort.InvalidClaim,
        "invalid_claim",
        backend.get_current_user,
        run(backend.create_token({"id": "1"})),
    )
    assert error.message == "the token's claims do not fit the user schema"
    assert backend.user_schema is LoggedUser


def test_backend_rejects_tokens_of_another_secret(backend: JWTAuthBackend, clock: Any) -> None:
    other = JWTAuthBackend(AuthConfig(secret=OTHER_SECRET), clock=clock)
    token = run(other.create_token({"user_id": 1}))
    fails(jwtfort.InvalidSignature, "invalid_signature", backend.get_current_user, token)
    fails(jwtfort.InvalidSignature, "invalid_signature", backend.authenticate, token)


def test_backend_requires_exp(backend: JWTAuthBackend, clock: Any) -> None:
    claims = {"sub": "a", "jti": "j", "iat": clock.now, "type": "access"}
    token = jwtfort.Signer(backend.jwt_handler.key).sign(claims)
    error = fails(jwtfort.MissingClaim, "missing_claim", backend.get_current_user, token)
    assert error.message == "the token has no exp"


def test_backend_refuses_a_short_secret() -> None:
    fails(jwtfort.WeakKey, "weak_key", JWTAuthBackend, AuthConfig(secret="default_secret"))


def test_backend_without_configuration_names_the_secret() -> None:
    with pytest.raises(ValidationError) as raised:
        JWTAuthBackend()
    assert [e["loc"] for e in raised.value.errors()] == [("secret",)]


def test_backend_properties(backend: JWTAuthBackend) -> None:
    assert backend.config == AuthConfig(secret=SECRET)
    assert backend.storage_config == StorageConfig()
    assert backend.user_schema is User
    assert type(backend.jwt_handler) is JWTHandler
    assert backend.jwt_handler.algorithm == "HS256"
    assert backend.cache.stats()["revoked_tokens"] == 0
    assert repr(backend) == "<JWTAuthBackend HS256 store=memory>"


def test_get_instance_is_the_latest_backend_not_a_singleton(clock: Any) -> None:
    first = JWTAuthBackend(AuthConfig(secret=SECRET), clock=clock)
    assert JWTAuthBackend.get_instance() is first
    second = JWTAuthBackend(AuthConfig(secret=OTHER_SECRET, expiration_seconds=5), clock=clock)
    assert JWTAuthBackend.get_instance() is second
    assert first.config.secret == SECRET and second.config.expiration_seconds == 5
    token = run(second.create_token({"a": 1}))
    fails(jwtfort.InvalidSignature, "invalid_signature", first.get_current_user, token)


def test_invalidate_is_idempotent(backend: JWTAuthBackend) -> None:
    token = run(backend.create_token({"user_id": 1}))
    run(backend.invalidate_token(token))
    run(backend.invalidate_token(token))
    assert backend.cache.stats()["revoked_tokens"] == 1
    assert run(backend.get_current_user(token)) is None
    assert run(backend.authenticate(token)) is None


def test_invalidate_refuses_a_token_that_is_not_valid(backend: JWTAuthBackend, clock: Any) -> None:
    error = fails(jwtfort.MalformedToken, "malformed_token", backend.invalidate_token, "x")
    assert error.message == "token must have exactly three segments"
    expiring = run(backend.create_token({"user_id": 1}, expiration=5))
    clock.advance(5)
    fails(jwtfort.ExpiredToken, "expired", backend.invalidate_token, expiring)
    assert backend.cache.stats()["revoked_tokens"] == 0


def test_a_token_that_is_not_text_is_a_type_error(backend: JWTAuthBackend) -> None:
    for call in (backend.get_current_user, backend.authenticate, backend.invalidate_token):
        with pytest.raises(TypeError) as raised:
            run(call(None))  # type: ignore[arg-type]
        assert str(raised.value) == "token must be a str or bytes, not NoneType"


def test_create_token_takes_a_pydantic_model(backend: JWTAuthBackend) -> None:
    class Profile(BaseModel):
        username: str
        nickname: str | None = None

    token = run(backend.create_token(Profile(username="john")))
    assert run(backend.get_current_user(token)) == User(username="john")


def test_create_token_refuses_a_payload_that_is_not_a_mapping(backend: JWTAuthBackend) -> None:
    with pytest.raises(TypeError) as raised:
        run(backend.create_token("invalid_payload"))  # type: ignore[arg-type]
    assert str(raised.value) == "payload must be a mapping or a pydantic model, not str"


@pytest.mark.parametrize("lifetime", [-3600, 0, -0.5, timedelta(seconds=-1)])
def test_create_token_refuses_a_lifetime_not_above_zero(
    backend: JWTAuthBackend, lifetime: float | timedelta
) -> None:
    with pytest.raises(ValueError) as raised:
        run(backend.create_token({"user_id": 1}, expiration=lifetime))
    assert type(raised.value) is ValueError
    assert str(raised.value) == "Expiration time must be greater than zero."


def test_a_schema_with_a_token_field_gets_the_token(clock: Any) -> None:
    class Session(BaseModel):
        username: str
        token: str | None = None

    backend = JWTAuthBackend(AuthConfig(secret=SECRET), user_schema=Session, clock=clock)
    token = run(backend.create_token({"username": "john"}))
    assert run(backend.get_current_user(token)) == Session(username="john", token=token)
    assert run(backend.get_current_user(token.encode())) == Session(username="john", token=token)


def test_an_applications_own_storage_model_is_read_by_its_fields(
    redis_url: str, clock: Any
) -> None:
    class OwnStorageConfig(BaseModel):  # fastapi-auth-jwt's examples write their own
        storage_type: str = "redis"
        url: str

    config = OwnStorageConfig(url=redis_url)
    backend = JWTAuthBackend(AuthConfig(secret=SECRET), config, clock=clock)
    assert backend.storage_config is config
    token = run(backend.create_token({"user_id": 1}))
    run(backend.invalidate_token(token))
    second = JWTAuthBackend(AuthConfig(secret=SECRET), RedisConfig(url=redis_url), clock=clock)
    assert run(second.get_current_user(token)) is None


# --- stores ----------------------------------------------------------------------------------


def storage(kind: str, tmp_path: Path, redis_url: str | None) -> StorageConfig:
    if kind == "sqlite":
        return SQLiteConfig(path=tmp_path / "tokens.db")
    if kind == "redis":
        return RedisConfig(url=redis_url)
    return StorageConfig()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def storage_config(request: pytest.FixtureRequest, tmp_path: Path) -> StorageConfig:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return storage(request.param, tmp_path, url)


def test_invalidate_on_each_store(storage_config: StorageConfig, clock: Any) -> None:
    backend = JWTAuthBackend(AuthConfig(secret=SECRET), storage_config, clock=clock)
    token = run(backend.create_token({"user_id": 7}))
    kept = run(backend.create_token({"user_id": 8}))
    assert run(backend.get_current_user(token)) == User(user_id=7)
    run(backend.invalidate_token(token))
    assert run(backend.get_current_user(token)) is None
    assert run(backend.get_current_user(kept)) == User(user_id=8)
    if storage_config.storage_type is not StorageTypes.REDIS:  # the session's Redis is shared
        assert backend.cache.stats()["revoked_tokens"] == 1


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_backends_sharing_a_store_see_each_others_logouts(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Any, eventually: Any
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    config = AuthConfig(secret=SECRET)
    first = JWTAuthBackend(config, storage(kind, tmp_path, url), clock=clock)
    second = JWTAuthBackend(config, storage(kind, tmp_path, url), clock=clock)
    token = run(first.create_token({"user_id": 1}))
    assert run(second.get_current_user(token)) == User(user_id=1)
    run(first.invalidate_token(token))
    assert eventually(lambda: run(second.get_current_user(token)) is None)


def test_sqlite_logouts_survive_a_restart(tmp_path: Path, clock: Any) -> None:
    config, store = AuthConfig(secret=SECRET), SQLiteConfig(path=tmp_path / "tokens.db")
    before = JWTAuthBackend(config, store, clock=clock)
    revoked = run(before.create_token({"user_id": 1}))
    kept = run(before.create_token({"user_id": 2}))
    run(before.invalidate_token(revoked))
    del before
    after = JWTAuthBackend(config, store, clock=clock)
    assert run(after.get_current_user(revoked)) is None
    assert run(after.get_current_user(kept)) == User(user_id=2)


def test_a_stopped_redis_is_unavailable_not_anonymous(
    redis_server: Any, clock: Any, eventually: Any
) -> None:
    config = RedisConfig(url=redis_server.url)
    backend = JWTAuthBackend(AuthConfig(secret=SECRET), config, clock=clock)
    token = run(backend.create_token({"user_id": 1}))
    redis_server.stop()
    raised: list[jwtfort.JWTError] = []

    def unavailable() -> bool:
        try:
            run(backend.authenticate(token))
        except jwtfort.StoreUnavailable as error:
            raised.append(error)
            return True
        return False

    assert eventually(unavailable)
    assert raised[0].code == "store_unavailable"
    fails(jwtfort.StoreUnavailable, "store_unavailable", backend.invalidate_token, token)


def test_an_unreachable_redis_fails_without_its_password() -> None:
    port = free_port()  # no one listens there
    config = RedisConfig(host="127.0.0.1", port=port, password="hunter2-secret")
    auth = AuthConfig(secret=SECRET)
    error = fails(jwtfort.StoreUnavailable, "store_unavailable", JWTAuthBackend, auth, config)
    assert "hunter2" not in str(error)
    assert str(port) in str(error)


def test_random_secrets_work() -> None:
    backend = JWTAuthBackend(AuthConfig(secret=secrets.token_urlsafe(48), jwt_algorithm="HS512"))
    token = run(backend.create_token({"user_id": 1}))
    assert jwtfort.unverified_header(token)["alg"] == "HS512"
    assert run(backend.get_current_user(token)) == User(user_id=1)

"""AuthJWTSettings and the ways configuration reaches AuthJWT: fastapi-jwt-auth's 32 keys with
its defaults and checks, the shapes a load_config callback may return, the environment, and the
legacy "blacklist" spelling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

import jwtfort
from jwtfort.compat.fastapi_jwt_auth import AuthJWT as CompatAuthJWT
from jwtfort.fastapi import AuthConfig, AuthJWT, AuthJWTSettings, SecurityWarning, settings_from

SECRET = "0123456789abcdef0123456789abcdef"
BAD_CONFIG = "Config must be pydantic 'BaseSettings' or list of tuple"

DEFAULTS: dict[str, Any] = {
    "authjwt_token_location": frozenset({"headers"}),
    "authjwt_secret_key": None,
    "authjwt_public_key": None,
    "authjwt_private_key": None,
    "authjwt_algorithm": "HS256",
    "authjwt_decode_algorithms": None,
    "authjwt_decode_leeway": 0,
    "authjwt_encode_issuer": None,
    "authjwt_decode_issuer": None,
    "authjwt_decode_audience": None,
    "authjwt_denylist_enabled": False,
    "authjwt_denylist_token_checks": frozenset({"access", "refresh"}),
    "authjwt_header_name": "Authorization",
    "authjwt_header_type": "Bearer",
    "authjwt_access_token_expires": timedelta(minutes=15),
    "authjwt_refresh_token_expires": timedelta(days=30),
    "authjwt_access_cookie_key": "access_token_cookie",
    "authjwt_refresh_cookie_key": "refresh_token_cookie",
    "authjwt_access_cookie_path": "/",
    "authjwt_refresh_cookie_path": "/",
    "authjwt_cookie_max_age": None,
    "authjwt_cookie_domain": None,
    "authjwt_cookie_secure": False,
    "authjwt_cookie_samesite": None,
    "authjwt_cookie_csrf_protect": True,
    "authjwt_access_csrf_cookie_key": "csrf_access_token",
    "authjwt_refresh_csrf_cookie_key": "csrf_refresh_token",
    "authjwt_access_csrf_cookie_path": "/",
    "authjwt_refresh_csrf_cookie_path": "/",
    "authjwt_access_csrf_header_name": "X-CSRF-Token",
    "authjwt_refresh_csrf_header_name": "X-CSRF-Token",
    "authjwt_csrf_methods": frozenset({"POST", "PUT", "PATCH", "DELETE"}),
}


@pytest.fixture
def auth() -> type[AuthJWT]:
    return type("Auth", (AuthJWT,), {})


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    import os

    for name in list(os.environ):
        if name.upper().startswith("AUTHJWT_"):
            monkeypatch.delenv(name)
    yield monkeypatch


# --- defaults ---------------------------------------------------------------------------------


def test_defaults_are_fastapi_jwt_auth_s() -> None:
    assert AuthJWTSettings().model_dump() == {**DEFAULTS, "authjwt_store_url": None}


@pytest.mark.parametrize("cls", [AuthJWT, CompatAuthJWT])
def test_class_attributes_hold_the_defaults(cls: type[AuthJWT]) -> None:
    for key, value in DEFAULTS.items():
        assert getattr(cls, "_" + key.removeprefix("authjwt_")) == value, key
    assert cls._store_url is None
    assert cls._token_in_denylist_callback is None


# --- one ValidationError per key --------------------------------------------------------------

INVALID: list[tuple[str, Any]] = [
    ("authjwt_token_location", "headers"),
    ("authjwt_token_location", ["query"]),
    ("authjwt_token_location", []),
    ("authjwt_token_location", [1]),
    ("authjwt_secret_key", 1),
    ("authjwt_secret_key", "   "),
    ("authjwt_public_key", b"pem"),
    ("authjwt_private_key", 1),
    ("authjwt_algorithm", 256),
    ("authjwt_algorithm", ""),
    ("authjwt_decode_algorithms", "HS256"),
    ("authjwt_decode_algorithms", [256]),
    ("authjwt_decode_leeway", "1"),
    ("authjwt_decode_leeway", 1.5),
    ("authjwt_decode_leeway", -1),
    ("authjwt_decode_leeway", 301),
    ("authjwt_decode_leeway", timedelta(minutes=6)),
    ("authjwt_encode_issuer", 1),
    ("authjwt_decode_issuer", ["a"]),
    ("authjwt_decode_audience", 1),
    ("authjwt_decode_audience", [1]),
    ("authjwt_denylist_enabled", "yes"),
    ("authjwt_denylist_enabled", 1),
    ("authjwt_denylist_token_checks", "access"),
    ("authjwt_denylist_token_checks", ["id"]),
    ("authjwt_header_name", 1),
    ("authjwt_header_name", ""),
    ("authjwt_header_type", 1),
    ("authjwt_access_token_expires", True),
    ("authjwt_access_token_expires", "15"),
    ("authjwt_access_token_expires", 1.5),
    ("authjwt_refresh_token_expires", True),
    ("authjwt_refresh_token_expires", "x"),
    ("authjwt_access_cookie_key", 1),
    ("authjwt_refresh_cookie_key", ""),
    ("authjwt_access_cookie_path", 1),
    ("authjwt_refresh_cookie_path", 1),
    ("authjwt_cookie_max_age", "1"),
    ("authjwt_cookie_max_age", 1.0),
    ("authjwt_cookie_domain", 1),
    ("authjwt_cookie_secure", "true"),
    ("authjwt_cookie_samesite", "sometimes"),
    ("authjwt_cookie_samesite", 1),
    ("authjwt_cookie_csrf_protect", 1),
    ("authjwt_access_csrf_cookie_key", 1),
    ("authjwt_refresh_csrf_cookie_key", 1),
    ("authjwt_access_csrf_cookie_path", 1),
    ("authjwt_refresh_csrf_cookie_path", 1),
    ("authjwt_access_csrf_header_name", 1),
    ("authjwt_refresh_csrf_header_name", 1),
    ("authjwt_csrf_methods", "POST"),
    ("authjwt_csrf_methods", ["TRACE"]),
    ("authjwt_csrf_methods", [1]),
    ("authjwt_store_url", 1),
]


@pytest.mark.parametrize(("key", "value"), INVALID)
def test_invalid_value_names_its_key(key: str, value: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        settings_from({key: value})
    assert {error["loc"][0] for error in raised.value.errors()} == {key}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "authjwt_token_location",
            ["query"],
            "The 'authjwt_token_location' must be between 'headers' or 'cookies'",
        ),
        (
            "authjwt_denylist_token_checks",
            ["id"],
            "The 'authjwt_denylist_token_checks' must be between 'access' or 'refresh'",
        ),
        (
            "authjwt_csrf_methods",
            ["trace"],
            "The 'authjwt_csrf_methods' must be between http request methods",
        ),
        (
            "authjwt_cookie_samesite",
            "sometimes",
            "The 'authjwt_cookie_samesite' must be between 'strict', 'lax', 'none'",
        ),
        (
            "authjwt_access_token_expires",
            True,
            "The 'authjwt_*_token_expires' only accept value False (bool)",
        ),
    ],
)
def test_validator_messages(key: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        settings_from({key: value})
    assert raised.value.errors()[0]["msg"] == f"Value error, {message}"


def test_accepted_values_are_normalised() -> None:
    settings = settings_from(
        {
            "authjwt_secret_key": "  padded  ",
            "authjwt_token_location": ["headers", "cookies"],
            "authjwt_csrf_methods": ["get", "Post"],
            "authjwt_decode_algorithms": ["HS256", "HS384"],
            "authjwt_decode_audience": ["a", "b"],
            "authjwt_access_token_expires": 60,
            "authjwt_refresh_token_expires": False,
            "authjwt_decode_leeway": timedelta(seconds=30),
            "authjwt_header_type": "",
            "authjwt_cookie_samesite": "lax",
        }
    )
    assert settings.authjwt_secret_key == "padded"
    assert settings.authjwt_token_location == frozenset({"headers", "cookies"})
    assert settings.authjwt_csrf_methods == frozenset({"GET", "POST"})
    assert settings.authjwt_decode_algorithms == ("HS256", "HS384")
    assert settings.authjwt_decode_audience == ("a", "b")
    assert settings.authjwt_access_token_expires == 60
    assert settings.authjwt_refresh_token_expires is False
    assert settings.authjwt_decode_leeway == timedelta(seconds=30)
    assert settings.authjwt_header_type == ""
    with pytest.raises(ValidationError):
        settings.authjwt_secret_key = "x"  # type: ignore[misc]  # frozen


# --- the shapes of a configuration -------------------------------------------------------------


class PydanticSettings(BaseModel):
    authjwt_secret_key: str = SECRET
    authjwt_algorithm: str = "HS256"
    unrelated: int = 3


class LegacyPydanticObject:
    """What a pydantic v1 model offers: ``__fields__`` and ``dict()``."""

    __fields__: ClassVar[dict[str, None]] = {"authjwt_secret_key": None}

    def dict(self) -> dict[str, Any]:
        return {"authjwt_secret_key": SECRET, "app_name": "x"}


class PlainSettings:
    authjwt_secret_key = SECRET
    AUTHJWT_DECODE_LEEWAY = 5
    debug = True


@pytest.mark.parametrize(
    "source",
    [
        PydanticSettings(),
        LegacyPydanticObject(),
        {"AUTHJWT_SECRET_KEY": SECRET, "database_url": "x"},
        [("authjwt_secret_key", SECRET), ("other", object())],
        (("Authjwt_Secret_Key", SECRET),),
        PlainSettings(),
        PlainSettings,
    ],
    ids=["pydantic", "pydantic-v1", "mapping", "pairs", "tuple", "object", "class"],
)
def test_settings_from_every_shape(source: object) -> None:
    assert settings_from(source).authjwt_secret_key == SECRET


def test_plain_object_attributes_are_case_insensitive() -> None:
    assert settings_from(PlainSettings()).authjwt_decode_leeway == 5


@pytest.mark.parametrize("source", [None, 5, "authjwt_secret_key", [("a", 1, 2)], [1], object()])
def test_not_a_configuration(source: object) -> None:
    with pytest.raises(TypeError) as raised:
        settings_from(source)
    assert str(raised.value) == BAD_CONFIG


def test_unknown_authjwt_key_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        settings_from({"authjwt_secret": SECRET})
    assert raised.value.errors()[0]["loc"] == ("authjwt_secret",)
    assert raised.value.errors()[0]["type"] == "extra_forbidden"


def test_base_settings_from_the_environment(no_env: pytest.MonkeyPatch) -> None:
    class Settings(BaseSettings):
        authjwt_secret_key: str = "unset"
        authjwt_access_token_expires: int = 900

    no_env.setenv("AUTHJWT_SECRET_KEY", SECRET)
    no_env.setenv("AUTHJWT_ACCESS_TOKEN_EXPIRES", "60")
    settings = settings_from(Settings())
    assert (settings.authjwt_secret_key, settings.authjwt_access_token_expires) == (SECRET, 60)


def test_from_env(no_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_env.setenv("AUTHJWT_SECRET_KEY", SECRET)
    no_env.setenv("AUTHJWT_ACCESS_TOKEN_EXPIRES", "300")
    no_env.setenv("AUTHJWT_TOKEN_LOCATION", '["headers", "cookies"]')
    no_env.setenv("AUTHJWT_DENYLIST_ENABLED", "true")
    no_env.setenv("AUTHJWT_REFRESH_TOKEN_EXPIRES", "false")
    settings = AuthJWTSettings.from_env()
    assert settings.authjwt_secret_key == SECRET
    assert settings.authjwt_access_token_expires == 300
    assert settings.authjwt_refresh_token_expires is False
    assert settings.authjwt_token_location == frozenset({"headers", "cookies"})
    assert settings.authjwt_denylist_enabled is True
    env_file = tmp_path / ".env"
    env_file.write_text("AUTHJWT_ALGORITHM=HS512\nAUTHJWT_SECRET_KEY=from-the-file\n")
    settings = AuthJWTSettings.from_env(env_file)
    assert (settings.authjwt_algorithm, settings.authjwt_secret_key) == ("HS512", SECRET)


def test_from_env_checks_values(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv("AUTHJWT_ACCESS_TOKEN_EXPIRES", "true")
    with pytest.raises(ValidationError) as raised:
        AuthJWTSettings.from_env()
    assert raised.value.errors()[0]["loc"][0] == "authjwt_access_token_expires"


# --- legacy "blacklist" ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "enabled"), [("true", True), ("false", False), ("True", True), (True, True)]
)
def test_legacy_blacklist_enabled(value: object, enabled: bool) -> None:
    settings = settings_from({"authjwt_blacklist_enabled": value})
    assert settings.authjwt_denylist_enabled is enabled


def test_legacy_blacklist_keys() -> None:
    with pytest.raises(ValidationError) as raised:
        settings_from({"authjwt_blacklist_enabled": "yes"})
    assert "authjwt_blacklist_enabled must be true or false" in str(raised.value)
    both = {"authjwt_blacklist_enabled": "true", "authjwt_denylist_enabled": False}
    assert settings_from(both).authjwt_denylist_enabled is False  # the current key wins
    checks = settings_from({"authjwt_blacklist_token_checks": ["refresh"]})
    assert checks.authjwt_denylist_token_checks == frozenset({"refresh"})


def test_seed_settings_class(no_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The settings class of fastapi-jwt-auth's README, ported to pydantic-settings 2."""

    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_file=tmp_path / ".env", env_file_encoding="utf-8")
        authjwt_access_token_expires: timedelta = timedelta(minutes=15)
        authjwt_refresh_token_expires: timedelta = timedelta(days=30)
        authjwt_blacklist_enabled: Literal["true", "false"]
        authjwt_secret_key: str
        authjwt_algorithm: str = "HS256"

    (tmp_path / ".env").write_text(
        f"AUTHJWT_SECRET_KEY={SECRET}\nAUTHJWT_BLACKLIST_ENABLED=false\n"
        "AUTHJWT_ACCESS_TOKEN_EXPIRES=PT5M\n"
    )
    settings = settings_from(Settings())  # type: ignore[call-arg]
    assert settings.authjwt_secret_key == SECRET
    assert settings.authjwt_denylist_enabled is False
    assert settings.authjwt_access_token_expires == timedelta(seconds=300)


# --- load_config ----------------------------------------------------------------------------------


def test_load_config_sets_the_class_attributes(auth: type[AuthJWT]) -> None:
    def settings() -> list[tuple[str, Any]]:
        return [
            ("authjwt_secret_key", SECRET),
            ("authjwt_token_location", ["cookies"]),
            ("authjwt_decode_audience", ["a", "b"]),
        ]

    assert auth.load_config(settings) is settings
    assert auth._secret_key == SECRET
    # Kept as given (a list stays a list), as fastapi-jwt-auth's users' tests compare them.
    assert auth._token_location == ["cookies"]
    assert auth._decode_audience == ["a", "b"]
    assert AuthJWT._secret_key is None


def test_load_config_refuses_bad_values_and_keeps_the_old_ones(auth: type[AuthJWT]) -> None:
    auth.load_config(lambda: {"authjwt_secret_key": SECRET})
    with pytest.raises(ValidationError):
        auth.load_config(lambda: {"authjwt_secret_key": SECRET, "authjwt_cookie_secure": "no"})
    with pytest.raises(TypeError) as raised:
        auth.load_config(lambda: 42)
    assert str(raised.value) == BAD_CONFIG
    assert (auth._secret_key, auth._cookie_secure) == (SECRET, False)


def test_load_config_checks_keys(auth: type[AuthJWT]) -> None:
    with pytest.raises(jwtfort.InvalidKey) as raised:
        auth.load_config(lambda: {"authjwt_algorithm": "RS256", "authjwt_public_key": "not a pem"})
    assert raised.value.code == "invalid_key"
    # A missing key is not an error yet: fastapi-jwt-auth raises it when the key is needed.
    auth.load_config(lambda: {"authjwt_algorithm": "RS256"})
    assert auth._algorithm == "RS256"


def test_compat_accepts_a_weak_secret_with_a_warning() -> None:
    compat = type("Compat", (CompatAuthJWT,), {})
    with pytest.warns(SecurityWarning, match=r"shorter than HS256 requires") as caught:
        compat.load_config(lambda: {"authjwt_secret_key": "testing"})
    assert "testing" not in str(caught[0].message)  # never the secret itself
    token = compat().create_access_token(subject="a")
    assert compat().get_raw_jwt(token)["sub"] == "a"  # type: ignore[index]


def test_direct_class_attribute_changes_apply_on_the_next_call() -> None:
    compat = type("Compat", (CompatAuthJWT,), {})
    compat._secret_key = SECRET
    compat._token_location = ["headers"]  # a list, as a test may assign it
    first = compat().create_access_token(subject="a")
    compat._encode_issuer = "urn:foo"
    second = compat().create_access_token(subject="a")
    assert "iss" not in jwtfort.unverified_claims(first)
    assert jwtfort.unverified_claims(second)["iss"] == "urn:foo"


def test_compat_defaults_come_from_the_environment(no_env: pytest.MonkeyPatch) -> None:
    """Early fastapi-jwt-auth read AUTHJWT_* variables itself: an application that never calls
    load_config keeps working."""
    from jwtfort.compat import fastapi_jwt_auth

    no_env.setenv("AUTHJWT_SECRET_KEY", SECRET)
    no_env.setenv("AUTHJWT_ACCESS_TOKEN_EXPIRES", "300")
    no_env.setenv("AUTHJWT_BLACKLIST_ENABLED", "true")
    defaults = fastapi_jwt_auth._environment_defaults()
    assert (defaults.secret_key, defaults.access_token_expires) == (SECRET, 300)
    assert defaults.denylist_enabled is True
    no_env.setenv("AUTHJWT_ACCESS_TOKEN_EXPIRES", "soon")
    with pytest.raises(ValidationError) as raised:
        fastapi_jwt_auth._environment_defaults()
    assert raised.value.errors()[0]["loc"][0] == "authjwt_access_token_expires"


def test_compat_reads_the_environment_at_import(no_env: pytest.MonkeyPatch) -> None:
    import os
    import subprocess
    import sys

    script = (
        "from jwtfort.compat.fastapi_jwt_auth import AuthJWT\n"
        "token = AuthJWT.create_access_token(identity='ann')\n"
        f"print(AuthJWT._secret_key == {SECRET!r}, AuthJWT().get_raw_jwt(token)['sub'])\n"
    )
    env = {**os.environ, "AUTHJWT_SECRET_KEY": SECRET}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout == "True ann\n"


# --- secrets stay out of reprs and errors ------------------------------------------------------


def test_settings_never_show_the_secret_or_the_private_key() -> None:
    secret, private = "s3cr3t-" * 6, "-----BEGIN PRIVATE KEY-----pem-----END PRIVATE KEY-----"
    settings = AuthJWTSettings(authjwt_secret_key=secret, authjwt_private_key=private)
    assert secret not in repr(settings) and private not in repr(settings)
    with pytest.raises(ValidationError) as raised:
        settings_from({"authjwt_secret_key": secret, "authjwt_decode_leeway": secret})
    assert "authjwt_decode_leeway" in str(raised.value)
    assert secret not in str(raised.value)


def test_auth_config_errors_name_the_field_without_its_value() -> None:
    with pytest.raises(ValidationError) as raised:
        AuthConfig(secret=b"\xffnot-text-but-secret")  # type: ignore[arg-type]
    assert raised.value.errors()[0]["loc"] == ("secret",)
    assert "not-text-but-secret" not in str(raised.value)
    assert "s3cr3t" not in repr(AuthConfig(secret="s3cr3t" * 8))

"""The configuration of :class:`~jwtfort.fastapi.AuthJWT`: fastapi-jwt-auth's 32 ``authjwt_*``
keys, with its defaults and checks, on pydantic v2.

Settings come from any object fastapi-jwt-auth's ``load_config`` callback could return: a
pydantic model or pydantic-settings ``BaseSettings`` (v2 or v1), a mapping, a list of
``(key, value)`` pairs, or a plain object with ``authjwt_*`` attributes. Keys are
case-insensitive, so ``AUTHJWT_SECRET_KEY`` read from the environment counts; keys that do not
start with ``authjwt_`` are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["AuthJWTSettings", "as_given", "given_values", "settings_from"]

#: Text, stripped, at least one character (fastapi-jwt-auth's ``anystr_strip_whitespace`` and
#: ``min_anystr_length = 1``).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

_LOCATIONS: Final = frozenset({"headers", "cookies"})
_TOKEN_TYPES: Final = frozenset({"access", "refresh"})
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"})
_SAMESITE: Final = frozenset({"strict", "lax", "none"})
_MAX_LEEWAY: Final = 300  # security policy: leeway is capped at five minutes
_BAD_CONFIG: Final = "Config must be pydantic 'BaseSettings' or list of tuple"
# fastapi-jwt-auth before 0.5 spelled the denylist "blacklist".
_LEGACY_KEYS: Final = {
    "authjwt_blacklist_enabled": "authjwt_denylist_enabled",
    "authjwt_blacklist_token_checks": "authjwt_denylist_token_checks",
}


class AuthJWTSettings(BaseModel):
    """Every ``authjwt_*`` key, validated. Immutable.

    Values are strict, as in fastapi-jwt-auth: a number is not a string, ``"1"`` is not a number.
    Lifetimes take whole seconds, a ``timedelta``, or ``False`` for tokens without ``exp``.
    The legacy key ``authjwt_blacklist_enabled`` (``True``/``False`` or ``"true"``/``"false"``)
    sets ``authjwt_denylist_enabled``.

    jwtfort adds one key: ``authjwt_store_url`` (``memory://``, ``sqlite:///path.db``,
    ``redis://host:port/db``), the store checked for revoked tokens and used by refresh-token
    rotation.

    Errors: ``pydantic.ValidationError`` naming the key; an unknown ``authjwt_*`` key is one too
    (a misspelled key would otherwise be silently ignored).

    Example::

        settings = AuthJWTSettings(authjwt_secret_key=secret, authjwt_token_location={"cookies"})
    """

    # Errors name the key and the reason but never repeat the value: it may be a secret.
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", hide_input_in_errors=True)

    authjwt_token_location: frozenset[Text] = frozenset({"headers"})
    authjwt_secret_key: Text | None = Field(default=None, repr=False)
    authjwt_public_key: Text | None = None
    authjwt_private_key: Text | None = Field(default=None, repr=False)
    authjwt_algorithm: Text = "HS256"
    authjwt_decode_algorithms: tuple[Text, ...] | None = None
    authjwt_decode_leeway: int | timedelta = 0
    authjwt_encode_issuer: Text | None = None
    authjwt_decode_issuer: Text | None = None
    authjwt_decode_audience: Text | tuple[Text, ...] | None = None
    authjwt_denylist_enabled: bool = False
    authjwt_denylist_token_checks: frozenset[Text] = frozenset({"access", "refresh"})
    authjwt_header_name: Text = "Authorization"
    # May be empty or None: the header then holds the bare token.
    authjwt_header_type: Annotated[str, StringConstraints(strip_whitespace=True)] | None = "Bearer"
    authjwt_access_token_expires: bool | int | timedelta = timedelta(minutes=15)
    authjwt_refresh_token_expires: bool | int | timedelta = timedelta(days=30)
    authjwt_access_cookie_key: Text = "access_token_cookie"
    authjwt_refresh_cookie_key: Text = "refresh_token_cookie"
    authjwt_access_cookie_path: Text = "/"
    authjwt_refresh_cookie_path: Text = "/"
    authjwt_cookie_max_age: int | None = None
    authjwt_cookie_domain: Text | None = None
    authjwt_cookie_secure: bool = False
    authjwt_cookie_samesite: Text | None = None
    authjwt_cookie_csrf_protect: bool = True
    authjwt_access_csrf_cookie_key: Text = "csrf_access_token"
    authjwt_refresh_csrf_cookie_key: Text = "csrf_refresh_token"
    authjwt_access_csrf_cookie_path: Text = "/"
    authjwt_refresh_csrf_cookie_path: Text = "/"
    authjwt_access_csrf_header_name: Text = "X-CSRF-Token"
    authjwt_refresh_csrf_header_name: Text = "X-CSRF-Token"
    authjwt_csrf_methods: frozenset[Text] = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    authjwt_store_url: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not any(k in data for k in _LEGACY_KEYS):
            return data
        data = dict(data)
        for legacy, key in _LEGACY_KEYS.items():
            if legacy not in data:
                continue
            value = data.pop(legacy)
            if legacy == "authjwt_blacklist_enabled":
                value = _legacy_bool(value)
            data.setdefault(key, value)
        return data

    @field_validator("authjwt_token_location", "authjwt_denylist_token_checks", mode="before")
    @classmethod
    def _as_set(cls, value: Any) -> Any:
        # fastapi-jwt-auth takes any sequence; a lone string is a mistake, not a set of letters.
        if isinstance(value, (list, tuple, set)):
            return frozenset(value)
        return value

    @field_validator("authjwt_decode_algorithms", "authjwt_decode_audience", mode="before")
    @classmethod
    def _as_tuple(cls, value: Any) -> Any:
        if isinstance(value, (list, set, frozenset)):
            return tuple(value)
        return value

    @field_validator("authjwt_token_location")
    @classmethod
    def _locations(cls, value: frozenset[str]) -> frozenset[str]:
        if not value or not value <= _LOCATIONS:
            raise ValueError("The 'authjwt_token_location' must be between 'headers' or 'cookies'")
        return value

    @field_validator("authjwt_denylist_token_checks")
    @classmethod
    def _token_checks(cls, value: frozenset[str]) -> frozenset[str]:
        if not value <= _TOKEN_TYPES:
            raise ValueError(
                "The 'authjwt_denylist_token_checks' must be between 'access' or 'refresh'"
            )
        return value

    @field_validator("authjwt_csrf_methods", mode="before")
    @classmethod
    def _upper_methods(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple, set, frozenset)):
            return frozenset(m.upper() if isinstance(m, str) else m for m in value)
        return value

    @field_validator("authjwt_csrf_methods")
    @classmethod
    def _methods(cls, value: frozenset[str]) -> frozenset[str]:
        if not value <= _METHODS:
            raise ValueError("The 'authjwt_csrf_methods' must be between http request methods")
        return value

    @field_validator("authjwt_cookie_samesite")
    @classmethod
    def _samesite(cls, value: str | None) -> str | None:
        if value is not None and value not in _SAMESITE:
            raise ValueError(
                "The 'authjwt_cookie_samesite' must be between 'strict', 'lax', 'none'"
            )
        return value

    @field_validator("authjwt_access_token_expires", "authjwt_refresh_token_expires")
    @classmethod
    def _lifetime(cls, value: bool | int | timedelta) -> bool | int | timedelta:
        if value is True:
            raise ValueError("The 'authjwt_*_token_expires' only accept value False (bool)")
        return value

    @field_validator("authjwt_decode_leeway")
    @classmethod
    def _leeway(cls, value: int | timedelta) -> int | timedelta:
        seconds = value.total_seconds() if isinstance(value, timedelta) else value
        if not 0 <= seconds <= _MAX_LEEWAY:
            raise ValueError(f"The 'authjwt_decode_leeway' must be 0 to {_MAX_LEEWAY} seconds")
        return value

    @classmethod
    def from_env(cls, env_file: str | Path | None = ".env") -> AuthJWTSettings:
        """The settings of the ``AUTHJWT_*`` environment variables, and of ``env_file`` (a
        dotenv file, ``.env`` of the working directory by default; skipped when missing, or
        when ``None``); the environment wins. Text is converted as pydantic-settings
        does: ``AUTHJWT_ACCESS_TOKEN_EXPIRES=300``, ``AUTHJWT_DENYLIST_ENABLED=true``,
        ``AUTHJWT_TOKEN_LOCATION='["headers", "cookies"]'``.

        Example::

            settings = AuthJWTSettings.from_env()   # the environment, then ./.env
        """
        loaded = _FromEnv(_env_file=env_file)  # type: ignore[call-arg]
        return cls.model_validate(loaded.model_dump(exclude_unset=True))


class _FromEnv(BaseSettings, AuthJWTSettings):
    """The same fields, read from text: lax, since the environment only holds strings."""

    model_config = SettingsConfigDict(
        strict=False,
        frozen=True,
        extra="ignore",
        case_sensitive=False,
        env_file_encoding="utf-8",
        hide_input_in_errors=True,
    )

    authjwt_blacklist_enabled: str | None = None


def _legacy_bool(value: Any) -> Any:
    if isinstance(value, str):
        if value.strip().lower() not in ("true", "false"):
            raise ValueError("authjwt_blacklist_enabled must be true or false")
        return value.strip().lower() == "true"
    return value


class Snapshot(NamedTuple):
    """One configuration, as plain hashable values: the key of the per-configuration cache.
    Field ``x`` is setting ``authjwt_x`` and class attribute ``AuthJWT._x``."""

    token_location: frozenset[str]
    secret_key: str | None
    public_key: str | None
    private_key: str | None
    algorithm: str
    decode_algorithms: tuple[str, ...] | None
    decode_leeway: int | timedelta
    encode_issuer: str | None
    decode_issuer: str | None
    decode_audience: str | tuple[str, ...] | None
    denylist_enabled: bool
    denylist_token_checks: frozenset[str]
    header_name: str
    header_type: str | None
    access_token_expires: bool | int | timedelta
    refresh_token_expires: bool | int | timedelta
    access_cookie_key: str
    refresh_cookie_key: str
    access_cookie_path: str
    refresh_cookie_path: str
    cookie_max_age: int | None
    cookie_domain: str | None
    cookie_secure: bool
    cookie_samesite: str | None
    cookie_csrf_protect: bool
    access_csrf_cookie_key: str
    refresh_csrf_cookie_key: str
    access_csrf_cookie_path: str
    refresh_csrf_cookie_path: str
    access_csrf_header_name: str
    refresh_csrf_header_name: str
    csrf_methods: frozenset[str]
    store_url: str | None

    @classmethod
    def of(cls, settings: AuthJWTSettings) -> Snapshot:
        return cls(*(getattr(settings, "authjwt_" + name) for name in cls._fields))

    @classmethod
    def from_values(cls, values: Iterable[Any]) -> Snapshot:
        """From raw values (class attributes a test may have set to a list or a set)."""
        return cls(*(freeze(v) for v in values))


def freeze(value: Any) -> Any:
    """A hashable equivalent: sets become frozensets, lists tuples."""
    if isinstance(value, set):
        return frozenset(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def settings_from(source: object) -> AuthJWTSettings:
    """The settings held by ``source``: what a ``load_config`` callback returns.

    Errors: ``TypeError`` when ``source`` holds no settings at all, ``pydantic.ValidationError``
    for a bad value.

    Example::

        settings = settings_from([("authjwt_secret_key", secret), ("authjwt_algorithm", "HS512")])
    """
    if isinstance(source, AuthJWTSettings):
        return source
    items = _items(source)
    values = {}
    for key, value in items:
        if not isinstance(key, str):
            raise TypeError(_BAD_CONFIG)
        key = key.lower()
        if key.startswith("authjwt_"):
            values[key] = value
    return AuthJWTSettings.model_validate(values)


def given_values(source: object) -> dict[str, Any]:
    """The ``authjwt_*`` values of ``source`` as given, before validation, by lower-case key."""
    if isinstance(source, AuthJWTSettings):
        return {}
    return {k.lower(): v for k, v in _items(source) if isinstance(k, str)}


def as_given(value: Any, given: Any) -> Any:
    """``value`` (validated, frozen) in the container kind of ``given``: fastapi-jwt-auth
    keeps a list a list, and its users' tests compare the class attributes with what they set."""
    if isinstance(value, tuple) and isinstance(given, list):
        return list(value)
    if isinstance(value, frozenset) and isinstance(given, set):
        return set(value)
    if isinstance(value, frozenset) and isinstance(given, list):
        order = [str(item).strip().upper() for item in given]
        return sorted(value, key=lambda item: order.index(item.upper()))
    return value


def _items(source: object) -> Iterable[Any]:
    if isinstance(source, (str, bytes, int, float)) or source is None:
        raise TypeError(_BAD_CONFIG)
    if isinstance(source, BaseModel):
        return source.model_dump().items()
    legacy_dict = getattr(source, "dict", None)
    if callable(legacy_dict) and hasattr(source, "__fields__"):  # a pydantic v1 model
        return dict(legacy_dict()).items()
    if isinstance(source, Mapping):
        return source.items()
    if isinstance(source, Iterable):
        return [_pair(item) for item in source]
    names = [name for name in dir(source) if name.lower().startswith("authjwt_")]
    if not names:
        raise TypeError(_BAD_CONFIG)
    return [(name, getattr(source, name)) for name in names]


def _pair(item: Any) -> tuple[Any, Any]:
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise TypeError(_BAD_CONFIG)
    return item[0], item[1]

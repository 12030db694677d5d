"""Settings of :class:`~jwtfort.fastapi.JWTAuthBackend`: the signing secret and token lifetime,
where revocations are kept, and the default user model.

The names and defaults are fastapi-auth-jwt's, with two differences: ``AuthConfig.secret`` has no
default (fastapi-auth-jwt's was a public string), and storage is one of jwtfort's stores, which
adds ``SQLITE``.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

__all__ = ["AuthConfig", "RedisConfig", "SQLiteConfig", "StorageConfig", "StorageTypes", "User"]


class AuthConfig(BaseModel):
    """How tokens are signed and how long they live.

    ``secret`` is required: an HMAC secret at least as long as the hash (32 bytes for HS256),
    else the backend raises ``WeakKey``. ``expiration_seconds`` accepts an int, a float or a
    numeric string; a negative value is a ``ValidationError``.

    Example::

        config = AuthConfig(secret=os.environ["JWT_SECRET"], expiration_seconds=900)
        assert config.expiration_minutes == 15
    """

    # Errors name the field but never repeat the value: it may be the secret.
    model_config = ConfigDict(hide_input_in_errors=True)

    secret: str = Field(repr=False)
    jwt_algorithm: str = "HS256"
    expiration_seconds: int = 3600

    @field_validator("expiration_seconds", mode="before")
    @classmethod
    def _whole_seconds(cls, value: Any) -> int:
        # bool is an int, but True seconds is a mistake rather than a duration.
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("expiration_seconds must be a number of seconds")
        seconds = int(float(value)) if isinstance(value, str) else int(value)
        if seconds < 0:
            raise ValueError("expiration_seconds must be >= 0")
        return seconds

    @computed_field  # type: ignore[prop-decorator]
    @property
    def expiration_minutes(self) -> int:
        """The lifetime in whole minutes."""
        return self.expiration_seconds // 60


class StorageTypes(str, Enum):
    """The kinds of store that keep revoked token ids."""

    MEMORY = "memory"
    REDIS = "redis"
    SQLITE = "sqlite"


class StorageConfig(BaseModel):
    """Where revoked token ids are kept. Extra fields are allowed, as in fastapi-auth-jwt: a plain
    ``StorageConfig(storage_type=StorageTypes.REDIS, host=...)`` is read as a
    :class:`RedisConfig`, one with ``storage_type=StorageTypes.SQLITE, path=...`` as a
    :class:`SQLiteConfig`.

    Example::

        StorageConfig().store_url() == "memory://"
    """

    model_config = ConfigDict(extra="allow")

    storage_type: StorageTypes = StorageTypes.MEMORY

    def store_url(self) -> str:
        """The URL :func:`jwtfort.open_store` opens for this configuration."""
        fields = self.model_dump()
        if self.storage_type is StorageTypes.REDIS:
            return RedisConfig(**fields).store_url()
        if self.storage_type is StorageTypes.SQLITE:
            return SQLiteConfig(**fields).store_url()
        return "memory://"


def _env(name: str, default: str | None) -> Any:
    # Read when the model is made, not when this module is imported, so that a test or a
    # settings loader can set the variable first.
    return Field(default_factory=lambda: os.environ.get(name, default), validate_default=True)


class RedisConfig(StorageConfig):
    """A Redis server, shared by every process that uses it. The fields default to the
    environment variables ``REDIS_HOST`` (``localhost``), ``REDIS_PORT`` (6379), ``REDIS_DB``
    (0) and ``REDIS_PASSWORD`` (none); ``url``, when given, is used instead of them all.

    Example::

        RedisConfig(host="cache", db=2).store_url() == "redis://cache:6379/2"
    """

    storage_type: StorageTypes = StorageTypes.REDIS
    host: str = _env("REDIS_HOST", "localhost")
    port: int = _env("REDIS_PORT", "6379")
    db: int = _env("REDIS_DB", "0")
    password: str | None = Field(
        default_factory=lambda: os.environ.get("REDIS_PASSWORD"), repr=False
    )
    url: str | None = Field(default=None, repr=False)

    def store_url(self) -> str:
        if self.url:
            return self.url
        # The store decodes %XX escapes, so a password may hold ':', '@' or '/'.
        credentials = f":{quote(self.password, safe='')}@" if self.password else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{credentials}{host}:{self.port}/{self.db}"


class SQLiteConfig(StorageConfig):
    """A SQLite file, created when missing and shared by the processes of one machine.

    Example::

        SQLiteConfig(path="/var/lib/app/tokens.db").store_url() == "sqlite:///var/lib/app/tokens.db"
    """

    storage_type: StorageTypes = StorageTypes.SQLITE
    path: Path

    def store_url(self) -> str:
        return f"sqlite://{self.path}"


class User(BaseModel):
    """The default user model: every claim of the token becomes an attribute.

    Example::

        user = User(user_id=123, role="admin")
        assert user.user_id == 123
    """

    model_config = ConfigDict(extra="allow")

"""Stands in for ``fastapi_auth_jwt.config.storage``."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ....fastapi._config import RedisConfig as _NativeRedisConfig
from ....fastapi._config import SQLiteConfig, StorageConfig

__all__ = ["RedisConfig", "SQLiteConfig", "StorageConfig"]


class RedisConfig(_NativeRedisConfig):
    """:class:`jwtfort.fastapi.RedisConfig` with fastapi-auth-jwt's ``get_url()`` and its
    ``repr``, which here never shows the password.

    Example::

        assert RedisConfig(host="cache", db=2).get_url() == "redis://cache:6379/2"
    """

    def get_url(self) -> str:
        """``url`` when given, else the URL of the fields (the password percent-encoded)."""
        return self.store_url()

    def __repr__(self) -> str:
        fields = f"storage_type={self.storage_type.value}, host={self.host}, port={self.port}"
        fields += f", db={self.db}"
        if self.password:
            fields += ", password=***"
        return f"RedisConfig({fields}, url={_without_password(self.get_url())})"

    def __str__(self) -> str:
        return repr(self)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))

"""Stands in for ``fastapi_auth_jwt.config.storage_type``."""

from __future__ import annotations

from enum import Enum

__all__ = ["StorageTypes"]


class StorageTypes(str, Enum):
    """fastapi-auth-jwt's storage kinds, and jwtfort's SQLite file. Its values are those of
    :class:`jwtfort.fastapi.StorageTypes`, so either enum's members fit either configuration.

    Example::

        assert StorageTypes.values() == ["redis", "memory", "sqlite"]
    """

    REDIS = "redis"
    MEMORY = "memory"
    SQLITE = "sqlite"

    @classmethod
    def values(cls) -> list[str]:
        """Every kind's value."""
        return [kind.value for kind in cls]

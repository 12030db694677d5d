"""Stands in for ``fastapi_auth_jwt.config``."""

from .auth_token import AuthConfig
from .storage import RedisConfig, SQLiteConfig, StorageConfig
from .storage_type import StorageTypes
from .user_schema import User

__all__ = ["AuthConfig", "RedisConfig", "SQLiteConfig", "StorageConfig", "StorageTypes", "User"]

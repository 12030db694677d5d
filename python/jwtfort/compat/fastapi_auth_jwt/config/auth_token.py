"""Stands in for ``fastapi_auth_jwt.config.auth_token``."""

from ....fastapi._config import AuthConfig

__all__ = ["AuthConfig"]

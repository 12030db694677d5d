"""Stands in for ``fastapi_auth_jwt.config.user_schema``."""

from ....fastapi._config import User

__all__ = ["User"]

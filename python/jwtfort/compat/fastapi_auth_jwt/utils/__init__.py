"""Stands in for ``fastapi_auth_jwt.utils``."""

from .jwt_token import JWTHandler
from .time_helpers import cast_to_seconds

__all__ = ["JWTHandler", "cast_to_seconds"]

"""Stands in for ``fastapi_auth_jwt.utils``."""

from .jwt_token import JWTHandler

__all__ = ["JWTHandler"]

"""Stands in for ``fastapi_auth_jwt.config.types``."""

from __future__ import annotations

from datetime import timedelta
from typing import Union

__all__ = ["EXPIRATION_DTYPE"]

# A lifetime: seconds, or a timedelta.
EXPIRATION_DTYPE = Union[int, float, timedelta]  # noqa: UP007 - a runtime alias, as imported

"""Stands in for ``fastapi_auth_jwt.utils.time_helpers``."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["cast_to_seconds"]


def cast_to_seconds(expiration: float | timedelta | None) -> int | None:
    """A lifetime in whole seconds, or None for None. ``TypeError`` for anything else.

    Example::

        assert cast_to_seconds(timedelta(minutes=2)) == 120
    """
    if expiration is None:
        return None
    if isinstance(expiration, timedelta):
        return int(expiration.total_seconds())
    if isinstance(expiration, (int, float)) and not isinstance(expiration, bool):
        return int(expiration)
    raise TypeError(f"expiration must be seconds or a timedelta, not {type(expiration).__name__}")

"""Token stores: where revocations and refresh-token families live.

``memory://`` (this process only), ``sqlite:///abs/path.db`` or ``sqlite://relative.db``
(persistent, shared by processes), ``redis://[[user]:password@]host[:port][/db]`` (shared by
servers). The check on every request reads an in-process index, with no I/O; a store that cannot
vouch for its answer raises ``StoreUnavailable`` rather than read as "not revoked".
"""

from __future__ import annotations

from datetime import timedelta

from . import _native

__all__ = ["Store", "open_store"]

#: An open store; pass it to :class:`~jwtfort.TokenService`. ``stats()`` counts its records and
#: ``purge_expired(now=None)`` removes those that can no longer matter (stores also do this on
#: their own every ``purge_interval``).
Store = _native.Store


def open_store(
    url: str,
    *,
    fail_open: bool = False,
    purge_interval: float | timedelta = 600,
    sync_interval: float | timedelta = 0.02,
    redis_timeout: float | timedelta = 0.5,
    redis_prefix: str = "jwtfort:",
) -> Store:
    """Opens the store at ``url`` (created when missing, for SQLite).

    ``fail_open`` is unsafe: revocation checks pass while the store is unreachable.
    ``purge_interval`` (0 = never), ``sync_interval`` (SQLite: how soon other processes'
    revocations are seen) and ``redis_timeout`` are in seconds. Errors: ``ConfigurationError``
    (unknown scheme, bad URL), ``StoreUnavailable`` (cannot open or connect).

    Example::

        store = open_store(f"sqlite://{data_dir}/tokens.db")
    """
    return _native.open_store(
        url,
        fail_open=fail_open,
        purge_interval=_seconds(purge_interval),
        sync_interval=_seconds(sync_interval),
        redis_timeout=_seconds(redis_timeout),
        redis_prefix=redis_prefix,
    )


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

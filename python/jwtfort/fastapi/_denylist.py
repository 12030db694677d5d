"""The bridge between ``AuthJWT``'s sync protection methods and a denylist callback that may be
``async def``.

Before the route runs, :func:`preflight` (awaited by the hidden security dependency) asks an
async callback about every token the request carries and keeps its answers on the connection;
the sync methods then find them with :func:`is_denylisted`. A token the request did not carry
is asked about from the sync method itself: on the application's loop from a worker thread,
or on a new loop outside any application, never by blocking a running loop.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

from starlette.requests import HTTPConnection

from ..verifier import VerifiedToken
from ._runtime import Runtime
from ._settings import Snapshot

__all__ = ["DenylistCallback", "Preflighted", "is_denylisted", "preflight", "preflighted"]

#: ``token_in_denylist_loader``'s callback: the verified claims in, ``True`` when revoked. It
#: may be ``async def``.
DenylistCallback: TypeAlias = Callable[[dict[str, Any]], bool | Awaitable[bool]]

_PREFLIGHT_KEY: Final = "jwtfort_authjwt_preflight"  # connection.state: async denylist answers


@dataclass
class Preflighted:
    """What the security dependency learned before the route: the loop of the application and
    the async denylist callback's answers, by ``jti``."""

    loop: asyncio.AbstractEventLoop | None
    answers: dict[str, bool] = field(default_factory=dict)


async def preflight(
    connection: HTTPConnection, runtime: Runtime, callback: DenylistCallback | None
) -> None:
    """Awaits an async denylist callback for the tokens the request carries, so that the sync
    protection methods find its answers. Tokens that fail verification are skipped: the
    route's own check refuses them properly."""
    config = runtime.config
    if callback is None or not config.denylist_enabled or not _is_async(callback):
        return
    found = Preflighted(_running_loop())
    for token in _candidate_tokens(connection, config):
        try:
            verified = runtime.verify(token, "any")
        except (RuntimeError, ValueError):
            continue
        jti = verified.jwt_id
        if jti and verified.claims.get("type") in config.denylist_token_checks:
            answer = callback(verified.claims)
            found.answers[jti] = bool(await answer if inspect.isawaitable(answer) else answer)
    setattr(connection.state, _PREFLIGHT_KEY, found)


def preflighted(connection: HTTPConnection | None) -> Preflighted | None:
    """The answers :func:`preflight` left on ``connection``, if it ran."""
    if connection is None:
        return None
    found = getattr(connection.state, _PREFLIGHT_KEY, None)
    return found if isinstance(found, Preflighted) else None


def is_denylisted(
    callback: DenylistCallback, verified: VerifiedToken, found: Preflighted | None
) -> bool:
    """The callback's answer for ``verified``: the one awaited before the route, else asked
    now (see the module documentation for an async callback)."""
    if found is not None and verified.jwt_id in found.answers:
        return found.answers[verified.jwt_id]
    answer = callback(verified.claims)
    if inspect.isawaitable(answer):
        return _await_from_sync(answer, found.loop if found else None)
    return bool(answer)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # an application on another async library (trio)
        return None


def _is_async(callback: object) -> bool:
    return inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
        getattr(callback, "__call__", None)  # noqa: B004 - an object with `async def __call__`
    )


def _await_from_sync(answer: Awaitable[object], loop: asyncio.AbstractEventLoop | None) -> bool:
    """The result of an async callback, in a sync method: on the application's loop from a
    worker thread, on a new loop outside any application; never by blocking a running loop."""
    coroutine = _as_coroutine(answer)
    if _running_loop() is not None:
        coroutine.close()
        raise RuntimeError(
            "the async token_in_denylist_loader callback cannot be awaited here: this token "
            "did not come in the request's header, cookies, query or path, and a running event "
            "loop cannot be blocked; use a sync callback, or pass tokens the request carries"
        )
    if loop is not None and loop.is_running():
        return bool(asyncio.run_coroutine_threadsafe(coroutine, loop).result())
    return bool(asyncio.run(coroutine))


def _as_coroutine(answer: Awaitable[object]) -> Coroutine[Any, Any, object]:
    if inspect.iscoroutine(answer):
        return answer

    async def wait() -> object:
        return await answer

    return wait()


def _candidate_tokens(connection: HTTPConnection, config: Snapshot) -> Iterator[str]:
    """Every token-shaped value the request carries where a route may take it from."""
    seen: set[str] = set()
    values: list[str] = []
    header = connection.headers.get(config.header_name)
    if header and header.split():
        values.append(header.split()[-1])
    for key in (config.access_cookie_key, config.refresh_cookie_key):
        values.append(connection.cookies.get(key, ""))
    if connection.scope["type"] == "websocket":
        values.extend(v for _, v in connection.query_params.multi_items())
        values.extend(str(v) for v in connection.path_params.values())
    for value in values:
        if value.count(".") == 2 and value not in seen:
            seen.add(value)
            yield value

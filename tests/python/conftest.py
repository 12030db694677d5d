"""Shared fixtures: real redis-server processes on loopback ports, an injectable clock, and a
poll for what other store connections see."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from loopback import RedisServer

from jwtfort.compat.fastapi_jwt_auth import AuthJWT as CompatAuthJWT
from jwtfort.fastapi import AuthJWT

__all__ = ["RedisServer"]  # the type of the redis_server fixture, for annotations


def start_redis() -> RedisServer:
    """A redis-server on a free 127.0.0.1 port, without persistence."""
    try:
        return RedisServer(startup_timeout=10).start()
    except FileNotFoundError:
        pytest.skip("redis-server is not installed")


@pytest.fixture(params=[AuthJWT, CompatAuthJWT], ids=["native", "compat"])
def base(request: pytest.FixtureRequest) -> type[AuthJWT]:
    """Each AuthJWT test runs with the native class and with the fastapi-jwt-auth drop-in."""
    result: type[AuthJWT] = request.param
    return result


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a redis-server shared by the session."""
    server = start_redis()
    yield server.url
    server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own, which the test may stop."""
    server = start_redis()
    yield server
    server.stop()


class Clock:
    """A settable "now", for ``clock=`` arguments. It starts at the real time because Redis
    expires a revocation by the wall clock: one recorded under an old fake "now" would lapse at
    once."""

    def __init__(self) -> None:
        self.now = int(time.time())

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _eventually(check: Callable[[], bool], deadline: float = 5.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.005)
    return check()


@pytest.fixture
def eventually() -> Callable[..., bool]:
    """Polls a check until it holds, for at most 5 s: for what another store connection sees,
    which propagates asynchronously; never for token lifetimes, which use the clock."""
    return _eventually

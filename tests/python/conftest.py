"""Shared fixtures: real redis-server processes on loopback ports, an injectable clock, and a
poll for what other store connections see."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from loopback import free_port

from jwtfort.compat.fastapi_jwt_auth import AuthJWT as CompatAuthJWT
from jwtfort.fastapi import AuthJWT

REDIS_SERVER = shutil.which("redis-server")
STARTUP_DEADLINE = 10.0
NO_PERSISTENCE = ("--save", "", "--appendonly", "no")


class RedisServer:
    """A redis-server on a free 127.0.0.1 port, without persistence."""

    def __init__(self) -> None:
        if REDIS_SERVER is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", *NO_PERSISTENCE],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready()

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)  # polling a starting process, not waiting on a token clock
        self.stop()
        raise RuntimeError("redis-server did not start")


@pytest.fixture(params=[AuthJWT, CompatAuthJWT], ids=["native", "compat"])
def base(request: pytest.FixtureRequest) -> type[AuthJWT]:
    """Each AuthJWT test runs with the native class and with the fastapi-jwt-auth drop-in."""
    result: type[AuthJWT] = request.param
    return result


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a redis-server shared by the session."""
    server = RedisServer()
    yield server.url
    server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own, which the test may stop."""
    server = RedisServer()
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

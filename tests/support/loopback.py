"""Loopback servers for the tests and benchmarks: free ports on 127.0.0.1, child processes whose
output is collected line by line, and redis-server.

What lives here is shared by tests/python (pytest's `pythonpath`), tests/http and tests/cli
(ctest puts this directory on PYTHONPATH) and bench/harness.py. Standard library only, and it
depends on nothing else in the tree: everything here starts processes and opens sockets, and
every socket is on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

LOOPBACK = "127.0.0.1"

T = TypeVar("T")


def free_port() -> int:
    """A port no one listens on now, for a server about to start."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.01) -> T:
    """Polls `predicate` until it returns a true value or `timeout` seconds pass; returns the last
    value. For what another process does, never for token lifetimes (those take a clock)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def stop_process(
    process: subprocess.Popen[bytes],
    timeout: float = 10.0,
    stop_signal: signal.Signals = signal.SIGTERM,
    group: bool = False,
) -> int | None:
    """Sends `stop_signal` (to the process group with `group`: a child started with
    start_new_session) and waits; SIGKILL after `timeout` seconds. Returns the exit status, or None
    when it had to be killed."""
    if process.poll() is None:
        _signal(process, stop_signal, group)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        _signal(process, signal.SIGKILL, group)
        process.wait()
        return None


def _signal(process: subprocess.Popen[bytes], signum: signal.Signals, group: bool) -> None:
    try:
        if group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
    except ProcessLookupError:
        pass  # it has just exited: there is nothing left to stop


class Process:
    """One child process whose stdout and stderr are read line by line by two threads, so a test
    can wait for a line it prints (`wait_for_line`) and report everything it said on failure."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        name: str | None = None,
    ) -> None:
        self.name = name or os.path.basename(argv[0])
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._lock = threading.Lock()
        self._new_line = threading.Condition(self._lock)
        self.process: subprocess.Popen[bytes] = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in (
                (self.process.stdout, self.stdout_lines),
                (self.process.stderr, self.stderr_lines),
            )
        ]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def _read(self, stream: Iterable[bytes], lines: list[str]) -> None:
        for raw in stream:
            with self._new_line:
                lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._new_line.notify_all()
        with self._new_line:
            self._new_line.notify_all()  # the end of a stream: a waiter may stop waiting

    def wait_for_line(self, pattern: str | re.Pattern[str], timeout: float) -> re.Match[str]:
        """The first stdout line that matches `pattern` (re.match), waiting at most `timeout`
        seconds; RuntimeError with all the output when the process exits or time runs out."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._new_line:
            while True:
                for line in self.stdout_lines[seen:]:
                    if found := regex.match(line):
                        return found
                seen = len(self.stdout_lines)
                left = deadline - time.monotonic()
                if left <= 0 or not self._readers[0].is_alive():  # or all of stdout was read
                    break
                self._new_line.wait(min(left, 0.5))
        status = self.process.poll()
        what = f"exited with {status} and" if status is not None else f"in {timeout:.0f} s"
        raise RuntimeError(
            f"{self.name} {what} printed no line matching {regex.pattern!r}; {self.output()}"
        )

    def wait_for_port(self, port: int, timeout: float) -> None:
        """Waits until something accepts a TCP connection on 127.0.0.1:`port`; RuntimeError when
        the process exits first or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; {self.output()}"
                )
            try:
                socket.create_connection((LOOPBACK, port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.02)  # polling a starting process
        raise RuntimeError(f"{self.name} did not listen on port {port}; {self.output()}")

    def stderr_text(self) -> str:
        with self._lock:
            return "\n".join(self.stderr_lines)

    def stderr_snapshot(self) -> list[str]:
        """The stderr lines so far, as a list the reader no longer appends to."""
        with self._lock:
            return list(self.stderr_lines)

    def output(self) -> str:
        """Everything it printed so far, for a failure message."""
        with self._lock:
            return f"stdout {self.stdout_lines!r} stderr {self.stderr_lines!r}"

    def stop(
        self, timeout: float = 30.0, stop_signal: signal.Signals = signal.SIGTERM
    ) -> int | None:
        """`stop_signal`, SIGKILL after `timeout`; the exit status (None when killed). The output
        is complete afterwards."""
        status = stop_process(self.process, timeout, stop_signal)
        self._close()
        return status

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._close()

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


# --- redis-server ---------------------------------------------------------------------------


def redis_answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A redis-server on a free 127.0.0.1 port. With `directory` it keeps an append-only file
    there, so a restart on the same port (`stop()`, `start()`) finds its data; without, it keeps
    nothing. `extra_args` are more redis-server options (e.g. --appendfsync)."""

    def __init__(
        self,
        binary: str | None = None,
        directory: str | os.PathLike[str] | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 30.0,
    ) -> None:
        found = binary or shutil.which("redis-server")
        if found is None:
            raise FileNotFoundError("redis-server is not installed")
        self.binary = found
        self.directory = directory
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self._process: Process | None = None

    def start(self) -> RedisServer:
        """Starts it (again on the same port) and waits until it answers PING."""
        if self.directory is None:
            persistence = ["--appendonly", "no"]
        else:
            persistence = ["--appendonly", "yes", "--dir", os.fspath(self.directory)]
        argv = [self.binary, "--port", str(self.port), "--bind", LOOPBACK, "--save", ""]
        self._process = Process([*argv, *persistence, *self.extra_args], name="redis-server")
        if not wait_until(self._ready, self.startup_timeout, interval=0.02):
            self.stop()
            raise RuntimeError(f"redis-server did not start; {self._process.output()}")
        if not self._process.running():
            raise RuntimeError(
                f"redis-server exited with {self._process.process.returncode}; "
                f"{self._process.output()}"
            )
        return self

    def _ready(self) -> bool:
        assert self._process is not None
        return not self._process.running() or redis_answers_ping(self.port)

    def stop(self) -> None:
        """SIGTERM (Redis writes its append-only file and exits), SIGKILL after 10 s."""
        if self._process is not None:
            self._process.stop(timeout=10)
            self._process = None

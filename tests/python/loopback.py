"""Ports for the servers the tests start: always on 127.0.0.1."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port no one listens on now, for a server about to start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port

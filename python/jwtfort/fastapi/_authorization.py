"""The rules the dependency, the bearer and the middleware share: reading the credentials of an
Authorization header value, and reading what a token's claims grant (scopes and roles). Each of
them reports a missing or unusable header, or a missing scope, in its own words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.websockets import WebSocket

_STARLETTE_CONNECTIONS = frozenset({HTTPConnection, Request, WebSocket})

__all__ = ["credentials", "granted_roles", "granted_scopes", "header_values", "names_in"]


def header_values(connection: Any, name: str) -> list[str]:
    """``connection.headers.getlist(name)``, read from the ASGI scope without building Starlette's
    ``Headers`` (ASGI servers send header names lowercased, as ``Headers`` compares them); an
    object that is no Starlette connection is asked through its ``headers``.

    Example::

        header_values(request, "Authorization") == ["Bearer eyJ..."]
    """
    # The exact Starlette types, compared directly: an isinstance check against these ABC-backed
    # classes costs more than the lookup itself. Anything else is asked through its headers.
    if type(connection) not in _STARLETTE_CONNECTIONS:
        return list(connection.headers.getlist(name))
    key = name.lower().encode("latin-1")
    return [value.decode("latin-1") for found, value in connection.scope["headers"] if found == key]


def credentials(value: str, scheme: str) -> str | None:
    """The token of ``<scheme> <token>``, the scheme in any case (RFC 9110 §11.1), or of a bare
    ``<token>`` when ``scheme`` is empty; None when the value has any other shape.

    Example::

        credentials("bearer eyJ...", "Bearer") == "eyJ..."
    """
    parts = value.split()
    if not scheme:
        return parts[0] if len(parts) == 1 else None
    if len(parts) == 2 and parts[0].lower() == scheme.lower():
        return parts[1]
    return None


def granted_scopes(claims: Mapping[str, Any]) -> set[str]:
    """The OAuth scopes of a token: its ``scope`` claim (RFC 8693 §4.2, space-separated) and
    its ``scp`` claim (a list, as some identity providers write it)."""
    return names_in(claims.get("scope")) | names_in(claims.get("scp"))


def granted_roles(claims: Mapping[str, Any], claim: str = "roles") -> set[str]:
    """The roles of a token: its ``roles`` claim (the name RFC 9068 uses), or ``claim``."""
    return names_in(claims.get(claim))


def names_in(value: Any) -> set[str]:
    """Names from a space-separated string or a list of strings; anything else grants none."""
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {name for name in value if isinstance(name, str)}
    return set()

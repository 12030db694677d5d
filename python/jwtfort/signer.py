"""Signing: compact JWS tokens made with one private key or secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _native
from ._convert import claims_json, split_headers
from .keys import Key

__all__ = ["Signer"]


class Signer:
    """Makes tokens with ``key``, which must be able to sign (``InvalidKey`` otherwise).

    The header carries ``alg`` (always the key's), ``kid`` (the key's id, when it has one) and
    ``typ: "JWT"``.

    Example::

        signer = Signer(Key.generate("ES256"))
        token = signer.sign({"sub": "alice", "exp": int(time.time()) + 900})
    """

    __slots__ = ("_native",)

    def __init__(self, key: Key) -> None:
        self._native = _native.Signer(key._native)

    @property
    def key(self) -> Key:
        return Key(self._native.key)

    def sign(self, claims: Mapping[str, Any], *, headers: Mapping[str, Any] | None = None) -> str:
        """The compact token for ``claims`` (any JSON object; a ``datetime`` in ``exp``, ``nbf``
        or ``iat`` becomes a NumericDate).

        ``headers`` adds header members; ``typ`` replaces "JWT" (``None`` leaves it out).
        ``alg``, ``kid`` and the members verifiers refuse (``jwk``, ``jku``, ``x5u``, ``x5c``,
        ``crit``...) raise ``MalformedToken`` with code ``invalid_header``: use
        ``key.with_id(...)`` for another ``kid``.
        """
        typ, extra = split_headers(headers)
        return self._native.sign_json(claims_json(claims), typ=typ, extra_header_json=extra)

    def __repr__(self) -> str:
        return f"<Signer {self.key!r}>"

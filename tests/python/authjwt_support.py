"""What the AuthJWT test modules share: a secret, a fixed clock, and a fresh configured class
per test, so that class-level configuration does not leak from one test into another."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jwtfort.fastapi import AuthJWT

SECRET = "0123456789abcdef0123456789abcdef"  # 32 bytes: the HS256 minimum
NOW = 1_700_000_000


class FixedClock:
    """A settable "now" starting at NOW, for ``AuthJWT._clock``."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def configured(base: type[AuthJWT] = AuthJWT, **settings: Any) -> type[AuthJWT]:
    """A subclass of ``base`` configured with ``settings`` (the secret defaults to SECRET)."""
    settings.setdefault("authjwt_secret_key", SECRET)
    auth = type("Auth", (base,), {})
    auth.load_config(lambda: settings)
    return auth


def class_configuration_restored(cls: type[Any]) -> Iterator[None]:
    """For an autouse fixture: saves the class attributes an application sets on an ``AuthJWT``
    class (``load_config``, ``_secret_key = ...``), yields, then puts them back as they were."""
    saved = {k: v for k, v in vars(cls).items() if k.startswith("_") and not k.endswith("__")}
    yield
    for key in [k for k in vars(cls) if k.startswith("_") and not k.endswith("__")]:
        if key not in saved:
            delattr(cls, key)
    for key, value in saved.items():
        setattr(cls, key, value)

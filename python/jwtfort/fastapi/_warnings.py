"""The warning category of the FastAPI layer."""

from __future__ import annotations

import sys
import warnings

__all__ = ["SecurityWarning", "warn_security"]


class SecurityWarning(UserWarning):
    """An unsafe setting was accepted, only because a compatibility module asked for it (a
    secret shorter than the hash, for instance). Turn it into an error with
    ``warnings.simplefilter("error", SecurityWarning)``."""


def warn_security(message: str) -> None:
    """Warns with ``message``, attributed to the application's line that led here, however
    deep in jwtfort the unsafe setting was accepted."""
    level, frame = 1, sys._getframe(0)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("jwtfort."):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, SecurityWarning, stacklevel=level)

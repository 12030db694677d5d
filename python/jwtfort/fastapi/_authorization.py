"""Reading the credentials of an Authorization header value: the one rule that the dependency,
the bearer and the middleware share. Each of them reports a missing or unusable header in its
own words."""

from __future__ import annotations

__all__ = ["credentials"]


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

"""Conversions between Python values and what jwtfort._native takes: JSON text, whole seconds,
lists of names."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Final, TypeAlias, cast

#: "Now" for tests: a fixed Unix time, or a callable such as ``time.time``; ``None`` is the
#: system clock.
Clock: TypeAlias = int | Callable[[], float] | None
#: A duration: whole seconds, or a ``timedelta`` (truncated to whole seconds).
Seconds: TypeAlias = int | timedelta
#: JSON given as text or bytes, or already parsed into a mapping.
JSONObject: TypeAlias = str | bytes | Mapping[str, Any]

# The registered claims that hold a NumericDate; a datetime given for them becomes one.
_TIME_CLAIMS = ("exp", "nbf", "iat")


def to_json(value: Mapping[str, Any]) -> str:
    """Compact JSON; NaN and infinities are refused since no JSON parser would read them back."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_text(value: JSONObject) -> str | bytes:
    """Text and bytes go to the core untouched, so that it judges exactly what was given."""
    return value if isinstance(value, (str, bytes)) else to_json(value)


def from_json(text: str) -> dict[str, Any]:
    """``json.loads(text)``, for the JSON the core hands over (a header or claims it has parsed
    already). ``json.loads`` first skips whitespace and then checks that nothing follows, which
    costs about as much again as scanning a token's claims: so the text is scanned directly, and
    anything but one value spanning all of it (whitespace around it, or an error) takes
    ``json.loads``'s own path, with its result or its exception."""
    if type(text) is str:
        try:
            value, end = _SCAN_ONCE(text, 0)
        except (StopIteration, ValueError):
            pass
        else:
            if end == len(text):
                return cast(dict[str, Any], value)
    result: dict[str, Any] = json.loads(text)
    return result


# What json.loads scans with (the C scanner when CPython has it), without its entry checks.
# (typeshed does not declare the attribute, which every JSONDecoder sets in its __init__.)
_SCAN_ONCE: Final[Callable[[str, int], tuple[Any, int]]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def numeric_date(value: datetime) -> int:
    """Seconds since the epoch; a naive datetime is taken as UTC, as PyJWT does."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def claims_json(claims: Mapping[str, Any]) -> str:
    """The payload of a token: datetimes in ``exp``, ``nbf`` and ``iat`` become NumericDates."""
    if any(isinstance(claims.get(name), datetime) for name in _TIME_CLAIMS):
        claims = {
            name: numeric_date(value)
            if name in _TIME_CLAIMS and isinstance(value, datetime)
            else value
            for name, value in claims.items()
        }
    return to_json(claims)


def seconds(value: Seconds, what: str) -> int:
    # bool is an int; True seconds is a mistake, not a duration.
    if isinstance(value, bool) or not isinstance(value, (int, timedelta)):
        raise TypeError(f"{what} must be whole seconds or a timedelta, not {value!r}")
    return int(value.total_seconds()) if isinstance(value, timedelta) else value


def names(value: str | Iterable[str]) -> list[str]:
    """One name or several: a lone string is one name, not a sequence of letters."""
    return [value] if isinstance(value, str) else list(value)


def split_headers(headers: Mapping[str, Any] | None) -> tuple[str, str]:
    """``typ`` and the other header members as JSON. ``typ`` is the signer's own option ("JWT"
    by default; ``None`` leaves it out), so it is taken out of the extra members."""
    if not headers:
        return "JWT", ""
    extra = dict(headers)
    typ = extra.pop("typ", "JWT")
    if typ is not None and not isinstance(typ, str):
        raise TypeError(f"typ must be a string or None, not {typ!r}")
    return typ or "", to_json(extra) if extra else ""

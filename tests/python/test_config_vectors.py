"""The ``AUTHJWT_*`` environment settings from the vectors the C++ config is tested with too
(tests/vectors/config/authjwt_environment.json; tests/unit/config_vectors_test.cpp reads the same
file). Each vector's Python outcome is asserted exactly; a vector for the C++ side alone is
reported as skipped, with the reason the vector gives."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pydantic
import pytest
from pydantic_settings import SettingsError

from jwtfort.fastapi import AuthJWTSettings

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "config" / "authjwt_environment.json"
ALL_VECTORS: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]


def outcome(vector: dict[str, Any]) -> dict[str, Any]:
    """What the Python side must do: the shared outcome, or its own when the sides differ."""
    if "python" in vector:
        return dict(vector["python"])
    if "error" in vector:
        return {"error": vector["error"]["python"]}
    return {"expect": vector["expect"]}


def neutral(name: str, value: Any) -> Any:
    """A setting's value as the vectors write it: lifetimes in seconds, lists for tuples and
    for one audience, sorted lists for sets (compared with the vector's, sorted too)."""
    if name == "AUTHJWT_DECODE_AUDIENCE" and isinstance(value, str):
        return [value]
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def expected(name: str, value: Any) -> Any:
    return sorted(value) if name in SET_SETTINGS and isinstance(value, list) else value


SET_SETTINGS = {
    name.upper()
    for name, field in AuthJWTSettings.model_fields.items()
    if "frozenset" in str(field.annotation)
}


def read(env: dict[str, str]) -> AuthJWTSettings | str:
    """The settings of ``env`` alone, or the message of their refusal: ``field: message`` for
    each pydantic error, joined by ``; ``."""
    try:
        return AuthJWTSettings.from_env(None)
    except pydantic.ValidationError as error:
        return "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
    except SettingsError as error:
        return str(error)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in list(os.environ):
        if name.upper().startswith("AUTHJWT_"):
            monkeypatch.delenv(name)
    yield monkeypatch


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=[v["name"] for v in ALL_VECTORS])
def test_vector(vector: dict[str, Any], environment: pytest.MonkeyPatch) -> None:
    if vector.get("only") == "cpp":
        pytest.skip(f"C++ only: {vector['why']}")
    for name, value in vector["env"].items():
        environment.setenv(name, value)
    want = outcome(vector)
    got = read(vector["env"])
    if "error" in want:
        assert got == want["error"]
        return
    assert isinstance(got, AuthJWTSettings), got
    for name, value in want["expect"].items():
        assert neutral(name, getattr(got, name.lower())) == expected(name, value), name


def test_every_vector_says_why_the_sides_differ() -> None:
    for vector in ALL_VECTORS:
        sided = "cpp" in vector or "python" in vector
        assert sided == ("differs" in vector), vector["name"]
        if sided:
            assert "cpp" in vector and "python" in vector, vector["name"]
        if "only" in vector:
            assert vector["only"] in ("cpp", "python") and vector["why"], vector["name"]
        outcomes = [key for key in ("expect", "error", "cpp") if key in vector]
        assert len(outcomes) == 1, vector["name"]


def test_the_vectors_cover_every_authjwt_setting() -> None:
    names = {name.upper() for name in AuthJWTSettings.model_fields}
    defaults = next(v for v in ALL_VECTORS if v["name"] == "defaults")
    every = next(v for v in ALL_VECTORS if v["name"] == "every_setting")
    only_python = {name for v in ALL_VECTORS if v.get("only") == "python" for name in v["env"]}
    assert set(defaults["expect"]) | only_python == names
    assert set(every["env"]) | only_python == names
    refused = {name for v in ALL_VECTORS if refuses(v) for name in v["env"]}
    # Every setting has a value refused on a side, but the header type, which takes any text.
    assert names - refused == {"AUTHJWT_HEADER_TYPE"}


def refuses(vector: dict[str, Any]) -> bool:
    sides = [vector.get("cpp", {}), vector.get("python", {})]
    return "error" in vector or any("error" in side for side in sides)

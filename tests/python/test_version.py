"""jwtfort.__version__ is the project's one version, project(jwtfort VERSION ...) in the top
CMakeLists.txt, which pyproject.toml takes into the package metadata."""

from __future__ import annotations

import re
from pathlib import Path

import jwtfort

TOP_CMAKELISTS = Path(__file__).resolve().parents[2] / "CMakeLists.txt"


def project_version() -> str:
    found = re.search(
        r"project\(jwtfort VERSION ([0-9]+\.[0-9]+\.[0-9]+)",
        TOP_CMAKELISTS.read_text(encoding="utf-8"),
    )
    assert found is not None, f"no project(jwtfort VERSION x.y.z) in {TOP_CMAKELISTS}"
    return found.group(1)


def test_version_is_the_projects() -> None:
    assert jwtfort.__version__ == project_version()

"""jwtfort.__version__ is the project's one version, project(jwtfort VERSION ...) in the top
CMakeLists.txt, which pyproject.toml takes into the package metadata."""

from __future__ import annotations

import re
from importlib.metadata import version
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


def test_the_module_and_the_package_metadata_agree() -> None:
    # __version__ comes from the extension module (cheap to import), the metadata from
    # pyproject.toml: both read the same CMakeLists.txt line, at the same build.
    assert jwtfort.__version__ == version("jwtfort")


def test_openssl_version_names_a_loaded_openssl_3() -> None:
    # The loaded library's own words, e.g. "OpenSSL 3.0.15 3 Sep 2024": a wheel bundles its
    # copy, so this is what tells a user whether an OpenSSL fix has reached them.
    assert re.fullmatch(r"OpenSSL 3\.[0-9]+\.[0-9]+[a-z]* .+", jwtfort.__openssl_version__)
    assert jwtfort.__openssl_version__ == jwtfort._native.openssl_version()

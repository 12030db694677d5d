"""What the OpenID Connect test modules share: the skip where Node.js is missing, and the
provider (tests/support/oidc_provider.py) a module's tests run against."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from oidc_provider import OidcProvider

# npm only installs the provider's packages (tests/oidc); a tree that has them needs Node.js alone.
NEEDS_NODE = pytest.mark.skipif(
    shutil.which("node") is None, reason="Node.js runs the OpenID Connect provider"
)

# The one user account the provider's login knows.
ACCOUNTS = {"alice": {"roles": ["reader"]}}


def module_provider(
    tmp_path_factory: pytest.TempPathFactory, claims: dict[str, Any]
) -> Iterator[OidcProvider]:
    """For a module-scoped fixture: a started provider whose client tokens carry `claims`, with
    ACCOUNTS to log in; stopped when the module is done."""
    directory = tmp_path_factory.mktemp("provider")
    with OidcProvider(str(directory), claims=claims, accounts=ACCOUNTS) as started:
        yield started

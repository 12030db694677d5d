"""What the extension prints when the interpreter exits: nothing, whether objects were released
or still held by module-level caches; and with JWTFORT_LEAK_WARNINGS=1 (nanobind's own leak
check), nothing for objects that were released, so their references are counted right."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Every kind of native object the package makes, released again before exit.
RELEASED = """
import gc, jwtfort
key = jwtfort.Key.generate("ES256")
secret = jwtfort.Key.from_secret(b"k" * 32, "HS256")
token = jwtfort.Signer(key).sign({"sub": "alice", "exp": 4102444800})
verified = jwtfort.Verifier(algorithms=["ES256"], keys=key).verify(token)
assert verified.subject == "alice"
keys = jwtfort.KeySet.from_jwks(jwtfort.KeyRing.from_key(key).to_public_jwks())
store = jwtfort.open_store("memory://")
service = jwtfort.TokenService(secret, store=store, verified_cache_entries=16)
pair = service.create_token_pair("alice")
assert service.require_access(pair.access_token).subject == "alice"
service.revoke(service.require_refresh(pair.refresh_token))
del key, secret, token, verified, keys, store, service, pair
gc.collect()
"""

# A token service still referenced when the interpreter exits, as by a FastAPI dependency's
# cache that outlives finalization: here one reference that is never released.
HELD = """
import ctypes, jwtfort

service = jwtfort.TokenService(
    jwtfort.Key.from_secret(b"k" * 32, "HS256"), store=jwtfort.open_store("memory://"))
pair = service.create_token_pair("alice")
assert service.require_access(pair.access_token).subject == "alice"
ctypes.pythonapi.Py_IncRef(ctypes.py_object(service._native))
"""


def run(script: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JWTFORT_LEAK_WARNINGS"}
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("script", [RELEASED, HELD], ids=["released", "held"])
def test_exit_is_silent(script: str) -> None:
    done = run(script)
    assert (done.returncode, done.stderr) == (0, "")


def test_released_objects_pass_nanobinds_leak_check() -> None:
    done = run(RELEASED, JWTFORT_LEAK_WARNINGS="1")
    assert (done.returncode, done.stderr) == (0, "")


def test_the_leak_check_is_on_with_the_switch() -> None:
    # The switch works: held objects are reported, so the test above can fail.
    done = run(HELD, JWTFORT_LEAK_WARNINGS="1")
    assert done.returncode == 0
    assert "nanobind: leaked" in done.stderr

"""jwtfort.compat.fastapi_jwt_auth as a drop-in: what fastapi-jwt-auth's users rely on beyond
the documented API (configuration read on every call, its refusals and Python's own errors),
and legacy keys accepted with a SecurityWarning."""

# Routes are written as fastapi-jwt-auth's users write them: `Authorize: AuthJWT = Depends()`.
# ruff: noqa: N803, B008

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from authjwt_support import SECRET, class_configuration_restored
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

import jwtfort
from jwtfort.compat.fastapi_jwt_auth import AuthJWT
from jwtfort.compat.fastapi_jwt_auth.exceptions import AuthJWTException, JWTDecodeError
from jwtfort.fastapi import AuthJWT as NativeAuthJWT
from jwtfort.fastapi import SecurityWarning


@pytest.fixture(autouse=True)
def restore_class_configuration() -> Iterator[None]:
    """Tests configure the AuthJWT class itself, as applications do; put it back after."""
    restored = class_configuration_restored(AuthJWT)
    next(restored)
    AuthJWT.load_config(lambda: [("authjwt_secret_key", SECRET)])
    yield
    next(restored, None)


def app() -> FastAPI:
    app = FastAPI()

    @app.exception_handler(AuthJWTException)
    def refused(request: Request, exc: AuthJWTException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})

    @app.get("/protected")
    def protected(Authorize: AuthJWT = Depends()) -> dict[str, Any]:
        Authorize.jwt_required()
        return {"sub": Authorize.get_jwt_subject()}

    @app.get("/set-access-cookies")
    def set_access_cookies(Authorize: AuthJWT = Depends()) -> None:
        Authorize.set_access_cookies(Authorize.create_access_token(subject="a"))

    @app.get("/unset-refresh-cookies")
    def unset_refresh_cookies(Authorize: AuthJWT = Depends()) -> None:
        Authorize.unset_refresh_cookies()

    return app


def rsa_pem(bits: int) -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def test_an_instance_follows_later_class_assignments() -> None:
    authorize = AuthJWT()
    token = authorize.create_access_token(subject="alice")
    AuthJWT._secret_key = None
    with pytest.raises(RuntimeError) as raised:
        authorize.create_access_token(subject="alice")
    assert (
        str(raised.value) == "authjwt_secret_key must be set when using symmetric algorithm HS256"
    )
    AuthJWT._secret_key = SECRET
    AuthJWT._decode_issuer = "urn:issuer"
    with pytest.raises(JWTDecodeError) as refused:
        authorize.get_raw_jwt(token)
    assert (refused.value.status_code, refused.value.message) == (
        422,
        'Token is missing the "iss" claim',
    )


def test_an_instance_follows_later_load_config() -> None:
    authorize = AuthJWT()
    authorize.create_access_token(subject="alice")
    with pytest.warns(SecurityWarning):  # SECRET is shorter than HS512 asks
        AuthJWT.load_config(
            lambda: [("authjwt_secret_key", SECRET), ("authjwt_algorithm", "HS512")]
        )
    token = authorize.create_access_token(subject="alice")
    assert authorize.get_unverified_jwt_headers(token)["alg"] == "HS512"


def test_an_instance_attribute_shadows_the_class_for_that_instance() -> None:
    AuthJWT._secret_key = None
    authorize = AuthJWT()
    # fastapi-jwt-auth's tests assign on the instance; typed code sees a class variable.
    setattr(authorize, "_secret_key", SECRET)  # noqa: B010
    token = authorize.create_access_token(subject="alice")
    claims = authorize.get_raw_jwt(token)
    assert claims is not None and claims["sub"] == "alice"
    setattr(authorize, "_secret_key", None)  # noqa: B010
    with pytest.raises(RuntimeError, match="authjwt_secret_key must be set"):
        authorize.create_access_token(subject="alice")
    with pytest.raises(RuntimeError, match="authjwt_secret_key must be set"):
        AuthJWT().create_access_token(subject="alice")


def test_the_class_has_no_token() -> None:
    assert AuthJWT._token is None
    assert NativeAuthJWT._token is None


def test_load_config_keeps_the_containers_it_was_given() -> None:
    AuthJWT.load_config(
        lambda: [
            ("authjwt_secret_key", SECRET),
            ("authjwt_token_location", ["cookies"]),
            ("authjwt_decode_algorithms", ["HS256"]),
            ("authjwt_csrf_methods", ["post", "put"]),
            ("authjwt_denylist_token_checks", {"refresh"}),
        ]
    )
    assert AuthJWT._token_location == ["cookies"]
    assert AuthJWT._decode_algorithms == ["HS256"]
    assert AuthJWT._csrf_methods == ["POST", "PUT"]
    assert AuthJWT._denylist_token_checks == {"refresh"}


def test_a_header_type_of_none_reads_the_bare_token() -> None:
    AuthJWT.load_config(lambda: [("authjwt_secret_key", SECRET), ("authjwt_header_type", None)])
    assert AuthJWT._header_type is None
    token = AuthJWT().create_access_token(subject="alice")
    with TestClient(app()) as client:
        bare = client.get("/protected", headers={"Authorization": token})
        typed = client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert (bare.status_code, bare.json()) == (200, {"sub": "alice"})
    assert (typed.status_code, typed.json()) == (
        422,
        {"detail": "Bad Authorization header. Expected value '<JWT>'"},
    )


def test_the_allow_list_decides_before_any_key_is_looked_for() -> None:
    token = AuthJWT().create_access_token(subject="alice")  # HS256
    AuthJWT.load_config(
        lambda: [
            ("authjwt_secret_key", SECRET * 2),
            ("authjwt_decode_algorithms", ["HS384", "RS256"]),
        ]
    )
    with TestClient(app()) as client:
        response = client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()) == (
        422,
        {"detail": "The specified alg value is not allowed"},
    )


def test_native_allow_list_decides_before_any_key_is_looked_for() -> None:
    auth: type[NativeAuthJWT] = type("Auth", (NativeAuthJWT,), {})
    auth.load_config(lambda: {"authjwt_secret_key": SECRET})
    token = auth().create_access_token(subject="alice")
    auth.load_config(
        lambda: {"authjwt_secret_key": SECRET * 2, "authjwt_decode_algorithms": ["HS384", "RS256"]}
    )
    with pytest.raises(AuthJWTException) as refused:
        auth().get_raw_jwt(token)
    assert (refused.value.status_code, refused.value.message) == (401, "Invalid token")
    assert refused.value.code == "algorithm_not_allowed"


@pytest.mark.parametrize(
    ("url", "method"),
    [
        ("/set-access-cookies", "set_access_cookies"),
        ("/unset-refresh-cookies", "unset_refresh_cookies"),
    ],
)
def test_cookie_helpers_raise_without_the_cookie_location(url: str, method: str) -> None:
    with TestClient(app()) as client, pytest.raises(RuntimeWarning) as raised:
        client.get(url)
    assert str(raised.value) == (
        f"{method}() called without 'authjwt_token_location' configured to use cookies"
    )


@pytest.mark.parametrize("method", ["create_access_token", "create_refresh_token"])
def test_a_missing_subject_is_pythons_missing_argument(method: str) -> None:
    with pytest.raises(TypeError) as raised:
        getattr(AuthJWT(), method)()
    assert str(raised.value) == f"{method}() missing 1 required positional argument: 'subject'"


def test_a_legacy_rsa_key_is_accepted_with_a_warning_at_the_callers_line() -> None:
    private_pem, public_pem = rsa_pem(1024)
    settings = [
        ("authjwt_algorithm", "RS256"),
        ("authjwt_private_key", private_pem),
        ("authjwt_public_key", public_pem),
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AuthJWT.load_config(lambda: settings)
    assert [(w.category, str(w.message), w.filename) for w in caught] == [
        (
            SecurityWarning,
            f"authjwt_{which}_key is an RSA key of 1024 bits, shorter than the 2048 RFC 7518 "
            "§3.3 requires; accepted only for compatibility: use a key of at least 2048 bits",
            __file__,
        )
        for which in ("private", "public")
    ]
    token = AuthJWT().create_access_token(subject="alice")
    assert AuthJWT().get_jwt_identity() is None
    assert AuthJWT().get_jti(token) == jwtfort.unverified_claims(token)["jti"]


def test_the_native_api_keeps_refusing_a_legacy_rsa_key() -> None:
    private_pem, _ = rsa_pem(1024)
    with pytest.raises(jwtfort.WeakKey) as raised:
        jwtfort.Key.from_pem(private_pem, "RS256")
    assert raised.value.message == "RSA modulus is shorter than 2048 bits"
    auth: type[NativeAuthJWT] = type("Auth", (NativeAuthJWT,), {})
    with pytest.raises(jwtfort.WeakKey):
        auth.load_config(lambda: {"authjwt_algorithm": "RS256", "authjwt_private_key": private_pem})
    assert jwtfort.Key.from_legacy_pem_unsafe(private_pem, "RS256").bits == 1024


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_tiny_rsa_key_is_refused_even_for_compatibility() -> None:
    # cryptography no longer makes keys this short; the openssl command still does.
    made = subprocess.run(
        ["openssl", "genrsa", "768"], capture_output=True, text=True, check=True, timeout=60
    )
    with pytest.raises(jwtfort.WeakKey) as raised:
        jwtfort.Key.from_legacy_pem_unsafe(made.stdout, "RS256")
    assert raised.value.message == "RSA modulus is shorter than 1000 bits"


def test_a_short_secret_warns_at_the_callers_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AuthJWT.load_config(lambda: [("authjwt_secret_key", "short")])
    assert [(w.category, w.filename) for w in caught] == [(SecurityWarning, __file__)]

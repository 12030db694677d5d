"""The OpenID Connect provider the tests run (tests/support/oidc_provider.py) does what they rely
on: its access tokens, obtained over its real endpoints, verify with PyJWT against the keys of the
discovery document's jwks_uri, as RFC 9068 JWTs for the resource; key rotation, restarts, HTTPS
with a test CA, and the request log that counts what reached it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from oidc_provider import (
    ES256_CLIENT,
    PUBLIC_CLIENT,
    RESOURCE,
    RS256_CLIENT,
    OidcError,
    OidcProvider,
    TestCertificateAuthority,
)
from oidc_support import NEEDS_NODE, module_provider

pytestmark = NEEDS_NODE

ROLES = {"roles": ["admin", "auditor"]}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    yield from module_provider(tmp_path_factory, ROLES)


def verify(provider: OidcProvider, token: str, ssl_context: ssl.SSLContext | None = None) -> Any:
    """PyJWT's verification against the keys at the discovery document's jwks_uri."""
    jwks_uri = provider.discovery()["jwks_uri"]
    client = jwt.PyJWKClient(jwks_uri, cache_keys=False, ssl_context=ssl_context)
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key,
        algorithms=["RS256", "ES256"],
        audience=RESOURCE,
        issuer=provider.issuer,
        options={"require": ["exp", "iat", "sub", "jti", "client_id"]},
    )


def test_discovery_names_the_issuer_and_its_jwks(provider: OidcProvider) -> None:
    document = provider.discovery()
    assert document["issuer"] == provider.issuer
    assert document["jwks_uri"] == provider.issuer + "/jwks"
    assert "client_credentials" in document["grant_types_supported"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    served = provider.get_json(document["jwks_uri"])
    assert [(k["kid"], k["kty"]) for k in served["keys"]] == [("rs-1", "RSA"), ("es-1", "EC")]
    assert all("d" not in key for key in served["keys"])


@pytest.mark.parametrize(
    ("client_id", "alg", "kid"), [(RS256_CLIENT, "RS256", "rs-1"), (ES256_CLIENT, "ES256", "es-1")]
)
def test_client_credentials_tokens_are_rfc9068_access_tokens(
    provider: OidcProvider, client_id: str, alg: str, kid: str
) -> None:
    token = provider.client_credentials_token(client_id, scope="read write")
    assert jwt.get_unverified_header(token) == {"alg": alg, "typ": "at+jwt", "kid": kid}
    claims = verify(provider, token)
    assert claims["aud"] == RESOURCE
    assert claims["sub"] == client_id
    assert claims["client_id"] == client_id
    assert claims["scope"] == "read write"
    assert claims["roles"] == ["admin", "auditor"]
    assert claims["exp"] - claims["iat"] == 600


def test_the_token_endpoint_refuses_a_wrong_secret_and_a_foreign_resource(
    provider: OidcProvider,
) -> None:
    with pytest.raises(OidcError) as wrong_secret:
        provider.client_credentials_token(secret="not-the-secret")
    assert (wrong_secret.value.status, wrong_secret.value.body["error"]) == (401, "invalid_client")
    with pytest.raises(OidcError) as foreign:
        provider.client_credentials_token(resource="https://elsewhere.test")
    assert (foreign.value.status, foreign.value.body["error"]) == (400, "invalid_target")


def test_authorization_code_with_pkce_signs_a_user_in(provider: OidcProvider) -> None:
    answer = provider.authorization_code_token("alice", scope="openid read")
    token = answer["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    claims = verify(provider, token)
    assert (claims["sub"], claims["client_id"], claims["scope"]) == ("alice", PUBLIC_CLIENT, "read")
    assert claims["roles"] == ["reader"]
    assert "id_token" in answer  # for the client, never accepted as an access token


def test_hand_signed_tokens_verify_with_the_provider_keys(provider: OidcProvider) -> None:
    for alg in ("RS256", "ES256"):
        header = {"alg": alg, "kid": provider.kid_of(alg), "typ": "at+jwt"}
        claims = {
            "iss": provider.issuer,
            "aud": RESOURCE,
            "sub": "x",
            "iat": 1,
            "exp": 2**40,
            "jti": "j",
            "client_id": "c",
        }
        assert verify(provider, provider.sign(header, claims, alg))["sub"] == "x"


def test_every_request_is_counted(provider: OidcProvider) -> None:
    before = len(provider.requests("/jwks"))
    provider.get_json(provider.url("/jwks"))
    assert provider.requests("/jwks")[before:] == [
        {"method": "GET", "path": "/jwks", "status": 200}
    ]


def test_key_rotation_and_restart(tmp_path: Path) -> None:
    with OidcProvider(str(tmp_path)) as provider:
        old = provider.client_credentials_token()
        port = provider.port
        provider.rotate_keys([("RS256", "rs-2"), ("ES256", "es-2")])
        new = provider.client_credentials_token()
        assert jwt.get_unverified_header(new)["kid"] == "rs-2"
        assert verify(provider, new)["sub"] == RS256_CLIENT
        with pytest.raises(jwt.PyJWKClientError):  # the old key is gone from the JWKS
            verify(provider, old)
        provider.stop()
        assert not provider.running()
        provider.start()  # the same port and keys
        assert provider.port == port
        assert verify(provider, provider.client_credentials_token())["sub"] == RS256_CLIENT


def test_https_with_a_test_ca(tmp_path: Path) -> None:
    authority = TestCertificateAuthority(str(tmp_path / "ca"))
    with OidcProvider(str(tmp_path / "provider"), tls=authority) as provider:
        assert provider.issuer.startswith("https://127.0.0.1:")
        token = provider.client_credentials_token(ES256_CLIENT)
        context = ssl.create_default_context(cafile=authority.ca_file)
        assert verify(provider, token, context)["iss"] == provider.issuer
        with pytest.raises(jwt.PyJWKClientConnectionError):  # without the CA: refused
            verify(provider, token, ssl.create_default_context())

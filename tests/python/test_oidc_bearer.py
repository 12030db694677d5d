"""OIDCBearer and TrustedIssuers against a real OpenID Connect provider (oidc-provider on
loopback): tokens obtained over its real endpoints reach the routes with their mapped identity;
role and scope checks; refusals with the exact bodies of jwtfort's HTTP table; the provider down
at start, then up; key rotation; the OpenAPI scheme pointing Swagger UI at the provider."""

# No `from __future__ import annotations`: the routes' annotations refer to the local `bearer`.
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Security
from fastapi.testclient import TestClient
from loopback import wait_until
from oidc_provider import (
    ES256_CLIENT,
    PUBLIC_CLIENT,
    RESOURCE,
    RS256_CLIENT,
    OidcProvider,
    TestCertificateAuthority,
)
from oidc_support import NEEDS_NODE, module_provider
from pydantic import BaseModel

import jwtfort
from jwtfort.fastapi import OIDCBearer, OIDCUser

pytestmark = NEEDS_NODE

CLIENT_CLAIMS = {"roles": ["clerk"]}
MISSING = ("Missing Authorization Header", "Bearer")
INVALID = ("Invalid token", 'Bearer error="invalid_token"')
EXPIRED = ("Signature has expired", 'Bearer error="invalid_token"')
UNAVAILABLE = ("Key set unavailable", None)
DISCOVERY = "/.well-known/openid-configuration"
FORBIDDEN = ("Insufficient scope", 'Bearer error="insufficient_scope"')


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    yield from module_provider(tmp_path_factory, CLIENT_CLAIMS)


def make_app(bearer: OIDCBearer[Any]) -> FastAPI:
    app = FastAPI(lifespan=bearer.lifespan, swagger_ui_init_oauth=bearer.swagger_ui_init_oauth)

    @app.get("/me")
    def me(user: Annotated[Any, Depends(bearer)]) -> dict[str, Any]:
        return {"type": type(user).__name__, "user": None if user is None else user.model_dump()}

    @app.get("/orders", dependencies=[Depends(bearer.requires_scopes("read"))])
    def orders() -> list[str]:
        return ["o-1"]

    @app.delete("/orders", dependencies=[Depends(bearer.requires_scopes("read", "write"))])
    def delete_orders() -> None:
        return None

    @app.get("/reports")
    def reports(user: Annotated[Any, Security(bearer, scopes=["admin"])]) -> str:
        return str(user.subject)

    @app.get("/desk")
    def desk(user: Annotated[Any, Depends(bearer.requires_roles("clerk"))]) -> str:
        return str(user.subject)

    @app.get("/admin", dependencies=[Depends(bearer.requires_roles("admin"))])
    def admin() -> str:
        return "ok"

    return app


def ready_bearer(provider: OidcProvider, **options: Any) -> OIDCBearer[Any]:
    options.setdefault("audience", RESOURCE)
    options.setdefault("algorithms", ["RS256", "ES256"])
    bearer = OIDCBearer(issuer=provider.issuer, **options)
    assert bearer.issuers.wait_until_ready(30)
    return bearer


def get(app: FastAPI, path: str, token: str | None = None, method: str = "GET") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return TestClient(app).request(method, path, headers=headers)


def refusal(response: Any) -> tuple[str, str | None]:
    return response.json()["detail"], response.headers.get("www-authenticate")


def hand_signed(
    provider: OidcProvider, alg: str = "RS256", typ: str = "at+jwt", **claims: Any
) -> str:
    """A token signed with the provider's current key, with the claims the tests want."""
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": provider.issuer,
        "aud": RESOURCE,
        "sub": "svc",
        "client_id": "svc",
        "iat": now,
        "exp": now + 300,
        "jti": f"j-{now}",
        "scope": "read",
    }
    body.update(claims)
    header = {"alg": alg, "kid": provider.kid_of(alg), "typ": typ}
    return provider.sign(header, {k: v for k, v in body.items() if v is not None}, alg)


# --- accepted tokens ------------------------------------------------------------------------


@pytest.mark.parametrize(("client_id", "alg"), [(RS256_CLIENT, "RS256"), (ES256_CLIENT, "ES256")])
def test_a_client_credentials_token_reaches_the_route_with_its_identity(
    provider: OidcProvider, client_id: str, alg: str
) -> None:
    app = make_app(ready_bearer(provider, require_at_jwt=True))
    token = provider.client_credentials_token(client_id, scope="read write")
    response = get(app, "/me", token)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "OIDCUser"
    user = body["user"]
    claims = user.pop("claims")
    assert user == {
        "subject": client_id,
        "issuer": provider.issuer,
        "client_id": client_id,
        "roles": ["clerk"],
        "scopes": ["read", "write"],
    }
    assert (claims["aud"], claims["scope"], claims["client_id"]) == (
        RESOURCE,
        "read write",
        client_id,
    )
    assert get(app, "/orders", token).json() == ["o-1"]
    assert get(app, "/orders", token, method="DELETE").status_code == 200
    assert get(app, "/desk", token).json() == client_id


def test_a_bearer_remembers_verified_tokens(provider: OidcProvider) -> None:
    bearer = ready_bearer(provider)
    app = make_app(bearer)
    token = provider.client_credentials_token(RS256_CLIENT, scope="read")
    for _ in range(3):
        assert get(app, "/me", token).json()["user"]["subject"] == RS256_CLIENT
    stats = bearer.issuers.cache_stats()
    assert (stats.misses, stats.hits, stats.entries) == (1, 2, 1)


def test_trusted_issuers_cache_only_when_asked(provider: OidcProvider) -> None:
    options = jwtfort.IssuerOptions(issuer=provider.issuer, audience=RESOURCE)
    token = provider.client_credentials_token(RS256_CLIENT, scope="read")
    plain = jwtfort.TrustedIssuers(options)
    caching = jwtfort.TrustedIssuers(options, verified_cache_entries=16)
    for issuers in (plain, caching):
        assert issuers.wait_until_ready(30)
        for _ in range(2):
            assert issuers.verify(token).subject == RS256_CLIENT
    assert plain.cache_stats().hits == 0
    assert (caching.cache_stats().hits, caching.cache_stats().misses) == (1, 1)


def test_an_authorization_code_pkce_token_reaches_the_route(provider: OidcProvider) -> None:
    app = make_app(ready_bearer(provider, require_at_jwt=True))
    token = provider.authorization_code_token("alice", scope="openid read")["access_token"]
    user = get(app, "/me", token).json()["user"]
    assert (user["subject"], user["client_id"], user["roles"], user["scopes"]) == (
        "alice",
        PUBLIC_CLIENT,
        ["reader"],
        ["read"],
    )
    assert get(app, "/orders", token).json() == ["o-1"]


class Caller(BaseModel):
    subject: str
    client_id: str
    roles: list[str]


def test_a_user_model_of_ones_own(provider: OidcProvider) -> None:
    bearer = OIDCBearer(issuer=provider.issuer, audience=RESOURCE, user_model=Caller)
    assert bearer.issuers.wait_until_ready(30)
    app = make_app(bearer)
    token = provider.client_credentials_token()
    assert get(app, "/me", token).json() == {
        "type": "Caller",
        "user": {"subject": RS256_CLIENT, "client_id": RS256_CLIENT, "roles": ["clerk"]},
    }
    no_client = hand_signed(provider, client_id=None)
    assert refusal(get(app, "/me", no_client)) == INVALID  # does not fit the model


def test_keycloak_style_claim_paths_map_roles_and_scopes(provider: OidcProvider) -> None:
    bearer = ready_bearer(
        provider,
        roles_claim=["realm_access.roles", "resource_access.orders.roles"],
        scopes_claim="scp",
    )
    app = make_app(bearer)
    token = hand_signed(
        provider,
        typ="JWT",
        scope=None,
        scp=["read", "write"],
        realm_access={"roles": ["clerk"]},
        resource_access={"orders": {"roles": ["admin"]}},
    )
    user = get(app, "/me", token).json()["user"]
    assert (user["roles"], user["scopes"]) == (["clerk", "admin"], ["read", "write"])
    assert get(app, "/admin", token).json() == "ok"


# --- refusals --------------------------------------------------------------------------------


def test_roles_and_scopes_are_required(provider: OidcProvider) -> None:
    app = make_app(ready_bearer(provider))
    token = provider.client_credentials_token(scope="read")
    response = get(app, "/admin", token)
    assert response.status_code == 403
    assert refusal(response) == FORBIDDEN
    response = get(app, "/orders", token, method="DELETE")
    assert response.status_code == 403
    assert refusal(response) == (FORBIDDEN[0], f'{FORBIDDEN[1]}, scope="read write"')
    response = get(app, "/reports", token)
    assert (response.status_code, refusal(response)) == (
        403,
        (FORBIDDEN[0], f'{FORBIDDEN[1]}, scope="admin"'),
    )


def test_missing_and_malformed_headers(provider: OidcProvider) -> None:
    app = make_app(ready_bearer(provider))
    response = get(app, "/me")
    assert (response.status_code, refusal(response)) == (401, MISSING)
    response = TestClient(app).get("/me", headers={"Authorization": "Basic abc"})
    assert (response.status_code, refusal(response)) == (
        400,
        ("Bad Authorization header", 'Bearer error="invalid_request"'),
    )


def test_a_token_for_another_audience_is_refused(provider: OidcProvider) -> None:
    app = make_app(ready_bearer(provider, audience="https://other-api.test"))
    response = get(app, "/me", provider.client_credentials_token())
    assert (response.status_code, refusal(response)) == (401, INVALID)


def test_an_expired_token_is_refused(provider: OidcProvider) -> None:
    app = make_app(ready_bearer(provider))
    now = int(time.time())
    token = hand_signed(provider, iat=now - 700, exp=now - 100)
    response = get(app, "/me", token)
    assert (response.status_code, refusal(response)) == (401, EXPIRED)


def test_require_at_jwt_refuses_an_id_token_shaped_token(provider: OidcProvider) -> None:
    app = make_app(ready_bearer(provider, require_at_jwt=True))
    response = get(app, "/me", hand_signed(provider, typ="JWT"))
    assert (response.status_code, refusal(response)) == (401, INVALID)
    # The same token is fine where ID-token shaped access tokens are expected.
    relaxed = make_app(ready_bearer(provider))
    assert get(relaxed, "/me", hand_signed(provider, typ="JWT")).status_code == 200


def test_alg_confusion_with_the_providers_public_key_is_refused(provider: OidcProvider) -> None:
    app = make_app(ready_bearer(provider))
    public = next(k for k in provider.jwks["keys"] if k["alg"] == "RS256")
    public = {k: v for k, v in public.items() if k not in {"d", "p", "q", "dp", "dq", "qi"}}
    pem = jwtfort.Key.from_jwk(public).to_public_pem()
    forged_key = jwtfort.Key.from_secret(pem, "HS256").with_id(public["kid"])
    claims = {
        "iss": provider.issuer,
        "aud": RESOURCE,
        "sub": "mallory",
        "client_id": "mallory",
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
        "jti": "forged",
    }
    forged = jwtfort.Signer(forged_key).sign(claims, headers={"typ": "at+jwt"})
    response = get(app, "/me", forged)
    assert (response.status_code, refusal(response)) == (401, INVALID)


def test_a_token_from_an_untrusted_provider_is_refused_without_contacting_it(
    provider: OidcProvider, tmp_path: Path
) -> None:
    app = make_app(ready_bearer(provider))
    with OidcProvider(str(tmp_path), claims=CLIENT_CLAIMS) as stranger:
        token = stranger.client_credentials_token()
        response = get(app, "/me", token)
        assert (response.status_code, refusal(response)) == (401, INVALID)
        # Only the test's own requests for the token: its discovery and its token endpoint.
        wait_until(lambda: len(stranger.requests()) >= 2, 5)
        assert [r["path"] for r in stranger.requests()] == [
            "/.well-known/openid-configuration",
            "/token",
        ]
    # A second instance claiming the trusted issuer: its keys are not the trusted ones.
    with OidcProvider(str(tmp_path / "impostor"), issuer=provider.issuer) as impostor:
        forged = impostor.client_credentials_token()
        response = get(app, "/me", forged)
        assert (response.status_code, refusal(response)) == (401, INVALID)
        assert impostor.requests("/jwks") == []


def test_auto_error_off_gives_none_for_a_bad_token_but_requirements_still_refuse(
    provider: OidcProvider,
) -> None:
    app = make_app(ready_bearer(provider, auto_error=False))
    assert get(app, "/me").json() == {"type": "NoneType", "user": None}
    assert get(app, "/me", "not.a.token").json() == {"type": "NoneType", "user": None}
    response = get(app, "/desk")
    assert (response.status_code, refusal(response)) == (401, MISSING)


# --- the provider's availability and keys ----------------------------------------------------


def test_provider_down_at_start_answers_503_then_serves_once_it_is_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    provider = OidcProvider(str(tmp_path), claims=CLIENT_CLAIMS)  # not started
    bearer = OIDCBearer(issuer=provider.issuer, audience=RESOURCE)
    app = make_app(bearer)
    token = hand_signed(provider)
    with TestClient(app) as client:  # the lifespan looks for the endpoints meanwhile
        with caplog.at_level(logging.WARNING, logger="jwtfort.issuers"):
            wait_until(lambda: bearer.issuers.stats()[0].fetch_failures > 0, 10)
            response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert (response.status_code, refusal(response)) == (503, UNAVAILABLE)
        assert any(
            provider.issuer in r.getMessage() and "discovery failed" in r.getMessage()
            for r in caplog.records
        )
        assert security_scheme(app)["OIDCBearer"]["type"] == "openIdConnect"
        with provider:
            assert bearer.issuers.wait_until_ready(60)
            assert get(app, "/me", token).status_code == 200
            assert get(app, "/me", provider.client_credentials_token()).status_code == 200
            stats = bearer.issuers.stats()[0]
            assert stats.ready and stats.accepted == 2 and stats.rejected == 1
            # The OpenAPI document learns the endpoints from the same discovery.
            assert wait_until(lambda: bearer.endpoints is not None, 30)
            assert security_scheme(app)["OIDCBearer"]["type"] == "oauth2"
    assert bearer.issuers.closed


def test_a_rotated_key_is_accepted_after_one_refetch(tmp_path: Path) -> None:
    with OidcProvider(str(tmp_path), claims=CLIENT_CLAIMS) as provider:
        bearer = OIDCBearer(
            issuers=[
                jwtfort.IssuerOptions(
                    issuer=provider.issuer, audience=RESOURCE, min_refresh_interval=1
                )
            ]
        )
        assert bearer.issuers.wait_until_ready(30)
        app = make_app(bearer)
        assert get(app, "/me", provider.client_credentials_token()).status_code == 200
        fetches = len(provider.requests("/jwks"))
        time.sleep(1.1)  # past min_refresh_interval since the first fetch
        provider.rotate_keys([("RS256", "rs-2"), ("ES256", "es-2")])
        token = provider.client_credentials_token()
        first = get(app, "/me", token)
        assert (first.status_code, refusal(first)) == (401, INVALID)  # unknown kid: refetch
        assert wait_until(lambda: get(app, "/me", token).status_code == 200, 10)
        # One refetch (the provider logs each request as it answers it).
        assert wait_until(lambda: len(provider.requests("/jwks")) > fetches, 5)
        assert len(provider.requests("/jwks")) == fetches + 1
        bearer.close()


# --- OpenAPI -----------------------------------------------------------------------------------


def security_scheme(app: FastAPI) -> Any:
    return TestClient(app).get("/openapi.json").json()["components"]["securitySchemes"]


def test_the_openapi_scheme_sends_swagger_ui_to_the_providers_endpoints(
    provider: OidcProvider,
) -> None:
    bearer = ready_bearer(
        provider, swagger_client_id=PUBLIC_CLIENT, openapi_scopes={"read": "Read orders"}
    )
    app = make_app(bearer)
    # Before the lifespan learned the endpoints: the discovery URL.
    assert security_scheme(app) == {
        "OIDCBearer": {
            "type": "openIdConnect",
            "openIdConnectUrl": provider.issuer + "/.well-known/openid-configuration",
        }
    }
    discovery = provider.discovery()
    discoveries = len(provider.requests(DISCOVERY))  # the core's, this test's, other tests'
    expected = {
        "OIDCBearer": {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": discovery["authorization_endpoint"],
                    "tokenUrl": discovery["token_endpoint"],
                    "scopes": {"read": "Read orders"},
                }
            },
        }
    }
    with TestClient(app) as client:  # runs the lifespan
        assert wait_until(lambda: bearer.endpoints is not None, 10)
        assert client.get("/openapi.json").json()["components"]["securitySchemes"] == expected
        operation = client.get("/openapi.json").json()["paths"]["/orders"]["delete"]
        assert operation["security"] == [{"OIDCBearer": ["read", "write"]}]
        docs = client.get("/docs").text
        assert '"usePkceWithAuthorizationCodeGrant": true' in docs
        assert f'"clientId": "{PUBLIC_CLIENT}"' in docs
    assert bearer.issuers.closed  # the lifespan stopped the bearer's key fetching
    # The endpoints came from the core's discovery: the lifespan asked the provider nothing.
    assert len(provider.requests(DISCOVERY)) == discoveries


def test_the_core_keeps_the_discovered_endpoints_of_each_issuer(provider: OidcProvider) -> None:
    issuers = jwtfort.TrustedIssuers(
        [
            jwtfort.IssuerOptions(issuer=provider.issuer, audience=RESOURCE),
            jwtfort.IssuerOptions(
                issuer="https://idp.example.test",
                audience="x",
                jwks_url="https://idp.example.test/jwks",
            ),
        ]
    )
    wait_until(lambda: issuers.stats()[0].ready, 30)
    discovery = provider.discovery()
    assert issuers.metadata(provider.issuer) == jwtfort.ProviderMetadata(
        issuer=provider.issuer,
        jwks_uri=discovery["jwks_uri"],
        authorization_endpoint=discovery["authorization_endpoint"],
        token_endpoint=discovery["token_endpoint"],
    )
    assert issuers.metadata("https://idp.example.test") is None  # a jwks_url: no discovery
    assert issuers.metadata("https://elsewhere.test") is None  # not configured
    issuers.close()


def test_a_bearer_with_a_jwks_url_keeps_the_discovery_scheme(provider: OidcProvider) -> None:
    bearer = ready_bearer(provider, jwks_url=provider.discovery()["jwks_uri"])
    app = make_app(bearer)
    with TestClient(app) as client:
        assert client.get("/openapi.json").status_code == 200
        assert bearer.endpoints is None
    assert security_scheme(app)["OIDCBearer"]["type"] == "openIdConnect"


def test_given_endpoints_need_no_discovery(provider: OidcProvider) -> None:
    bearer = ready_bearer(
        provider, authorization_url="https://idp.test/authorize", token_url="https://idp.test/token"
    )
    flow = security_scheme(make_app(bearer))["OIDCBearer"]["flows"]["authorizationCode"]
    assert (flow["authorizationUrl"], flow["tokenUrl"]) == (
        "https://idp.test/authorize",
        "https://idp.test/token",
    )


# --- TrustedIssuers itself -------------------------------------------------------------------


def test_trusted_issuers_routes_by_issuer_and_counts(provider: OidcProvider) -> None:
    issuers = jwtfort.TrustedIssuers(
        [
            jwtfort.IssuerOptions(issuer=provider.issuer, audience=RESOURCE),
            jwtfort.IssuerOptions(issuer="https://idp.example.test", audience="x"),
        ]
    )
    token = provider.client_credentials_token()
    assert issuers.knows_issuer_of(token)
    assert not issuers.knows_issuer_of(hand_signed(provider, iss="https://elsewhere.test"))
    wait_until(lambda: issuers.stats()[0].ready, 30)
    identity = issuers.verify(token)
    assert (identity.subject, identity.issuer, identity.client_id) == (
        RS256_CLIENT,
        provider.issuer,
        RS256_CLIENT,
    )
    assert identity.token.alg == "RS256" and identity.claims["aud"] == RESOURCE
    with pytest.raises(jwtfort.InvalidIssuer):
        issuers.verify(hand_signed(provider, iss="https://elsewhere.test"))
    issuers.close()
    with pytest.raises(jwtfort.ConfigurationError):
        issuers.verify(token)


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"issuer": "http://idp.example.test", "audience": "a"}, "invalid_configuration"),
        ({"issuer": "https://idp.example.test", "audience": []}, "invalid_configuration"),
        (
            {"issuer": "https://idp.example.test", "audience": "a", "algorithms": ["HS256"]},
            "invalid_configuration",
        ),
        (
            {"issuer": "https://idp.example.test", "audience": "a", "algorithms": ["none"]},
            "unsupported_algorithm",
        ),
    ],
)
def test_bad_options_are_configuration_errors(options: dict[str, Any], code: str) -> None:
    with pytest.raises(jwtfort.JWTError) as refused:
        jwtfort.TrustedIssuers(jwtfort.IssuerOptions(**options))
    assert refused.value.code == code


def test_oidc_user_is_the_default_model() -> None:
    assert OIDCUser(subject="s", issuer="i").model_dump() == {
        "subject": "s",
        "issuer": "i",
        "client_id": None,
        "roles": [],
        "scopes": [],
        "claims": {},
    }


def test_https_provider_with_a_private_ca(tmp_path: Path) -> None:
    authority = TestCertificateAuthority(str(tmp_path / "ca"))
    with OidcProvider(str(tmp_path / "provider"), tls=authority) as provider:
        bearer = ready_bearer(provider, ca_file=authority.ca_file)
        app = make_app(bearer)
        token = provider.client_credentials_token(ES256_CLIENT)
        assert get(app, "/me", token).json()["user"]["subject"] == ES256_CLIENT
        metadata = bearer.issuers.metadata(provider.issuer)
        assert metadata is not None
        assert metadata.token_endpoint == provider.discovery()["token_endpoint"]
        # Without the CA, neither the keys nor the endpoints are fetched.
        untrusting = OIDCBearer(issuer=provider.issuer, audience=RESOURCE, algorithms=["ES256"])
        assert not untrusting.issuers.wait_until_ready(2)
        assert refusal(get(make_app(untrusting), "/me", token)) == UNAVAILABLE
        assert untrusting.issuers.metadata(provider.issuer) is None
        untrusting.close()


def test_cognito_style_tokens_name_their_audience_in_client_id(provider: OidcProvider) -> None:
    app = make_app(
        ready_bearer(
            provider,
            audience="app-client-1",
            audience_claim="client_id",
            roles_claim="cognito:groups",
        )
    )
    token = hand_signed(
        provider, typ="JWT", aud=None, client_id="app-client-1", **{"cognito:groups": ["clerk"]}
    )
    user = get(app, "/me", token).json()["user"]
    assert (user["client_id"], user["roles"]) == ("app-client-1", ["clerk"])
    other_client = hand_signed(provider, typ="JWT", aud=None, client_id="app-client-2")
    assert refusal(get(app, "/me", other_client)) == INVALID
    with_aud = hand_signed(provider, typ="JWT", client_id="app-client-1")  # an ID token's shape
    assert refusal(get(app, "/me", with_aud)) == INVALID


def test_a_fixed_clock_judges_token_times(provider: OidcProvider) -> None:
    options = jwtfort.IssuerOptions(issuer=provider.issuer, audience=RESOURCE)
    token = provider.client_credentials_token()
    later = jwtfort.TrustedIssuers(options, clock=int(time.time()) + 3600)
    assert later.wait_until_ready(30)
    with pytest.raises(jwtfort.ExpiredToken):
        later.verify(token)
    earlier = jwtfort.TrustedIssuers(options, clock=int(time.time()) - 3600)
    assert earlier.wait_until_ready(30)
    with pytest.raises(jwtfort.ImmatureToken):
        earlier.verify(token)
    with pytest.raises(TypeError, match="clock must be None or a Unix time"):
        jwtfort.TrustedIssuers(options, clock=time.time)  # type: ignore[arg-type]

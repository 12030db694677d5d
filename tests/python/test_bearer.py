"""JWTBearer: a FastAPI security dependency returning a user model, with scopes and roles, on a
TokenService or a Verifier; its OpenAPI security scheme."""

# No `from __future__ import annotations`: the routes' annotations refer to the local `bearer`.
import base64
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request, Security
from fastapi.testclient import TestClient
from pydantic import BaseModel

import jwtfort
from jwtfort.fastapi._bearer import JWTBearer
from jwtfort.fastapi._config import User

MISSING = ("Missing Authorization Header", "Bearer")
BAD_HEADER = ("Bad Authorization header", 'Bearer error="invalid_request"')
INVALID = ("Invalid token", 'Bearer error="invalid_token"')
EXPIRED = ("Signature has expired", 'Bearer error="invalid_token"')
FORBIDDEN = ("Insufficient scope", 'Bearer error="insufficient_scope"')


def forbidden(*scopes: str) -> tuple[str, str]:
    """The 403 of a route that requires ``scopes``: the challenge lists them (RFC 6750 §3)."""
    return (FORBIDDEN[0], f'{FORBIDDEN[1]}, scope="{" ".join(scopes)}"')


class LoggedUser(BaseModel):
    sub: str
    email: str
    roles: list[str] = []


@pytest.fixture
def key() -> jwtfort.Key:
    return jwtfort.Key.generate("ES256")


@pytest.fixture
def service(key: jwtfort.Key, clock: Any) -> jwtfort.TokenService:
    return jwtfort.TokenService(key, store=jwtfort.open_store("memory://"), clock=clock)


def make_app(bearer: JWTBearer[Any], service: jwtfort.TokenService | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    def me(user: Annotated[Any, Depends(bearer)]) -> dict[str, Any]:
        return {"type": type(user).__name__, "user": None if user is None else user.model_dump()}

    @app.get("/items", dependencies=[Depends(bearer.requires_scopes("items:read"))])
    def items() -> list[str]:
        return ["a"]

    @app.delete(
        "/items", dependencies=[Depends(bearer.requires_scopes("items:read", "items:write"))]
    )
    def delete_items() -> None:
        return None

    @app.get("/reports")
    def reports(user: Annotated[Any, Security(bearer, scopes=["reports"])]) -> str:
        return str(user.sub)

    @app.get("/admin")
    def admin(user: Annotated[Any, Depends(bearer.requires_roles("admin"))]) -> str:
        return str(user.sub)

    @app.get("/billing", dependencies=[Depends(bearer.requires_roles("billing", claim="groups"))])
    def billing() -> str:
        return "ok"

    @app.post("/logout")
    def logout(request: Request, user: Annotated[Any, Depends(bearer)]) -> None:
        assert service is not None
        service.revoke(bearer.verified_token(request))  # type: ignore[arg-type]

    @app.get("/open")
    def open_route() -> str:
        return "ok"

    return app


@pytest.fixture
def client(service: jwtfort.TokenService) -> TestClient:
    return TestClient(make_app(JWTBearer(service, user_model=LoggedUser), service))


def access(service: jwtfort.TokenService, **claims: Any) -> str:
    return service.create_access_token("alice", extra_claims={"email": "a@example.com", **claims})


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(response: Any, status: int, answer: tuple[str, str]) -> None:
    assert (response.status_code, response.json()) == (status, {"detail": answer[0]})
    assert response.headers["www-authenticate"] == answer[1]


# --- the user ----------------------------------------------------------------------------------


def test_returns_the_user_model(client: TestClient, service: jwtfort.TokenService) -> None:
    response = client.get("/me", headers=headers(access(service, roles=["admin"])))
    assert response.json() == {
        "type": "LoggedUser",
        "user": {"sub": "alice", "email": "a@example.com", "roles": ["admin"]},
    }


def test_default_model_keeps_every_claim(service: jwtfort.TokenService, clock: Any) -> None:
    client = TestClient(make_app(JWTBearer(service)))
    response = client.get("/me", headers=headers(access(service)))
    assert response.json()["type"] == "User"
    user = response.json()["user"]
    assert (user["sub"], user["email"], user["type"], user["exp"]) == (
        "alice",
        "a@example.com",
        "access",
        clock.now + 900,
    )


def test_with_a_verifier(key: jwtfort.Key, clock: Any) -> None:
    verifier = jwtfort.Verifier(algorithms=["ES256"], keys=key, clock=clock)
    client = TestClient(make_app(JWTBearer(verifier, user_model=LoggedUser)))
    token = jwtfort.Signer(key).sign({"sub": "bob", "email": "b@example.com", "exp": clock.now + 5})
    assert client.get("/me", headers=headers(token)).json()["user"]["sub"] == "bob"
    clock.advance(5)
    refused(client.get("/me", headers=headers(token)), 401, EXPIRED)


def test_missing_and_malformed_headers(client: TestClient, service: jwtfort.TokenService) -> None:
    refused(client.get("/me"), 401, MISSING)
    token = access(service)
    for value in (f"Basic {token}", "Bearer", f"Bearer {token} x", token):
        refused(client.get("/me", headers={"Authorization": value}), 400, BAD_HEADER)
    assert client.get("/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_invalid_tokens(client: TestClient, service: jwtfort.TokenService, clock: Any) -> None:
    token = access(service)
    header, payload, signature = token.split(".")
    other = jwtfort.TokenService(jwtfort.Key.generate("ES256"), clock=clock)
    hs256 = jwtfort.Signer(jwtfort.Key.generate("HS256")).sign(jwtfort.unverified_claims(token))
    alg_none = b64(b'{"alg":"none"}')
    root = b64(b'{"sub":"root","email":"r@example.com","exp":9999999999}')
    forgeries = [access(other), hs256, f"{alg_none}.{payload}.", f"{header}.{root}.{signature}"]
    for forged in forgeries:
        refused(client.get("/me", headers=headers(forged)), 401, INVALID)
    clock.advance(899)
    assert client.get("/me", headers=headers(token)).status_code == 200
    clock.advance(1)
    refused(client.get("/me", headers=headers(token)), 401, EXPIRED)


def test_claims_that_do_not_fit_the_model(
    client: TestClient, service: jwtfort.TokenService
) -> None:
    token = service.create_access_token("alice")  # no email
    refused(client.get("/me", headers=headers(token)), 401, INVALID)


def test_refresh_token_is_not_an_access_token(
    client: TestClient, service: jwtfort.TokenService
) -> None:
    refresh = service.create_refresh_token("alice", extra_claims={"email": "a@example.com"})
    refused(
        client.get("/me", headers=headers(refresh)),
        401,
        ("Only access tokens are allowed", INVALID[1]),
    )


def test_logout_revokes_the_verified_token(
    client: TestClient, service: jwtfort.TokenService
) -> None:
    token = access(service)
    assert client.post("/logout", headers=headers(token)).status_code == 200
    refused(client.get("/me", headers=headers(token)), 401, ("Token has been revoked", INVALID[1]))


# --- auto_error=False ------------------------------------------------------------------------


@pytest.fixture
def optional(service: jwtfort.TokenService) -> TestClient:
    return TestClient(make_app(JWTBearer(service, user_model=LoggedUser, auto_error=False)))


def test_optional_bearer_gives_none(optional: TestClient, service: jwtfort.TokenService) -> None:
    for sent in ({}, {"Authorization": "Basic x"}, headers("garbage")):
        assert optional.get("/me", headers=sent).json() == {"type": "NoneType", "user": None}
    assert optional.get("/me", headers=headers(access(service))).json()["type"] == "LoggedUser"


def test_requirements_of_an_optional_bearer_still_refuse(
    optional: TestClient, service: jwtfort.TokenService
) -> None:
    refused(optional.get("/admin"), 401, MISSING)
    refused(optional.get("/items", headers=headers("garbage")), 401, INVALID)
    refused(optional.get("/admin", headers={"Authorization": "Basic x"}), 400, BAD_HEADER)
    refused(optional.get("/admin", headers=headers(access(service))), 403, FORBIDDEN)
    assert (
        optional.get("/admin", headers=headers(access(service, roles=["admin"]))).json() == "alice"
    )


# --- scopes and roles --------------------------------------------------------------------------


def test_requires_scopes(client: TestClient, service: jwtfort.TokenService) -> None:
    granted = [{"scope": "items:read"}, {"scope": "profile items:read"}, {"scp": ["items:read"]}]
    granted.append({"scp": "items:write items:read"})
    for claims in granted:
        assert client.get("/items", headers=headers(access(service, **claims))).json() == ["a"]
    refused_claims = [{"scope": "items:write"}, {"scope": "items:read:all"}, {"scope": 1}, {}]
    for claims in refused_claims:
        response = client.get("/items", headers=headers(access(service, **claims)))
        refused(response, 403, forbidden("items:read"))


def test_requires_every_scope(client: TestClient, service: jwtfort.TokenService) -> None:
    refused(
        client.delete("/items", headers=headers(access(service, scope="items:read"))),
        403,
        forbidden("items:read", "items:write"),
    )
    both = access(service, scope="items:read", scp=["items:write"])
    assert client.delete("/items", headers=headers(both)).status_code == 200
    refused(client.delete("/items"), 401, MISSING)


def test_security_scopes_on_the_bearer_itself(
    client: TestClient, service: jwtfort.TokenService
) -> None:
    assert (
        client.get("/reports", headers=headers(access(service, scope="reports"))).json() == "alice"
    )
    refused(client.get("/reports", headers=headers(access(service))), 403, forbidden("reports"))


def test_requires_roles(service: jwtfort.TokenService) -> None:
    client = TestClient(make_app(JWTBearer(service)))

    def get(**claims: Any) -> Any:
        token = service.create_access_token("alice", extra_claims=claims)
        return client.get("/admin", headers=headers(token))

    for roles in (["admin"], ["user", "admin"], "admin"):
        assert get(roles=roles).json() == "alice"
    for roles in (["user"], "administrator", [], ["Admin"], {"admin": True}):
        refused(get(roles=roles), 403, FORBIDDEN)
    refused(get(), 403, FORBIDDEN)


def test_requires_roles_from_another_claim(
    client: TestClient, service: jwtfort.TokenService
) -> None:
    assert (
        client.get("/billing", headers=headers(access(service, groups=["billing"]))).json() == "ok"
    )
    refused(
        client.get("/billing", headers=headers(access(service, roles=["billing"]))), 403, FORBIDDEN
    )
    refused(client.get("/billing"), 401, MISSING)


# --- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_security(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {
        "JWTBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    security = {
        (path, method): operation.get("security")
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    assert security == {
        ("/me", "get"): [{"JWTBearer": []}],
        ("/items", "get"): [{"JWTBearer": ["items:read"]}],
        ("/items", "delete"): [{"JWTBearer": ["items:read", "items:write"]}],
        ("/reports", "get"): [{"JWTBearer": ["reports"]}],
        ("/admin", "get"): [{"JWTBearer": []}],
        ("/billing", "get"): [{"JWTBearer": []}],
        ("/logout", "post"): [{"JWTBearer": []}],
        ("/open", "get"): None,
    }


def test_openapi_scheme_name_and_description(service: jwtfort.TokenService) -> None:
    bearer = JWTBearer(service, scheme_name="api-token", description="An access token.")
    schema = TestClient(make_app(bearer)).get("/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {
        "api-token": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token.",
        }
    }


def test_store_down_is_503_even_when_optional(
    redis_server: Any, key: jwtfort.Key, clock: Any, eventually: Any
) -> None:
    service = jwtfort.TokenService(key, store=jwtfort.open_store(redis_server.url), clock=clock)
    client = TestClient(make_app(JWTBearer(service, user_model=LoggedUser, auto_error=False)))
    token = access(service)
    redis_server.stop()
    assert eventually(lambda: client.get("/me", headers=headers(token)).status_code == 503)
    response = client.get("/me", headers=headers(token))
    assert response.json() == {"detail": "Token store unavailable"}
    assert "www-authenticate" not in response.headers


def test_default_user_is_the_config_user(service: jwtfort.TokenService) -> None:
    assert JWTBearer(service).user_model is User

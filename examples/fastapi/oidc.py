"""An API that accepts the access tokens of an OpenID Connect provider (Keycloak here, any other
by its issuer URL): the caller's identity, roles and scopes come from the token, the provider's
keys from its discovery document, fetched in the background. Swagger UI at /docs logs in at the
provider with authorization code + PKCE.

    export OIDC_ISSUER=https://idp.example.com/realms/main   # the provider's issuer URL
    export OIDC_AUDIENCE=orders-api                          # this API, as the tokens name it
    export OIDC_SWAGGER_CLIENT=orders-docs                   # a public client for Swagger UI
    uvicorn oidc:app --app-dir examples/fastapi

Keycloak puts realm roles in ``realm_access.roles``; Auth0 ``permissions``, Entra ID ``roles``
and ``scp``, Cognito ``cognito:groups``: set OIDC_ROLES_CLAIM accordingly.
"""

import os
from typing import Annotated

from fastapi import Depends, FastAPI

from jwtfort.fastapi import OIDCBearer, OIDCUser

bearer = OIDCBearer(
    issuer=os.environ["OIDC_ISSUER"],
    audience=os.environ["OIDC_AUDIENCE"],
    algorithms=["RS256", "ES256"],
    roles_claim=os.environ.get("OIDC_ROLES_CLAIM", "realm_access.roles"),
    # RFC 9068 access tokens (typ at+jwt); most providers issue ID-token shaped ones by default.
    require_at_jwt=os.environ.get("OIDC_REQUIRE_AT_JWT") == "1",
    swagger_client_id=os.environ.get("OIDC_SWAGGER_CLIENT"),
    openapi_scopes={"openid": "Sign in", "read": "Read orders", "write": "Change orders"},
)

app = FastAPI(lifespan=bearer.lifespan, swagger_ui_init_oauth=bearer.swagger_ui_init_oauth)


@app.get("/me")
def me(user: Annotated[OIDCUser, Depends(bearer)]) -> OIDCUser:
    """Who called: subject, issuer, client, roles, scopes and every claim."""
    return user


@app.get("/orders", dependencies=[Depends(bearer.requires_scopes("read"))])
def orders() -> list[dict[str, str]]:
    return [{"id": "o-1", "status": "shipped"}]


@app.delete("/orders/{order_id}")
def cancel(
    order_id: str, user: Annotated[OIDCUser, Depends(bearer.requires_roles("clerk"))]
) -> dict[str, str]:
    return {"cancelled": order_id, "by": user.subject}

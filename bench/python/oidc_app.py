"""One FastAPI app, two ways to accept an OpenID Connect provider's access tokens, for
bench/run_oidc_fastapi_benchmark.py:

  GET /jwtfort/{alg}  jwtfort's OIDCBearer
  GET /pyjwt/{alg}    PyJWT: a PyJWKClient (keys cached) and jwt.decode, as its docs show
  GET /public         no authentication, the app's own cost

Both check the same things (signature with the provider's key for the token's kid, RS256 and
ES256 allowed, iss, aud, exp, RFC 9068 `typ` at+jwt and claims) and return the same thing: the
subject, client_id and scopes in an OIDCUser. Both dependencies are `async def`, so neither
pays a thread hop; PyJWKClient fetches on the event loop when its cache misses, which does not
happen once warm. `{alg}` only names the token the load generator sends.

Environment: BENCH_OIDC_ISSUER, BENCH_OIDC_AUDIENCE.
"""

import os
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jwtfort.fastapi import OIDCBearer, OIDCUser

ISSUER = os.environ["BENCH_OIDC_ISSUER"]
AUDIENCE = os.environ["BENCH_OIDC_AUDIENCE"]
ALGORITHMS = ["RS256", "ES256"]
REQUIRED = ["iss", "aud", "exp", "iat", "sub", "client_id", "jti"]

bearer = OIDCBearer(issuer=ISSUER, audience=AUDIENCE, algorithms=ALGORITHMS, require_at_jwt=True)
jwks = jwt.PyJWKClient(ISSUER + "/jwks", cache_keys=True, lifespan=3600)
http_bearer = HTTPBearer()

app = FastAPI(lifespan=bearer.lifespan)


async def pyjwt_user(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(http_bearer)],
) -> OIDCUser:
    token = credentials.credentials
    try:
        if jwt.get_unverified_header(token).get("typ") != "at+jwt":
            raise jwt.InvalidTokenError("not an RFC 9068 access token")
        key = jwks.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED},
        )
    except jwt.PyJWTError:
        raise HTTPException(401, "Invalid token", {"WWW-Authenticate": "Bearer"}) from None
    scopes = claims.get("scope", "")
    return OIDCUser(
        subject=claims["sub"],
        issuer=claims["iss"],
        client_id=claims.get("client_id"),
        roles=claims.get("roles", []),
        scopes=scopes.split() if isinstance(scopes, str) else [],
        claims=claims,
    )


def answer(user: OIDCUser) -> dict[str, Any]:
    return {"sub": user.subject, "client_id": user.client_id, "scopes": user.scopes}


@app.get("/jwtfort/{alg}")
async def with_jwtfort(alg: str, user: Annotated[OIDCUser, Depends(bearer)]) -> dict[str, Any]:
    return answer(user)


@app.get("/pyjwt/{alg}")
async def with_pyjwt(alg: str, user: Annotated[OIDCUser, Depends(pyjwt_user)]) -> dict[str, Any]:
    return answer(user)


@app.get("/public")
async def public() -> dict[str, str]:
    return {"status": "ok"}

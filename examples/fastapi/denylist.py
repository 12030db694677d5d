"""Revoking tokens with fastapi-jwt-auth's denylist callback: log in, log out (the access or the
refresh token goes on the denylist), and see the revoked token refused.

The denylist here is a set in memory, as in fastapi-jwt-auth's own example, and the callback is
`async`, which fastapi-jwt-auth never awaited (its issues #30 and #83); jwtfort awaits it, in sync
and async routes alike. A real application keeps the denylist in Redis or a database, or lets
jwtfort's own store do it (``authjwt_store_url``).

    uvicorn denylist:app --app-dir examples/fastapi
"""

import os

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jwtfort.compat.fastapi_jwt_auth import AuthJWT
from jwtfort.compat.fastapi_jwt_auth.exceptions import AuthJWTException

app = FastAPI()


class User(BaseModel):
    username: str
    password: str


class Settings(BaseModel):
    authjwt_secret_key: str = os.environ.get("AUTHJWT_SECRET_KEY", "")
    authjwt_denylist_enabled: bool = True
    authjwt_denylist_token_checks: set = {"access", "refresh"}


@AuthJWT.load_config
def get_config():
    return Settings()


@app.exception_handler(AuthJWTException)
def authjwt_exception_handler(request: Request, exc: AuthJWTException):
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})


# A storage engine to save revoked tokens: their jti.
denylist = set()


# The callback is given the decoded token, and returns whether it is revoked.
@AuthJWT.token_in_denylist_loader
async def check_if_token_in_denylist(decrypted_token):
    return decrypted_token["jti"] in denylist


@app.post("/login")
def login(user: User, Authorize: AuthJWT = Depends()):
    if user.username != "test" or user.password != "test":
        raise HTTPException(status_code=401, detail="Bad username or password")
    access_token = Authorize.create_access_token(subject=user.username)
    refresh_token = Authorize.create_refresh_token(subject=user.username)
    return {"access_token": access_token, "refresh_token": refresh_token}


@app.post("/refresh")
def refresh(Authorize: AuthJWT = Depends()):
    Authorize.jwt_refresh_token_required()
    current_user = Authorize.get_jwt_subject()
    return {"access_token": Authorize.create_access_token(subject=current_user)}


# Revoke the access token in use (logout).
@app.delete("/access-revoke")
async def access_revoke(Authorize: AuthJWT = Depends()):
    Authorize.jwt_required()
    denylist.add(Authorize.get_raw_jwt()["jti"])
    return {"detail": "Access token has been revoke"}


# Revoke the refresh token in use.
@app.delete("/refresh-revoke")
def refresh_revoke(Authorize: AuthJWT = Depends()):
    Authorize.jwt_refresh_token_required()
    denylist.add(Authorize.get_raw_jwt()["jti"])
    return {"detail": "Refresh token has been revoke"}


@app.get("/protected")
def protected(Authorize: AuthJWT = Depends()):
    Authorize.jwt_required()
    return {"user": Authorize.get_jwt_subject()}

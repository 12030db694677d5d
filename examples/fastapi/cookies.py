"""Tokens in cookies with CSRF protection (double submit), as fastapi-jwt-auth documents it:
the login sets an HttpOnly access and refresh cookie, plus two readable CSRF cookies; a state
changing request must echo the CSRF cookie in the ``X-CSRF-Token`` header.

    uvicorn cookies:app --app-dir examples/fastapi
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
    # Tokens are read from cookies only.
    authjwt_token_location: set = {"cookies"}
    # Over plain http in development; a deployment sets it to True.
    authjwt_cookie_secure: bool = False
    # CSRF double submit is on by default; the line says so for the reader.
    authjwt_cookie_csrf_protect: bool = True
    authjwt_cookie_samesite: str = "lax"


@AuthJWT.load_config
def get_config():
    return Settings()


@app.exception_handler(AuthJWTException)
def authjwt_exception_handler(request: Request, exc: AuthJWTException):
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})


@app.post("/login")
def login(user: User, Authorize: AuthJWT = Depends()):
    if user.username != "test" or user.password != "test":
        raise HTTPException(status_code=401, detail="Bad username or password")
    access_token = Authorize.create_access_token(subject=user.username)
    refresh_token = Authorize.create_refresh_token(subject=user.username)
    # Set the JWT cookies in the response
    Authorize.set_access_cookies(access_token)
    Authorize.set_refresh_cookies(refresh_token)
    return {"msg": "Successfully login"}


@app.post("/refresh")
def refresh(Authorize: AuthJWT = Depends()):
    Authorize.jwt_refresh_token_required()
    current_user = Authorize.get_jwt_subject()
    new_access_token = Authorize.create_access_token(subject=current_user)
    # Set the JWT cookies in the response
    Authorize.set_access_cookies(new_access_token)
    return {"msg": "The token has been refresh"}


@app.delete("/logout")
def logout(Authorize: AuthJWT = Depends()):
    # Because the JWT are stored in an httponly cookie now, we cannot log the user out by
    # simply deleting the cookie in the frontend: the backend has to send a response to
    # delete the cookies.
    Authorize.jwt_required()
    Authorize.unset_jwt_cookies()
    return {"msg": "Successfully logout"}


@app.get("/protected")
def protected(Authorize: AuthJWT = Depends()):
    Authorize.jwt_required()
    return {"user": Authorize.get_jwt_subject()}

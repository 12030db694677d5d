"""The HTTP benchmark's fastapi-jwt-auth peer: the routes of jwtfort-server, set up as the
library's documentation shows.

Run with `uvicorn fastapi_jwt_auth_app:app` in a virtualenv with fastapi-jwt-auth 0.5.0, which
needs pydantic 1 and PyJWT 1.x (bench/run_http_benchmarks.py pins them). Environment:
AUTHJWT_SECRET_KEY (HS256 secret, the same one jwtfort-server is given), BENCH_USERNAME and
BENCH_PASSWORD (the one account `POST /login` accepts).
"""

import hmac
import os
from datetime import timedelta

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_jwt_auth import AuthJWT
from fastapi_jwt_auth.exceptions import AuthJWTException
from pydantic import BaseModel

# Long enough for any benchmark run: a token that expires mid-run would turn into 4xx responses.
TOKEN_LIFETIME = timedelta(hours=24)
USERNAME = os.environ["BENCH_USERNAME"]
PASSWORD = os.environ["BENCH_PASSWORD"]


class Settings(BaseModel):
    authjwt_secret_key: str = os.environ["AUTHJWT_SECRET_KEY"]
    authjwt_algorithm: str = "HS256"
    authjwt_token_location: set = {"headers"}


class Login(BaseModel):
    username: str
    password: str


@AuthJWT.load_config
def get_config() -> Settings:
    return Settings()


app = FastAPI()


@app.exception_handler(AuthJWTException)
def authjwt_exception_handler(request: Request, exc: AuthJWTException) -> JSONResponse:
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})


@app.post("/login")
def login(body: Login, Authorize: AuthJWT = Depends()):
    if not (hmac.compare_digest(body.username, USERNAME) and
            hmac.compare_digest(body.password, PASSWORD)):
        return JSONResponse(status_code=401, content={"detail": "Bad username or password"})
    token = Authorize.create_access_token(subject=body.username, expires_time=TOKEN_LIFETIME)
    return {"access_token": token, "token_type": "bearer"}


# `async def`, so that the handler runs on the event loop: a plain `def` would add a second
# thread-pool hop per request (FastAPI already calls AuthJWT, a plain class, on the pool).
@app.get("/protected")
async def protected(Authorize: AuthJWT = Depends()):
    Authorize.jwt_required()
    return {"user": Authorize.get_jwt_subject()}


@app.get("/public")
async def public():
    return {"status": "ok"}

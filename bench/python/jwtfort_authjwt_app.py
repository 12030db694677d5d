"""The Python benchmark's app on jwtfort's native FastAPI dependency, `jwtfort.fastapi.AuthJWT`:
the routes of the other benchmark apps, configured per application as docs/python.md shows.

Run with `uvicorn jwtfort_authjwt_app:app` in a virtualenv with jwtfort[fastapi]
(bench/run_python_benchmarks.py installs it from this tree). Environment: AUTHJWT_SECRET_KEY
(HS256 secret, the same one the other apps are given), BENCH_USERNAME and BENCH_PASSWORD (the
one account `POST /login` accepts).

Refusals are FastAPI HTTPExceptions, so no exception handler is registered.
"""

import hmac
import os
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jwtfort.fastapi import AuthJWT, AuthJWTSettings

# Long enough for any benchmark run: a token that expires mid-run would turn into 4xx responses.
TOKEN_LIFETIME = timedelta(hours=24)
USERNAME = os.environ["BENCH_USERNAME"]
PASSWORD = os.environ["BENCH_PASSWORD"]

app = FastAPI()
AuthJWT.configure(
    app,
    AuthJWTSettings(
        authjwt_secret_key=os.environ["AUTHJWT_SECRET_KEY"],
        authjwt_algorithm="HS256",
        authjwt_token_location={"headers"},
    ),
)


class Login(BaseModel):
    username: str
    password: str


@app.post("/login")
def login(body: Login, auth: Annotated[AuthJWT, Depends()]):
    if not (
        hmac.compare_digest(body.username, USERNAME)
        and hmac.compare_digest(body.password, PASSWORD)
    ):
        return JSONResponse(status_code=401, content={"detail": "Bad username or password"})
    token = auth.create_access_token(subject=body.username, expires_time=TOKEN_LIFETIME)
    return {"access_token": token, "token_type": "bearer"}


# `async def`, as in the fastapi-jwt-auth peer: the handler runs on the event loop.
@app.get("/protected")
async def protected(auth: Annotated[AuthJWT, Depends()]):
    auth.jwt_required()
    return {"user": auth.get_jwt_subject()}


@app.get("/public")
async def public():
    return {"status": "ok"}

"""The Python benchmark's app on jwtfort's typed dependency, `jwtfort.fastapi.JWTBearer`: the
routes of the other benchmark apps, set up as docs/python.md shows (a TokenService, a bearer
with a user model).

Run with `uvicorn jwtfort_bearer_app:app` in a virtualenv with jwtfort[fastapi]
(bench/run_python_benchmarks.py installs it from this tree). Environment: AUTHJWT_SECRET_KEY
(HS256 secret, the same one the other apps are given), BENCH_USERNAME and BENCH_PASSWORD (the
one account `POST /login` accepts).
"""

import hmac
import os
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import jwtfort
from jwtfort.fastapi import JWTBearer

# Long enough for any benchmark run: a token that expires mid-run would turn into 4xx responses.
TOKEN_LIFETIME = timedelta(hours=24)
USERNAME = os.environ["BENCH_USERNAME"]
PASSWORD = os.environ["BENCH_PASSWORD"]

tokens = jwtfort.TokenService(
    jwtfort.Key.from_secret(os.environ["AUTHJWT_SECRET_KEY"], "HS256"),
    access_lifetime=TOKEN_LIFETIME,
)


class LoggedUser(BaseModel):
    sub: str


bearer = JWTBearer(tokens, user_model=LoggedUser)
app = FastAPI()


class Login(BaseModel):
    username: str
    password: str


@app.post("/login")
async def login(body: Login):
    if not (
        hmac.compare_digest(body.username, USERNAME)
        and hmac.compare_digest(body.password, PASSWORD)
    ):
        return JSONResponse(status_code=401, content={"detail": "Bad username or password"})
    return {"access_token": tokens.create_access_token(body.username), "token_type": "bearer"}


# `async def`, as in the other apps: the handler runs on the event loop.
@app.get("/protected")
async def protected(user: Annotated[LoggedUser, Depends(bearer)]):
    return {"user": user.sub}


@app.get("/public")
async def public():
    return {"status": "ok"}

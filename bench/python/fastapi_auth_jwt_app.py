"""The Python benchmark's fastapi-auth-jwt peer: the routes of the other benchmark apps, set up as
the library's README shows (its backend with in-memory storage, its middleware).

Run with `uvicorn fastapi_auth_jwt_app:app` in a virtualenv with fastapi-auth-jwt
(bench/run_python_benchmarks.py pins it). Environment: AUTHJWT_SECRET_KEY (HS256 secret, the
same one the other apps are given), BENCH_USERNAME and BENCH_PASSWORD (the one account
`POST /login` accepts).

fastapi-auth-jwt is stateful: a token is valid only while the backend's storage holds it, so the
token is made by this process's own backend, at `POST /login`, and kept in its memory storage.
"""

import hmac
import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_auth_jwt import (
    AuthConfig,
    JWTAuthBackend,
    JWTAuthenticationMiddleware,
    StorageConfig,
    StorageTypes,
)
from pydantic import BaseModel

# Long enough for any benchmark run: a token that expires mid-run would turn into 4xx responses.
TOKEN_LIFETIME = 24 * 3600
USERNAME = os.environ["BENCH_USERNAME"]
PASSWORD = os.environ["BENCH_PASSWORD"]

backend = JWTAuthBackend(
    authentication_config=AuthConfig(
        secret=os.environ["AUTHJWT_SECRET_KEY"],
        jwt_algorithm="HS256",
        expiration_seconds=TOKEN_LIFETIME,
    ),
    storage_config=StorageConfig(storage_type=StorageTypes.MEMORY),
)
app = FastAPI()
app.add_middleware(JWTAuthenticationMiddleware, backend=backend, exclude_urls=["/login", "/public"])


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
    token = await backend.create_token({"username": body.username}, expiration=TOKEN_LIFETIME)
    return {"access_token": token, "token_type": "bearer"}


@app.get("/protected")
async def protected(request: Request):
    return {"user": request.state.user.username}


@app.get("/public")
async def public():
    return {"status": "ok"}

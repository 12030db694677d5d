"""The least a FastAPI dependency costs: `/protected` depends on an `async def` that takes the
request and does nothing, `/public` on nothing. bench/python/asgi_cost.py measures it next to the
jwtfort apps, so that what FastAPI's dependency injection costs per request is not read as what
authentication costs.

Environment: BENCH_USERNAME and BENCH_PASSWORD (the one account `POST /login` accepts; the token
it returns is not checked by anything).
"""

import hmac
import os
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

USERNAME = os.environ["BENCH_USERNAME"]
PASSWORD = os.environ["BENCH_PASSWORD"]

app = FastAPI()


class Login(BaseModel):
    username: str
    password: str


async def nothing(request: Request) -> str:
    return USERNAME


@app.post("/login")
async def login(body: Login):
    if not (
        hmac.compare_digest(body.username, USERNAME)
        and hmac.compare_digest(body.password, PASSWORD)
    ):
        return JSONResponse(status_code=401, content={"detail": "Bad username or password"})
    return {"access_token": secrets.token_urlsafe(16), "token_type": "bearer"}


@app.get("/protected")
async def protected(user: Annotated[str, Depends(nothing)]):
    return {"user": user}


@app.get("/public")
async def public():
    return {"status": "ok"}

"""The HTTP benchmark's AuthX peer: the routes of jwtfort-server with AuthX's documented
access-token dependency.

Run with `uvicorn authx_app:app` in a virtualenv with authx and pydantic 2
(bench/run_http_benchmarks.py pins them). Environment: AUTHJWT_SECRET_KEY (HS256 secret, the
same one jwtfort-server is given), BENCH_USERNAME and BENCH_PASSWORD (the one account
`POST /login` accepts).
"""

import hmac
import os
from datetime import timedelta

from authx import AuthX, AuthXConfig, TokenPayload
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

# Long enough for any benchmark run: a token that expires mid-run would turn into 4xx responses.
TOKEN_LIFETIME = timedelta(hours=24)
USERNAME = os.environ["BENCH_USERNAME"]
PASSWORD = os.environ["BENCH_PASSWORD"]

config = AuthXConfig(
    JWT_SECRET_KEY=os.environ["AUTHJWT_SECRET_KEY"],
    JWT_ALGORITHM="HS256",
    JWT_TOKEN_LOCATION=["headers"],
)
auth = AuthX(config=config)
app = FastAPI()
auth.handle_errors(app)


class Login(BaseModel):
    username: str
    password: str


@app.post("/login")
def login(body: Login):
    if not (hmac.compare_digest(body.username, USERNAME) and
            hmac.compare_digest(body.password, PASSWORD)):
        return JSONResponse(status_code=401, content={"detail": "Bad username or password"})
    token = auth.create_access_token(uid=body.username, expiry=TOKEN_LIFETIME)
    return {"access_token": token, "token_type": "bearer"}


# `async def`, like AuthX's own dependency: no thread-pool hop per request.
@app.get("/protected")
async def protected(payload: TokenPayload = Depends(auth.access_token_required)):
    return {"user": payload.sub}


@app.get("/public")
async def public():
    return {"status": "ok"}

"""fastapi-auth-jwt's middleware app: every route needs a token except the excluded ones, the
user is on ``request.state.user``, and logout invalidates the token for every process that shares
the store (Redis here; ``SQLiteConfig`` on one machine, the default memory store in one process).

    export JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
    export REDIS_URL=redis://127.0.0.1:6379/0
    uvicorn middleware:app --app-dir examples/fastapi
"""

import os

from fastapi import FastAPI, Request
from pydantic import BaseModel

# was: from fastapi_auth_jwt import ...
from jwtfort.compat.fastapi_auth_jwt import (
    AuthConfig,
    JWTAuthBackend,
    JWTAuthenticationMiddleware,
    RedisConfig,
)


class UserSchema(BaseModel):
    username: str


class LoginSchema(BaseModel):
    username: str
    password: str


auth_backend = JWTAuthBackend(
    authentication_config=AuthConfig(secret=os.environ["JWT_SECRET"], expiration_seconds=3600),
    storage_config=RedisConfig(url=os.environ.get("REDIS_URL")),
    user_schema=UserSchema,
)

app = FastAPI()
app.add_middleware(
    JWTAuthenticationMiddleware,
    backend=auth_backend,
    # Exact paths and what is below them: "/login" does not exempt "/login-history".
    exclude_urls=["/sign-up", "/login"],
)


@app.post("/sign-up")
async def sign_up(request_data: LoginSchema):
    return {"message": "User created"}


@app.post("/login")
async def login(request_data: LoginSchema):
    # A real application checks the password here. Only the username goes into the token:
    # a token is readable by anyone who holds it.
    token = await auth_backend.create_token({"username": request_data.username}, expiration=3600)
    return {"token": token}


@app.get("/profile-info")
async def get_profile_info(request: Request):
    user: UserSchema = request.state.user
    return {"username": user.username}


@app.get("/login-history")
async def login_history(request: Request):
    return {"username": request.state.user.username, "logins": []}


@app.post("/logout")
async def logout(request: Request):
    token = JWTAuthenticationMiddleware.extract_token_from_request(request)
    await auth_backend.invalidate_token(token)
    return {"message": "Logged out"}

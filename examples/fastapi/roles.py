"""A typed bearer dependency and roles, as in the tutorial "JWT authentication in FastAPI"
(a login that puts the user's id, email and role names in the token, and a ``/api/v1/me`` route
whose dependency returns a ``LoggedUser``), with the tutorial's hand-written ``JWTBearer`` class
replaced by jwtfort's, and an admin-only route.

    export JWT_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
    uvicorn roles:app --app-dir examples/fastapi
"""

import hashlib
import hmac
import os
from typing import Annotated, List, Union

from fastapi import Depends, FastAPI, HTTPException, status
from pydantic import BaseModel
from pydantic_settings import BaseSettings

import jwtfort
from jwtfort.fastapi import JWTBearer


class Settings(BaseSettings):
    JWT_SECRET_KEY: str
    JWT_ALGORITHM: str = "HS256"
    JWT_EXPIRATION: int = 3600  # 1h


settings = Settings()


# domain/entities.py
class Role(BaseModel):
    id: str
    name: str
    description: str
    permissions: List[str]


class User(BaseModel):
    id: str
    email: str
    password_hash: str
    roles: List[Role]

    @staticmethod
    def hash_password(password: str) -> str:
        # For the example only: a real application stores Argon2id or bcrypt hashes.
        return hashlib.sha256(password.encode()).hexdigest()


class LoggedUser(BaseModel):
    id: str
    email: str
    roles: List[str]


class Token(BaseModel):
    access_token: str


# application/user_repository.py
class InMemoryUserRepository:
    def __init__(self):
        admin = Role(
            id="1",
            name="Admin",
            description="Admin Role",
            permissions=["create", "read", "update", "delete"],
        )
        reader = Role(id="2", name="Reader", description="Reader Role", permissions=["read"])
        self.users = [
            User(
                id="1",
                email="john.doe@example.com",
                password_hash=User.hash_password("changeme"),
                roles=[admin],
            ),
            User(
                id="2",
                email="jane.roe@example.com",
                password_hash=User.hash_password("changeme"),
                roles=[reader],
            ),
        ]

    def get_by_email(self, email: str) -> Union[User, None]:
        return next((user for user in self.users if user.email == email), None)


def get_user_repository() -> InMemoryUserRepository:
    return InMemoryUserRepository()


# lib/auth/jwt.py: the tutorial's create_access_token and JWTBearer, on jwtfort.
tokens = jwtfort.TokenService(
    jwtfort.Key.from_secret(settings.JWT_SECRET_KEY, settings.JWT_ALGORITHM),
    access_lifetime=settings.JWT_EXPIRATION,
)
bearer = JWTBearer(tokens, user_model=LoggedUser)


def create_access_token(user: LoggedUser) -> str:
    return tokens.create_access_token(
        user.id, extra_claims={"id": user.id, "email": user.email, "roles": user.roles}
    )


# main.py
app = FastAPI()


class LoginRequestModel(BaseModel):
    email: str
    password: str


class ReadUserModel(BaseModel):
    id: str
    email: str
    roles: list[str]


@app.post("/api/v1/login", response_model=Token, status_code=status.HTTP_200_OK)
def login(
    data: LoginRequestModel,
    user_repository: Annotated[InMemoryUserRepository, Depends(get_user_repository)],
):
    user = user_repository.get_by_email(data.email)
    # One answer for an unknown user and a wrong password, compared in constant time.
    given = User.hash_password(data.password)
    if not user or not hmac.compare_digest(user.password_hash, given):
        raise HTTPException(detail="Bad email or password", status_code=401)
    logged = LoggedUser(id=user.id, email=user.email, roles=[role.name for role in user.roles])
    return Token(access_token=create_access_token(logged))


@app.get("/api/v1/me", status_code=status.HTTP_200_OK)
def me(
    logged_user: Annotated[LoggedUser, Depends(bearer)],
    user_repository: Annotated[InMemoryUserRepository, Depends(get_user_repository)],
):
    user = user_repository.get_by_email(logged_user.email)
    if not user:
        raise HTTPException(detail="User not found", status_code=status.HTTP_401_UNAUTHORIZED)
    return ReadUserModel(id=user.id, email=user.email, roles=[role.name for role in user.roles])


@app.get("/api/v1/admin/users")
def list_users(
    admin: Annotated[LoggedUser, Depends(bearer.requires_roles("Admin"))],
    user_repository: Annotated[InMemoryUserRepository, Depends(get_user_repository)],
):
    return [user.email for user in user_repository.users]

"""Login, a protected route and a refresh route: fastapi-jwt-auth's basic example (the README of
fastapi-jwt-auth 0.x), running on jwtfort with only the import changed.

    export AUTHJWT_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
    uvicorn basic:app --app-dir examples/fastapi

    curl -s -X POST localhost:8000/login -H 'Content-Type: application/json' \
         -d '{"username":"test","password":"test"}'
    curl -s localhost:8000/protected -H "Authorization: Bearer $TOKEN"
"""

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field

from jwtfort.compat.fastapi_jwt_auth import AuthJWT  # was: from fastapi_jwt_auth import AuthJWT

app = FastAPI()


class User(BaseModel):
    username: str = Field(..., min_length=1)
    password: str = Field(..., min_length=1)


# The secret comes from AUTHJWT_SECRET_KEY in the environment, as in the original example.


# Provide a method to create access tokens. The create_access_token() function is used to
# actually generate the token, and you can return it to the caller however you choose.
@app.post("/login")
def login(user: User, Authorize: AuthJWT = Depends()):
    if user.username != "test" or user.password != "test":
        raise HTTPException(status_code=401, detail="Bad username or password")

    # identity must be between string or integer
    access_token = Authorize.create_access_token(identity=user.username)
    refresh_token = Authorize.create_refresh_token(identity=user.username)
    return {"access_token": access_token, "refresh_token": refresh_token}


@app.post("/refresh")
def refresh(Authorize: AuthJWT = Depends()):
    Authorize.jwt_refresh_token_required()

    current_user = Authorize.get_jwt_identity()
    new_access_token = Authorize.create_access_token(identity=current_user)
    return {"access_token": new_access_token}


@app.get("/protected")
def protected(Authorize: AuthJWT = Depends()):
    # Protect an endpoint with jwt_required, which requires a valid access token in the
    # request to access.
    Authorize.jwt_required()

    # Access the identity of the current user with get_jwt_identity
    current_user = Authorize.get_jwt_identity()
    return {"logged_in_as": current_user}


@app.get("/get-raw-jwt")
def get_raw_jwt(Authorize: AuthJWT = Depends()):
    # this will return the python dictionary which has all of the claims of the JWT that is
    # accessing the endpoint. If no JWT is currently present, return None instead
    Authorize.jwt_optional()
    return {"token": Authorize.get_raw_jwt()}

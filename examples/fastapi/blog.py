"""The "FastAPI JWT Auth module" tutorial app: a settings class, a login route, a protected route
and a refresh route, as the tutorial writes them, with only the import changed.

Note what the tutorial does and this app keeps: the login route takes the password as a query
parameter (it ends up in access logs), and creates the token on the class rather than on the
request's dependency. Both run; neither is what a new application should copy (see basic.py).

    uvicorn blog:app --app-dir examples/fastapi
"""

import os

from fastapi import Depends, FastAPI

from jwtfort.compat.fastapi_jwt_auth import AuthJWT  # was: from fastapi_jwt_auth import AuthJWT

app = FastAPI()


# Create a settings class for JWT configuration
class Settings:
    # The tutorial hard-codes "your_secret_key"; this example reads it from the environment.
    authjwt_secret_key = os.environ.get("AUTHJWT_SECRET_KEY", "")


@AuthJWT.load_config
def get_config():
    return Settings()  # Load the above settings


@app.post("/login")  # Endpoint for user login
def login(username: str, password: str):
    # Normally you'd verify the username and password here
    # For demonstration, we'll assume it's always valid
    access_token = AuthJWT.create_access_token(identity=username)  # Create a new access token
    refresh_token = AuthJWT.create_refresh_token(identity=username)
    return {"access_token": access_token, "refresh_token": refresh_token}


@app.get("/protected")  # A protected route
def protected_route(Authorize: AuthJWT = Depends()):  # Use dependency injection for authorization
    Authorize.jwt_required()  # Ensure a valid JWT is provided

    username = Authorize.get_jwt_subject()  # Retrieve the username from the token
    return {"message": f"Welcome, {username}!"}  # Respond with a welcome message


@app.post("/refresh")  # Endpoint to refresh token
def refresh(Authorize: AuthJWT = Depends()):
    Authorize.jwt_refresh_token_required()  # Ensure a refresh token is available
    current_user = Authorize.get_jwt_subject()  # Get the current user
    new_access_token = Authorize.create_access_token(identity=current_user)

    return {"access_token": new_access_token}  # Return the newly created access token

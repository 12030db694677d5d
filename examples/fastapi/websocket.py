"""A WebSocket protected by an access token sent in the query string, as in fastapi-jwt-auth's
websocket example. A missing or bad token closes the socket with code 1008 and the reason.

    uvicorn websocket:app --app-dir examples/fastapi
    # then connect to ws://127.0.0.1:8000/ws?token=<access token from /login>
"""

import os

from fastapi import Depends, FastAPI, Query, WebSocket

from jwtfort.compat.fastapi_jwt_auth import AuthJWT
from jwtfort.compat.fastapi_jwt_auth.exceptions import AuthJWTException

app = FastAPI()


class Settings:
    authjwt_secret_key = os.environ.get("AUTHJWT_SECRET_KEY", "")


@AuthJWT.load_config
def get_config():
    return Settings()


@app.get("/login/{username}")
def login(username: str, Authorize: AuthJWT = Depends()):
    return {"access_token": Authorize.create_access_token(subject=username)}


@app.websocket("/ws")
async def websocket(websocket: WebSocket, token: str = Query(...), Authorize: AuthJWT = Depends()):
    await websocket.accept()
    try:
        Authorize.jwt_required("websocket", token=token)
        await websocket.send_text(f"Successfully Login as {Authorize.get_jwt_subject()}")
        while True:
            text = await websocket.receive_text()
            await websocket.send_text(f"{Authorize.get_jwt_subject()}: {text}")
    except AuthJWTException as err:
        await websocket.send_text(err.message)
        await websocket.close(code=1008, reason=err.message)

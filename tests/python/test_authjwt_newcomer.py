"""What a newcomer meets reading docs/python.md: the snippets run as written, a configuration
that cannot work is refused when it is given, and errors speak of the arguments passed."""

import time
from pathlib import Path
from typing import Annotated, Any

import pytest
from authjwt_support import SECRET
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

import jwtfort
from jwtfort.fastapi import AuthJWT, AuthJWTSettings


def fresh_class() -> type[AuthJWT]:
    return type("Auth", (AuthJWT,), {})


def app_for(auth: type[AuthJWT], settings: AuthJWTSettings) -> FastAPI:
    app = FastAPI()
    auth.configure(app, settings)

    @app.post("/login")
    def login(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, str]:
        return {
            "access": authorize.create_access_token(subject="alice"),
            "refresh": authorize.create_refresh_token(subject="alice"),
        }

    @app.get("/protected")
    def protected(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        authorize.jwt_required()
        return {"user": authorize.get_jwt_subject()}

    @app.post("/logout")
    def logout(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, str]:
        authorize.jwt_required()
        authorize.revoke_token()
        return {"status": "logged out"}

    @app.post("/rotate")
    def rotate(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, str]:
        pair = authorize.rotate_refresh_token()
        return {"access": pair.access_token, "refresh": pair.refresh_token}

    return app


def test_the_core_snippet_runs_as_written() -> None:
    key = jwtfort.Key.generate("ES256").with_id("2026-01")
    token = jwtfort.Signer(key).sign({"sub": "alice", "exp": int(time.time()) + 900})
    verified = jwtfort.Verifier(algorithms=["ES256"], keys=key).verify(token)
    assert (verified.subject, verified.header["kid"]) == ("alice", "2026-01")


def test_from_env_reads_the_dotenv_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTHJWT_SECRET_KEY", raising=False)
    monkeypatch.delenv("AUTHJWT_ACCESS_TOKEN_EXPIRES", raising=False)
    (tmp_path / ".env").write_text(
        f"AUTHJWT_SECRET_KEY={SECRET}\nAUTHJWT_ACCESS_TOKEN_EXPIRES=300\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    settings = AuthJWTSettings.from_env()
    assert (settings.authjwt_secret_key, settings.authjwt_access_token_expires) == (SECRET, 300)
    assert AuthJWTSettings.from_env(None).authjwt_secret_key is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "no key to verify tokens: authjwt_secret_key must be set for HS256"),
        (
            {"authjwt_algorithm": "RS256"},
            "no key to verify tokens: authjwt_public_key must be set for RS256",
        ),
        (
            {"authjwt_secret_key": SECRET, "authjwt_denylist_enabled": True},
            "authjwt_denylist_enabled needs authjwt_store_url or a token_in_denylist callback",
        ),
    ],
)
def test_configure_refuses_a_configuration_that_cannot_work(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(jwtfort.ConfigurationError) as raised:
        fresh_class().configure(FastAPI(), AuthJWTSettings(**settings))
    assert raised.value.message == message


def test_configure_refuses_a_short_secret_too() -> None:
    with pytest.raises(jwtfort.WeakKey):
        fresh_class().configure(FastAPI(), AuthJWTSettings(authjwt_secret_key="short"))


def test_the_store_is_the_denylist() -> None:
    auth = fresh_class()
    settings = AuthJWTSettings(
        authjwt_secret_key=SECRET, authjwt_denylist_enabled=True, authjwt_store_url="memory://"
    )
    with TestClient(app_for(auth, settings)) as client:
        access = client.post("/login").json()["access"]
        headers = {"Authorization": f"Bearer {access}"}
        assert client.get("/protected", headers=headers).json() == {"user": "alice"}
        assert client.post("/logout", headers=headers).status_code == 200
        refused = client.get("/protected", headers=headers)
    assert (refused.status_code, refused.json()) == (401, {"detail": "Token has been revoked"})


def test_rotate_refresh_token_reads_the_request_itself() -> None:
    auth = fresh_class()
    settings = AuthJWTSettings(authjwt_secret_key=SECRET, authjwt_store_url="memory://")
    with TestClient(app_for(auth, settings)) as client:
        refresh = client.post("/login").json()["refresh"]
        rotated = client.post("/rotate", headers={"Authorization": f"Bearer {refresh}"})
        missing = client.post("/rotate")
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert (missing.status_code, missing.json()["detail"]) == (
        401,
        "Missing Authorization Header",
    )


def test_public_entry_points_check_their_arguments() -> None:
    auth = fresh_class()
    auth.load_config(lambda: {"authjwt_secret_key": SECRET, "authjwt_store_url": "memory://"})
    authorize = auth()
    number: Any = 1  # the wrong types, past the annotations
    nothing: Any = None
    calls: list[tuple[Any, str]] = [
        (lambda: authorize.get_raw_jwt(number), "encoded_token must be a string"),
        (lambda: authorize.get_jti(nothing), "encoded_token must be a string"),
        (lambda: authorize.get_unverified_jwt_headers(number), "encoded_token must be a string"),
        (lambda: authorize.revoke_token(number), "encoded_token must be a string"),
        (lambda: authorize.rotate_refresh_token(number), "encoded_token must be a string"),
        (lambda: authorize.jwt_required("websocket", token=number), "token must be a string"),
        (lambda: authorize.set_access_cookies(number), "encoded_access_token must be a string"),
    ]
    for call, message in calls:
        with pytest.raises(TypeError) as raised:
            call()
        assert str(raised.value) == message

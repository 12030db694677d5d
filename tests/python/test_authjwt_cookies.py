"""Tokens in cookies: setting and deleting the cookies, the CSRF double submit, and the
precedence of the header over the cookies, for the native and the compatibility AuthJWT."""

import warnings
from collections.abc import Iterator
from typing import Annotated, Any

import authjwt_support
import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

import jwtfort
from jwtfort.compat.fastapi_jwt_auth import AuthJWT as CompatAuthJWT
from jwtfort.fastapi import (
    AuthJWT,
    AuthJWTException,
    CSRFError,
    JWTDecodeError,
    MissingTokenError,
)

INVALID = 'Bearer error="invalid_token"'


def configured(base: type[AuthJWT] = AuthJWT, **settings: Any) -> type[AuthJWT]:
    settings.setdefault("authjwt_token_location", ["cookies"])
    return authjwt_support.configured(base, **settings)


def cookie_app(auth: type[AuthJWT]) -> FastAPI:
    app = FastAPI()

    @app.get("/login")
    def login(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, str]:
        access = authorize.create_access_token(subject="alice")
        refresh = authorize.create_refresh_token(subject="alice")
        authorize.set_access_cookies(access)
        authorize.set_refresh_cookies(refresh)
        return {"access": access, "refresh": refresh}

    @app.get("/login-response")
    def login_response(authorize: Annotated[AuthJWT, Depends(auth)]) -> JSONResponse:
        response = JSONResponse({"ok": True})
        authorize.set_access_cookies(authorize.create_access_token(subject="a"), response, 60)
        return response

    @app.delete("/logout")
    def logout(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, str]:
        authorize.unset_jwt_cookies()
        return {}

    @app.delete("/logout-access")
    def logout_access(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, str]:
        authorize.unset_access_cookies()
        return {}

    @app.api_route("/protected", methods=["GET", "POST", "PATCH"])
    def protected(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        authorize.jwt_required()
        return {"user": authorize.get_jwt_subject()}

    @app.api_route("/optional", methods=["GET", "POST"])
    def optional(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        authorize.jwt_optional()
        return {"user": authorize.get_jwt_subject()}

    @app.post("/refresh")
    def refresh(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        authorize.jwt_refresh_token_required()
        return {"user": authorize.get_jwt_subject()}

    return app


def cookies(**values: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in values.items())}


def set_cookies(response: Any) -> dict[str, dict[str, str]]:
    """Set-Cookie headers by cookie name: the value and the attributes, lower-cased."""
    found = {}
    headers = response.headers
    lines = (
        headers.get_list("set-cookie")
        if hasattr(headers, "get_list")
        else headers.getlist("set-cookie")
    )
    for line in lines:
        first, *attributes = [part.strip() for part in line.split(";")]
        name, value = first.split("=", 1)
        parsed = {"value": value}
        for attribute in attributes:
            key, _, attribute_value = attribute.partition("=")
            parsed[key.lower()] = attribute_value
        found[name] = parsed
    return found


def assert_refused(response: Any, status: int, detail: str) -> None:
    assert (response.status_code, response.json()) == (status, {"detail": detail})


@pytest.fixture
def auth(base: type[AuthJWT]) -> type[AuthJWT]:
    return configured(base)


@pytest.fixture
def client(auth: type[AuthJWT]) -> Iterator[TestClient]:
    with TestClient(cookie_app(auth)) as client:
        yield client


def login(auth: type[AuthJWT]) -> tuple[str, str, str]:
    """An access token, its CSRF value, and a refresh token."""
    access = auth().create_access_token(subject="alice")
    return access, jwtfort.unverified_claims(access)["csrf"], auth().create_refresh_token("alice")


# --- setting and deleting cookies ------------------------------------------------------------


def test_set_cookies(client: TestClient) -> None:
    response = client.get("/login")
    body, found = response.json(), set_cookies(response)
    assert set(found) == {
        "access_token_cookie",
        "csrf_access_token",
        "refresh_token_cookie",
        "csrf_refresh_token",
    }
    access, csrf = found["access_token_cookie"], found["csrf_access_token"]
    assert access == {"value": body["access"], "httponly": "", "path": "/"}
    assert csrf == {"value": jwtfort.unverified_claims(body["access"])["csrf"], "path": "/"}
    refresh_csrf = jwtfort.unverified_claims(body["refresh"])["csrf"]
    assert found["csrf_refresh_token"]["value"] == refresh_csrf


def test_cookie_attributes_and_names(base: type[AuthJWT]) -> None:
    auth = configured(
        base,
        authjwt_cookie_max_age=600,
        authjwt_cookie_domain="example.com",
        authjwt_cookie_secure=True,
        authjwt_cookie_samesite="strict",
        authjwt_access_cookie_key="at",
        authjwt_access_cookie_path="/api",
        authjwt_access_csrf_cookie_key="at_csrf",
        authjwt_access_csrf_cookie_path="/app",
    )
    with TestClient(cookie_app(auth)) as client:
        found = set_cookies(client.get("/login"))
        attributes = {"domain": "example.com", "secure": "", "samesite": "strict"}
        assert {k: v for k, v in found["at"].items() if k != "value"} == {
            "httponly": "",
            "path": "/api",
            "max-age": "600",
            **attributes,
        }
        assert {k: v for k, v in found["at_csrf"].items() if k != "value"} == {
            "path": "/app",
            "max-age": "600",
            **attributes,
        }
        found = set_cookies(client.get("/login-response"))  # max_age argument wins
        assert (found["at"]["max-age"], found["at_csrf"]["max-age"]) == ("60", "60")


def test_unset_cookies(client: TestClient) -> None:
    found = set_cookies(client.delete("/logout"))
    assert set(found) == {
        "access_token_cookie",
        "csrf_access_token",
        "refresh_token_cookie",
        "csrf_refresh_token",
    }
    for cookie in found.values():
        assert (cookie["value"], cookie["max-age"], cookie["path"]) in {
            ('""', "0", "/"),
            ("", "0", "/"),
        }
    found = set_cookies(client.delete("/logout-access"))
    assert set(found) == {"access_token_cookie", "csrf_access_token"}


def test_without_csrf_protection(base: type[AuthJWT]) -> None:
    auth = configured(base, authjwt_cookie_csrf_protect=False)
    with TestClient(cookie_app(auth)) as client:
        response = client.get("/login")
        assert set(set_cookies(response)) == {"access_token_cookie", "refresh_token_cookie"}
        access = response.json()["access"]
        assert "csrf" not in jwtfort.unverified_claims(access)
        client.cookies.clear()
        response = client.post("/protected", headers=cookies(access_token_cookie=access))
        assert response.json() == {"user": "alice"}
        assert set(set_cookies(client.delete("/logout"))) == {
            "access_token_cookie",
            "refresh_token_cookie",
        }


def test_cookie_helpers_warn_without_the_cookie_location() -> None:
    # The drop-in raises the warning instead, as fastapi-jwt-auth does (test_compat_fja_dropin).
    auth = configured(AuthJWT, authjwt_token_location=["headers"])
    token = auth().create_access_token(subject="alice")
    response = JSONResponse({})
    with pytest.warns(RuntimeWarning) as caught:
        auth().set_access_cookies(token, response)
        auth().unset_refresh_cookies(response)
    assert [str(w.message) for w in caught] == [
        "set_access_cookies() called without 'authjwt_token_location' configured to use cookies",
        "unset_refresh_cookies() called without 'authjwt_token_location' configured to use cookies",
    ]
    # A token made without the cookie location has no csrf claim: no CSRF cookie to set; the
    # refresh CSRF cookie is deleted with its token.
    assert set(set_cookies(response)) == {
        "access_token_cookie",
        "refresh_token_cookie",
        "csrf_refresh_token",
    }


def test_cookie_helper_argument_types(auth: type[AuthJWT]) -> None:
    token = auth().create_access_token(subject="alice")
    with pytest.raises(TypeError) as raised:
        auth().set_access_cookies(token, JSONResponse({}), max_age="60")  # type: ignore[arg-type]
    assert str(raised.value) == "max_age must be a integer"
    for response in ({"not": "a response"}, None):
        with pytest.raises(TypeError) as raised:
            auth().set_refresh_cookies(token, response)  # type: ignore[arg-type]
        assert str(raised.value) == "The response must be an object response FastAPI"


# --- reading cookies and the CSRF double submit ----------------------------------------------


def test_missing_cookie(client: TestClient) -> None:
    response = client.get("/protected")
    assert_refused(response, 401, "Missing cookie access_token_cookie")
    assert response.headers["www-authenticate"] == "Bearer"
    assert_refused(client.post("/refresh"), 401, "Missing cookie refresh_token_cookie")


def test_csrf_is_checked_on_csrf_methods_only(auth: type[AuthJWT], client: TestClient) -> None:
    access, csrf, _ = login(auth)
    jar = cookies(access_token_cookie=access)
    assert client.get("/protected", headers=jar).json() == {"user": "alice"}
    response = client.post("/protected", headers=jar)
    assert_refused(response, 401, "Missing CSRF Token")
    assert response.headers["www-authenticate"] == INVALID
    response = client.post("/protected", headers={**jar, "X-CSRF-Token": csrf})
    assert response.json() == {"user": "alice"}
    response = client.patch("/protected", headers={**jar, "X-CSRF-Token": csrf[::-1]})
    assert_refused(response, 401, "CSRF double submit tokens do not match")


def test_missing_csrf_comes_before_verification(client: TestClient) -> None:
    response = client.post("/protected", headers=cookies(access_token_cookie="a.b.c"))
    assert_refused(response, 401, "Missing CSRF Token")


def test_csrf_exception_class(auth: type[AuthJWT], client: TestClient) -> None:
    from starlette.requests import Request

    access, _, _ = login(auth)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"cookie", f"access_token_cookie={access}".encode())],
    }
    with pytest.raises(CSRFError) as raised:
        auth(req=Request(scope)).jwt_required()
    assert (raised.value.status_code, raised.value.code) == (401, "csrf_failed")


def test_non_ascii_csrf_header_is_a_mismatch(auth: type[AuthJWT], client: TestClient) -> None:
    access, _, _ = login(auth)
    headers = {
        **cookies(access_token_cookie=access),
        "X-CSRF-Token": "é".encode(),
    }
    response = client.post("/protected", headers=headers)
    assert_refused(response, 401, "CSRF double submit tokens do not match")


def test_token_without_csrf_claim(
    base: type[AuthJWT], auth: type[AuthJWT], client: TestClient
) -> None:
    header_only = configured(base, authjwt_token_location=["headers"])
    token = header_only().create_access_token(subject="alice")
    headers = {**cookies(access_token_cookie=token), "X-CSRF-Token": "anything"}
    response = client.post("/protected", headers=headers)
    status = 422 if base is CompatAuthJWT else 401
    assert_refused(response, status, "Missing claim: csrf")
    with pytest.raises(JWTDecodeError if base is CompatAuthJWT else CSRFError):
        from starlette.requests import Request

        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        auth(
            req=Request({"type": "http", "method": "POST", "path": "/", "headers": raw})
        ).jwt_required()


def test_refresh_cookie_uses_its_own_csrf_header(base: type[AuthJWT]) -> None:
    auth = configured(base, authjwt_refresh_csrf_header_name="X-CSRF-Refresh")
    _, _, refresh = login(auth)
    csrf = jwtfort.unverified_claims(refresh)["csrf"]
    jar = cookies(refresh_token_cookie=refresh)
    with TestClient(cookie_app(auth)) as client:
        response = client.post("/refresh", headers={**jar, "X-CSRF-Token": csrf})
        assert_refused(response, 401, "Missing CSRF Token")
        response = client.post("/refresh", headers={**jar, "X-CSRF-Refresh": csrf})
        assert response.json() == {"user": "alice"}


def test_custom_csrf_methods(base: type[AuthJWT]) -> None:
    auth = configured(base, authjwt_csrf_methods=["get"])
    access, csrf, _ = login(auth)
    jar = cookies(access_token_cookie=access)
    with TestClient(cookie_app(auth)) as client:
        assert_refused(client.get("/protected", headers=jar), 401, "Missing CSRF Token")
        response = client.get("/protected", headers={**jar, "X-CSRF-Token": csrf})
        assert response.json() == {"user": "alice"}
        assert client.post("/protected", headers=jar).json() == {"user": "alice"}


def test_optional_in_cookies(auth: type[AuthJWT], client: TestClient) -> None:
    access, csrf, _ = login(auth)
    jar = cookies(access_token_cookie=access)
    assert client.post("/optional").json() == {"user": None}
    assert client.get("/optional", headers=jar).json() == {"user": "alice"}
    assert_refused(client.post("/optional", headers=jar), 401, "Missing CSRF Token")
    response = client.post("/optional", headers={**jar, "X-CSRF-Token": csrf})
    assert response.json() == {"user": "alice"}
    response = client.post("/optional", headers={**jar, "X-CSRF-Token": "x"})
    assert_refused(response, 401, "CSRF double submit tokens do not match")


def test_invalid_cookie_token(base: type[AuthJWT], client: TestClient) -> None:
    response = client.get("/protected", headers=cookies(access_token_cookie="a.b.c"))
    if base is CompatAuthJWT:
        assert_refused(response, 422, "Invalid header padding")
    else:
        assert_refused(response, 401, "Invalid token")


# --- a cookie sent twice ----------------------------------------------------------------------

SENT_TWICE = "the token cookie is sent more than once"


def assert_sent_twice(base: type[AuthJWT], response: Any) -> None:
    """jwtfort-server's refusal (malformed_token, "Invalid token"), or fastapi-jwt-auth's 422."""
    if base is CompatAuthJWT:
        assert_refused(response, 422, SENT_TWICE)
        assert "www-authenticate" not in response.headers
    else:
        assert_refused(response, 401, "Invalid token")
        assert response.headers["www-authenticate"] == INVALID


def tossed(name: str, first: str, second: str) -> dict[str, str]:
    return {"Cookie": f"{name}={first}; {name}={second}"}


@pytest.mark.parametrize("attacker_first", [True, False], ids=["attacker-first", "victim-first"])
def test_a_duplicated_access_cookie_is_refused_in_either_order(
    base: type[AuthJWT], auth: type[AuthJWT], client: TestClient, attacker_first: bool
) -> None:
    # A sibling domain can set its own access_token_cookie (cookie tossing): neither copy wins.
    victim, _, _ = login(auth)
    attacker = auth().create_access_token(subject="mallory")
    first, second = (attacker, victim) if attacker_first else (victim, attacker)
    jar = tossed("access_token_cookie", first, second)
    assert_sent_twice(base, client.get("/protected", headers=jar))
    assert_sent_twice(base, client.get("/optional", headers=jar))
    # Split over two Cookie headers, as HTTP/2 sends them.
    split = [
        ("Cookie", f"access_token_cookie={first}"),
        ("Cookie", f"access_token_cookie={second}"),
    ]
    assert_sent_twice(base, client.get("/protected", headers=split))


@pytest.mark.parametrize("attacker_first", [True, False], ids=["attacker-first", "victim-first"])
def test_a_duplicated_refresh_cookie_is_refused_in_either_order(
    base: type[AuthJWT], auth: type[AuthJWT], client: TestClient, attacker_first: bool
) -> None:
    victim = auth().create_refresh_token(subject="alice")
    attacker = auth().create_refresh_token(subject="mallory")
    first, second = (attacker, victim) if attacker_first else (victim, attacker)
    headers = {
        **tossed("refresh_token_cookie", first, second),
        "X-CSRF-Token": jwtfort.unverified_claims(victim)["csrf"],
    }
    assert_sent_twice(base, client.post("/refresh", headers=headers))


def test_a_duplicated_cookie_error(auth: type[AuthJWT]) -> None:
    from starlette.requests import Request

    access, _, _ = login(auth)
    raw = f"access_token_cookie={access}; access_token_cookie={access}".encode()
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [(b"cookie", raw)]})
    with pytest.raises(AuthJWTException) as raised:
        auth(req=request).jwt_required()
    assert raised.value.code == "malformed_token"
    assert isinstance(raised.value.__cause__, jwtfort.MalformedToken)
    assert raised.value.__cause__.message == SENT_TWICE


def test_other_cookies_may_repeat(auth: type[AuthJWT], client: TestClient) -> None:
    access, _, _ = login(auth)
    jar = {"Cookie": f'theme=dark; theme=light; access_token_cookie="{access}"; flag'}
    assert client.get("/protected", headers=jar).json() == {"user": "alice"}


# --- headers and cookies together -------------------------------------------------------------


@pytest.fixture
def both(base: type[AuthJWT]) -> type[AuthJWT]:
    return configured(base, authjwt_token_location=["headers", "cookies"])


def test_the_header_wins(both: type[AuthJWT]) -> None:
    access, _, _ = login(both)
    with TestClient(cookie_app(both)) as client:
        headers = {"Authorization": f"Bearer {access}", **cookies(access_token_cookie="junk")}
        assert client.post("/protected", headers=headers).json() == {"user": "alice"}
        jar = cookies(access_token_cookie=access)
        assert client.get("/protected", headers=jar).json() == {"user": "alice"}
        assert_refused(client.post("/protected", headers=jar), 401, "Missing CSRF Token")


def test_neither_reports_the_missing_cookie(both: type[AuthJWT]) -> None:
    with TestClient(cookie_app(both)) as client:
        assert_refused(client.get("/protected"), 401, "Missing cookie access_token_cookie")
        assert client.get("/optional").json() == {"user": None}


def test_a_bad_header_is_refused_even_with_a_cookie(
    base: type[AuthJWT], both: type[AuthJWT]
) -> None:
    access, _, _ = login(both)
    headers = {"Authorization": "Basic abc", **cookies(access_token_cookie=access)}
    with TestClient(cookie_app(both)) as client:
        response = client.get("/protected", headers=headers)
    status = 422 if base is CompatAuthJWT else 400
    assert_refused(response, status, "Bad Authorization header. Expected value 'Bearer <JWT>'")


def test_cookie_only_ignores_the_authorization_header(
    auth: type[AuthJWT], client: TestClient
) -> None:
    access, _, _ = login(auth)
    headers = {"Authorization": "Basic abc", **cookies(access_token_cookie=access)}
    assert client.get("/protected", headers=headers).json() == {"user": "alice"}


def test_missing_token_error_class(auth: type[AuthJWT]) -> None:
    from starlette.requests import Request

    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    with pytest.raises(MissingTokenError) as raised:
        auth(req=request).jwt_required()
    assert (raised.value.status_code, raised.value.message) == (
        401,
        "Missing cookie access_token_cookie",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError) as wrong:
            auth().jwt_required()  # no request: nothing to read cookies from
    assert str(wrong.value) == "request must be an instance of 'Request' or 'WebSocket'"

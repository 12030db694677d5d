"""jwtfort.fastapi.AuthJWT over HTTP: tokens, the four protections, headers, refusals answered
from jwtfort's HTTP table (401 + WWW-Authenticate, generic "Invalid token"), forged tokens,
keys, denylist and token store, OpenAPI and per-application configuration."""

import asyncio
import base64
import hashlib
import hmac
import json
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt as pyjwt
import pytest
from authjwt_support import NOW, SECRET, configured
from authjwt_support import FixedClock as Clock
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from starlette.requests import Request as StarletteRequest

import jwtfort
from jwtfort.fastapi import (
    AccessTokenRequired,
    AuthJWT,
    AuthJWTException,
    AuthJWTSettings,
    FreshTokenRequired,
    InvalidHeaderError,
    JWTDecodeError,
    MissingTokenError,
    RefreshTokenRequired,
    RevokedTokenError,
)

LONG_SECRET = SECRET * 2  # 64 bytes: enough for HS384 and HS512
BEARER = {"WWW-Authenticate": "Bearer"}
INVALID = 'Bearer error="invalid_token"'


def build_app(auth: type[AuthJWT]) -> FastAPI:
    """The four protections, token creation and the token readers, with no exception handler:
    the exceptions are HTTPExceptions."""
    app = FastAPI()

    @app.post("/login")
    def login(authorize: Annotated[AuthJWT, Depends(auth)], fresh: bool = False) -> dict[str, str]:
        return {
            "access": authorize.create_access_token(subject="alice", fresh=fresh),
            "refresh": authorize.create_refresh_token(subject="alice"),
        }

    @app.get("/protected")
    def protected(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        authorize.jwt_required()
        return {"user": authorize.get_jwt_subject()}

    @app.get("/optional")
    def optional(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        authorize.jwt_optional()
        return {"user": authorize.get_jwt_subject()}

    @app.post("/refresh")
    def refresh(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        authorize.jwt_refresh_token_required()
        return {"access": authorize.create_access_token(subject=authorize.get_jwt_subject())}

    @app.get("/fresh")
    def fresh(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        authorize.fresh_jwt_required()
        return {"user": authorize.get_jwt_subject()}

    @app.get("/raw")
    def raw(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
        return {"claims": authorize.get_raw_jwt(), "user": authorize.get_jwt_subject()}

    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**extra: Any) -> dict[str, Any]:
    """fastapi-jwt-auth's claims for an access token of alice, valid at NOW."""
    base = {"sub": "alice", "iat": NOW, "nbf": NOW, "jti": "j-1", "exp": NOW + 900}
    return {**base, "type": "access", "fresh": False, **extra}


def assert_refused(response: Any, status: int, detail: str, challenge: str | None) -> None:
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert response.headers.get("www-authenticate") == challenge


def request_with(headers: dict[str, str], method: str = "GET") -> StarletteRequest:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return StarletteRequest({"type": "http", "method": method, "headers": raw, "path": "/"})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(clock: Clock) -> type[AuthJWT]:
    auth = configured()
    auth._clock = clock
    return auth


@pytest.fixture
def client(auth: type[AuthJWT]) -> Iterator[TestClient]:
    with TestClient(build_app(auth)) as client:
        yield client


def tokens(client: TestClient, fresh: bool = False) -> dict[str, str]:
    response = client.post("/login", params={"fresh": fresh})
    assert response.status_code == 200
    result: dict[str, str] = response.json()
    return result


# --- making tokens ----------------------------------------------------------------------------


def test_claims_of_access_and_refresh_tokens(clock: Clock) -> None:
    auth = configured(authjwt_encode_issuer="urn:jwtfort")
    auth._clock = clock
    access = auth().create_access_token(subject="alice", fresh=True, audience="api")
    refresh = auth().create_refresh_token(subject="alice")
    got = jwtfort.unverified_claims(access)
    assert {k: v for k, v in got.items() if k != "jti"} == {
        "sub": "alice",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 900,
        "type": "access",
        "fresh": True,
        "iss": "urn:jwtfort",
        "aud": "api",
    }
    got = jwtfort.unverified_claims(refresh)
    assert {k: v for k, v in got.items() if k not in ("jti", "fam")} == {
        "sub": "alice",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 30 * 24 * 3600,
        "type": "refresh",
    }
    assert got["fam"] == got["jti"]  # a new refresh family, named after its first token
    header = jwtfort.unverified_header(access)
    assert (header["alg"], header["typ"], header["kid"][:6]) == ("HS256", "JWT", "HS256-")


def test_int_subject_is_written_as_text(auth: type[AuthJWT], client: TestClient) -> None:
    token = auth().create_access_token(subject=42)
    assert jwtfort.unverified_claims(token)["sub"] == "42"
    # PyJWT >= 2.10 refuses a non-string sub; this token decodes there too.
    decoded = pyjwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert decoded["sub"] == "42"
    assert client.get("/protected", headers=bearer(token)).json() == {"user": "42"}


@pytest.mark.parametrize(
    ("expires_time", "exp"),
    [
        (None, NOW + 900),
        (True, NOW + 900),
        (0, NOW + 900),
        (90, NOW + 90),
        (timedelta(hours=2), NOW + 7200),
        (False, None),
    ],
)
def test_expires_time(auth: type[AuthJWT], expires_time: Any, exp: int | None) -> None:
    token = auth().create_access_token(subject="alice", expires_time=expires_time)
    assert jwtfort.unverified_claims(token).get("exp") == exp


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"subject": 1.5}, "subject must be a string or integer"),
        ({"subject": True}, "subject must be a string or integer"),
        ({"subject": "a", "fresh": "yes"}, "fresh must be a boolean"),
        ({"subject": "a", "audience": 5}, "audience must be a string or sequence"),
        ({"subject": "a", "algorithm": 256}, "algorithm must be a string"),
        ({"subject": "a", "user_claims": "x"}, "user_claims must be a dictionary"),
        (
            {"subject": "a", "expires_time": "1"},
            "expires_time must be between timedelta, int, bool",
        ),
    ],
)
def test_create_token_argument_types(
    auth: type[AuthJWT], arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError) as raised:
        auth().create_access_token(**arguments)
    assert str(raised.value) == message


def test_user_claims_and_headers(auth: type[AuthJWT]) -> None:
    token = auth().create_access_token(
        subject="alice", user_claims={"roles": ["admin"]}, headers={"x-tenant": "a"}
    )
    assert jwtfort.unverified_claims(token)["roles"] == ["admin"]
    assert auth().get_unverified_jwt_headers(token)["x-tenant"] == "a"
    refresh = auth().create_refresh_token(subject="alice", user_claims={"device": "d1"})
    assert auth().get_raw_jwt(refresh)["device"] == "d1"  # type: ignore[index]


def test_user_claims_may_not_replace_the_token_claims(auth: type[AuthJWT]) -> None:
    with pytest.raises(jwtfort.InvalidClaim) as raised:
        auth().create_access_token(subject="alice", user_claims={"type": "refresh"})
    assert raised.value.code == "invalid_claim"


def test_algorithm_per_token(clock: Clock) -> None:
    auth = configured(authjwt_secret_key=LONG_SECRET, authjwt_decode_algorithms=["HS256", "HS384"])
    auth._clock = clock
    token = auth().create_access_token(subject="alice", algorithm="HS384")
    assert jwtfort.unverified_header(token)["alg"] == "HS384"
    with TestClient(build_app(auth)) as client:
        assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
        hs512 = auth().create_access_token(subject="alice", algorithm="HS512")
        assert_refused(
            client.get("/protected", headers=bearer(hs512)), 401, "Invalid token", INVALID
        )
    with pytest.raises(ValueError, match=r"^Algorithm HS1024 could not be found$"):
        auth().create_access_token(subject="alice", algorithm="HS1024")


# --- the four protections -----------------------------------------------------------------------


def test_jwt_required(client: TestClient) -> None:
    pair = tokens(client)
    assert client.get("/protected", headers=bearer(pair["access"])).json() == {"user": "alice"}
    assert_refused(client.get("/protected"), 401, "Missing Authorization Header", "Bearer")
    response = client.get("/protected", headers=bearer(pair["refresh"]))
    assert_refused(response, 401, "Only access tokens are allowed", INVALID)


def test_jwt_optional(client: TestClient) -> None:
    pair = tokens(client)
    assert client.get("/optional").json() == {"user": None}
    assert client.get("/optional", headers=bearer(pair["access"])).json() == {"user": "alice"}
    assert_refused(client.get("/optional", headers=bearer("a.b.c")), 401, "Invalid token", INVALID)
    response = client.get("/optional", headers=bearer(pair["refresh"]))
    assert_refused(response, 401, "Only access tokens are allowed", INVALID)


def test_jwt_refresh_token_required(client: TestClient) -> None:
    pair = tokens(client)
    response = client.post("/refresh", headers=bearer(pair["refresh"]))
    assert response.status_code == 200
    assert jwtfort.unverified_claims(response.json()["access"])["type"] == "access"
    response = client.post("/refresh", headers=bearer(pair["access"]))
    assert_refused(response, 401, "Only refresh tokens are allowed", INVALID)
    assert_refused(client.post("/refresh"), 401, "Missing Authorization Header", "Bearer")


def test_fresh_jwt_required(client: TestClient) -> None:
    stale, fresh = tokens(client)["access"], tokens(client, fresh=True)["access"]
    assert client.get("/fresh", headers=bearer(fresh)).json() == {"user": "alice"}
    assert_refused(
        client.get("/fresh", headers=bearer(stale)), 401, "Fresh token required", INVALID
    )
    refresh = tokens(client)["refresh"]
    response = client.get("/fresh", headers=bearer(refresh))
    assert_refused(response, 401, "Only access tokens are allowed", INVALID)


@pytest.mark.parametrize(
    ("method", "route", "token_kind", "exception", "code"),
    [
        ("jwt_required", None, None, MissingTokenError, "missing_token"),
        ("jwt_required", None, "refresh", AccessTokenRequired, "wrong_token_type"),
        ("jwt_refresh_token_required", None, "access", RefreshTokenRequired, "wrong_token_type"),
        ("fresh_jwt_required", None, "access", FreshTokenRequired, "fresh_token_required"),
    ],
)
def test_exception_classes_and_codes(
    auth: type[AuthJWT],
    method: str,
    route: None,
    token_kind: str | None,
    exception: type[AuthJWTException],
    code: str,
) -> None:
    token = {
        None: None,
        "access": auth().create_access_token(subject="a"),
        "refresh": auth().create_refresh_token(subject="a"),
    }[token_kind]
    headers = bearer(token) if token else {}
    with pytest.raises(exception) as raised:
        getattr(auth(req=request_with(headers)), method)()
    assert type(raised.value) is exception
    assert (raised.value.status_code, raised.value.code) == (401, code)
    assert raised.value.detail == raised.value.message


# --- the Authorization header -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer a b", "Token abc", "  "]
)
def test_bad_authorization_header(client: TestClient, value: str) -> None:
    response = client.get("/protected", headers={"Authorization": value})
    expected = "Bad Authorization header. Expected value 'Bearer <JWT>'"
    assert_refused(response, 400, expected, 'Bearer error="invalid_request"')


def test_bad_header_is_an_invalid_header_error(auth: type[AuthJWT]) -> None:
    with pytest.raises(InvalidHeaderError) as raised:
        auth(req=request_with({"Authorization": "Basic x"})).jwt_required()
    assert (raised.value.status_code, raised.value.code) == (400, "invalid_authorization_header")


def test_scheme_is_case_insensitive(client: TestClient) -> None:
    token = tokens(client)["access"]
    response = client.get("/protected", headers={"Authorization": f"bEARER {token}"})
    assert response.json() == {"user": "alice"}


def test_repeated_authorization_header_is_refused(client: TestClient) -> None:
    token = tokens(client)["access"]
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = client.get("/protected", headers=headers)
    expected = "Bad Authorization header. Expected value 'Bearer <JWT>'"
    assert_refused(response, 400, expected, 'Bearer error="invalid_request"')


def test_custom_header_name_and_type(clock: Clock) -> None:
    auth = configured(authjwt_header_name="X-Auth", authjwt_header_type="JWT")
    auth._clock = clock
    with TestClient(build_app(auth)) as client:
        token = tokens(client)["access"]
        response = client.get("/protected", headers={"X-Auth": f"JWT {token}"})
        assert response.json() == {"user": "alice"}
        assert_refused(
            client.get("/protected", headers=bearer(token)), 401, "Missing X-Auth Header", "Bearer"
        )
        response = client.get("/protected", headers={"X-Auth": f"Bearer {token}"})
        expected = "Bad X-Auth header. Expected value 'JWT <JWT>'"
        assert_refused(response, 400, expected, 'Bearer error="invalid_request"')


def test_header_without_type(clock: Clock) -> None:
    auth = configured(authjwt_header_type="")
    auth._clock = clock
    with TestClient(build_app(auth)) as client:
        token = tokens(client)["access"]
        assert client.get("/protected", headers={"Authorization": token}).json() == {
            "user": "alice"
        }
        response = client.get("/protected", headers=bearer(token))
        expected = "Bad Authorization header. Expected value '<JWT>'"
        assert_refused(response, 400, expected, 'Bearer error="invalid_request"')


def test_header_is_read_lazily(client: TestClient) -> None:
    """fastapi-jwt-auth#75: a token route must not fail on another scheme's header."""
    response = client.post("/login", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert response.status_code == 200
    assert jwtfort.unverified_claims(response.json()["access"])["sub"] == "alice"


# --- refused tokens: one generic answer, never a 500 ------------------------------------------


DUPLICATE_ALG = '{"alg":"HS256","alg":"none"}'


def segment(value: dict[str, Any] | str) -> str:
    return b64(value if isinstance(value, str) else json.dumps(value))


def forged_tokens() -> dict[str, str]:
    payload = segment(claims())
    rsa = jwtfort.Key.generate("RS256")
    rsa_private = pyjwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(rsa.to_private_jwk()))
    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{payload}"
    confused = hmac.new(rsa.to_public_pem().encode(), signing_input.encode(), hashlib.sha256)
    good = pyjwt.encode(claims(), SECRET, algorithm="HS256")
    head, body, signature = good.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    jku = {"alg": "HS256", "jku": "https://attacker.example/jwks"}
    return {
        "garbage": "not-a-token",
        "two segments": "abc.def",
        "tampered payload": f"{head}.{segment(claims(sub='admin'))}.{signature}",
        "tampered signature": f"{head}.{body}.{flipped}",
        "other secret": pyjwt.encode(claims(), "f" * 32, algorithm="HS256"),
        "alg none": f"{segment({'alg': 'none'})}.{payload}.",
        "alg None": f"{segment({'alg': 'None'})}.{payload}.",
        "no alg": f"{segment({'typ': 'JWT'})}.{payload}.{signature}",
        "unknown alg": f"{segment({'alg': 'XX999'})}.{payload}.{signature}",
        "RS256 on HS256": pyjwt.encode(claims(), rsa_private, algorithm="RS256"),
        "HS512 on HS256": pyjwt.encode(claims(), SECRET * 2, algorithm="HS512"),
        "HS256 keyed with a public PEM": f"{signing_input}.{b64(confused.digest())}",
        "padded base64": f"{head}=.{body}.{signature}",
        "header not JSON": f"{segment('{alg')}.{body}.{signature}",
        "duplicate alg": f"{segment(DUPLICATE_ALG)}.{body}.{signature}",
        "jku header": f"{segment(jku)}.{body}.{signature}",
    }


FORGED = forged_tokens()


@pytest.mark.parametrize("name", sorted(FORGED))
def test_forged_tokens_get_one_generic_answer(client: TestClient, name: str) -> None:
    for route in ("/protected", "/optional", "/fresh"):
        response = client.get(route, headers=bearer(FORGED[name]))
        assert_refused(response, 401, "Invalid token", INVALID)
    response = client.post("/refresh", headers=bearer(FORGED[name]))
    assert_refused(response, 401, "Invalid token", INVALID)


def test_rs256_app_refuses_hs256_keyed_with_its_public_key() -> None:
    """The algorithm-confusion attack: the public PEM used as an HMAC secret."""
    rsa = jwtfort.Key.generate("RS256")
    public = rsa.to_public_pem()
    auth = configured(authjwt_algorithm="RS256", authjwt_public_key=public, authjwt_secret_key=None)
    header = b64('{"alg":"HS256","typ":"JWT"}')
    signing_input = f"{header}.{b64(json.dumps(claims(exp=2**31)))}"
    mac = hmac.new(public.encode(), signing_input.encode(), hashlib.sha256).digest()
    with TestClient(build_app(auth)) as client:
        response = client.get("/protected", headers=bearer(f"{signing_input}.{b64(mac)}"))
    assert_refused(response, 401, "Invalid token", INVALID)


def test_the_precise_reason_stays_on_the_exception(auth: type[AuthJWT]) -> None:
    with pytest.raises(JWTDecodeError) as raised:
        auth(req=request_with(bearer(FORGED["alg none"]))).jwt_required()
    assert (raised.value.status_code, raised.value.message) == (401, "Invalid token")
    assert raised.value.code == "unsupported_algorithm"
    assert isinstance(raised.value.__cause__, jwtfort.AlgorithmNotAllowed)
    with pytest.raises(InvalidHeaderError) as malformed:
        auth(req=request_with(bearer("abc.def"))).jwt_required()
    assert (malformed.value.status_code, malformed.value.code) == (401, "malformed_token")


def test_tokens_made_by_pyjwt_with_the_same_secret(auth: type[AuthJWT], client: TestClient) -> None:
    token = pyjwt.encode(claims(), SECRET, algorithm="HS256")
    assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
    assert auth().get_jti(token) == "j-1"
    without_jti = pyjwt.encode({k: v for k, v in claims().items() if k != "jti"}, SECRET)
    assert_refused(
        client.get("/protected", headers=bearer(without_jti)), 401, "Invalid token", INVALID
    )


# --- time -----------------------------------------------------------------------------------------


def test_expiry_at_exp(clock: Clock, client: TestClient) -> None:
    token = tokens(client)["access"]
    clock.now = NOW + 899
    assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
    clock.now = NOW + 900
    response = client.get("/protected", headers=bearer(token))
    assert_refused(response, 401, "Signature has expired", INVALID)


def test_leeway(clock: Clock) -> None:
    auth = configured(authjwt_decode_leeway=5)
    auth._clock = clock
    with TestClient(build_app(auth)) as client:
        token = tokens(client)["access"]
        clock.now = NOW + 904
        assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
        clock.now = NOW + 905
        response = client.get("/protected", headers=bearer(token))
        assert_refused(response, 401, "Signature has expired", INVALID)


def test_token_from_the_future(clock: Clock, client: TestClient) -> None:
    clock.now = NOW + 60
    token = tokens(client)["access"]
    clock.now = NOW
    response = client.get("/protected", headers=bearer(token))
    assert_refused(response, 401, "The token is not yet valid (nbf)", INVALID)


def test_lifetime_false_makes_tokens_without_exp(clock: Clock) -> None:
    auth = configured(authjwt_access_token_expires=False)
    auth._clock = clock
    with TestClient(build_app(auth)) as client:
        token = tokens(client)["access"]
        assert "exp" not in jwtfort.unverified_claims(token)
        clock.now = NOW + 10 * 365 * 24 * 3600
        assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}


def test_a_token_without_exp_needs_a_lifetime_of_false(
    auth: type[AuthJWT], client: TestClient
) -> None:
    token = auth().create_access_token(subject="alice", expires_time=False)
    assert_refused(client.get("/protected", headers=bearer(token)), 401, "Invalid token", INVALID)


# --- issuer and audience ------------------------------------------------------------------------


def test_issuer(clock: Clock) -> None:
    auth = configured(authjwt_encode_issuer="urn:a", authjwt_decode_issuer="urn:a")
    auth._clock = clock
    other = configured(authjwt_encode_issuer="urn:b")
    other._clock = clock
    with TestClient(build_app(auth)) as client:
        pair = tokens(client)
        assert client.get("/protected", headers=bearer(pair["access"])).json() == {"user": "alice"}
        # Refresh tokens carry and check no issuer, as in fastapi-jwt-auth.
        assert client.post("/refresh", headers=bearer(pair["refresh"])).status_code == 200
        foreign = other().create_access_token(subject="alice")
        assert_refused(
            client.get("/protected", headers=bearer(foreign)), 401, "Invalid token", INVALID
        )
        plain = pyjwt.encode(claims(), SECRET)
        assert_refused(
            client.get("/protected", headers=bearer(plain)), 401, "Invalid token", INVALID
        )


def test_audience(auth: type[AuthJWT], clock: Clock) -> None:
    api = configured(authjwt_decode_audience=["api", "admin"])
    api._clock = clock
    with TestClient(build_app(api)) as client:
        for audience in ("api", ["admin", "x"]):
            token = api().create_access_token(subject="alice", audience=audience)
            assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
        for bad in (
            api().create_access_token(subject="a", audience="web"),
            tokens(client)["access"],
        ):
            assert_refused(
                client.get("/protected", headers=bearer(bad)), 401, "Invalid token", INVALID
            )
    with TestClient(
        build_app(auth)
    ) as client:  # no audience configured: a token with one is refused
        token = auth().create_access_token(subject="alice", audience="api")
        assert_refused(
            client.get("/protected", headers=bearer(token)), 401, "Invalid token", INVALID
        )


# --- asymmetric keys ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA", "PS256"])
def test_asymmetric_keys(alg: str, clock: Clock) -> None:
    private = jwtfort.Key.generate(alg)
    pem = private.to_public_pem()
    signer = configured(
        authjwt_algorithm=alg, authjwt_private_key=_private_pem(private), authjwt_secret_key=None
    )
    signer._clock = clock
    verifier = configured(authjwt_algorithm=alg, authjwt_public_key=pem, authjwt_secret_key=None)
    verifier._clock = clock
    token = signer().create_access_token(subject="alice")
    assert jwtfort.unverified_header(token)["alg"] == alg
    with TestClient(build_app(verifier)) as client:
        assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
        stranger = configured(
            authjwt_algorithm=alg,
            authjwt_private_key=_private_pem(jwtfort.Key.generate(alg)),
            authjwt_secret_key=None,
        )
        stranger._clock = clock
        forged = stranger().create_access_token(subject="alice")
        assert_refused(
            client.get("/protected", headers=bearer(forged)), 401, "Invalid token", INVALID
        )
    with pytest.raises(RuntimeError) as raised:
        verifier().create_access_token(subject="alice")
    assert (
        str(raised.value)
        == f"authjwt_private_key must be set when using asymmetric algorithm {alg}"
    )


def test_pyjwt_rs256_token_verified_with_the_public_key() -> None:
    private = jwtfort.Key.generate("RS256")
    auth = configured(
        authjwt_algorithm="RS256",
        authjwt_public_key=private.to_public_pem(),
        authjwt_secret_key=None,
    )
    key = pyjwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(private.to_private_jwk()))
    token = pyjwt.encode(claims(exp=2**31), key, algorithm="RS256")
    auth._clock = Clock()
    assert auth().get_raw_jwt(token)["sub"] == "alice"  # type: ignore[index]


def test_decode_algorithms_may_mix_key_families(clock: Clock) -> None:
    rsa = jwtfort.Key.generate("RS256")
    auth = configured(
        authjwt_decode_algorithms=["HS256", "RS256"],
        authjwt_public_key=rsa.to_public_pem(),
        authjwt_private_key=_private_pem(rsa),
    )
    auth._clock = clock
    with TestClient(build_app(auth)) as client:
        for alg in ("HS256", "RS256"):
            token = auth().create_access_token(subject=alg, algorithm=alg)
            assert client.get("/protected", headers=bearer(token)).json() == {"user": alg}
        es256 = configured(
            authjwt_algorithm="ES256",
            authjwt_private_key=_private_pem(jwtfort.Key.generate("ES256")),
            authjwt_secret_key=None,
        )
        es256._clock = clock
        token = es256().create_access_token(subject="x")
        assert_refused(
            client.get("/protected", headers=bearer(token)), 401, "Invalid token", INVALID
        )


def test_missing_keys_and_unknown_algorithms() -> None:
    no_secret = configured(authjwt_secret_key=None)
    with pytest.raises(RuntimeError) as raised:
        no_secret().create_access_token(subject="a")
    assert (
        str(raised.value) == "authjwt_secret_key must be set when using symmetric algorithm HS256"
    )
    with pytest.raises(RuntimeError) as raised:
        no_secret(req=request_with(bearer("a.b.c"))).jwt_required()
    assert (
        str(raised.value) == "authjwt_secret_key must be set when using symmetric algorithm HS256"
    )
    public_only = configured(authjwt_algorithm="RS256", authjwt_secret_key=None)
    with pytest.raises(RuntimeError) as raised:
        public_only(req=request_with(bearer("a.b.c"))).jwt_required()
    assert (
        str(raised.value) == "authjwt_public_key must be set when using asymmetric algorithm RS256"
    )
    unknown = configured(authjwt_algorithm="HS999")
    with pytest.raises(ValueError) as unknown_alg:
        unknown().create_access_token(subject="a")
    assert str(unknown_alg.value) == "Algorithm HS999 could not be found"


def test_a_weak_secret_is_refused() -> None:
    auth = type("Auth", (AuthJWT,), {})
    with pytest.raises(jwtfort.WeakKey) as raised:
        auth.load_config(lambda: AuthJWTSettings(authjwt_secret_key="short-secret"))
    assert raised.value.code == "weak_key"
    assert auth._secret_key is None  # the configuration was not applied
    hs512 = {"authjwt_secret_key": SECRET, "authjwt_algorithm": "HS512"}
    with pytest.raises(jwtfort.WeakKey):
        auth.load_config(lambda: hs512)


def _private_pem(key: jwtfort.Key) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    jwk = key.to_private_jwk()
    if jwk["kty"] == "RSA":
        private: Any = pyjwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
    elif jwk["kty"] == "EC":
        private = pyjwt.algorithms.ECAlgorithm.from_jwk(json.dumps(jwk))
    else:
        private = pyjwt.algorithms.OKPAlgorithm.from_jwk(json.dumps(jwk))
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem: bytes = load_der_private_key(der, None).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


# --- reading the token -------------------------------------------------------------------------


def test_token_readers(auth: type[AuthJWT], client: TestClient) -> None:
    pair = tokens(client)
    body = client.get("/raw", headers=bearer(pair["access"])).json()
    assert body["user"] == "alice"
    assert body["claims"] == jwtfort.unverified_claims(pair["access"])
    assert client.get("/raw").json() == {"claims": None, "user": None}
    assert auth().get_jti(pair["refresh"]) == jwtfort.unverified_claims(pair["refresh"])["jti"]
    header = auth(req=request_with(bearer(pair["access"]))).get_unverified_jwt_headers()
    assert header == jwtfort.unverified_header(pair["access"])
    with pytest.raises(MissingTokenError) as raised:
        auth().get_unverified_jwt_headers()
    assert (raised.value.status_code, raised.value.message) == (401, "Missing Authorization Header")
    with pytest.raises(InvalidHeaderError) as malformed:
        auth().get_unverified_jwt_headers("abc")
    assert (malformed.value.status_code, malformed.value.message) == (401, "Invalid token")
    assert_refused(client.get("/raw", headers=bearer("a.b.c")), 401, "Invalid token", INVALID)


# --- exception handlers -------------------------------------------------------------------------


def test_without_an_exception_handler_the_status_is_kept(client: TestClient) -> None:
    response = client.get("/protected", headers=bearer(FORGED["alg none"]))
    assert_refused(response, 401, "Invalid token", INVALID)


def test_a_registered_handler_takes_precedence(auth: type[AuthJWT]) -> None:
    app = build_app(auth)

    @app.exception_handler(AuthJWTException)
    def refused(request: Request, exc: AuthJWTException) -> JSONResponse:
        body = {"error": exc.message, "code": exc.code, "kind": type(exc).__name__}
        return JSONResponse(status_code=exc.status_code, content=body)

    with TestClient(app) as client:
        response = client.get("/protected")
    assert response.status_code == 401
    assert response.json() == {
        "error": "Missing Authorization Header",
        "code": "missing_token",
        "kind": "MissingTokenError",
    }


def test_a_handler_for_one_subclass(auth: type[AuthJWT]) -> None:
    app = build_app(auth)

    @app.exception_handler(MissingTokenError)
    def missing(request: Request, exc: MissingTokenError) -> JSONResponse:
        return JSONResponse(status_code=418, content={"missing": exc.message})

    with TestClient(app) as client:
        assert (client.get("/protected").status_code, client.get("/protected").json()) == (
            418,
            {"missing": "Missing Authorization Header"},
        )
        response = client.get("/protected", headers=bearer("a.b.c"))
        assert_refused(response, 401, "Invalid token", INVALID)


# --- denylist ---------------------------------------------------------------------------------


@pytest.mark.parametrize("callback_kind", ["sync", "async"])
@pytest.mark.parametrize("route_kind", ["sync", "async"])
def test_denylist_callback(clock: Clock, callback_kind: str, route_kind: str) -> None:
    auth = configured(authjwt_denylist_enabled=True)
    auth._clock = clock
    revoked: set[str] = set()
    seen: list[dict[str, Any]] = []

    def is_revoked(decoded: dict[str, Any]) -> bool:
        seen.append(decoded)
        return decoded["jti"] in revoked

    async def is_revoked_async(decoded: dict[str, Any]) -> bool:
        await asyncio.sleep(0)
        return is_revoked(decoded)

    auth.token_in_denylist_loader(is_revoked if callback_kind == "sync" else is_revoked_async)
    app = FastAPI()
    if route_kind == "sync":

        @app.get("/protected")
        def protected(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
            authorize.jwt_required()
            return {"user": authorize.get_jwt_subject()}
    else:

        @app.get("/protected")
        async def protected_async(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, Any]:
            authorize.jwt_required()
            return {"user": authorize.get_jwt_subject()}

    token = auth().create_access_token(subject="alice")
    with TestClient(app) as client:
        assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
        assert seen[-1] == jwtfort.unverified_claims(token)
        revoked.add(jwtfort.unverified_claims(token)["jti"])
        response = client.get("/protected", headers=bearer(token))
        assert_refused(response, 401, "Token has been revoked", INVALID)


def test_denylist_token_checks(clock: Clock) -> None:
    auth = configured(authjwt_denylist_enabled=True, authjwt_denylist_token_checks=["access"])
    auth._clock = clock
    auth.token_in_denylist_loader(lambda decoded: True)
    with TestClient(build_app(auth)) as client:
        pair = tokens(client)
        assert client.post("/refresh", headers=bearer(pair["refresh"])).status_code == 200
        response = client.get("/protected", headers=bearer(pair["access"]))
        assert_refused(response, 401, "Token has been revoked", INVALID)


def test_denylist_without_a_callback(clock: Clock) -> None:
    auth = configured(authjwt_denylist_enabled=True)
    auth._clock = clock
    token = auth().create_access_token(subject="alice")
    with pytest.raises(RuntimeError) as raised:
        auth(req=request_with(bearer(token))).jwt_required()
    assert str(raised.value) == (
        "A token_in_denylist_callback must be provided via the "
        "'@AuthJWT.token_in_denylist_loader' if authjwt_denylist_enabled is 'True'"
    )


def test_revoked_is_a_revoked_token_error(clock: Clock) -> None:
    auth = configured(authjwt_denylist_enabled=True)
    auth._clock = clock
    auth.token_in_denylist_loader(lambda decoded: True)
    token = auth().create_refresh_token(subject="alice")
    with pytest.raises(RevokedTokenError) as raised:
        auth(req=request_with(bearer(token))).jwt_refresh_token_required()
    assert (raised.value.status_code, raised.value.code) == (401, "revoked")


# --- the token store ------------------------------------------------------------------------------


def store_app(auth: type[AuthJWT]) -> FastAPI:
    app = build_app(auth)

    @app.post("/logout")
    def logout(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, str]:
        authorize.jwt_required()
        authorize.revoke_token()
        return {"revoked": "yes"}

    @app.post("/rotate")
    def rotate(authorize: Annotated[AuthJWT, Depends(auth)]) -> dict[str, str]:
        authorize.jwt_refresh_token_required()
        access, refresh = authorize.rotate_refresh_token()
        return {"access": access, "refresh": refresh}

    return app


def test_revoke_token_with_a_memory_store(clock: Clock) -> None:
    auth = configured(authjwt_store_url="memory://")
    auth._clock = clock
    with TestClient(store_app(auth)) as client:
        token = tokens(client)["access"]
        assert client.post("/logout", headers=bearer(token)).json() == {"revoked": "yes"}
        response = client.get("/protected", headers=bearer(token))
        assert_refused(response, 401, "Token has been revoked", INVALID)


def test_two_apps_share_revocations_through_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    first, second = configured(authjwt_store_url=url), configured(authjwt_store_url=url)
    token = first().create_access_token(subject="alice")
    with TestClient(store_app(first)) as one, TestClient(store_app(second)) as two:
        assert two.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
        assert one.post("/logout", headers=bearer(token)).status_code == 200
        response = two.get("/protected", headers=bearer(token))
        assert_refused(response, 401, "Token has been revoked", INVALID)


def test_refresh_rotation_and_reuse_detection(clock: Clock) -> None:
    auth = configured(authjwt_store_url="memory://")
    auth._clock = clock
    with TestClient(store_app(auth)) as client:
        first = tokens(client)["refresh"]
        rotated = client.post("/rotate", headers=bearer(first)).json()
        assert (
            jwtfort.unverified_claims(rotated["refresh"])["fam"]
            == jwtfort.unverified_claims(first)["fam"]
        )
        assert client.get("/protected", headers=bearer(rotated["access"])).json() == {
            "user": "alice"
        }
        response = client.post("/rotate", headers=bearer(first))  # a stolen token, replayed
        assert_refused(response, 401, "Token has been revoked", INVALID)
        response = client.post("/rotate", headers=bearer(rotated["refresh"]))
        assert_refused(response, 401, "Token has been revoked", INVALID)
        # The access token the rotation returned belongs to the family: it goes too.
        assert (
            jwtfort.unverified_claims(rotated["access"])["fam"]
            == jwtfort.unverified_claims(first)["fam"]
        )
        response = client.get("/protected", headers=bearer(rotated["access"]))
        assert_refused(response, 401, "Token has been revoked", INVALID)


def test_revocation_needs_a_store(auth: type[AuthJWT]) -> None:
    token = auth().create_access_token(subject="alice")
    with pytest.raises(jwtfort.ConfigurationError) as raised:
        auth().revoke_token(token)
    assert raised.value.message == "revoke_token() needs authjwt_store_url"
    with pytest.raises(jwtfort.ConfigurationError):
        auth().rotate_refresh_token(auth().create_refresh_token(subject="alice"))


def test_store_down_is_503(redis_server: Any) -> None:
    auth = configured(authjwt_store_url=redis_server.url)
    token = auth().create_access_token(subject="alice")
    with TestClient(build_app(auth)) as client:
        assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
        redis_server.stop()
        other = auth().create_access_token(subject="bob")
        response = client.get("/protected", headers=bearer(other))
    assert (response.status_code, response.json()) == (503, {"detail": "Token store unavailable"})


# --- OpenAPI and per-application configuration -----------------------------------------------


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {
        "JWT": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    for path, method in [("/protected", "get"), ("/refresh", "post"), ("/login", "post")]:
        assert schema["paths"][path][method]["security"] == [{"JWT": []}]
    parameters = schema["paths"]["/protected"]["get"].get("parameters", [])
    assert parameters == []  # req, res and the hidden scheme are not query parameters


def test_two_apps_with_different_secrets() -> None:
    apps = {}
    for name, secret in [("a", SECRET), ("b", "b" * 32)]:
        app = build_app(AuthJWT)
        AuthJWT.configure(app, {"authjwt_secret_key": secret, "authjwt_header_name": f"X-{name}"})
        apps[name] = app
    with TestClient(apps["a"]) as a, TestClient(apps["b"]) as b:
        token_a, token_b = tokens(a)["access"], tokens(b)["access"]
        assert a.get("/protected", headers={"X-a": f"Bearer {token_a}"}).json() == {"user": "alice"}
        assert b.get("/protected", headers={"X-b": f"Bearer {token_b}"}).json() == {"user": "alice"}
        response = b.get("/protected", headers={"X-b": f"Bearer {token_a}"})
        assert_refused(response, 401, "Invalid token", INVALID)
        assert_refused(a.get("/protected"), 401, "Missing X-a Header", "Bearer")
    assert AuthJWT._secret_key is None  # the class configuration is untouched


def test_app_configuration_takes_precedence_over_the_class(clock: Clock) -> None:
    auth = configured()
    app = build_app(auth)
    revoked: list[str] = []
    auth.configure(
        app,
        AuthJWTSettings(authjwt_secret_key="c" * 32, authjwt_denylist_enabled=True),
        token_in_denylist=lambda decoded: bool(revoked),
        clock=clock,
    )
    with TestClient(app) as client:
        token = tokens(client)["access"]
        assert jwtfort.unverified_claims(token)["iat"] == NOW
        assert client.get("/protected", headers=bearer(token)).json() == {"user": "alice"}
        revoked.append("all")
        response = client.get("/protected", headers=bearer(token))
        assert_refused(response, 401, "Token has been revoked", INVALID)
    class_token = auth().create_access_token(subject="alice")
    assert_refused(
        TestClient(app).get("/protected", headers=bearer(class_token)),
        401,
        "Invalid token",
        INVALID,
    )


def test_configure_checks_the_keys() -> None:
    with pytest.raises(jwtfort.WeakKey):
        AuthJWT.configure(FastAPI(), {"authjwt_secret_key": "short"})


def test_the_dependency_is_built_on_the_event_loop_where_fastapi_unwraps() -> None:
    """FastAPI builds a class dependency on its thread pool; AuthJWT wraps its security scheme
    so that FastAPI awaits it on the loop, with the same answers (Python 3.13 keeps the pool)."""
    from jwtfort.fastapi import _authjwt

    threads: dict[str, int] = {}

    class Recording(configured()):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            threads["dependency"] = threading.get_ident()
            super().__init__(*args, **kwargs)

    app = FastAPI()

    @app.get("/me")
    async def me(authorize: Annotated[Recording, Depends()]) -> dict[str, Any]:
        threads["route"] = threading.get_ident()
        authorize.jwt_required()
        return {"user": authorize.get_jwt_subject()}

    with TestClient(app) as client:
        token = Recording().create_access_token(subject="alice")
        answer = client.get("/me", headers=bearer(token))
        missing = client.get("/me")
        schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert (answer.status_code, answer.json()) == (200, {"user": "alice"})
    assert (missing.status_code, missing.json()) == (
        401,
        {"detail": "Missing Authorization Header"},
    )
    assert schemes == {"JWT": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    on_the_loop = threads["dependency"] == threads["route"]
    assert on_the_loop == _authjwt._FASTAPI_UNWRAPS_CLASSES
    if sys.version_info < (3, 13):
        assert _authjwt._FASTAPI_UNWRAPS_CLASSES  # FastAPI as pinned for the tests unwraps

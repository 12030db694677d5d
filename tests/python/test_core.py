"""The jwtfort Python API over the C++ core: keys, signer, verifier, token service and stores."""

from __future__ import annotations

import ast
import base64
import gc
import json
import pickle
import threading
import time
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest

import jwtfort
from jwtfort import _native, errors

ROUND_TRIP_ALGORITHMS = ["HS256", "ES256", "EdDSA", "RS256"]
NOW = 1_700_000_000


@pytest.fixture(scope="module")
def keys() -> dict[str, jwtfort.Key]:
    """One key per algorithm, generated once: RSA generation takes a while."""
    return {alg: jwtfort.Key.generate(alg) for alg in ROUND_TRIP_ALGORITHMS}


def sign(key: jwtfort.Key, **claims: object) -> str:
    return jwtfort.Signer(key).sign({"sub": "alice", "exp": NOW + 60, **claims})


def verifier(key: jwtfort.Key, **options: Any) -> jwtfort.Verifier:
    options.setdefault("clock", NOW)
    return jwtfort.Verifier(algorithms=[key.alg], keys=key, **options)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fails(
    error: type[jwtfort.JWTError], code: str, call: Callable[..., object], *args: Any, **kw: Any
) -> jwtfort.JWTError:
    """Calls `call` and checks that it raised exactly `error` (not a subclass) with `code`."""
    with pytest.raises(error) as raised:
        call(*args, **kw)
    assert type(raised.value) is error
    assert raised.value.code == code
    return raised.value


# --- sign and verify -----------------------------------------------------------------------


@pytest.mark.parametrize("alg", ROUND_TRIP_ALGORITHMS)
def test_round_trip(keys: dict[str, jwtfort.Key], alg: str) -> None:
    key = keys[alg]
    token = sign(key, roles=["admin"], name="Zoë")
    verified = verifier(key).verify(token)
    assert verified.claims == {"sub": "alice", "exp": NOW + 60, "roles": ["admin"], "name": "Zoë"}
    assert verified.header == {"alg": alg, "typ": "JWT"}
    assert (verified.alg, verified.subject, verified.expires_at) == (alg, "alice", NOW + 60)
    assert verified.jwt_id is None and verified.key_id is None


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_public_halves_verify(keys: dict[str, jwtfort.Key], alg: str) -> None:
    token = sign(keys[alg])
    from_jwk = jwtfort.Key.from_jwk(keys[alg].to_public_jwk())
    from_pem = jwtfort.Key.from_pem(keys[alg].to_public_pem(), alg)
    for public in (from_jwk, from_pem):
        assert not public.can_sign
        assert verifier(public).verify(token).subject == "alice"
    fails(jwtfort.InvalidKey, "invalid_key", jwtfort.Signer, from_pem)


def test_kid_selects_the_key_in_a_key_set(keys: dict[str, jwtfort.Key]) -> None:
    first = keys["ES256"].with_id("first")
    second = jwtfort.Key.generate("ES256").with_id("second")
    token = jwtfort.Signer(second).sign({"sub": "bob", "exp": NOW + 60})
    key_set = jwtfort.KeySet.from_jwks({"keys": [first.to_public_jwk(), second.to_public_jwk()]})
    assert [k.id for k in key_set] == ["first", "second"]
    verified = jwtfort.Verifier(algorithms=["ES256"], keys=key_set, clock=NOW).verify(token)
    assert (verified.key_id, verified.subject) == ("second", "bob")
    fails(jwtfort.UnknownKey, "unknown_key", key_set.find, "third", "ES256")


def test_headers_and_datetimes(keys: dict[str, jwtfort.Key]) -> None:
    signer = jwtfort.Signer(keys["HS256"])
    exp = datetime.fromtimestamp(NOW + 60, tz=timezone.utc)
    token = signer.sign({"sub": "alice", "exp": exp}, headers={"typ": "at+jwt", "x-tenant": "a"})
    assert jwtfort.unverified_header(token) == {"alg": "HS256", "typ": "at+jwt", "x-tenant": "a"}
    assert verifier(keys["HS256"], typ="at+jwt").verify(token).expires_at == NOW + 60
    jku = {"jku": "https://attacker.example/jwks"}
    fails(jwtfort.MalformedToken, "invalid_header", signer.sign, {}, headers=jku)


def test_tokens_and_secrets_may_be_bytes() -> None:
    key = jwtfort.Key.from_secret(b"\x00" * 32, "HS256")
    assert verifier(key).verify(sign(key).encode()).subject == "alice"


# --- exact errors --------------------------------------------------------------------------


def test_expired_at_exp_and_after_the_leeway(keys: dict[str, jwtfort.Key]) -> None:
    key = keys["ES256"]
    token = sign(key)  # exp = NOW + 60
    assert verifier(key, clock=NOW + 59).verify(token).subject == "alice"
    error = fails(jwtfort.ExpiredToken, "expired", verifier(key, clock=NOW + 60).verify, token)
    assert isinstance(error, jwtfort.InvalidToken) and isinstance(error, ValueError)
    assert verifier(key, clock=NOW + 69, leeway=10).verify(token).subject == "alice"
    late = verifier(key, clock=NOW + 70, leeway=timedelta(seconds=10))
    fails(jwtfort.ExpiredToken, "expired", late.verify, token)


def test_not_yet_valid(keys: dict[str, jwtfort.Key]) -> None:
    token = sign(keys["HS256"], nbf=NOW + 1)
    fails(jwtfort.ImmatureToken, "not_yet_valid", verifier(keys["HS256"]).verify, token)


@pytest.mark.parametrize("alg", ROUND_TRIP_ALGORITHMS)
def test_bad_signature(keys: dict[str, jwtfort.Key], alg: str) -> None:
    header, payload, signature = sign(keys[alg]).split(".")
    # The first character carries no padding bits, so the result stays canonical base64url.
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    tampered = f"{header}.{payload}.{flipped}"
    fails(jwtfort.InvalidSignature, "invalid_signature", verifier(keys[alg]).verify, tampered)
    other = verifier(jwtfort.Key.generate(alg))
    fails(jwtfort.InvalidSignature, "invalid_signature", other.verify, sign(keys[alg]))


def test_algorithm_not_allowed(keys: dict[str, jwtfort.Key]) -> None:
    token = sign(keys["HS256"])
    check = verifier(jwtfort.Key.generate("HS384"))
    fails(jwtfort.AlgorithmNotAllowed, "algorithm_not_allowed", check.verify, token)


def test_alg_none_is_not_an_algorithm(keys: dict[str, jwtfort.Key]) -> None:
    unsigned = b64(b'{"alg":"none"}') + "." + b64(b'{"sub":"admin","exp":9999999999}') + "."
    check = verifier(keys["HS256"])
    fails(jwtfort.AlgorithmNotAllowed, "unsupported_algorithm", check.verify, unsigned)
    fails(jwtfort.AlgorithmNotAllowed, "unsupported_algorithm", jwtfort.Key.generate, "none")


def test_weak_secret() -> None:
    error = fails(jwtfort.WeakKey, "weak_key", jwtfort.Key.from_secret, "short", "HS256")
    assert isinstance(error, jwtfort.InvalidKey) and isinstance(error, jwtfort.ConfigurationError)
    assert "32 bytes" in error.message
    assert jwtfort.Key.from_weak_secret_unsafe("short", "HS256").bits == 40


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("not a token", "malformed_token"),
        ("a.b", "malformed_token"),
        ("e30.e30.!!", "malformed_token"),
        ("x" * 9000, "token_too_large"),
        (b64(b"[]") + "." + b64(b"{}") + ".AA", "invalid_json"),
        (b64(b'{"alg":"HS256","alg":"HS256"}') + ".e30.AA", "duplicate_member"),
    ],
)
def test_malformed(keys: dict[str, jwtfort.Key], token: str, code: str) -> None:
    fails(jwtfort.MalformedToken, code, verifier(keys["HS256"]).verify, token)


def test_claim_rules(keys: dict[str, jwtfort.Key]) -> None:
    key = keys["HS256"]
    from_b = sign(key, iss="https://b")
    fails(jwtfort.InvalidIssuer, "invalid_issuer", verifier(key, issuer="https://a").verify, from_b)
    for_api = sign(key, aud="api")
    fails(jwtfort.InvalidAudience, "invalid_audience", verifier(key).verify, for_api)
    assert verifier(key, audiences="api").verify(sign(key, aud=["x", "api"])).subject == "alice"
    no_exp = jwtfort.Signer(key).sign({"sub": "alice"})
    fails(jwtfort.MissingClaim, "missing_claim", verifier(key).verify, no_exp)
    assert verifier(key, required_claims=()).verify(no_exp).expires_at is None


def test_bad_options_are_configuration_errors(keys: dict[str, jwtfort.Key]) -> None:
    key = keys["HS256"]
    bad = jwtfort.ConfigurationError, "invalid_configuration"
    fails(*bad, jwtfort.Verifier, algorithms=[], keys=key)
    fails(*bad, jwtfort.Verifier, algorithms=["HS256"], keys=key, leeway=301)
    fails(*bad, jwtfort.Verifier, algorithms=["HS256", "ES256"], keys=key)
    with pytest.raises(TypeError):
        jwtfort.Verifier(keys=key)  # type: ignore[call-arg]


def test_every_core_code_has_a_class() -> None:
    codes = dict(_native.error_codes())
    assert codes["expired"] == 300 and len(codes) == 38
    for code, value in codes.items():
        cls = errors.error_class(code, value)
        assert cls is errors._BY_CODE[code]
        assert cls.default_code is None or cls.default_code in codes
    assert errors.error_class("a_future_code", 507) is jwtfort.Unavailable


def test_errors_are_plain_value_errors() -> None:
    error = jwtfort.ExpiredToken()
    assert (error.code, error.message, str(error)) == ("expired", "expired", "expired")
    bad_crit = jwtfort.InvalidToken("bad crit", code="invalid_critical_header")
    copy = pickle.loads(pickle.dumps(bad_crit))
    assert (type(copy), copy.code, copy.message) == (type(bad_crit), bad_crit.code, "bad crit")
    with pytest.raises(TypeError):
        jwtfort.InvalidToken("which one?")


# --- clocks and threads --------------------------------------------------------------------


def test_a_callable_clock_is_read_on_every_call(keys: dict[str, jwtfort.Key]) -> None:
    now = [NOW]
    check = verifier(keys["ES256"], clock=lambda: now[0])
    token = sign(keys["ES256"])
    assert check.verify(token).subject == "alice"
    now[0] = NOW + 60
    fails(jwtfort.ExpiredToken, "expired", check.verify, token)


def test_a_clock_that_raises_raises_from_the_call(keys: dict[str, jwtfort.Key]) -> None:
    token = sign(keys["ES256"])
    with pytest.raises(ZeroDivisionError):
        verifier(keys["ES256"], clock=lambda: 1 / 0).verify(token)
    with pytest.raises(TypeError):
        verifier(keys["ES256"], clock=lambda: "soon").verify(token)
    # The failure does not leak into the next call on this thread.
    assert verifier(keys["ES256"]).verify(token).subject == "alice"


class Holder:
    owners: list[object]


def clock_cycle(key: jwtfort.Key) -> weakref.ref[Holder]:
    """A holder of a verifier and a token service whose clocks refer back to the holder."""
    holder = Holder()
    holder.owners = [
        verifier(key, clock=lambda: NOW if holder else 0),
        jwtfort.TokenService(key, clock=lambda: NOW if holder else 0),
    ]
    return weakref.ref(holder)


def test_a_clock_that_leads_back_to_its_owner_is_collected(keys: dict[str, jwtfort.Key]) -> None:
    alive = clock_cycle(keys["HS256"])
    gc.collect()
    assert alive() is None


def test_threads_verify_in_parallel(keys: dict[str, jwtfort.Key]) -> None:
    check = verifier(keys["ES256"], clock=None)
    token = jwtfort.Signer(keys["ES256"]).sign({"sub": "alice", "exp": int(time.time()) + 60})
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(200):
                assert check.verify(token).subject == "alice"
        except BaseException as e:  # reported by the assertion below
            failures.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# --- keys ----------------------------------------------------------------------------------


def test_key_exports(keys: dict[str, jwtfort.Key]) -> None:
    key = keys["ES256"]
    jwk = key.to_public_jwk()
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")
    assert jwk["kid"] == key.thumbprint()
    assert "d" not in jwk and "d" in key.to_private_jwk()
    assert (key.bits, key.alg, key.can_sign, key.is_symmetric) == (256, "ES256", True, False)
    assert repr(key) == "<Key ES256 private id=''>"
    fails(jwtfort.InvalidKey, "invalid_key", keys["HS256"].to_public_jwk)
    assert set(ROUND_TRIP_ALGORITHMS) <= set(jwtfort.ALGORITHMS)
    assert "none" not in jwtfort.ALGORITHMS


def test_key_ring_rotation_keeps_old_tokens_valid() -> None:
    ring = jwtfort.KeyRing.from_key(jwtfort.Key.generate("ES256"))
    before = jwtfort.TokenService(ring).create_access_token("alice")
    rotated = ring.rotated(keep=2)
    assert rotated.active.id != ring.active.id and len(rotated.keys) == 2
    assert len(rotated.to_public_jwks()["keys"]) == 2
    service = jwtfort.TokenService(jwtfort.KeyRing.from_jwks(rotated.to_private_jwks()))
    assert service.require_access(before).subject == "alice"
    after = service.create_access_token("bob")
    assert jwtfort.unverified_header(after)["kid"] == rotated.active.id


# --- token service -------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> jwtfort.Store:
    url = "memory://" if request.param == "memory" else f"sqlite://{tmp_path}/tokens.db"
    return jwtfort.open_store(url)


def test_access_and_refresh(store: jwtfort.Store) -> None:
    service = jwtfort.TokenService(jwtfort.Key.generate("ES256"), store=store)
    access = service.create_access_token("alice", fresh=True, extra_claims={"roles": ["admin"]})
    refresh = service.create_refresh_token("alice", extra_claims={"roles": ["admin"]})

    verified = service.require_fresh(access)
    assert verified.claims["type"] == "access" and verified.claims["roles"] == ["admin"]
    assert service.optional_access(None) is None
    assert service.optional_access(access) is not None
    fails(jwtfort.WrongTokenType, "wrong_token_type", service.require_access, refresh)
    fails(jwtfort.WrongTokenType, "wrong_token_type", service.require_refresh, access)

    pair = service.refresh(refresh)
    assert service.require_access(pair.access_token).claims["roles"] == ["admin"]
    fails(jwtfort.FreshTokenRequired, "fresh_token_required", service.require_fresh, pair[0])
    # The spent refresh token comes back: taken for a stolen copy, its whole family goes.
    fails(jwtfort.RevokedToken, "token_reused", service.refresh, refresh)
    fails(jwtfort.RevokedToken, "revoked", service.require_refresh, pair.refresh_token)


def test_reuse_revokes_the_access_tokens_of_the_family(store: jwtfort.Store) -> None:
    service = jwtfort.TokenService(jwtfort.Key.generate("ES256"), store=store)
    login = service.create_token_pair("alice", fresh=True)
    family = jwtfort.unverified_claims(login.refresh_token)["fam"]
    assert jwtfort.unverified_claims(login.access_token)["fam"] == family
    assert service.require_fresh(login.access_token).subject == "alice"
    rotated = service.refresh(login.refresh_token)
    assert jwtfort.unverified_claims(rotated.access_token)["fam"] == family
    other = service.create_token_pair("alice")
    alone = service.create_access_token("alice")
    assert "fam" not in jwtfort.unverified_claims(alone)

    fails(jwtfort.RevokedToken, "token_reused", service.refresh, login.refresh_token)
    fails(jwtfort.RevokedToken, "revoked", service.require_access, rotated.access_token)
    fails(jwtfort.RevokedToken, "revoked", service.require_access, login.access_token)
    # Another login, and an access token issued alone, are not of that family.
    assert service.require_access(other.access_token).subject == "alice"
    assert service.require_access(alone).subject == "alice"


def test_revocation(store: jwtfort.Store) -> None:
    service = jwtfort.TokenService(jwtfort.Key.generate("ES256"), store=store)
    access = service.create_access_token("alice")
    service.revoke(service.require_access(access))
    fails(jwtfort.RevokedToken, "revoked", service.require_access, access)
    bobs_access, bobs_refresh = (
        service.create_access_token("bob"),
        service.create_refresh_token("bob"),
    )
    service.revoke_subject("bob")  # every token of bob issued up to now, this second included
    fails(jwtfort.RevokedToken, "revoked", service.require_access, bobs_access)
    fails(jwtfort.RevokedToken, "revoked", service.require_refresh, bobs_refresh)
    assert store.stats()["revoked_tokens"] == 1
    assert store.stats()["revoked_subjects"] == 1


def test_sqlite_revocations_survive_reopening(tmp_path: Path) -> None:
    key = jwtfort.Key.generate("HS256")
    url = f"sqlite://{tmp_path}/tokens.db"
    first = jwtfort.TokenService(key, store=jwtfort.open_store(url))
    token = first.create_access_token("alice")
    first.revoke(first.require_access(token))
    del first
    second = jwtfort.TokenService(key, store=jwtfort.open_store(url))
    fails(jwtfort.RevokedToken, "revoked", second.require_access, token)


def test_lifetimes_audience_and_extra_claims() -> None:
    now = [NOW]
    service = jwtfort.TokenService(
        jwtfort.Key.generate("HS256"),
        access_lifetime=timedelta(minutes=5),
        audiences=["b"],
        clock=lambda: now[0],
    )
    token = service.create_access_token("alice", audience=["a", "b"])
    claims = jwtfort.unverified_claims(token)
    assert claims["exp"] - claims["iat"] == 300
    assert (claims["aud"], claims["fresh"]) == (["a", "b"], False)
    forever = service.create_access_token("alice", lifetime=False)
    assert "exp" not in jwtfort.unverified_claims(forever)
    now[0] = NOW + 300
    fails(jwtfort.ExpiredToken, "expired", service.require_access, token)
    reserved = {"type": "refresh"}  # would turn the access token into a refresh token
    fails(
        jwtfort.InvalidClaim,
        "invalid_claim",
        service.create_access_token,
        "a",
        extra_claims=reserved,
    )
    refresh = service.create_refresh_token("alice")
    error = fails(jwtfort.ConfigurationError, "invalid_configuration", service.refresh, refresh)
    assert "store" in error.message


def test_store_errors(tmp_path: Path) -> None:
    fails(jwtfort.ConfigurationError, "invalid_configuration", jwtfort.open_store, "postgres://db")
    no_dir = f"sqlite://{tmp_path}/missing/tokens.db"
    fails(jwtfort.StoreUnavailable, "store_unavailable", jwtfort.open_store, no_dir)


# --- PyJWT interoperability ----------------------------------------------------------------


def test_pyjwt_tokens_are_accepted_and_tampered_ones_rejected() -> None:
    secret = b"k" * 32
    check = verifier(jwtfort.Key.from_secret(secret, "HS256"))
    token = pyjwt.encode({"sub": "alice", "exp": NOW + 60, "n": 1.5}, secret, algorithm="HS256")
    assert check.verify(token).claims == {"sub": "alice", "exp": NOW + 60, "n": 1.5}

    header, _, signature = token.split(".")
    forged = f"{header}.{b64(json.dumps({'sub': 'admin', 'exp': NOW + 60}).encode())}.{signature}"
    fails(jwtfort.InvalidSignature, "invalid_signature", check.verify, forged)
    unsigned = pyjwt.encode({"sub": "admin", "exp": NOW + 60}, "", algorithm="none")
    fails(jwtfort.AlgorithmNotAllowed, "unsupported_algorithm", check.verify, unsigned)


def test_pyjwt_reads_jwtfort_tokens() -> None:
    secret = b"k" * 32
    token = jwtfort.Signer(jwtfort.Key.from_secret(secret, "HS256")).sign({"sub": "alice"})
    assert pyjwt.decode(token, secret, algorithms=["HS256"]) == {"sub": "alice"}


def test_pyjwt_es256_interoperates() -> None:
    pytest.importorskip("cryptography")
    key = jwtfort.Key.generate("ES256")
    private = pyjwt.PyJWK(key.to_private_jwk()).key
    token = pyjwt.encode({"sub": "alice", "exp": NOW + 60}, private, algorithm="ES256")
    assert verifier(key).verify(token).subject == "alice"
    ours = jwtfort.Signer(key).sign({"sub": "bob"})
    public = pyjwt.PyJWK(key.to_public_jwk()).key
    assert pyjwt.decode(ours, public, algorithms=["ES256"]) == {"sub": "bob"}


# --- package -------------------------------------------------------------------------------


def test_the_stub_describes_the_module() -> None:
    stub = ast.parse((Path(jwtfort.__file__).parent / "_native.pyi").read_text())
    defined = (ast.FunctionDef, ast.ClassDef)
    described = {node.name for node in stub.body if isinstance(node, defined)}
    assert described == {name for name in dir(_native) if not name.startswith("_")}
    for node in stub.body:
        if isinstance(node, ast.ClassDef):
            members = {m.name for m in node.body if isinstance(m, ast.FunctionDef)}
            actual = {n for n in dir(getattr(_native, node.name)) if not n.startswith("_")}
            assert members - {"__init__", "__len__"} == actual, node.name


def test_wrappers_come_only_from_their_factories(keys: dict[str, jwtfort.Key]) -> None:
    with pytest.raises(TypeError):
        jwtfort.Key(b"secret" * 8)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        jwtfort.KeyRing(keys["HS256"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        jwtfort.VerifiedToken({"sub": "admin"})  # type: ignore[arg-type]


def test_public_names() -> None:
    assert sorted(jwtfort.__all__) == jwtfort.__all__
    assert all(hasattr(jwtfort, name) for name in jwtfort.__all__)
    assert (Path(jwtfort.__file__).parent / "py.typed").exists()


@pytest.mark.parametrize(
    "text",
    [
        '{"sub":"alice","n":[1,2.5,true,null],"o":{"x":"\\u00e9"}}',
        ' {"a":1}',
        '{"a":1} ',
        '{"a":1}x',
        '\ufeff{"a":1}',
        '{"a":',
        '{"a":1,"a":2}',
        '{"a":1e400}',
        '{"a":"\\ud800"}',
        "[1]",
        "",
    ],
)
def test_from_json_answers_as_json_loads(text: str) -> None:
    """The claims reader scans the core's JSON directly; whatever it is given, it returns what
    json.loads returns, or raises what json.loads raises."""
    from jwtfort._convert import from_json

    try:
        expected: object = json.loads(text)
    except ValueError as error:
        with pytest.raises(type(error)) as raised:
            from_json(text)
        assert str(raised.value) == str(error)
        return
    assert from_json(text) == expected

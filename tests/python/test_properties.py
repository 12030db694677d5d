"""Property tests: generated claim sets signed and verified by jwtfort, tokens made by PyJWT, and
forgeries of them, each rejected with the exact class and code the core's rules give.

The expected code of a forgery is computed from the token, in the order the core checks
(docs/errors.md): the characters and segments, the header's base64url, JSON and members, the
algorithm, the key, the signature, and only then the payload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import string
from collections.abc import Callable, Collection
from typing import Any

import jwt as pyjwt
import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

import jwtfort

NOW = 1_700_000_000
# After PyJWT's own clock as well, so that both libraries judge `exp` alike.
FAR_EXP = 4_000_000_000
MAX_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z, the core's upper bound for exp/nbf/iat
PYJWT_ALGORITHMS = ["HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "ES384", "EdDSA"]
REGISTERED_CLAIMS = {"exp", "nbf", "iat", "iss", "sub", "aud", "jti"}
# Header members the core refuses (docs/errors.md, unsupported_header).
REFUSED_HEADERS = {"jwk", "jku", "x5u", "x5c", "zip", "b64", "enc"}
URL_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"

# The class each code of the verifier is raised as (docs/errors.md); checked with `is`, not
# isinstance, so that a code landing in a broader class fails.
CLASS_OF = {
    "malformed_token": jwtfort.MalformedToken,
    "invalid_base64": jwtfort.MalformedToken,
    "invalid_json": jwtfort.MalformedToken,
    "duplicate_member": jwtfort.MalformedToken,
    "invalid_header": jwtfort.MalformedToken,
    "unsupported_algorithm": jwtfort.AlgorithmNotAllowed,
    "algorithm_not_allowed": jwtfort.AlgorithmNotAllowed,
    "unknown_key": jwtfort.UnknownKey,
    "key_algorithm_mismatch": jwtfort.UnknownKey,
    "invalid_signature": jwtfort.InvalidSignature,
    "unsupported_header": jwtfort.InvalidToken,
    "invalid_critical_header": jwtfort.InvalidToken,
    "expired": jwtfort.ExpiredToken,
    "json_too_complex": jwtfort.MalformedToken,
    "token_too_large": jwtfort.MalformedToken,
    "invalid_claim": jwtfort.InvalidClaim,
    "invalid_audience": jwtfort.InvalidAudience,
    "invalid_configuration": jwtfort.ConfigurationError,
    "invalid_key": jwtfort.InvalidKey,
}

# Signing with RSA is the slow part; these keep the whole module well under a minute.
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- keys ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> dict[str, jwtfort.Key]:
    """One private key (or secret) per algorithm; RSA keys are 2048 bits."""
    return {alg: jwtfort.Key.generate(alg) for alg in jwtfort.ALGORITHMS}


@pytest.fixture(scope="module")
def second_keys() -> dict[str, jwtfort.Key]:
    """Another key for each algorithm PyJWT signs with."""
    return {alg: jwtfort.Key.generate(alg) for alg in PYJWT_ALGORITHMS}


def public(key: jwtfort.Key) -> jwtfort.Key:
    """The verification half, through the SPKI PEM export; a secret is its own."""
    return key if key.is_symmetric else jwtfort.Key.from_pem(key.to_public_pem(), key.alg)


def pyjwt_keys(key: jwtfort.Key) -> tuple[Any, Any]:
    """(signing key, verification key) as PyJWT takes them, from jwtfort's private JWK."""
    signing = pyjwt.PyJWK(key.to_private_jwk()).key
    return signing, signing if key.is_symmetric else signing.public_key()


def verifier(key: jwtfort.Key, **options: Any) -> jwtfort.Verifier:
    options.setdefault("clock", NOW)
    return jwtfort.Verifier(algorithms=[key.alg], keys=public(key), **options)


def fails(code: str, call: Callable[..., object], *args: Any, **kw: Any) -> jwtfort.JWTError:
    """Calls `call` and checks that it raised exactly the class of `code`, with `code`."""
    with pytest.raises(jwtfort.JWTError) as raised:
        call(*args, **kw)
    error = raised.value
    assert (type(error), error.code) == (CLASS_OF[code], code), error.message
    return error


# --- claim sets ----------------------------------------------------------------------------

# The core reads integers in [-2**63, 2**64 - 1] (a larger one is invalid_json) and objects up
# to 32 levels deep with 256 members; the generated values stay inside, and
# test_the_limits_of_claim_sets probes the edges.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)  # any code point but lone surrogates, which UTF-8 cannot carry
)


def json_values(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return json_scalars
    inner = json_values(depth - 1)
    return (
        json_scalars
        | st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    )


claim_names = st.text(max_size=10).filter(lambda name: name not in REGISTERED_CLAIMS)
private_claims = st.dictionaries(claim_names, json_values(3), max_size=6)
future_exp = st.integers(min_value=NOW + 1, max_value=MAX_NUMERIC_DATE) | st.floats(
    min_value=NOW + 1, max_value=MAX_NUMERIC_DATE
)
past_date = st.integers(min_value=0, max_value=NOW)


@st.composite
def claim_sets(draw: st.DrawFn) -> dict[str, Any]:
    """A private claim set with a future `exp` and, sometimes, the other registered claims."""
    claims = draw(private_claims)
    claims["exp"] = draw(future_exp)
    for name, values in (("sub", st.text()), ("iss", st.text()), ("jti", st.text())):
        if draw(st.booleans()):
            claims[name] = draw(values)
    for name in ("iat", "nbf"):
        if draw(st.booleans()):
            claims[name] = draw(past_date)
    return claims


# --- base64url and the core's rules, as a model ---------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def hs256_token(secret: bytes, header: bytes, payload: bytes) -> str:
    """A token signed over exactly these header and payload bytes."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def is_canonical(segment: str) -> bool:
    """True when the bits past the last whole byte are zero (RFC 4648 §3.5); the length must
    not be 1 mod 4."""
    rest = len(segment) % 4
    last = URL_ALPHABET.index(segment[-1]) if segment else 0
    return rest == 0 or (rest == 2 and last & 0x0F == 0) or (rest == 3 and last & 0x03 == 0)


class DuplicateMember(ValueError):
    pass


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({name for name, _ in pairs}) != len(pairs):
        raise DuplicateMember
    return dict(pairs)


def refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def outside_core_json(value: Any) -> bool:
    """What Python's json reads but RFC 8259 text for the core does not hold: lone surrogates
    from \\u escapes, integers beyond 64 bits, numbers that overflow a double."""
    if isinstance(value, dict):
        return any(outside_core_json(k) or outside_core_json(v) for k, v in value.items())
    if isinstance(value, list):
        return any(outside_core_json(v) for v in value)
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value <= 2**64 - 1
    return isinstance(value, float) and not math.isfinite(value)


def header_verdict(raw: bytes, allowed: Collection[str]) -> str:
    """The code for a token whose header decodes to `raw` and whose signature does not match
    it, verified with one key per allowed algorithm and no `kid` in play."""
    try:
        header = json.loads(
            raw.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=refuse_constant
        )
    except DuplicateMember:
        return "duplicate_member"
    except ValueError:  # also UnicodeDecodeError
        return "invalid_json"
    if not isinstance(header, dict) or outside_core_json(header):
        return "invalid_json"
    refused = None
    for name, value in header.items():  # member order: the first offence decides
        if name in ("alg", "kid", "typ", "cty") and not isinstance(value, str):
            return "invalid_header"
        if name == "kid" and len(value.encode()) > 256:
            return "invalid_header"
        if name == "cty" and value.lower() in ("jwt", "application/jwt"):
            return "unsupported_header"
        if refused is None and name in REFUSED_HEADERS:
            refused = name
    if "alg" not in header:
        return "invalid_header"
    if refused is not None:
        return "unsupported_header"
    if header["alg"] not in jwtfort.ALGORITHMS:
        return "unsupported_algorithm"
    if "crit" in header:
        return "invalid_critical_header"  # this verifier understands no critical parameter
    if header["alg"] not in allowed:
        return "algorithm_not_allowed"
    return "invalid_signature"


def flip_verdict(token: str, at: int, new: int, allowed: Collection[str]) -> str:
    """The code for `token` with the byte at `at` replaced by `new`."""
    char = chr(new)
    if token[at] == "." or char == ".":
        return "malformed_token"  # two segments, or four
    if char in "+/=":
        return "invalid_base64"  # padding or the standard alphabet
    if char not in URL_ALPHABET:
        return "malformed_token"  # a character outside base64url
    index = token[:at].count(".")
    mutated = token[:at] + char + token[at + 1 :]
    segment = mutated.split(".")[index]
    if index == 1:
        # The payload is decoded only after the signature, which covers its text as sent.
        return "invalid_signature"
    if not is_canonical(segment):
        return "invalid_base64"
    if index == 2:
        return "invalid_signature"
    return header_verdict(unb64(segment), allowed)


def truncation_verdict(token: str, length: int) -> str:
    """The code for the first `length` characters of `token`."""
    cut = token[:length]
    if cut.count(".") != 2:
        return "malformed_token"
    signature = cut.rsplit(".", 1)[1]
    if not signature:
        return "invalid_signature"  # empty
    if len(signature) % 4 == 1 or not is_canonical(signature):
        return "invalid_base64"
    return "invalid_signature"  # too short for the algorithm


def with_header(token: str, header: dict[str, Any], signature: str | None = None) -> str:
    """`token` with another header (compact JSON, as PyJWT writes it) and, optionally, another
    signature."""
    _, payload, original = token.split(".")
    text = json.dumps(header, separators=(",", ":")).encode()
    return f"{b64(text)}.{payload}.{original if signature is None else signature}"


# --- jwtfort with itself -------------------------------------------------------------------


@MANY
@given(alg=st.sampled_from(jwtfort.ALGORITHMS), claims=claim_sets())
def test_round_trip_keeps_every_claim(
    keys: dict[str, jwtfort.Key], alg: str, claims: dict[str, Any]
) -> None:
    token = jwtfort.Signer(keys[alg]).sign(claims)
    verified = verifier(keys[alg], max_token_bytes=65536).verify(token)
    assert verified.claims == claims
    assert verified.header == {"alg": alg, "typ": "JWT"}
    assert verified.alg == alg
    assert verified.expires_at == math.floor(claims["exp"])
    assert (verified.subject, verified.issuer, verified.jwt_id) == (
        claims.get("sub"),
        claims.get("iss"),
        claims.get("jti"),
    )
    assert jwtfort.unverified_claims(token) == claims


@MANY
@given(claims=claim_sets(), late=st.integers(min_value=0, max_value=10**9))
def test_expired_from_exp_on(
    keys: dict[str, jwtfort.Key], claims: dict[str, Any], late: int
) -> None:
    key = keys["ES256"]
    token = jwtfort.Signer(key).sign(claims)
    deadline = math.ceil(claims["exp"])  # the first whole second at or after exp
    check = verifier(key, max_token_bytes=65536, clock=deadline + late)
    fails("expired", check.verify, token)
    on_time = verifier(key, max_token_bytes=65536, clock=deadline - 1)
    assert on_time.verify(token).claims == claims


def test_the_limits_of_claim_sets(keys: dict[str, jwtfort.Key]) -> None:
    """The edges the claim strategy stays inside: they are refused when signing already."""
    key = keys["HS256"]
    signer = jwtfort.Signer(key)

    def nested(depth: int) -> Any:
        value: Any = 1
        for _ in range(depth):
            value = [value]
        return value

    edges: dict[str, Any] = {
        "big": 2**64 - 1,
        "small": -(2**63),
        "deep": nested(31),  # with the claim set itself, 32 levels: the most there may be
        "wide": list(range(256)),
    }
    token = signer.sign({"exp": NOW + 1, **edges})
    assert verifier(key).verify(token).claims == {"exp": NOW + 1, **edges}
    beyond: list[tuple[str, Any, str]] = [
        ("big", 2**64, "invalid_json"),
        ("small", -(2**63) - 1, "invalid_json"),
        ("deep", nested(32), "json_too_complex"),
        ("wide", list(range(257)), "json_too_complex"),
    ]
    for name, value, code in beyond:
        fails(code, signer.sign, {"exp": NOW + 1, name: value})


# --- tokens made by PyJWT ------------------------------------------------------------------


@FEW
@given(alg=st.sampled_from(PYJWT_ALGORITHMS), claims=claim_sets())
def test_pyjwt_tokens_verify_with_equal_claims(
    keys: dict[str, jwtfort.Key], alg: str, claims: dict[str, Any]
) -> None:
    signing, _ = pyjwt_keys(keys[alg])
    token = pyjwt.encode(claims, signing, algorithm=alg)
    verified = verifier(keys[alg], max_token_bytes=65536).verify(token)
    assert verified.claims == claims
    assert verified.header == {"alg": alg, "typ": "JWT"}


# What a forgery starts from: an algorithm and claims with a drawn subject, so that token
# lengths, and so the spare bits of the last base64url character, vary.
pyjwt_inputs = st.tuples(
    st.sampled_from(PYJWT_ALGORITHMS),
    st.builds(lambda sub: {"sub": sub, "exp": FAR_EXP}, st.text(max_size=20)),
)


def pyjwt_token(keys: dict[str, jwtfort.Key], alg: str, claims: dict[str, Any], **kw: Any) -> str:
    return pyjwt.encode(claims, pyjwt_keys(keys[alg])[0], algorithm=alg, **kw)


@st.composite
def replacement_bytes(draw: st.DrawFn, old: str) -> int:
    """Any byte but `old`; mostly a base64url character, which gets past the token's character
    check and so reaches the decoders and the signature."""
    choices = URL_ALPHABET.encode() if draw(st.integers(0, 3)) else bytes(range(256))
    return draw(st.sampled_from(choices).filter(lambda b: b != ord(old)))


@MANY
@given(made=pyjwt_inputs, data=st.data())
def test_a_flipped_byte_is_rejected_as_the_rules_say(
    keys: dict[str, jwtfort.Key], made: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    alg, claims = made
    token = pyjwt_token(keys, alg, claims)
    at = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="at")
    new = data.draw(replacement_bytes(token[at]), label="new")
    forged = token.encode()[:at] + bytes([new]) + token.encode()[at + 1 :]
    code = flip_verdict(token, at, new, [alg])
    event(code)  # pytest --hypothesis-show-statistics shows how often each rule decided
    fails(code, verifier(keys[alg]).verify, forged)


@MANY
@given(made=pyjwt_inputs, data=st.data())
def test_a_truncated_token_is_rejected_as_the_rules_say(
    keys: dict[str, jwtfort.Key], made: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    alg, claims = made
    token = pyjwt_token(keys, alg, claims)
    length = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="length")
    code = truncation_verdict(token, length)
    event(code)
    fails(code, verifier(keys[alg]).verify, token[:length])


@MANY
@given(
    alg=st.sampled_from(PYJWT_ALGORITHMS),
    fake=st.text(max_size=12).filter(lambda name: name not in jwtfort.ALGORITHMS),
    keep_signature=st.booleans(),
)
@example(alg="HS256", fake="none", keep_signature=False)
@example(alg="RS256", fake="None", keep_signature=False)
@example(alg="ES256", fake="NONE", keep_signature=True)
@example(alg="HS256", fake="hs256", keep_signature=True)
@example(alg="HS256", fake="HS256 ", keep_signature=True)
@example(alg="HS256", fake="HS256\x00", keep_signature=True)
def test_an_alg_that_is_no_algorithm_is_unsupported(
    keys: dict[str, jwtfort.Key], alg: str, fake: str, keep_signature: bool
) -> None:
    token = pyjwt_token(keys, alg, {"sub": "alice", "exp": FAR_EXP})
    forged = with_header(token, {"alg": fake, "typ": "JWT"}, None if keep_signature else "")
    fails("unsupported_algorithm", verifier(keys[alg]).verify, forged)


@MANY
@given(alg=st.sampled_from(PYJWT_ALGORITHMS), other=st.sampled_from(jwtfort.ALGORITHMS))
def test_another_algorithm_is_not_allowed(
    keys: dict[str, jwtfort.Key], alg: str, other: str
) -> None:
    assume(other != alg)
    token = pyjwt_token(keys, alg, {"sub": "alice", "exp": FAR_EXP})
    forged = with_header(token, {"alg": other, "typ": "JWT"})
    fails("algorithm_not_allowed", verifier(keys[alg]).verify, forged)


def test_hmac_with_the_public_key_as_secret_is_refused(keys: dict[str, jwtfort.Key]) -> None:
    """CVE-2015-9235: an RS256 verifier is handed an HS256 token keyed with its own public PEM."""
    rsa = public(keys["RS256"])
    pem = rsa.to_public_pem().encode()
    forged = hs256_token(pem, b'{"alg":"HS256","typ":"JWT"}', b'{"sub":"admin","exp":4000000000}')
    fails("algorithm_not_allowed", verifier(keys["RS256"]).verify, forged)
    # Nor can an application be configured into the confusion: no key verifies HS256, and a
    # key set does not mix secrets with public keys.
    fails("invalid_configuration", jwtfort.Verifier, algorithms=["RS256", "HS256"], keys=rsa)
    fails("invalid_key", jwtfort.KeySet, [rsa, jwtfort.Key.from_secret(pem, "HS256")])


FOREIGN = {"HS256": "HS384", "HS384": "HS512", "HS512": "HS256", "ES384": "ES256"}


@MANY
@given(
    alg=st.sampled_from(PYJWT_ALGORITHMS),
    kid=st.none()
    | st.sampled_from(["other", "foreign"])
    | st.text(max_size=20)
    | st.text(min_size=60, max_size=300),
)
@example(alg="ES256", kid="x" * 256)
@example(alg="ES256", kid="x" * 257)
def test_a_changed_kid_finds_another_key_or_none(
    keys: dict[str, jwtfort.Key],
    second_keys: dict[str, jwtfort.Key],
    alg: str,
    kid: str | None,
) -> None:
    """The verifier holds the signer's key as "signer", another key of its algorithm as "other"
    and a key of another algorithm (also allowed) as "foreign"."""
    foreign = FOREIGN.get(alg, "ES384")
    key_set = jwtfort.KeySet(
        [
            public(keys[alg]).with_id("signer"),
            public(second_keys[alg]).with_id("other"),
            public(keys[foreign]).with_id("foreign"),
        ]
    )
    token = pyjwt_token(keys, alg, {"sub": "alice", "exp": FAR_EXP}, headers={"kid": "signer"})
    header = pyjwt.get_unverified_header(token)
    if kid is None:
        del header["kid"]
    else:
        header["kid"] = kid
    check = jwtfort.Verifier(algorithms=[alg, foreign], keys=key_set, clock=NOW)
    if kid == "signer":
        assert check.verify(with_header(token, header)).subject == "alice"
        return
    if kid is None:
        code = "unknown_key"  # two keys take the algorithm and nothing says which
    elif len(kid.encode()) > 256:
        code = "invalid_header"
    else:
        code = {"other": "invalid_signature", "foreign": "key_algorithm_mismatch"}.get(
            kid, "unknown_key"
        )
    fails(code, check.verify, with_header(token, header))


@MANY
@given(alg=st.sampled_from(PYJWT_ALGORITHMS), late=st.integers(min_value=0, max_value=10**9))
def test_a_pyjwt_token_past_exp_is_expired(
    keys: dict[str, jwtfort.Key], alg: str, late: int
) -> None:
    token = pyjwt_token(keys, alg, {"sub": "alice", "exp": NOW})
    fails("expired", verifier(keys[alg], clock=NOW + late).verify, token)
    assert verifier(keys[alg], clock=NOW - 1).verify(token).subject == "alice"


# --- differential: PyJWT against jwtfort on the same forgeries -------------------------------


def pyjwt_verdict(token: str | bytes, key: Any, alg: str) -> str | None:
    """None when PyJWT accepts the token, else the name of its exception."""
    try:
        pyjwt.decode(token, key, algorithms=[alg])
    except pyjwt.PyJWTError as e:
        return type(e).__name__
    return None


def jwtfort_verdict(check: jwtfort.Verifier, token: bytes) -> str | None:
    try:
        check.verify(token)
    except jwtfort.InvalidToken as e:
        return e.code
    return None


def pyjwt_leniency(original: str, forged: bytes) -> str | None:
    """Why PyJWT may accept `forged` where jwtfort refuses it, or None. PyJWT accepts "="
    padding after a segment (for issuers such as AWS ALB), and the signature is outside the
    signing input, so a padded signature still verifies; jwtfort refuses padding (RFC 7515 §2,
    invalid_base64)."""
    if forged != original.encode() and forged.rstrip(b"=") == original.encode():
        return "signature padding"
    return None


@st.composite
def mutations(draw: st.DrawFn, token: str) -> bytes:
    """One byte replaced, the token cut short, or "=" padding appended."""
    raw = token.encode()
    kind = draw(st.sampled_from(["flip", "truncate", "pad"]))
    if kind == "pad":
        return raw + b"=" * draw(st.integers(min_value=1, max_value=3))
    if kind == "truncate":
        return raw[: draw(st.integers(min_value=0, max_value=len(raw) - 1))]
    at = draw(st.integers(min_value=0, max_value=len(raw) - 1))
    return raw[:at] + bytes([draw(replacement_bytes(chr(raw[at])))]) + raw[at + 1 :]


@MANY
@given(made=pyjwt_inputs, data=st.data())
def test_what_pyjwt_rejects_jwtfort_rejects(
    keys: dict[str, jwtfort.Key], made: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    alg, claims = made
    token = pyjwt_token(keys, alg, claims)
    forged = data.draw(mutations(token), label="forged")
    theirs = pyjwt_verdict(forged, pyjwt_keys(keys[alg])[1], alg)
    ours = jwtfort_verdict(verifier(keys[alg]), forged)
    event(f"PyJWT {'accepts' if theirs is None else 'rejects'}, jwtfort {ours}")
    assert ours is not None, f"jwtfort accepted a forgery (PyJWT: {theirs})"
    if theirs is None:
        reason = pyjwt_leniency(token, forged)
        assert reason is not None, f"PyJWT accepted, jwtfort said {ours}, and nothing explains it"
        assert ours == "invalid_base64", reason


HS256_HEADER = b'{"alg":"HS256","typ":"JWT"}'
EXP = b'"exp":4000000000'

# Tokens signed with the right key that PyJWT accepts and jwtfort refuses, by a stricter rule of
# docs/security.md: (why, header, payload, text appended to the token, jwtfort's code).
STRICTER = [
    ("duplicate claim: PyJWT keeps the last", HS256_HEADER,
     b'{"sub":"alice","sub":"admin",' + EXP + b"}", "", "duplicate_member"),
    ("duplicate header member", b'{"alg":"HS256","alg":"HS256"}', b"{" + EXP + b"}", "",
     "duplicate_member"),
    ("NaN is not JSON", HS256_HEADER, b"{" + EXP + b',"n":NaN}', "", "invalid_json"),
    ("1e400 overflows a double", HS256_HEADER, b"{" + EXP + b',"n":1e400}', "", "invalid_json"),
    ("integer beyond 64 bits", HS256_HEADER, b"{" + EXP + b',"n":18446744073709551616}', "",
     "invalid_json"),
    ("lone surrogate escape", HS256_HEADER, b"{" + EXP + b',"n":"\\ud800"}', "",
     "invalid_json"),
    ("byte order mark", HS256_HEADER, b"\xef\xbb\xbf{" + EXP + b"}", "", "invalid_json"),
    ("claims nested 41 levels", HS256_HEADER, b"{" + EXP + b',"n":' + b"[" * 40 + b"]" * 40
     + b"}", "", "json_too_complex"),
    ("300 array elements", HS256_HEADER,
     b"{" + EXP + b',"n":[' + b",".join(b"0" for _ in range(300)) + b"]}", "",
     "json_too_complex"),
    ("token above max_token_bytes", HS256_HEADER, b"{" + EXP + b',"n":"' + b"a" * 7000 + b'"}',
     "", "token_too_large"),
    ("typ not a string", b'{"alg":"HS256","typ":1}', b"{" + EXP + b"}", "", "invalid_header"),
    ("jku: a key URL from the token", b'{"alg":"HS256","jku":"https://attacker.example"}',
     b"{" + EXP + b"}", "", "unsupported_header"),
    ("zip in a JWS", b'{"alg":"HS256","zip":"DEF"}', b"{" + EXP + b"}", "",
     "unsupported_header"),
    ("cty: JWT, a nested token", b'{"alg":"HS256","cty":"JWT"}', b"{" + EXP + b"}", "",
     "unsupported_header"),
    ("exp beyond year 9999", HS256_HEADER, b'{"exp":1e300}', "", "invalid_claim"),
    ("nbf not a number", HS256_HEADER, b"{" + EXP + b',"nbf":true}', "", "invalid_claim"),
    ("aud present, none expected (RFC 7519 §4.1.3)", HS256_HEADER,
     b"{" + EXP + b',"aud":[]}', "", "invalid_audience"),
    ("signature padding", HS256_HEADER, b"{" + EXP + b"}", "=", "invalid_base64"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "payload", "suffix", "code"),
    [row[1:] for row in STRICTER],
    ids=[r[0] for r in STRICTER],
)
def test_pyjwt_accepts_what_jwtfort_refuses(
    keys: dict[str, jwtfort.Key], header: bytes, payload: bytes, suffix: str, code: str
) -> None:
    """Each case the differential test may meet, shown on purpose: PyJWT returns claims,
    jwtfort raises the class of `code`."""
    secret = unb64(keys["HS256"].to_private_jwk()["k"])
    token = hs256_token(secret, header, payload) + suffix
    assert pyjwt_verdict(token, secret, "HS256") is None
    fails(code, verifier(keys["HS256"]).verify, token)
    if suffix:
        assert pyjwt_leniency(token[: -len(suffix)], token.encode()) == "signature padding"

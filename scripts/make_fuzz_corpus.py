#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus and the keys the fuzz_verify target checks tokens against.

Usage: scripts/make_fuzz_corpus.py            (run from anywhere; needs the `cryptography` package)

Every run makes new keys, so it rewrites, together and consistently:
  tests/fuzz/fuzz_keys.hpp           the public JWKS (and the HMAC secrets) fuzz_verify loads, and
                                     the PEM_SELECTOR table fuzz_pem reads its first byte with
  tests/fuzz/corpus/fuzz_verify/     tokens: one valid token per algorithm, then edge cases
  tests/fuzz/corpus/fuzz_jwk/        JWKs of every kty, public and private, JWKS documents
  tests/fuzz/corpus/fuzz_claims_json/  claims objects for the JSON fast path and the full parser
  tests/fuzz/corpus/fuzz_pem/        PEM keys in every structure jwtfort reads, and broken ones,
                                     each after one byte choosing the algorithm (PEM_SELECTOR)
The private halves appear only as seeds of fuzz_jwk and fuzz_pem: they are test keys, used for
nothing else (and they let anyone sign a new seed token by hand).
"""

import base64
import datetime
import hashlib
import hmac
import json
import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "tests" / "fuzz"

# Shared with fuzz_verify.cpp through fuzz_keys.hpp.
NOW = 1_700_000_000
ISSUER = "https://issuer.example"
AUDIENCE = "api.example"
CRITICAL = "x-fuzz"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int, size: int = 0) -> str:
    return b64(n.to_bytes(max(size, (n.bit_length() + 7) // 8), "big"))


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


# --- keys ----------------------------------------------------------------------------------------

HMAC_SECRETS = {"hs-1": b"fuzz-hs256-secret-one-0123456789ab",
                "hs-2": b"fuzz-hs256-secret-two-0123456789ab"}
EC_CURVES = {"ES256": (ec.SECP256R1(), "P-256", 32, hashes.SHA256()),
             "ES384": (ec.SECP384R1(), "P-384", 48, hashes.SHA384()),
             "ES512": (ec.SECP521R1(), "P-521", 66, hashes.SHA512())}


class Key:
    """A private key, the algorithm it is bound to and its kid."""

    def __init__(self, kid, alg, private):
        self.kid, self.alg, self.private = kid, alg, private

    def public_jwk(self):
        private_members = ("d", "p", "q", "dp", "dq", "qi")
        return {k: v for k, v in self.private_jwk().items() if k not in private_members}

    def private_jwk(self):
        head = {"alg": self.alg, "use": "sig", "kid": self.kid}
        p = self.private
        if isinstance(p, rsa.RSAPrivateKey):
            n = p.private_numbers()
            pub = n.public_numbers
            return {"kty": "RSA", **head, "n": uint(pub.n), "e": uint(pub.e), "d": uint(n.d),
                    "p": uint(n.p), "q": uint(n.q), "dp": uint(n.dmp1), "dq": uint(n.dmq1),
                    "qi": uint(n.iqmp)}
        if isinstance(p, ec.EllipticCurvePrivateKey):
            _, crv, size, _ = EC_CURVES[self.alg]
            n = p.private_numbers()
            return {"kty": "EC", **head, "crv": crv, "x": uint(n.public_numbers.x, size),
                    "y": uint(n.public_numbers.y, size), "d": uint(n.private_value, size)}
        crv = "Ed25519" if isinstance(p, ed25519.Ed25519PrivateKey) else "Ed448"
        raw = serialization.Encoding.Raw
        x = p.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
        d = p.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        return {"kty": "OKP", **head, "crv": crv, "x": b64(x), "d": b64(d)}

    def sign(self, data: bytes) -> bytes:
        p = self.private
        if self.alg.startswith("RS"):
            return p.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if self.alg.startswith("PS"):
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            return p.sign(data, pss, hashes.SHA256())
        if self.alg.startswith("ES"):
            _, _, size, digest = EC_CURVES[self.alg]
            r, s = decode_dss_signature(p.sign(data, ec.ECDSA(digest)))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return p.sign(data)


def make_keys():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "es": [Key("ec-1", "ES256", ec.generate_private_key(ec.SECP256R1())),
               Key("ec-2", "ES256", ec.generate_private_key(ec.SECP256R1()))],
        # One of each other algorithm; RS256 and PS256 share the modulus under two kids.
        "mixed": [Key("rsa-1", "RS256", rsa_key), Key("pss-1", "PS256", rsa_key),
                  Key("ec384-1", "ES384", ec.generate_private_key(ec.SECP384R1())),
                  Key("ec521-1", "ES512", ec.generate_private_key(ec.SECP521R1())),
                  Key("ed-1", "EdDSA", ed25519.Ed25519PrivateKey.generate()),
                  Key("ed448-1", "Ed448", ed448.Ed448PrivateKey.generate())],
    }


def hmac_jwks():
    return {"keys": [{"kty": "oct", "alg": "HS256", "use": "sig", "kid": kid, "k": b64(secret)}
                     for kid, secret in HMAC_SECRETS.items()]}


def public_jwks(keys):
    return {"keys": [k.public_jwk() for k in keys]}


# --- tokens --------------------------------------------------------------------------------------

def good_claims(**extra):
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": NOW - 60, "nbf": NOW - 60,
              "exp": NOW + 3600, "jti": "5f1c0a6e"}
    claims.update(extra)
    return claims


def token(header, claims, sign, raw_header=None, raw_claims=None) -> str:
    h = raw_header if raw_header is not None else compact(header)
    c = raw_claims if raw_claims is not None else compact(claims)
    signing_input = b64(h.encode()) + "." + b64(c.encode())
    return signing_input + "." + b64(sign(signing_input.encode()))


def hs(kid):
    return lambda data: hmac.new(HMAC_SECRETS[kid], data, hashlib.sha256).digest()


def verify_seeds(keys):
    es1, es2 = keys["es"]
    seeds = {}
    for k in [es1, es2, *keys["mixed"]]:
        header = {"alg": k.alg, "typ": "JWT", "kid": k.kid}
        seeds[f"valid_{k.kid}"] = token(header, good_claims(), k.sign)
    for kid in HMAC_SECRETS:
        header = {"alg": "HS256", "typ": "JWT", "kid": kid}
        seeds[f"valid_{kid}"] = token(header, good_claims(), hs(kid))
    ed = next(k for k in keys["mixed"] if k.kid == "ed-1")
    seeds["valid_ed25519_name"] = token({"alg": "Ed25519", "kid": "ed-1"}, good_claims(), ed.sign)
    seeds["valid_aud_array"] = token({"alg": "HS256", "kid": "hs-1"},
                                     good_claims(aud=["other", AUDIENCE]), hs("hs-1"))
    seeds["valid_crit"] = token({"alg": "ES256", "kid": "ec-1", "crit": [CRITICAL], CRITICAL: 1},
                                good_claims(), es1.sign)
    seeds["valid_rich_claims"] = token(
        {"alg": "HS256", "kid": "hs-2", "typ": "at+jwt"},
        good_claims(roles=["admin", "user"], admin=True, n=1.5e3, nested={"a": [1, {"b": None}]},
                    name="\u00e9\u20ac\U0001f600 \"q\" \\ \n"), hs("hs-2"))
    hs1 = {"alg": "HS256", "kid": "hs-1"}
    seeds["expired"] = token(hs1, good_claims(exp=NOW - 3600), hs("hs-1"))
    seeds["not_yet_valid"] = token({"alg": "ES256", "kid": "ec-2"}, good_claims(nbf=NOW + 3600),
                                   es2.sign)
    seeds["exp_fraction"] = token(hs1, good_claims(exp=NOW + 0.5), hs("hs-1"))
    seeds["no_kid"] = token({"alg": "HS256"}, good_claims(), hs("hs-1"))
    seeds["kid_of_other_alg"] = token({"alg": "HS256", "kid": "ec-1"}, good_claims(), hs("hs-1"))
    seeds["alg_none"] = token({"alg": "none"}, good_claims(), lambda data: b"")
    seeds["header_jwk"] = token({"alg": "ES256", "jwk": es1.public_jwk()}, good_claims(), es1.sign)
    seeds["duplicate_member"] = token(None, None, hs("hs-1"),
                                      raw_header='{"alg":"HS256","kid":"hs-1","alg":"HS256"}',
                                      raw_claims=compact(good_claims()))
    seeds["payload_not_object"] = token(hs1, None, hs("hs-1"), raw_claims="[1,2]")
    valid = seeds["valid_hs-1"]
    seeds["truncated_signature"] = valid[:-3]
    seeds["two_segments"] = valid[: valid.rindex(".")]
    seeds["padded"] = valid + "=="
    seeds["five_segments"] = valid + ".AAAA.BBBB"
    seeds["empty_segments"] = ".."
    return seeds


# --- JWKs and PEMs -------------------------------------------------------------------------------

def self_signed_cert(private) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz")])
    start = datetime.datetime(2023, 1, 1)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private.public_key()).serial_number(1)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .sign(private, hashes.SHA256()))


def jwk_seeds(keys):
    all_keys = keys["es"] + keys["mixed"]
    seeds = {}
    for k in all_keys:
        seeds[f"public_{k.kid}"] = compact(k.public_jwk())
        seeds[f"private_{k.kid}"] = compact(k.private_jwk())
    seeds["oct_hs-1"] = compact(hmac_jwks()["keys"][0])
    es1 = keys["es"][0]
    no_alg = {k: v for k, v in es1.public_jwk().items() if k not in ("alg", "kid", "use")}
    seeds["ec_without_alg"] = compact(no_alg)
    cert = self_signed_cert(es1.private).public_bytes(serialization.Encoding.DER)
    seeds["ec_with_x5c"] = compact({**es1.public_jwk(), "x5c": [base64.b64encode(cert).decode()]})
    seeds["key_ops_verify"] = compact({**no_alg, "key_ops": ["verify"]})
    seeds["use_enc"] = compact({**es1.public_jwk(), "use": "enc"})
    seeds["jwks_es"] = compact(public_jwks(keys["es"]))
    seeds["jwks_mixed"] = compact(public_jwks(keys["mixed"]))
    seeds["jwks_hmac"] = compact(hmac_jwks())
    seeds["jwks_skips_unknown"] = compact({"keys": [{"kty": "XYZ", "kid": "x"}, es1.public_jwk(),
                                                    {**keys["es"][1].public_jwk(), "use": "enc"}]})
    seeds["jwks_empty"] = '{"keys":[]}'
    return seeds


# fuzz_pem reads its first byte as the algorithm to load for, an index into this list.
PEM_SELECTOR = ["RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA", "Ed448", "HS256"]


def pem_seeds(keys):
    enc, fmt = serialization.Encoding.PEM, serialization.PrivateFormat
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    none = serialization.NoEncryption()
    rsa_key, es1, es2 = keys["mixed"][0].private, keys["es"][0], keys["es"][1]
    seeds = {}

    def add(name, alg, pem):
        seeds[name] = bytes([PEM_SELECTOR.index(alg)]) + pem

    for k in [es1, *keys["mixed"][1:]]:  # rsa-1 and pss-1 share one RSA key
        label = "rsa" if k.alg == "PS256" else k.kid
        add(f"spki_{label}", k.alg, k.private.public_key().public_bytes(enc, spki))
        add(f"pkcs8_{label}", k.alg, k.private.private_bytes(enc, fmt.PKCS8, none))
    add("pkcs1_public_rsa", "RS256",
        rsa_key.public_key().public_bytes(enc, serialization.PublicFormat.PKCS1))
    add("pkcs1_private_rsa", "RS256", rsa_key.private_bytes(enc, fmt.TraditionalOpenSSL, none))
    add("sec1_private_ec", "ES256", es1.private.private_bytes(enc, fmt.TraditionalOpenSSL, none))
    add("encrypted_pkcs8_ec", "ES256", es2.private.private_bytes(
        enc, fmt.PKCS8, serialization.BestAvailableEncryption(b"fuzz")))
    add("certificate", "ES256", self_signed_cert(es1.private).public_bytes(enc))
    add("wrong_curve", "ES384", es1.private.public_key().public_bytes(enc, spki))
    add("hmac_alg", "HS256", es1.private.public_key().public_bytes(enc, spki))
    whole = es1.private.public_key().public_bytes(enc, spki)
    add("truncated_spki", "ES256", whole[: len(whole) // 2])
    add("no_end_line", "ES256", whole[: whole.index(b"-----END")])
    return seeds


def claims_json_seeds():
    """Claims objects for fuzz_claims_json: the flat kind the fast path reads, and ones only the
    full parser takes or nobody does."""
    return {
        "flat_claims": compact(good_claims(jti="9f1c2a4e7b3d4c1e", fresh=False)),
        "flat_arrays": '{"aud":["a","b"],"n":null,"t":true,"neg":-5,"zero":0,"empty":[],'
                       '"mixed":[1,"x",null]}',
        "spaced": ' { "a" : [ "x" , 1 ] ,\t"b":2 }\n',
        "full_parser": '{"name":"Jos\\u00e9","nested":{"a":[1.5,2e3]},"a\\"b":1,"c":"\u00e9"}',
        "duplicate": '{"abcdefghij":1,"abcdefghij":2}',
        "numbers": '{"a":999999999999999999,"b":1234567890123456789,"c":-0,"d":01}',
    }


# --- output --------------------------------------------------------------------------------------

def write_corpus(target, seeds):
    folder = FUZZ / "corpus" / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in seeds.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())


def literal(name: str, document) -> str:
    """A string_view constant holding `document` as compact JSON, in raw literals of 80 chars."""
    text = compact(document)
    pieces = [text[i:i + 80] for i in range(0, len(text), 80)]
    body = "\n    ".join('R"j(' + piece + ')j"' for piece in pieces)
    return f"inline constexpr std::string_view {name} =\n    {body};"


def selector_table() -> str:
    """PEM_SELECTOR as the C++ array fuzz_pem indexes, one algorithm per line with its byte."""
    entries = [f"algorithm::{alg.lower()}," for alg in PEM_SELECTOR]
    width = max(len(e) for e in entries)
    rows = [f"    {e:<{width}}  // {i}" for i, e in enumerate(entries)]
    return "\n".join(["inline constexpr algorithm pem_selector[] = {", *rows, "};"])


def write_keys_header(keys):
    lines = [
        "#pragma once",
        "// Generated by scripts/make_fuzz_corpus.py with the seed corpus: the keys the seed",
        "// tokens were signed with (public halves only; the HMAC secrets are fuzz-only test",
        "// values), and the algorithm each selector byte of the fuzz_pem seeds stands for.",
        "// Do not edit.",
        "",
        "#include <cstdint>",
        "#include <string_view>",
        "",
        '#include "jwtfort/algorithm.hpp"',
        "",
        "namespace jwtfort::fuzz {",
        "",
        f"inline constexpr std::int64_t now = {NOW};",
        f'inline constexpr std::string_view issuer = "{ISSUER}";',
        f'inline constexpr std::string_view audience = "{AUDIENCE}";',
        f'inline constexpr std::string_view critical_name = "{CRITICAL}";',
        "",
        "/// HS256 secrets, kids hs-1 and hs-2.",
        literal("hmac_jwks", hmac_jwks()),
        "/// ES256 public keys, kids ec-1 and ec-2.",
        literal("es256_jwks", public_jwks(keys["es"])),
        "/// One public key per other algorithm: RS256, PS256, ES384, ES512, EdDSA, Ed448.",
        literal("mixed_jwks", public_jwks(keys["mixed"])),
        "",
        "/// fuzz_pem's first input byte, modulo the size, indexes this table: the algorithm to",
        "/// load the PEM for. The fuzz_pem seeds start with these indexes (PEM_SELECTOR in the",
        "/// script).",
        selector_table(),
        "",
        "}  // namespace jwtfort::fuzz",
        "",
    ]
    (FUZZ / "fuzz_keys.hpp").write_text("\n".join(lines))


def main():
    FUZZ.mkdir(parents=True, exist_ok=True)
    keys = make_keys()
    write_keys_header(keys)
    write_corpus("fuzz_verify", verify_seeds(keys))
    write_corpus("fuzz_jwk", jwk_seeds(keys))
    write_corpus("fuzz_pem", pem_seeds(keys))
    write_corpus("fuzz_claims_json", claims_json_seeds())


if __name__ == "__main__":
    main()

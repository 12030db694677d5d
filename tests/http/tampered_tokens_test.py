#!/usr/bin/env python3
"""The jwt_tool-style playbook against jwtfort-server's GET /protected: the attack catalogue
A1-A27 of security.md §2 as far as it applies over HTTP, every token built here from a valid
token of the server.

Two servers: an HS256 instance with a known secret (and an issuer), where a test can sign any
header and claims with the real key, so that the structure checks are tested on their own; and
the default instance, which generates an ES256 key ring in its data directory: its public JWKS
comes from /.well-known/jwks.json (for the key-confusion rows), its private key from the data
directory (to sign structurally bad tokens with the real key). A third, short-lived instance
(AUTHJWT_ACCESS_TOKEN_EXPIRES=2) covers the expiry boundary.

Every variant is one subTest. Expected: 401 with `Bearer error="invalid_token"` and
{"detail": "Invalid token"} (the uniform answer for every signature, format, algorithm, key and
claim failure), except the rows marked otherwise; 400 (`invalid_request`) where the
Authorization header itself is malformed, that is where the text after `Bearer ` is not an RFC
6750 b64token (spaces, `{`, `"`, `=` before the end, bytes outside ASCII...). At the end of each
class the original token still gives 200.

Not applicable over HTTP, or to these servers: A15 (no server route requires a `typ`), A23
(timing of the MAC compare: unit tests), A24 (no RSA server), A26 beyond refusing to start.

Arguments: the jwtfort-server binary, the jwtfort binary, the redis-server binary.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import server_support as ss  # noqa: E402

ISSUER = "https://auth.jwtfort.test"
INVALID = "Invalid token"
BAD_HEADER = "Bad Authorization header. Expected value 'Bearer <JWT>'"
B64TOKEN = re.compile(rb"[A-Za-z0-9\-._~+/]+=*")
DEEP = 1500  # nesting depth that still fits in an ordinary request header


def as_bytes(value):
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape")


def raw_token(header, claims, signature):
    """header/claims: dict, str or bytes (taken as they are); signature: bytes."""
    return ss.signing_input_of(header, claims) + "." + ss.b64u(signature)


def mac(signing_input, key, digest=hashlib.sha256):
    return hmac.new(as_bytes(key), as_bytes(signing_input), digest).digest()


def hs(header, claims, key=ss.HS256_SECRET, digest=hashlib.sha256):
    si = ss.signing_input_of(header, claims)
    return si + "." + ss.b64u(mac(si, key, digest))


def with_member(obj, member_json, first=False):
    """The compact JSON of `obj` with the raw member text `member_json` added (at the start or
    the end): duplicate names and values no serializer writes."""
    text = ss.compact_json(obj)
    if first:
        return "{" + member_json + "," + text[1:]
    return text[:-1] + "," + member_json + "}"


def non_canonical_last_char(segment):
    """The segment with its unused trailing bits set (same bytes for a lenient decoder), or None
    when its length leaves no unused bits."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused = {2: 4, 3: 2}.get(len(segment) % 4)
    if unused is None:
        return None
    index = alphabet.index(segment[-1])
    return segment[:-1] + alphabet[index | 1]


def changed(base, changes):
    """A copy of `base` with `changes` applied; a value of `...` removes the member."""
    out = dict(base)
    for name, value in changes.items():
        if value is ...:
            out.pop(name, None)
        else:
            out[name] = value
    return out


class PlaybookMixin(ss.ServerTestCase):
    """`check(name, token, ...)` sends one variant as `Authorization: Bearer <token>`."""

    server = None
    original = None
    variants = 0

    def send(self, token):
        token = as_bytes(token)
        started = time.monotonic()
        r = self.server.request("GET", "/protected", [("Authorization", b"Bearer " + token)])
        return r, time.monotonic() - started

    def check(self, name, token, status=None, detail=None):
        """status None: 401, or 400 when the token is not a b64token. detail None: "Invalid
        token" for 401, the bad-header text for 400; detail False: not checked (the HTTP parser
        may refuse the request before the application sees it)."""
        token = as_bytes(token)
        if status is None:
            status = 401 if B64TOKEN.fullmatch(token) else 400
        if detail is None:
            detail = {401: INVALID, 400: BAD_HEADER, 200: None}.get(status)
        type(self).variants += 1
        with self.subTest(name):
            r, elapsed = self.send(token)
            self.assertLess(elapsed, 5.0, "%s took %.1f s" % (name, elapsed))
            if status == 200:
                self.assertJson(r, 200, {"user": "demo"})
            elif detail is False:
                self.assertEqual(r.status, status, r)
            else:
                self.assertRefused(r, status, detail,
                                   error="invalid_token" if status == 401 else "invalid_request")
            # Whatever the outcome, the answer never repeats the token.
            if len(token) > 20:
                self.assertNotIn(token[-20:], r.body)

    def test_zz_original_token_still_accepted(self):
        r, _ = self.send(self.original)
        self.assertJson(r, 200, {"user": "demo"})
        print("\n  %d variants sent" % type(self).variants, file=sys.stderr)


class HS256PlaybookTest(PlaybookMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ss.JwtfortServer(ss.hs256_settings(JWTFORT_ISSUER=ISSUER)).start()
        r = cls.server.login("demo", cls.server.demo_password)
        if r.status != 200:
            cls.server.cleanup()
            raise AssertionError("login failed: %r" % r)
        cls.original = r.json()["access_token"]
        cls.H = ss.header_of(cls.original)
        cls.C = ss.claims_of(cls.original)
        cls.listener = ss.ConnectionCounter()

    @classmethod
    def tearDownClass(cls):
        cls.listener.close()
        ss.stop_class_server(cls.server)

    def claims(self, **changes):
        return changed(self.C, changes)

    def header(self, **changes):
        return changed(self.H, changes)

    def test_a0_controls_signed_here_are_accepted(self):
        self.assertEqual(self.H.get("alg"), "HS256")
        self.assertEqual(self.C.get("iss"), ISSUER)
        self.check("re-signed original", hs(self.H, self.C), 200)
        self.check("new jti", hs(self.H, self.claims(jti=ss.new_jti())), 200)
        # A19: escapes are the same string after unescaping.
        self.check("A19 alg written with \\u escapes",
                   hs(with_member({k: v for k, v in self.H.items() if k != "alg"},
                                  '"alg":"HS\\u0032\\u0035\\u0036"', first=True), self.C), 200)
        # A13: NumericDate may be fractional.
        self.check("A13 fractional exp", hs(self.H, self.claims(exp=int(time.time()) + 60.5)), 200)

    def test_a1_alg_none(self):
        for alg in ("none", "None", "NONE", "nOnE"):
            h = self.header(alg=alg)
            self.check("A1 %s unsigned" % alg, raw_token(h, self.C, b""))
            self.check("A1 %s with a MAC" % alg, hs(h, self.C))
            self.check("A1 %s with the original signature" % alg,
                       ss.signing_input_of(h, self.C) + "." + self.original.split(".")[2])
        self.check("A1 {alg:none} only", raw_token({"alg": "none"}, self.C, b""))
        self.check("A1 no alg", hs({"typ": "JWT"}, self.C))

    def test_a2_null_empty_and_broken_signatures(self):
        si = ss.signing_input_of(self.H, self.C)
        good = mac(si, ss.HS256_SECRET)
        self.check("A2 empty signature", si + ".")
        self.check("A2 32 zero bytes", si + "." + ss.b64u(bytes(32)))
        self.check("A2 last 4 characters removed", self.original[:-4])
        self.check("A2 truncated to 31 bytes", si + "." + ss.b64u(good[:31]))
        self.check("A2 truncated to 16 bytes", si + "." + ss.b64u(good[:16]))
        self.check("A2 one byte appended", si + "." + ss.b64u(good + b"\x00"))
        self.check("A2 one bit flipped", si + "." + ss.b64u(bytes([good[0] ^ 1]) + good[1:]))
        self.check("A2 HMAC-SHA512 of the real key", si + "." + ss.b64u(
            mac(si, ss.HS256_SECRET, hashlib.sha512)))
        self.check("A2 claims changed, signature kept",
                   ss.signing_input_of(self.H, self.claims(sub="admin")) + "." +
                   self.original.split(".")[2])

    def test_a3_weak_secrets(self):
        for secret in ("", "secret", "1", "your-256-bit-secret", "password", "jwtfort",
                       ss.HS256_SECRET[:-1], ss.HS256_SECRET + "\n"):
            self.check("A3 secret %r" % secret[:12], hs(self.H, self.C, secret))

    def test_a8_algorithm_swaps(self):
        for alg, digest in (("HS384", hashlib.sha384), ("HS512", hashlib.sha512),
                            ("hs256", hashlib.sha256), ("HS256 ", hashlib.sha256),
                            ("Hs256", hashlib.sha256), ("RS256", hashlib.sha256),
                            ("ES256", hashlib.sha256), ("EdDSA", hashlib.sha256)):
            self.check("A8 alg %r" % alg, hs(self.header(alg=alg), self.C, digest=digest))

    def test_a9_a10_key_material_and_urls_in_the_header(self):
        attacker = "attacker-secret-attacker-secret-!!"
        jwk = {"kty": "oct", "k": ss.b64u(attacker), "alg": "HS256"}
        self.check("A9 jwk, attacker-signed", hs(self.header(jwk=jwk), self.C, attacker))
        self.check("A9 jwk, signed with the real key", hs(self.header(jwk=jwk), self.C))
        url = "http://127.0.0.1:%d" % self.listener.port
        for member, value in (("jku", url + "/jwks.json"), ("x5u", url + "/cert.pem"),
                              ("jku", "http://localhost:%d/" % self.listener.port)):
            for label, key in (("attacker", attacker), ("real key", ss.HS256_SECRET)):
                self.check("A10 %s %s, signed with the %s" % (member, value, label),
                           hs(self.header(**{member: value, "kid": "k"}), self.C, key))
        x5c = [base64.b64encode(os.urandom(300)).decode()]
        self.check("A10 x5c, signed with the real key", hs(self.header(x5c=x5c), self.C))
        # The jwt_tool listener injection: a URL in the claims. As jti it is just a string.
        self.check("A10 jti = listener URL", hs(self.H, self.claims(jti=url + "/jti")), 200)
        for claim in ("iss", "aud"):
            self.check("A10 %s = listener URL" % claim,
                       hs(self.H, self.claims(**{claim: url + "/" + claim})))
        time.sleep(0.5)  # anything the server might have started in the background
        self.assertEqual(self.listener.connections, 0, "the server connected to a URL of a token")

    def test_a11_kid_injection(self):
        for kid, key in (("../../../../../../dev/null", ""), ("/dev/null", ""),
                         ("/invalid_path", ""), ("x' UNION SELECT '1';--", "1"),
                         ("|sleep 10", ss.HS256_SECRET), ("| curl http://127.0.0.1:%d"
                                                          % self.listener.port, ss.HS256_SECRET),
                         ("", ""), ("", ss.HS256_SECRET + "x"),
                         ("k" * 300, ss.HS256_SECRET), ("../../../../etc/passwd", "")):
            self.check("A11 kid %r with key %r" % (kid[:30], key[:8]),
                       hs(self.header(kid=kid), self.C, key))
        self.check("A11 blank kid, null signature",
                   raw_token(self.header(kid=""), self.C, b""))
        for kid_json in ("123", "null", "{}", "[]", "true", '"a\\u0000b"'):
            self.check("A11 kid %s" % kid_json,
                       hs(with_member({k: v for k, v in self.H.items() if k != "kid"},
                                      '"kid":' + kid_json), self.C))
        self.assertEqual(self.listener.connections, 0)

    def test_a12_duplicate_members(self):
        base = {k: v for k, v in self.H.items() if k != "alg"}
        self.check("A12 alg HS256 then none",
                   hs(with_member(with_member(base, '"alg":"HS256"', first=True), '"alg":"none"'),
                      self.C))
        self.check("A12 alg none then HS256",
                   hs(with_member(with_member(base, '"alg":"none"', first=True), '"alg":"HS256"'),
                      self.C))
        self.check("A12 typ twice", hs(with_member(self.H, '"typ":"JWT"'), self.C))
        rest = {k: v for k, v in self.C.items() if k != "sub"}
        self.check("A12 sub user then admin",
                   hs(self.H, with_member(with_member(rest, '"sub":"demo"', first=True),
                                          '"sub":"admin"')))
        self.check("A12 sub admin then user",
                   hs(self.H, with_member(with_member(rest, '"sub":"admin"', first=True),
                                          '"sub":"demo"')))
        no_exp = {k: v for k, v in self.C.items() if k != "exp"}
        self.check("A12 exp 1 then future",
                   hs(self.H, with_member(with_member(no_exp, '"exp":1', first=True),
                                          '"exp":%d' % self.C["exp"])))
        self.check("A12 type twice", hs(self.H, with_member(self.C, '"type":"access"')))
        self.check("A12 nested duplicate",
                   hs(self.H, with_member(self.C, '"x":{"a":1,"a":2}')))

    def test_a13_numeric_dates_of_the_wrong_type_or_range(self):
        values = ['"%d"' % (int(time.time()) + 3600), "true", "false", "null", "[1]", "{}",
                  "1e400", "1.8446744073709552e19", "-1", "9.2233720368547758e18", "NaN",
                  "Infinity", "253402300800", '"jwt_tool"', "0x10"]
        for claim in ("exp", "nbf", "iat"):
            rest = {k: v for k, v in self.C.items() if k != claim}
            for value in values:
                self.check("A13 %s %s" % (claim, value), hs(self.H, with_member(rest, '"%s":%s'
                                                                                % (claim, value))))
            self.check("A13 %s missing" % claim, hs(self.H, rest),
                       200 if claim == "nbf" else None)
        self.check("A13 exp 0", hs(self.H, self.claims(exp=0)), 401, "Signature has expired")

    def test_a14_audience_and_issuer(self):
        # No audience is configured, so a token that names one is not for this server.
        for aud in ("api.example.com", "api.example.com.evil", [], ["x", 1], {"0": "api"}, "",
                    None, 1):
            self.check("A14 aud %s" % json.dumps(aud), hs(self.H, self.claims(aud=aud)))
        for iss in (ISSUER + "/", ISSUER.upper(), "https://evil.test", ISSUER + "\u0000",
                    "", None, 1, [ISSUER], ...):
            self.check("A14 iss %s" % ("absent" if iss is ... else json.dumps(iss)),
                       hs(self.H, self.claims(iss=iss)))

    def test_a16_crit(self):
        for label, changes in (
                ("crit [exp] with exp in the header", {"crit": ["exp"], "exp": 1}),
                ("crit []", {"crit": []}),
                ("crit \"b64\"", {"crit": "b64"}),
                ("crit [b64] with b64 false", {"crit": ["b64"], "b64": False}),
                ("b64 false alone", {"b64": False}),
                ("crit [foo], foo absent", {"crit": ["foo"]}),
                ("crit [foo], foo present", {"crit": ["foo"], "foo": 1}),
                ("crit [alg]", {"crit": ["alg"]}),
                ("crit [foo, foo]", {"crit": ["foo", "foo"], "foo": 1}),
                ("crit [1]", {"crit": [1]})):
            self.check("A16 " + label, hs(self.header(**changes), self.C))

    def test_a17_nesting_and_width(self):
        self.check("A17 array depth 40", hs(self.H, with_member(self.C, '"x":' + "[" * 40 +
                                                               "]" * 40)))
        self.check("A17 array depth %d" % DEEP,
                   hs(self.H, with_member(self.C, '"x":' + "[" * DEEP + "]" * DEEP)))
        self.check("A17 object depth 40",
                   hs(self.H, with_member(self.C, '"x":' + '{"a":' * 40 + "1" + "}" * 40)))
        self.check("A17 unclosed arrays", hs(self.H, with_member(self.C, '"x":' + "[" * DEEP)))
        # The library counts nesting below the header object: {"x":{"y":{"z":{}}}} is depth 3
        # and passes (as `jwtfort verify` does); one more level is refused.
        self.check("A17 header nesting 4 below the object",
                   hs(self.header(x={"y": {"z": {"w": {}}}}), self.C))
        self.check("A17 header arrays 5 deep", hs(self.header(x=[[[[[]]]]]), self.C))
        self.check("A17 300 claims", hs(self.H, self.claims(**{"c%d" % i: 0 for i in range(300)})))
        self.check("A17 array of 300", hs(self.H, self.claims(x=list(range(300)))))

    def test_a18_envelope(self):
        self.check("A18 zip DEF", hs(self.header(zip="DEF"), self.C))
        self.check("A18 cty JWT", hs(self.header(cty="JWT"), self.C))
        self.check("A18 enc", hs(self.header(enc="A256GCM"), self.C))
        self.check("A18 2000 segments", "a." * 2000 + "a")
        self.check("A18 5 parts (JWE shape)", self.original + ".AAAA.BBBB")

    def test_a18_oversized_tokens_get_a_quick_4xx(self):
        # Any of 431, 400, 401 would do; this server refuses the request head (431, RFC 6585
        # §5) before the token is looked at, and that is what is asserted.
        answers = {}
        for label, size in (("9 KiB", 9 << 10), ("16 KiB", 16 << 10), ("1 MiB", 1 << 20)):
            padding = "A" * size
            token = hs(self.H, self.claims(pad=padding))
            request = ("GET /protected HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                       "Connection: close\r\n\r\n" % token).encode()
            with self.subTest("A18 token of " + label):
                r, elapsed, note = ss.raw_exchange(self.server.port, request)
                answers[label] = (r.status if r else note, round(elapsed, 3), r and r.body[:80])
                self.assertIsNotNone(r, "no answer to a %s token: %s" % (label, note))
                self.assertIn(r.status, (400, 401, 431), r)
                self.assertEqual(r.status, 431, r)
                self.assertLess(elapsed, 5.0)
        print("\n  oversized tokens -> %r" % answers, file=sys.stderr)
        # The server is still there.
        r, _ = self.send(self.original)
        self.assertEqual(r.status, 200)

    def test_a19_invalid_utf8_and_unicode(self):
        h = ss.compact_json(self.H).encode()
        for label, header in (
                ("\\xff in typ", h.replace(b'"JWT"', b'"JWT\xff"')),
                ("overlong \\xc0\\xaf", h.replace(b'"JWT"', b'"JWT\xc0\xaf"')),
                ("CESU surrogate", h.replace(b'"JWT"', b'"JWT\xed\xa0\x80"')),
                ("BOM prefix", b"\xef\xbb\xbf" + h),
                ("raw control character", h.replace(b'"JWT"', b'"J\x01WT"')),
                ("trailing garbage", h + b"ABCD"),
                ("not an object", b'["HS256"]'),
                ("comment", h[:-1] + b"/*x*/}")):
            self.check("A19 header " + label, hs(header, self.C))
        self.check("A19 lone \\ud800 in a claim", hs(self.H, with_member(self.C, '"x":"\\ud800"')))
        self.check("A19 \\xff in a claim",
                   hs(self.H, ss.compact_json(self.C)[:-1].encode() + b',"x":"\xff"}'))
        # Bytes outside ASCII in the Authorization header itself: not a b64token.
        self.check("A19 raw \\xff in the header value", self.original.encode() + b"\xff", 400,
                   False)
        self.check("A19 raw UTF-8 in the header value", self.original + "é", 400, False)

    def test_a20_nul_bytes(self):
        base = {k: v for k, v in self.H.items() if k != "alg"}
        self.check("A20 alg HS256\\u0000", hs(with_member(base, '"alg":"HS256\\u0000"',
                                                          first=True), self.C))
        self.check("A20 iss trusted\\u0000.evil", hs(self.H, self.claims(iss=ISSUER +
                                                                          "\u0000.evil")))
        self.check("A20 kid k1\\u0000../../x", hs(self.header(kid="k1\u0000../../x"), self.C))
        self.check("A20 raw NUL in the header JSON",
                   hs(ss.compact_json(self.H).encode().replace(b'"JWT"', b'"JW\x00T"'), self.C))
        self.check("A20 NUL in the Authorization value", self.original.encode() + b"\x00", 400,
                   False)

    def test_a21_base64_malleability(self):
        # A token of ours whose segments contain - or _ (so that the +/ swap changes something).
        for _ in range(500):
            token = hs(self.H, self.claims(jti=ss.new_jti()))
            if re.search(r"[-_]", token.split(".", 1)[1]):
                break
        self.check("A21 control", token, 200)
        h, c, s = token.split(".")
        self.check("A21 = padding on the signature", token + "=" * (-len(s) % 4 or 1))
        self.check("A21 == on the signature", token + "==")
        self.check("A21 = padding on the header", h + "=" * (-len(h) % 4 or 1) + "." + c + "." + s)
        self.check("A21 +/ instead of -_", h + "." + (c + "." + s).replace("-", "+")
                   .replace("_", "/"))
        for index, label in ((0, "header"), (1, "payload"), (2, "signature")):
            parts = [h, c, s]
            changed = non_canonical_last_char(parts[index])
            if changed is not None:
                parts[index] = changed
                self.check("A21 non-canonical trailing bits in the " + label, ".".join(parts))
        self.check("A21 signature length 1 mod 4", h + "." + c + "." + s + "A" * ((1 - len(s)) % 4))
        self.check("A21 space inside", h + "." + c + " ." + s)
        self.check("A21 tab inside", h + "." + c + "\t." + s)
        self.check("A21 percent-encoded dot", h + "%2E" + c + "." + s)

    def test_a22_serialization(self):
        h, c, s = self.original.split(".")
        flattened = ss.compact_json({"payload": c, "protected": h, "signature": s})
        general = ss.compact_json({"payload": c, "signatures": [{"protected": h,
                                                                "signature": s}]})
        self.check("A22 flattened JSON serialization", flattened)
        self.check("A22 general JSON serialization", general)
        self.check("A22 trailing dot", self.original + ".")
        self.check("A22 trailing .foo", self.original + ".foo")
        self.check("A22 leading dot", "." + self.original)
        self.check("A22 two segments", h + "." + c)
        self.check("A22 four segments", self.original + ".AAAA")
        self.check("A22 empty header", "." + c + "." + s)
        self.check("A22 payload only", c)

    def test_a_er_type_confusion_in_every_member(self):
        # jwt_tool -M er: null/true/false/"jwt_tool"/0 in each header member and claim, signed
        # with the real key; only the values the claim's type allows pass.
        injected = (None, True, False, "jwt_tool", 0)
        for name in list(self.H):
            for value in injected:
                if name == "typ" and value == "jwt_tool":
                    continue  # a string typ is not checked by a server that requires none
                self.check("-M er header %s=%s" % (name, json.dumps(value)),
                           hs(self.header(**{name: value}), self.C))
        for name in ("exp", "iat", "jti", "sub", "iss", "type", "nbf"):
            for value in injected:
                expected, detail = None, None
                zero = type(value) is int and value == 0  # not False
                if name in ("iat", "nbf") and zero:
                    expected = 200  # 1970: a NumericDate in the past is fine
                elif name == "exp" and zero:
                    detail = "Signature has expired"
                elif name in ("jti", "sub") and value == "jwt_tool":
                    continue  # any string is a valid jti and subject (tested elsewhere)
                elif name == "type":
                    detail = "Only access tokens are allowed"  # anything but "access"
                self.check("-M er claim %s=%s" % (name, json.dumps(value)),
                           hs(self.H, self.claims(**{name: value})), expected, detail)


class ES256PlaybookTest(PlaybookMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ss.JwtfortServer().start()
        try:
            r = cls.server.login("demo", cls.server.demo_password)
            assert r.status == 200, r
            cls.original = r.json()["access_token"]
            cls.H = ss.header_of(cls.original)
            cls.C = ss.claims_of(cls.original)
            jwks_response = cls.server.get("/.well-known/jwks.json")
            cls.jwks_text = jwks_response.body
            cls.jwk = json.loads(cls.jwks_text)["keys"][0]
            cls.public = ss.EcKey.from_jwk(cls.jwk)
            cls.key = cls.server.server_key()
            assert cls.key.point == cls.public.point, "keys.jwks does not hold the JWKS key"
            cls.kid = cls.H["kid"]
            cls.work = tempfile.mkdtemp(prefix="jwtfort-http-att-")
            cls.attacker = ss.EcKey.generate(cls.work, kid="attacker")
            cls.listener = ss.ConnectionCounter()
        except BaseException:
            cls.server.cleanup()
            shutil.rmtree(getattr(cls, "work", ""), ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.listener.close()
        shutil.rmtree(cls.work, ignore_errors=True)
        ss.stop_class_server(cls.server)

    def claims(self, **changes):
        return dict(self.C, **changes)

    def header(self, **changes):
        h = dict(self.H)
        for k, v in changes.items():
            if v is ...:
                h.pop(k, None)
            else:
                h[k] = v
        return h

    def es(self, header, claims, key=None, **kw):
        return (key or self.key).es256_token(header, claims, **kw)

    def test_a0_controls_signed_here_are_accepted(self):
        self.assertEqual((self.H["alg"], self.jwk["kid"]), ("ES256", self.kid))
        self.assertNotIn("d", self.jwk)
        # Controls of the two signers: openssl (es) over any signing input, and the jwtfort
        # command, whose header is the server's (alg, kid, typ).
        self.check("re-signed with the server's key", self.es(self.H, self.C), 200)
        # One key in the ring: a token without kid finds it (docs/errors.md, unknown_key).
        self.check("no kid, one key", self.es(self.header(kid=...), self.C), 200)
        control = self.key.token(self.C)
        self.assertEqual(ss.header_of(control), self.H)
        self.check("signed by the jwtfort command", control, 200)
        self.check("no kid, signed by the jwtfort command", self.key.token(self.C, kid=""), 200)

    def test_a1_alg_none(self):
        for alg in ("none", "None", "NONE", "nOnE"):
            h = self.header(alg=alg)
            self.check("A1 %s unsigned" % alg, raw_token(h, self.C, b""))
            self.check("A1 %s with the original signature" % alg,
                       ss.signing_input_of(h, self.C) + "." + self.original.split(".")[2])
            self.check("A1 %s signed with the key" % alg, self.es(h, self.C))

    def test_a2_a6_a7_signature_forms(self):
        control = self.key.token(self.C)
        si, signature = control.rsplit(".", 1)
        r, s = ss.rs_of(signature)
        n = ss.P256_N
        self.check("A7 control R||S", si + "." + ss.b64u(ss.p1363(r, s)), 200)
        self.check("A2 empty signature", si + ".")
        self.check("A2 last 4 characters removed", self.original[:-4])
        self.check("A6 psychic r=s=0", si + "." + ss.b64u(bytes(64)))
        self.check("A6 r=s=n", si + "." + ss.b64u(ss.p1363(n, n)))
        self.check("A6 r=n-1, s=n-1", si + "." + ss.b64u(ss.p1363(n - 1, n - 1)))
        self.check("A6 r=1, s=0", si + "." + ss.b64u(ss.p1363(1, 0)))
        self.check("A6 r=n, s kept", si + "." + ss.b64u(ss.p1363(n, s)))
        # ECDSA's twin (r, n-s) verifies too; jwtfort does not enforce low S (security.md 1.3
        # item 18: RFC 7515 A.3 and Wycheproof have valid high-S signatures).
        self.check("A6 (r, n-s) twin: accepted", si + "." + ss.b64u(ss.p1363(r, n - s)), 200)
        self.check("A6 DER psychic MAYCAQACAQA", si + ".MAYCAQACAQA")
        self.check("A7 valid DER signature", si + "." + ss.b64u(ss.der_signature(r, s)))
        self.check("A7 R||S padded to 66+66", si + "." + ss.b64u(ss.p1363(r, s, 66)))
        self.check("A7 65 bytes", si + "." + ss.b64u(ss.p1363(r, s) + b"\x00"))
        self.check("A7 63 bytes", si + "." + ss.b64u(ss.p1363(r, s)[1:]))
        self.check("A7 r and s swapped", si + "." + ss.b64u(ss.p1363(s, r)))

    def test_a4_a5_hmac_keyed_with_the_public_key(self):
        pem = self.public.pem()
        der = self.public.spki_der()
        x, y = self.public.x_bytes(), self.public.y_bytes()
        keys = {"PEM": pem, "PEM without final newline": pem.rstrip("\n"),
                "PEM with CRLF": pem.replace("\n", "\r\n"), "PEM, leading space": " " + pem,
                "PEM as EC PUBLIC KEY": pem.replace("PUBLIC KEY", "EC PUBLIC KEY"),
                "DER": der, "JWK compact": ss.compact_json(self.jwk),
                "JWK with spaces": json.dumps(self.jwk), "JWKS as served": self.jwks_text,
                "x||y": x + y, "04||x||y": b"\x04" + x + y, "x": x,
                "base64url x": self.jwk["x"].encode(), "kid": self.kid.encode()}
        for label, secret in keys.items():
            for header_label, h in (("kid", {"alg": "HS256", "kid": self.kid, "typ": "JWT"}),
                                    ("no kid", {"alg": "HS256", "typ": "JWT"})):
                row = "A5" if label in ("x||y", "04||x||y", "x") else "A4"
                self.check("%s HS256 keyed with %s (%s)" % (row, label, header_label),
                           hs(h, self.C, secret))

    def test_a8_algorithm_and_curve_swaps(self):
        self.check("A8 ES384 header, P-256 key, SHA-384",
                   self.es(self.header(alg="ES384"), self.C, hash_name="sha384"))
        si = ss.signing_input_of(self.header(alg="ES384"), self.C)
        r, s = self.key.sign_rs(si, "sha384")
        self.check("A8 ES384 header, 48+48 signature", si + "." + ss.b64u(ss.p1363(r, s, 48)))
        self.check("A8 ES512 header", self.es(self.header(alg="ES512"), self.C,
                                              hash_name="sha512"))
        self.check("A8 ES256 header, SHA-384 digest", self.es(self.H, self.C, hash_name="sha384"))
        self.check("A8 es256", self.es(self.header(alg="es256"), self.C))
        self.check("A8 ES256K", self.es(self.header(alg="ES256K"), self.C))

    def cli_token(self, alg, kid, claims, header=None):
        path = os.path.join(self.work, alg + ".jwk")
        if not os.path.exists(path):
            ss.cli("keygen", "--alg", alg, "--out", path)
        args = ["sign", "--key", path, "--kid", kid]
        if header:
            args += ["--header", ss.compact_json(header)]
        return ss.cli(*args, ss.compact_json(claims)).strip()

    def test_a8_a25_attacker_keys_signed_with_the_cli(self):
        for alg in ("ES256", "ES384", "RS256", "PS256", "EdDSA", "Ed25519", "HS256"):
            token = self.cli_token(alg, self.kid, self.C)
            self.assertEqual(ss.header_of(token)["alg"], alg)
            self.check("A8/A25 attacker %s key, server kid" % alg, token)
        self.check("A8 attacker ES256 key, own kid",
                   self.cli_token("ES256", "attacker", self.C))

    def test_a9_embedded_jwk(self):
        att = self.attacker
        self.check("A9 attacker jwk + kid, attacker-signed",
                   self.es(self.header(kid=att.kid, jwk=att.public_jwk()), self.C, att))
        self.check("A9 attacker jwk, server kid, attacker-signed",
                   self.es(self.header(jwk=att.public_jwk()), self.C, att))
        self.check("A9 attacker jwk, no kid, attacker-signed",
                   self.es(self.header(kid=..., jwk=att.public_jwk()), self.C, att))
        self.check("A9 the server's own jwk, signed with the server's key",
                   self.es(self.header(jwk=self.jwk), self.C))

    def test_a10_jku_x5u_never_fetched(self):
        url = "http://127.0.0.1:%d" % self.listener.port
        for member, value in (("jku", url + "/jwks.json"), ("x5u", url + "/cert.pem")):
            for label, key, kid in (("attacker", self.attacker, "attacker"),
                                    ("server key", self.key, self.kid)):
                self.check("A10 %s, %s-signed" % (member, label),
                           self.es(self.header(**{member: value, "kid": kid}), self.C, key))
        self.check("A10 x5c, server-signed",
                   self.es(self.header(x5c=[base64.b64encode(os.urandom(400)).decode()]),
                           self.C))
        time.sleep(0.5)
        self.assertEqual(self.listener.connections, 0, "the server connected to a URL of a token")

    def test_a11_kid_injection_with_a_valid_signature(self):
        # The signature is the server key's: only the kid is wrong. No fallback to "try every
        # key" (security.md 1.2 item 12).
        for kid in ("../../../../../../dev/null", "/dev/null", "x' UNION SELECT '1';--",
                    "|sleep 10", self.kid + " ", self.kid.upper() if self.kid.upper() != self.kid
                    else self.kid.lower(), self.kid + "\u0000", "", "k" * 300):
            self.check("A11 kid %r, server-signed" % kid[:30],
                       self.es(self.header(kid=kid), self.C))
        for kid in (123, None, {}, [self.kid]):
            self.check("A11 kid %s, server-signed" % json.dumps(kid),
                       self.es(self.header(kid=kid), self.C))

    def test_a12_a13_a16_structure_with_a_valid_signature(self):
        self.check("A12 duplicate alg", self.es(with_member(self.H, '"alg":"ES256"'), self.C))
        self.check("A12 duplicate sub", self.es(self.H, with_member(self.C, '"sub":"admin"')))
        for value in ('"9999999999"', "true", "null", "1e400", "-1"):
            rest = {k: v for k, v in self.C.items() if k != "exp"}
            self.check("A13 exp %s" % value, self.es(self.H, with_member(rest, '"exp":' + value)))
        self.check("A16 crit [foo]", self.es(self.header(crit=["foo"], foo=1), self.C))
        self.check("A18 zip", self.es(self.header(zip="DEF"), self.C))
        self.check("A14 aud", self.es(self.H, self.claims(aud="api")))


class ExpiryBoundaryTest(ss.ServerTestCase, unittest.TestCase):
    """A27 on a server whose access tokens live 2 s: its tokens carry exp = iat + 2; tokens
    minted here with exp in the past are "Signature has expired", with exp ahead they pass. No
    sleeping: the boundary is set by the minted exp."""

    def setUp(self):
        self.server = self.start_server(ss.hs256_settings(AUTHJWT_ACCESS_TOKEN_EXPIRES="2"))

    def get(self, token):
        return self.server.get("/protected", ss.bearer(token))

    def test_a27_expiry_boundary(self):
        for _ in range(3):  # a loaded machine may take longer than 2 s between the two requests
            body = self.assertJson(self.server.login("demo", self.server.demo_password), 200)
            self.assertEqual(body["expires_in"], 2)
            token = body["access_token"]
            claims = ss.claims_of(token)
            self.assertEqual(claims["exp"] - claims["iat"], 2)
            r = self.get(token)
            if r.status == 200 or time.time() < claims["exp"]:
                break
        self.assertJson(r, 200, {"user": "demo"})
        header = ss.header_of(token)

        def minted(**changes):
            return hs(header, dict(claims, jti=ss.new_jti(), **changes))

        now = int(time.time())
        cases = (("exp = now - 1", {"exp": now - 1}, 401, "Signature has expired"),
                 ("exp = now", {"exp": now}, 401, "Signature has expired"),
                 ("exp = now - 3600", {"exp": now - 3600}, 401, "Signature has expired"),
                 ("exp = now + 60", {"exp": now + 60}, 200, None),
                 ("exp = now + 60.5", {"exp": now + 60.5}, 200, None),
                 ("nbf = now - 1", {"nbf": now - 1, "exp": now + 60}, 200, None),
                 ("nbf = now + 60", {"nbf": now + 60, "exp": now + 120}, 401,
                  "The token is not yet valid (nbf)"),
                 ("iat = now + 60", {"iat": now + 60, "nbf": now, "exp": now + 120}, 401,
                  "The token is not yet valid (iat)"))
        for label, changes, status, detail in cases:
            with self.subTest("A27 " + label):
                r = self.get(minted(**changes))
                if status == 200:
                    self.assertJson(r, 200, {"user": "demo"})
                else:
                    self.assertRefused(r, status, detail)


class StartupRefusalTest(unittest.TestCase):
    """A26 at the server's door: weak or impossible key settings refuse to start, without
    printing the secret."""

    def start_fails(self, settings):
        parent = tempfile.mkdtemp(prefix="jwtfort-http-bad-")
        try:
            done = subprocess.run([ss.SERVER, "serve", "--listen", "127.0.0.1:0", "--data-dir",
                                   os.path.join(parent, "data")], capture_output=True, text=True,
                                  timeout=60, env=ss.clean_environment(**settings))
        finally:
            shutil.rmtree(parent, ignore_errors=True)
        self.assertNotEqual(done.returncode, 0, done)
        self.assertNotIn("listening", done.stdout)
        return done

    def test_a26_weak_secret_refused(self):
        weak = "weak-secret-" + "x" * 19  # 31 bytes: one short of HS256's 32
        done = self.start_fails({"AUTHJWT_SECRET_KEY": weak, "AUTHJWT_ALGORITHM": "HS256"})
        self.assertIn("AUTHJWT_SECRET_KEY", done.stderr)
        self.assertNotIn(weak, done.stdout + done.stderr)

    def test_a26_alg_none_and_unknown_settings_refused(self):
        self.start_fails({"AUTHJWT_ALGORITHM": "none"})
        done = self.start_fails({"JWTFORT_SECRET_KEYY": "a-misspelt-secret-value-of-32-bytes"})
        self.assertNotIn("a-misspelt-secret", done.stdout + done.stderr)


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis")
    unittest.main(verbosity=2)

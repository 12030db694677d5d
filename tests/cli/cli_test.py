#!/usr/bin/env python3
"""Tests of the `jwtfort` command: exact stdout JSON, exit codes and `error: <wire name>: ` lines.

The binary comes from the JWTFORT_CLI environment variable or the first argument. The tests of one
class share a temporary directory; the key files, which no test changes, are generated once for the
module.
"""

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

JWTFORT = os.environ.get("JWTFORT_CLI", "")

ROUND_TRIP_ALGORITHMS = ["HS256", "RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"]
PRIVATE_MEMBERS = {"d", "k", "p", "q", "dp", "dq", "qi", "oth"}
PUBLIC_MEMBERS = {
    "EC": {"kty", "use", "alg", "kid", "crv", "x", "y"},
    "RSA": {"kty", "use", "alg", "kid", "e", "n"},
    "OKP": {"kty", "use", "alg", "kid", "crv", "x"},
}
CLAIMS = {"sub": "alice", "iss": "https://auth.example.com", "roles": ["admin", "dev"]}


def run(*args, stdin=None):
    """Runs jwtfort and returns (exit status, stdout, stderr)."""
    done = subprocess.run([JWTFORT, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def b64url_json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# One private key file per algorithm, by algorithm: made once, since key generation (RSA above
# all) is the slow part and no test writes to these files.
KEYS = {}
KEYS_DIR = None


def setUpModule():
    global KEYS_DIR
    KEYS_DIR = tempfile.mkdtemp(prefix="jwtfort-cli-keys-")
    for alg in ROUND_TRIP_ALGORITHMS:
        path = os.path.join(KEYS_DIR, alg + ".jwk")
        status, out, err = run("keygen", "--alg", alg, "--out", path)
        assert status == 0 and out == "" and err == "", (alg, status, err)
        KEYS[alg] = path


def tearDownModule():
    shutil.rmtree(KEYS_DIR)


class CliTestCase(unittest.TestCase):
    """Shared fixtures: a temporary directory per class and the module's key files."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="jwtfort-cli-")
        cls.keys = KEYS

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data, mode="w"):
        with open(self.path(name), mode) as f:
            f.write(data)
        return self.path(name)

    def private_jwk(self, alg):
        with open(self.keys[alg]) as f:
            return json.load(f)

    def sign(self, alg, claims=None, *extra):
        status, out, err = run("sign", "--key", self.keys[alg], *extra,
                               compact(CLAIMS if claims is None else claims))
        self.assertEqual((status, err), (0, ""))
        self.assertTrue(out.endswith("\n") and out.count("\n") == 1)
        return out.strip()

    def assert_error(self, result, status, wire_name):
        """Exactly the exit status, nothing on stdout, and one `error: <wire>: ` line first."""
        code, out, err = result
        self.assertEqual(code, status, err)
        self.assertEqual(out, "")
        first = err.split("\n")[0]
        self.assertTrue(first.startswith("error: " + wire_name + ": "), err)
        self.assertGreater(len(first), len("error: " + wire_name + ": "))
        lines = err.rstrip("\n").split("\n")
        if wire_name == "usage":
            self.assertEqual(len(lines), 2, err)
            self.assertTrue(lines[1].startswith("usage: jwtfort"), err)
        else:
            self.assertEqual(len(lines), 1, err)
        return err


class RoundTripTest(CliTestCase):
    def test_keygen_sign_verify_each_algorithm(self):
        for alg in ROUND_TRIP_ALGORITHMS:
            with self.subTest(alg=alg):
                kid = self.private_jwk(alg)["kid"]
                token = self.sign(alg, None, "--exp", "600")
                iat = b64url_json(token.split(".")[1])["iat"]
                status, out, err = run("verify", "--key", self.keys[alg],
                                       "--iss", "https://auth.example.com",
                                       "--now", str(iat), token)
                self.assertEqual((status, err), (0, ""))
                expected = {"header": {"alg": alg, "kid": kid, "typ": "JWT"},
                            "claims": dict(CLAIMS, iat=iat, exp=iat + 600)}
                self.assertEqual(out, compact(expected) + "\n")

    def test_secret_file_round_trip(self):
        secret = self.write("secret.bin", os.urandom(48), "wb")
        status, token, err = run("sign", "--secret-file", secret, "--alg", "HS384", '{"sub":"bob"}')
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(b64url_json(token.split(".")[0]), {"alg": "HS384", "typ": "JWT"})
        status, out, err = run("verify", "--secret-file", secret, "--alg", "HS384",
                               "--require", "sub", "--require", "exp", token.strip())
        self.assert_error((status, out, err), 1, "missing_claim")

    def test_verify_with_public_jwks_file(self):
        status, jwks, _ = run("jwks", self.keys["ES384"], self.keys["RS256"])
        self.assertEqual(status, 0)
        public = self.write("public.jwks", jwks)
        token = self.sign("RS256", {"sub": "carol"}, "--exp", "60")
        status, out, err = run("verify", "--jwks", public, token)
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(json.loads(out)["claims"]["sub"], "carol")


class KeygenTest(CliTestCase):
    def test_key_file_mode_is_0600(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.keys["ES256"]).st_mode), 0o600)

    def test_existing_file_is_narrowed_to_0600(self):
        path = self.write("wide.jwk", "old content that is longer than nothing")
        os.chmod(path, 0o644)
        self.assertEqual(run("keygen", "--alg", "EdDSA", "--out", path), (0, "", ""))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            self.assertEqual(json.load(f)["alg"], "EdDSA")

    def test_private_jwk_members(self):
        ec = self.private_jwk("ES256")
        self.assertEqual(set(ec), PUBLIC_MEMBERS["EC"] | {"d"})
        self.assertEqual((ec["kty"], ec["crv"], ec["use"], ec["alg"]),
                         ("EC", "P-256", "sig", "ES256"))
        hs = self.private_jwk("HS256")
        self.assertEqual(set(hs), {"kty", "use", "alg", "kid", "k"})
        self.assertEqual(len(base64.urlsafe_b64decode(hs["k"] + "==")), 32)

    def test_explicit_kid(self):
        path = self.path("named.jwk")
        self.assertEqual(run("keygen", "--alg", "ES256", "--kid", "key-2024", "--out", path),
                         (0, "", ""))
        with open(path) as f:
            self.assertEqual(json.load(f)["kid"], "key-2024")

    def test_refuses_stdout(self):
        self.assert_error(run("keygen", "--alg", "ES256", "--out", "-"), 2, "usage")

    def test_needs_out_and_alg(self):
        self.assert_error(run("keygen", "--alg", "ES256"), 2, "usage")
        self.assert_error(run("keygen", "--out", self.path("x.jwk")), 2, "usage")

    def test_unknown_algorithm(self):
        self.assert_error(run("keygen", "--alg", "none", "--out", self.path("none.jwk")), 2,
                          "unsupported_algorithm")
        self.assertFalse(os.path.exists(self.path("none.jwk")))

    def test_small_rsa_is_weak(self):
        self.assert_error(run("keygen", "--alg", "RS256", "--bits", "1024",
                              "--out", self.path("small.jwk")), 2, "weak_key")


class JwksTest(CliTestCase):
    def test_public_members_only(self):
        files = [self.keys[a] for a in ROUND_TRIP_ALGORITHMS if a != "HS256"]
        status, out, err = run("jwks", *files)
        self.assertEqual((status, err), (0, ""))
        self.assertTrue(out.endswith("}\n"))
        jwks = json.loads(out)
        self.assertEqual(list(jwks), ["keys"])
        self.assertEqual(len(jwks["keys"]), len(files))
        for jwk, path in zip(jwks["keys"], files):
            with self.subTest(alg=jwk["alg"]):
                with open(path) as f:
                    private = json.load(f)
                self.assertEqual(set(jwk), PUBLIC_MEMBERS[jwk["kty"]])
                self.assertFalse(PRIVATE_MEMBERS & set(jwk))
                self.assertEqual(jwk["use"], "sig")
                self.assertEqual((jwk["kid"], jwk["alg"]), (private["kid"], private["alg"]))
                self.assertEqual(jwk, {k: v for k, v in private.items() if k in jwk})

    def test_hmac_secret_is_refused(self):
        err = self.assert_error(run("jwks", self.keys["HS256"]), 2, "invalid_key")
        self.assertNotIn(self.private_jwk("HS256")["k"], err)

    def test_unreadable_file(self):
        self.assert_error(run("jwks", self.path("missing.jwk")), 2, "invalid_configuration")

    def test_needs_a_file(self):
        self.assert_error(run("jwks"), 2, "usage")

    def openssl_pem(self, name, *genpkey_args):
        if shutil.which("openssl") is None:
            self.skipTest("openssl command not installed")
        path = self.path(name)
        subprocess.run(["openssl", "genpkey", *genpkey_args, "-out", path], check=True,
                       capture_output=True)
        return path

    def test_pem_algorithm_inference(self):
        ec = self.openssl_pem("p384.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384")
        ed = self.openssl_pem("ed.pem", "-algorithm", "ED25519")
        status, out, err = run("jwks", ec, ed)
        self.assertEqual((status, err), (0, ""))
        keys = json.loads(out)["keys"]
        self.assertEqual([(k["kty"], k["alg"]) for k in keys], [("EC", "ES384"), ("OKP", "EdDSA")])

    def test_rsa_pem_needs_alg(self):
        rsa = self.openssl_pem("rsa.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
        self.assert_error(run("jwks", rsa), 2, "usage")
        status, out, err = run("jwks", "--alg", "PS256", rsa)
        self.assertEqual((status, err), (0, ""))
        (jwk,) = json.loads(out)["keys"]
        self.assertEqual(set(jwk), PUBLIC_MEMBERS["RSA"])
        self.assertEqual(jwk["alg"], "PS256")
        # The same PEM signs and verifies once --alg binds it.
        status, token, err = run("sign", "--key", rsa, "--alg", "PS256", "--exp", "60", "{}")
        self.assertEqual((status, err), (0, ""))
        status, out, err = run("verify", "--key", rsa, "--alg", "PS256", token.strip())
        self.assertEqual((status, err), (0, ""))


class SignTest(CliTestCase):
    def test_claims_from_stdin(self):
        status, token, err = run("sign", "--key", self.keys["ES256"], "-",
                                 stdin='{"sub":"stdin-user","exp":4102444800}\n')
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(b64url_json(token.split(".")[1]), {"sub": "stdin-user", "exp": 4102444800})

    def test_exp_sets_iat_and_exp(self):
        token = self.sign("ES256", {"sub": "a", "exp": 1}, "--exp", "900")
        claims = b64url_json(token.split(".")[1])
        self.assertEqual(list(claims), ["sub", "exp", "iat"])
        self.assertEqual(claims["exp"] - claims["iat"], 900)

    def test_kid_override(self):
        token = self.sign("ES256", {}, "--kid", "other")
        self.assertEqual(b64url_json(token.split(".")[0])["kid"], "other")

    def test_header_members(self):
        token = self.sign("ES256", {"sub": "a"}, "--exp", "60",
                          "--header", '{"x-tenant":"acme","typ":"at+jwt","n":[1,2]}')
        status, out, err = run("verify", "--key", self.keys["ES256"], "--typ", "at+jwt", token)
        self.assertEqual((status, err), (0, ""))
        header = json.loads(out)["header"]
        kid = self.private_jwk("ES256")["kid"]
        self.assertEqual(list(header.items()),
                         [("alg", "ES256"), ("kid", kid), ("typ", "at+jwt"),
                          ("x-tenant", "acme"), ("n", [1, 2])])

    def test_header_refusals(self):
        for header in ['{"alg":"HS256"}', '{"crit":["x"],"x":1}', '{"kid":"k"}', '{"jku":"u"}',
                       '{"typ":1}', "[1]", '{"a":1,"a":2}', "{"]:
            with self.subTest(header=header):
                self.assert_error(
                    run("sign", "--key", self.keys["ES256"], "--header", header, "{}"),
                    2, "invalid_header")

    def test_bad_claims(self):
        self.assert_error(run("sign", "--key", self.keys["ES256"], "{not json"), 2, "invalid_json")
        self.assert_error(run("sign", "--key", self.keys["ES256"], '["array"]'), 2, "invalid_json")
        self.assert_error(run("sign", "--key", self.keys["ES256"], '{"a":1,"a":1}'), 2,
                          "duplicate_member")

    def test_alg_must_match_key(self):
        self.assert_error(run("sign", "--key", self.keys["ES256"], "--alg", "ES384", "{}"), 2,
                          "invalid_key")

    def test_public_key_cannot_sign(self):
        status, jwks, _ = run("jwks", self.keys["ES256"])
        public = self.write("public.jwk", compact(json.loads(jwks)["keys"][0]))
        self.assert_error(run("sign", "--key", public, "{}"), 2, "invalid_key")

    def test_weak_secret_file(self):
        secret = self.write("weak.bin", b"0123456789abcdef", "wb")
        err = self.assert_error(run("sign", "--secret-file", secret, "--alg", "HS256", "{}"), 2,
                                "weak_key")
        self.assertNotIn("0123456789abcdef", err)
        self.assert_error(run("verify", "--secret-file", secret, "--alg", "HS256", "a.b.c"), 2,
                          "weak_key")

    def test_secret_file_needs_alg(self):
        secret = self.write("ok.bin", os.urandom(32), "wb")
        self.assert_error(run("sign", "--secret-file", secret, "{}"), 2, "usage")

    def test_unreadable_key_file(self):
        self.assert_error(run("sign", "--key", self.path("nope.jwk"), "{}"), 2,
                          "invalid_configuration")
        garbage = self.write("garbage.jwk", "not a key")
        self.assert_error(run("sign", "--key", garbage, "{}"), 2, "invalid_key")

    def test_key_and_secret_are_exclusive(self):
        self.assert_error(run("sign", "{}"), 2, "usage")


class VerifyTest(CliTestCase):
    def test_time_window(self):
        token = self.sign("ES256", {"sub": "a"}, "--exp", "60")
        exp = b64url_json(token.split(".")[1])["exp"]
        key = self.keys["ES256"]
        self.assertEqual(run("verify", "--key", key, "--now", str(exp - 1), token)[0], 0)
        err = self.assert_error(run("verify", "--key", key, "--now", str(exp), token), 1, "expired")
        self.assertNotIn(token, err)
        def verify_at(now):
            return run("verify", "--key", key, "--now", str(now), "--leeway", "5", token)
        self.assertEqual(verify_at(exp + 4)[0], 0)
        self.assert_error(verify_at(exp + 5), 1, "expired")

    def test_tampered_token(self):
        token = self.sign("ES256", {"sub": "alice"}, "--exp", "60")
        other = self.sign("ES256", {"sub": "admin"}, "--exp", "60")
        head, _, sig = token.split(".")
        forged = ".".join([head, other.split(".")[1], sig])
        err = self.assert_error(run("verify", "--key", self.keys["ES256"], forged), 1,
                                "invalid_signature")
        self.assertNotIn(forged, err)

    def test_algorithm_not_in_allow_list(self):
        status, jwks, _ = run("jwks", self.keys["ES256"], self.keys["RS256"])
        both = self.write("both.jwks", jwks)
        token = self.sign("ES256", {}, "--exp", "60")
        self.assert_error(run("verify", "--jwks", both, "--alg", "RS256", token), 1,
                          "algorithm_not_allowed")
        self.assertEqual(run("verify", "--jwks", both, "--alg", "ES256", token)[0], 0)

    def test_algorithm_confusion_is_rejected(self):
        # An HS256 token made with some secret never verifies against an RSA key.
        secret = self.write("confuse.bin", os.urandom(32), "wb")
        status, token, _ = run("sign", "--secret-file", secret, "--alg", "HS256",
                               "--exp", "60", "{}")
        self.assertEqual(status, 0)
        self.assert_error(run("verify", "--key", self.keys["RS256"], token.strip()), 1,
                          "algorithm_not_allowed")

    def test_ed25519_key_with_narrow_allow_list(self):
        token = self.sign("EdDSA", {}, "--exp", "60")
        self.assertEqual(run("verify", "--key", self.keys["EdDSA"], "--alg", "EdDSA", token)[0], 0)
        self.assert_error(run("verify", "--key", self.keys["EdDSA"], "--alg", "Ed25519", token), 1,
                          "algorithm_not_allowed")

    def test_alg_no_key_can_verify_is_a_configuration_error(self):
        token = self.sign("ES256", {}, "--exp", "60")
        self.assert_error(run("verify", "--key", self.keys["ES256"], "--alg", "RS256", token), 2,
                          "invalid_configuration")

    def test_token_from_stdin(self):
        token = self.sign("ES512", {"sub": "s"}, "--exp", "60")
        status, out, err = run("verify", "--key", self.keys["ES512"], "-", stdin=token + "\n")
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(json.loads(out)["claims"]["sub"], "s")

    def test_required_claims(self):
        token = self.sign("ES256", {"sub": "a"}, "--exp", "60")
        key = self.keys["ES256"]
        self.assertEqual(run("verify", "--key", key, "--require", "sub", token)[0], 0)
        self.assert_error(
            run("verify", "--key", key, "--require", "sub", "--require", "jti", token),
            1, "missing_claim")
        no_exp = self.sign("ES256", {"sub": "a"})
        self.assert_error(run("verify", "--key", key, no_exp), 1, "missing_claim")

    def test_issuer_audience_and_type(self):
        token = self.sign("ES256", {"iss": "https://a.example", "aud": "api"}, "--exp", "60")
        key = self.keys["ES256"]
        self.assertEqual(run("verify", "--key", key, "--iss", "https://a.example", "--aud", "api",
                             "--typ", "JWT", token)[0], 0)
        self.assert_error(run("verify", "--key", key, "--aud", "api", "--iss", "https://b.example",
                              token), 1, "invalid_issuer")
        self.assert_error(run("verify", "--key", key, "--aud", "web", token), 1, "invalid_audience")
        self.assert_error(run("verify", "--key", key, "--aud", "api", "--typ", "at+jwt", token), 1,
                          "invalid_type")

    def test_malformed_token(self):
        self.assert_error(run("verify", "--key", self.keys["ES256"], "not-a-token"), 1,
                          "malformed_token")

    def test_configuration_errors(self):
        key = self.keys["ES256"]
        self.assert_error(run("verify", "--key", key, "--leeway", "301", "a.b.c"), 2,
                          "invalid_configuration")
        self.assert_error(run("verify", "--key", self.path("gone.jwk"), "a.b.c"), 2,
                          "invalid_configuration")
        self.assert_error(run("verify", "--key", key, "--alg", "hs256", "a.b.c"), 2,
                          "unsupported_algorithm")

    def test_usage_errors(self):
        key = self.keys["ES256"]
        self.assert_error(run("verify", "--key", key), 2, "usage")
        self.assert_error(run("verify", "a.b.c"), 2, "usage")
        self.assert_error(run("verify", "--key", key, "--jwks", key, "a.b.c"), 2, "usage")
        self.assert_error(run("verify", "--key", key, "--bogus", "a.b.c"), 2, "usage")
        self.assert_error(run("verify", "--key", key, "--now", "soon", "a.b.c"), 2, "usage")
        self.assert_error(run("verify", "--key", key, "--iss", "a", "--iss", "b", "a.b.c"),
                          2, "usage")
        self.assert_error(run("verify", "a.b.c", "--key"), 2, "usage")


class InspectTest(CliTestCase):
    def test_prints_unverified_header_and_claims(self):
        token = self.sign("ES256", {"sub": "a", "n": 1.5})
        expected = {"verified": False,
                    "header": {"alg": "ES256", "kid": self.private_jwk("ES256")["kid"],
                               "typ": "JWT"},
                    "claims": {"sub": "a", "n": 1.5}}
        self.assertEqual(run("inspect", token), (0, compact(expected) + "\n", ""))
        self.assertEqual(run("inspect", "-", stdin=token + "\n"), (0, compact(expected) + "\n", ""))

    def test_keeps_whitespace_out_and_values_exact(self):
        def seg(text):
            return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        token = seg('{ "alg" : "HS256" }') + "." + seg('{"s": "a b\\" c", "x": 1.50}') + ".c2ln"
        self.assertEqual(run("inspect", token),
                         (0, '{"verified":false,"header":{"alg":"HS256"},'
                             '"claims":{"s":"a b\\" c","x":1.50}}\n', ""))

    def test_garbage(self):
        self.assert_error(run("inspect", "garbage"), 1, "malformed_token")
        self.assert_error(run("inspect", "e30.bm90IGpzb24.c2ln"), 1, "invalid_json")
        self.assert_error(run("inspect"), 2, "usage")


class StdinTokenTest(CliTestCase):
    """`-` reads the token from stdin, so it stays out of the process list: the same output as the
    argument form, and precise errors for stdin that holds no token, two, or too many bytes."""

    def commands(self):
        return {"verify": ["verify", "--key", self.keys["ES256"]], "inspect": ["inspect"]}

    def test_stdin_gives_what_the_argument_gives(self):
        token = self.sign("ES256", {"sub": "s"}, "--exp", "60")
        for name, command in self.commands().items():
            with self.subTest(command=name):
                expected = run(*command, token)
                self.assertEqual(expected[0], 0, expected)
                for text in [token, token + "\n", token + "\r\n", "  " + token + " \n\n"]:
                    self.assertEqual(run(*command, "-", stdin=text), expected, repr(text))

    def test_stdin_errors(self):
        token = self.sign("ES256", {"sub": "s"}, "--exp", "60")
        two = "error: usage: stdin holds more than one TOKEN; give one"
        large = "error: usage: stdin holds more than 65536 bytes; a TOKEN is smaller"
        cases = [
            ("", "error: usage: stdin holds no TOKEN"),
            (" \n\t\n", "error: usage: stdin holds no TOKEN"),
            (token + "\n" + token + "\n", two),
            (token + " x", two),
            ("a" * 65537, large),
            ("a" * (1 << 20), large),
        ]
        for name, command in self.commands().items():
            for text, line in cases:
                with self.subTest(command=name, stdin=text[:20], size=len(text)):
                    err = self.assert_error(run(*command, "-", stdin=text), 2, "usage")
                    self.assertEqual(err.split("\n")[0], line)
                    self.assertNotIn(token, err)

    def test_stdin_of_exactly_the_limit_is_read(self):
        # 65536 bytes, newline included, pass the bound and reach the parser, which names what is
        # wrong with them.
        self.assert_error(run("inspect", "-", stdin="a" * 65535 + "\n"), 1, "malformed_token")

    def test_claims_and_keys_on_stdin_are_bounded_like_files(self):
        large = "error: invalid_configuration: stdin is larger than 1 MiB"
        claims = '{"sub":"' + "a" * (1 << 20) + '"}'
        err = self.assert_error(run("sign", "--key", self.keys["ES256"], "-", stdin=claims), 2,
                                "invalid_configuration")
        self.assertEqual(err, large + "\n")
        err = self.assert_error(run("jwks", "-", stdin=" " * (1 << 20) + "{}"), 2,
                                "invalid_configuration")
        self.assertEqual(err, large + "\n")

    def test_the_key_and_the_token_cannot_both_come_from_stdin(self):
        token = self.sign("ES256", {"sub": "s"}, "--exp", "60")
        with open(self.keys["ES256"]) as f:
            key = f.read()
        for option in ["--key", "--jwks", "--secret-file"]:
            with self.subTest(option=option):
                err = self.assert_error(run("verify", option, "-", "-", stdin=key + token), 2,
                                        "usage")
                self.assertEqual(err.split("\n")[0],
                                 f"error: usage: TOKEN and {option} cannot both be - (stdin)")
        err = self.assert_error(run("sign", "--key", "-", "-", stdin=key), 2, "usage")
        self.assertEqual(err.split("\n")[0],
                         "error: usage: CLAIMS_JSON and --key cannot both be - (stdin)")

    def test_help_says_to_prefer_stdin(self):
        status, out, err = run("--help")
        self.assertEqual((status, err), (0, ""))
        self.assertIn("Give a TOKEN as `-` and the token on stdin: an argument is visible to every "
                      "user of the\nmachine in the process list.\n", out)
        line = ("`-` reads the token from stdin, out of the process list: prefer it to the token "
                "itself.")
        for command in ["verify", "inspect", "token refresh", "token revoke", "token verify"]:
            with self.subTest(command=command):
                status, out, err = run(*command.split(), "--help")
                self.assertEqual((status, err), (0, ""))
                synopsis, details = out.split("\n\n")
                self.assertRegex(synopsis, r" \((REFRESH_)?TOKEN \| -[ )]")
                self.assertEqual(details.rstrip("\n").split("\n")[-1], line)


class ToolTest(CliTestCase):
    def test_help(self):
        status, out, err = run("--help")
        self.assertEqual((status, err), (0, ""))
        self.assertTrue(out.startswith("usage: jwtfort COMMAND"))
        for command in ["keygen", "jwks", "sign", "verify", "inspect"]:
            with self.subTest(command=command):
                status, out, err = run(command, "--help")
                self.assertEqual((status, err), (0, ""))
                self.assertTrue(out.startswith("usage: jwtfort " + command + " "))

    def test_version(self):
        status, out, err = run("--version")
        self.assertEqual((status, err), (0, ""))
        self.assertRegex(out, r"^jwtfort \d+\.\d+\.\d+\n$")

    def test_no_or_unknown_command(self):
        self.assert_error(run(), 2, "usage")
        # A token pasted in place of the command is not echoed back.
        err = self.assert_error(run("eyJhbGciOi.secret.token"), 2, "usage")
        self.assertNotIn("secret", err)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        JWTFORT = sys.argv.pop(1)
    if not JWTFORT:
        sys.exit("usage: cli_test.py PATH_TO_JWTFORT [unittest options]")
    unittest.main()

#!/usr/bin/env python3
"""The token life cycle through the `jwtfort` command, end to end on real stores.

Every step is a new process, so each test also shows that what one process wrote (a revocation, a
spent refresh token) is seen by the next one: through the SQLite file, or through a redis-server
the tests start on a free loopback port.

Arguments: the jwtfort binary, then the redis-server binary; tests/support on PYTHONPATH.
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

from loopback import RedisServer

JWTFORT = ""
REDIS_SERVER = ""
SECRET = "a-test-secret-that-is-at-least-32-bytes"


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def header_of(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))


class LifeCycleTestCase(unittest.TestCase):
    store_url = None  # set in setUp

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="jwtfort-life-")
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "AUTHJWT_SECRET_KEY": SECRET,
            "AUTHJWT_DENYLIST_ENABLED": "true",
            "JWTFORT_STORE_URL": self.store_url or "sqlite://" + self.path("tokens.db"),
        }

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_cli(self, *args, env=None, stdin=None):
        done = subprocess.run([JWTFORT, *args], input=stdin, capture_output=True, text=True,
                              timeout=60, env=env or self.env)
        return done.returncode, done.stdout, done.stderr

    def ok(self, *args, env=None, stdin=None):
        status, out, err = self.run_cli(*args, env=env, stdin=stdin)
        self.assertEqual((status, err), (0, ""), args)
        return out

    def fails(self, expected_status, wire_name, *args, env=None, stdin=None):
        status, out, err = self.run_cli(*args, env=env, stdin=stdin)
        self.assertEqual(status, expected_status, err)
        self.assertEqual(out, "")
        self.assertTrue(err.startswith("error: %s: " % wire_name), err)
        return err

    def pair(self, subject="alice", *extra):
        return json.loads(self.ok("token", "create", "--sub", subject, *extra))


class SqliteLifeCycleTest(LifeCycleTestCase):
    def test_create_verify_refresh_reuse_and_revoke(self):
        first = self.pair("alice", "--fresh")
        self.assertEqual(first["token_type"], "bearer")
        access = claims_of(first["access_token"])
        self.assertEqual((access["sub"], access["type"], access["fresh"]), ("alice", "access", True))
        self.assertEqual(access["exp"] - access["iat"], 15 * 60)
        refresh = claims_of(first["refresh_token"])
        self.assertEqual((refresh["type"], refresh["fam"]), ("refresh", refresh["jti"]))
        self.assertEqual(refresh["exp"] - refresh["iat"], 30 * 86400)

        verified = json.loads(self.ok("token", "verify", "--fresh", first["access_token"]))
        self.assertEqual(verified["claims"], access)

        second = json.loads(self.ok("token", "refresh", first["refresh_token"]))
        self.assertEqual(claims_of(second["refresh_token"])["fam"], refresh["jti"])
        self.assertEqual(claims_of(second["access_token"])["fresh"], False)
        self.assertEqual(access["fam"], refresh["jti"])
        self.assertEqual(claims_of(second["access_token"])["fam"], refresh["jti"])
        # The spent refresh token comes back: reuse. Its family is gone: the second pair, and the
        # access tokens of both pairs.
        self.fails(1, "token_reused", "token", "refresh", first["refresh_token"])
        self.fails(1, "revoked", "token", "refresh", second["refresh_token"])
        for token in (second["refresh_token"], second["access_token"], first["access_token"]):
            self.fails(1, "revoked", "token", "verify", token)

        # An access token created alone belongs to no family: revoked by its jti only.
        alone = self.ok("token", "create", "--type", "access", "--sub", "alice").strip()
        self.assertNotIn("fam", claims_of(alone))
        out = json.loads(self.ok("token", "revoke", alone))
        self.assertEqual(out, {"revoked": "token", "type": "access", "jti": claims_of(alone)["jti"]})
        self.fails(1, "revoked", "token", "verify", alone)
        self.ok("token", "verify", self.pair("alice")["access_token"])  # another family

        stats = json.loads(self.ok("store", "stats"))
        self.assertEqual(stats, {"revoked_tokens": 1, "revoked_subjects": 0,
                                 "revoked_families": 1, "used_refresh_tokens": 1})
        self.assertEqual(json.loads(self.ok("store", "purge")), {"purged": 0})

    def test_wrong_token_types_and_freshness(self):
        tokens = self.pair()
        self.fails(1, "wrong_token_type", "token", "refresh", tokens["access_token"])
        self.fails(1, "wrong_token_type", "token", "verify", "--type", "access",
                   tokens["refresh_token"])
        self.fails(1, "fresh_token_required", "token", "verify", "--fresh", tokens["access_token"])

    def test_log_out_everywhere(self):
        alice = [self.pair("alice"), self.pair("alice")]
        bob = self.pair("bob")
        self.assertEqual(json.loads(self.ok("token", "revoke", "--subject", "alice")),
                         {"revoked": "subject", "sub": "alice"})
        for tokens in alice:
            self.fails(1, "revoked", "token", "verify", tokens["access_token"])
            self.fails(1, "revoked", "token", "refresh", tokens["refresh_token"])
        self.ok("token", "verify", bob["access_token"])
        self.ok("token", "refresh", bob["refresh_token"])

    def test_single_tokens_lifetimes_audience_and_claims(self):
        token = self.ok("token", "create", "--sub", "svc", "--type", "access", "--expires", "60",
                        "--aud", "api", "--claims", '{"roles":["admin"]}').strip()
        c = claims_of(token)
        self.assertEqual((c["exp"] - c["iat"], c["aud"], c["roles"]), (60, "api", ["admin"]))
        forever = self.ok("token", "create", "--sub", "svc", "--type", "refresh",
                          "--no-expiry").strip()
        self.assertNotIn("exp", claims_of(forever))
        self.fails(2, "invalid_claim", "token", "create", "--sub", "x", "--claims", '{"sub":"y"}')

    def test_printed_json_has_one_fixed_form(self):
        # Compact, and in name order at every level, nested objects in arrays included: the form
        # scripts may compare byte for byte.
        def canonical(value):
            return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

        extra = '{"zz": {"b": [{"d": 1, "c": "\u00e9\\u001f"}], "a": null}, "aa": [true, "x"]}'
        out = self.ok("token", "create", "--sub", "alice", "--claims", extra)
        pair = json.loads(out)
        self.assertEqual(out, canonical(pair) + "\n")
        token = pair["access_token"]
        expected = {"claims": claims_of(token), "header": header_of(token)}
        self.assertEqual(self.ok("token", "verify", token), canonical(expected) + "\n")
        self.assertEqual(self.ok("token", "revoke", "--subject", "bob"),
                         '{"revoked":"subject","sub":"bob"}\n')
        self.assertEqual(self.ok("store", "purge"), '{"purged":0}\n')
        self.assertEqual(self.ok("store", "stats"),
                         '{"revoked_families":0,"revoked_subjects":1,"revoked_tokens":0,'
                         '"used_refresh_tokens":0}\n')
        self.assertEqual(self.ok("token", "revoke", token),
                         canonical({"jti": claims_of(token)["jti"], "revoked": "token",
                                    "type": "access"}) + "\n")

    def test_usage_and_configuration_errors(self):
        self.fails(2, "usage", "token", "create")
        self.fails(2, "usage", "token", "create", "--sub", "a", "--type", "both")
        err = self.fails(2, "usage", "token", "frob")
        self.assertIn("unknown token command", err)
        self.fails(2, "usage", "token", "revoke")
        env = dict(self.env)
        del env["AUTHJWT_SECRET_KEY"]
        err = self.fails(2, "invalid_configuration", "token", "create", "--sub", "a", env=env)
        self.assertIn("AUTHJWT_SECRET_KEY", err)
        env["AUTHJWT_SECRET_KEY"] = "short"
        err = self.fails(2, "weak_key", "token", "create", "--sub", "a", env=env)
        self.assertNotIn("short", err.replace("shorter", ""))
        env = dict(self.env, JWTFORT_STORE_URL="mysql://x")
        self.fails(2, "invalid_configuration", "token", "create", "--sub", "a", env=env)

    def test_the_servers_own_settings_are_known_and_checked(self):
        # One environment or file serves jwtfort-server and the command.
        env = dict(self.env, JWTFORT_LISTEN="127.0.0.1:0", JWTFORT_THREADS="2")
        self.ok("token", "create", "--sub", "a", env=env)
        config = self.path("server.toml")
        with open(config, "w") as f:
            f.write('[authjwt]\nsecret_key = "%s"\n[jwtfort]\nstore_url = "%s"\nlog = "off"\n'
                    % (SECRET, self.env["JWTFORT_STORE_URL"]))
        self.ok("token", "create", "--sub", "a", "--config", config, env={"PATH": self.env["PATH"]})
        err = self.fails(2, "invalid_configuration", "token", "create", "--sub", "a",
                         env=dict(self.env, JWTFORT_THREADS="many"))
        self.assertEqual(err, "error: invalid_configuration: JWTFORT_THREADS: expected an integer, "
                              "got 'many'\n")
        err = self.fails(2, "invalid_configuration", "token", "create", "--sub", "a",
                         env=dict(self.env, JWTFORT_LISTENS="127.0.0.1:0"))
        self.assertEqual(err, "error: invalid_configuration: JWTFORT_LISTENS: unknown setting\n")

    def test_config_file_instead_of_environment(self):
        config = self.path("jwtfort.toml")
        with open(config, "w") as f:
            f.write('[authjwt]\nsecret_key = "%s"\ndenylist_enabled = true\n'
                    'access_token_expires = 120\n[jwtfort]\nstore_url = "%s"\n'
                    % (SECRET, self.env["JWTFORT_STORE_URL"]))
        env = {"PATH": self.env["PATH"]}
        tokens = json.loads(self.ok("token", "create", "--sub", "a", "--config", config, env=env))
        c = claims_of(tokens["access_token"])
        self.assertEqual(c["exp"] - c["iat"], 120)
        self.ok("token", "revoke", "--config", config, tokens["access_token"], env=env)
        # The environment's service (same secret, same store) sees the revocation.
        self.fails(1, "revoked", "token", "verify", tokens["access_token"])


class StdinTokenTest(LifeCycleTestCase):
    """`token refresh|revoke|verify -` read the token from stdin and act exactly as when it is
    the argument; stdin without one token is a usage error that names what is wrong."""

    def test_verify_refresh_and_revoke_from_stdin(self):
        tokens = self.pair("alice")
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        for token in [access, refresh]:
            self.assertEqual(self.ok("token", "verify", "-", stdin=token + "\n"),
                             self.ok("token", "verify", token))

        second = json.loads(self.ok("token", "refresh", "-", stdin=refresh + "\n"))
        self.assertEqual(claims_of(second["refresh_token"])["fam"], claims_of(refresh)["jti"])
        self.fails(1, "token_reused", "token", "refresh", "-", stdin=refresh)

        other = self.pair("bob")["access_token"]
        out = json.loads(self.ok("token", "revoke", "-", stdin=other + "\n"))
        jti = claims_of(other)["jti"]
        self.assertEqual(out, {"revoked": "token", "type": "access", "jti": jti})
        self.fails(1, "revoked", "token", "verify", "-", stdin=other)
        self.fails(1, "revoked", "token", "verify", other)
        stats = json.loads(self.ok("store", "stats"))
        self.assertEqual(stats, {"revoked_tokens": 1, "revoked_subjects": 0,
                                 "revoked_families": 1, "used_refresh_tokens": 1})

    def test_stdin_without_one_token(self):
        token = self.pair("alice")["access_token"]
        cases = [
            ("", "stdin holds no TOKEN"),
            ("\n", "stdin holds no TOKEN"),
            (token + "\n" + token, "stdin holds more than one TOKEN; give one"),
            ("a" * 65537, "stdin holds more than 65536 bytes; a TOKEN is smaller"),
        ]
        for command in ["verify", "refresh", "revoke"]:
            for text, message in cases:
                with self.subTest(command=command, size=len(text)):
                    err = self.fails(2, "usage", "token", command, "-", stdin=text)
                    self.assertEqual(err.split("\n")[0], "error: usage: " + message)
                    self.assertNotIn(token, err)
        # Nothing was revoked or spent by the refused commands.
        self.ok("token", "verify", token)
        self.assertEqual(json.loads(self.ok("store", "stats"))["revoked_tokens"], 0)


class KeyRotationTest(LifeCycleTestCase):
    def setUp(self):
        super().setUp()
        self.env["AUTHJWT_ALGORITHM"] = "ES256"
        self.env["JWTFORT_KEY_RING_FILE"] = self.path("ring.json")
        del self.env["AUTHJWT_SECRET_KEY"]

    def ring_ids(self):
        with open(self.path("ring.json")) as f:
            return [k["kid"] for k in json.load(f)["keys"]]

    def test_rotation_keeps_old_tokens_valid_until_their_key_leaves_the_ring(self):
        created = json.loads(self.ok("keys", "rotate", "--alg", "ES256"))
        self.assertEqual(len(created["keys"]), 1)
        self.assertEqual(stat.S_IMODE(os.stat(self.path("ring.json")).st_mode), 0o600)
        old = self.pair()["access_token"]
        self.assertEqual(header_of(old)["kid"], created["active"])

        rotated = json.loads(self.ok("keys", "rotate"))
        self.assertEqual(rotated["keys"], [rotated["active"], created["active"]])
        self.assertEqual(self.ring_ids(), rotated["keys"])
        new = self.pair()["access_token"]
        self.assertEqual(header_of(new)["kid"], rotated["active"])
        self.ok("token", "verify", old)
        self.ok("token", "verify", new)

        self.ok("keys", "rotate", "--keep", "2")
        self.ok("token", "verify", new)
        self.fails(1, "unknown_key", "token", "verify", old)

    def test_rotation_errors(self):
        self.fails(2, "invalid_configuration", "keys", "rotate")  # no ring file yet, no --alg
        self.ok("keys", "rotate", "--alg", "ES256")
        self.fails(2, "usage", "keys", "rotate", "--alg", "RS256")
        self.fails(2, "usage", "keys", "rotate", "--keep", "1")
        env = dict(self.env)
        del env["JWTFORT_KEY_RING_FILE"]
        self.fails(2, "invalid_configuration", "keys", "rotate", env=env)


class RedisLifeCycleTest(LifeCycleTestCase):
    def setUp(self):
        self.redis_dir = tempfile.mkdtemp(prefix="jwtfort-redis-")
        self.redis = RedisServer(REDIS_SERVER, self.redis_dir)
        self.redis.start()
        self.store_url = self.redis.url
        super().setUp()

    def tearDown(self):
        self.redis.stop()
        shutil.rmtree(self.redis_dir)
        super().tearDown()

    def test_processes_share_revocations_and_families(self):
        tokens = self.pair()
        second = json.loads(self.ok("token", "refresh", tokens["refresh_token"]))
        self.fails(1, "token_reused", "token", "refresh", tokens["refresh_token"])
        self.fails(1, "revoked", "token", "refresh", second["refresh_token"])
        # Each command is a process of its own: the family reached the access tokens through Redis.
        for token in (second["access_token"], tokens["access_token"]):
            self.fails(1, "revoked", "token", "verify", token)
        alone = self.ok("token", "create", "--type", "access", "--sub", "alice").strip()
        self.ok("token", "revoke", alone)
        self.fails(1, "revoked", "token", "verify", alone)
        stats = json.loads(self.ok("store", "stats"))
        self.assertEqual((stats["revoked_tokens"], stats["revoked_families"]), (1, 1))

    def test_store_down_fails_closed(self):
        tokens = self.pair()
        self.redis.stop()
        self.fails(3, "store_unavailable", "token", "verify", tokens["access_token"])
        self.fails(3, "store_unavailable", "token", "revoke", tokens["access_token"])
        self.redis.start()
        self.ok("token", "verify", tokens["access_token"])


if __name__ == "__main__":
    JWTFORT = os.path.abspath(sys.argv.pop(1))
    REDIS_SERVER = sys.argv.pop(1)
    unittest.main(verbosity=2)

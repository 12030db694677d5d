#!/usr/bin/env python3
"""jwtfort-server end to end, as a user would run it: first run, users, login, the protected
routes, refresh rotation and reuse, logout, log out everywhere, roles, throttling, the request log,
metrics, malformed requests, restart and SIGTERM.

Arguments: the jwtfort-server binary, the jwtfort binary, the redis-server binary (the last two
are not used here; every http test takes the same arguments).
"""

import json
import os
import re
import socket
import stat
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import server_support as ss  # noqa: E402


class FlowTestCase(ss.ServerTestCase, unittest.TestCase):
    def login_pair(self, server, user, password):
        r = server.login(user, password)
        body = self.assertJson(r, 200)
        return body["access_token"], body["refresh_token"]

    def assert_user(self, server, access, user):
        self.assertJson(server.get("/protected", ss.bearer(access)), 200, {"user": user})

    def assert_revoked(self, server, access=None, refresh=None):
        if access:
            self.assertRefused(server.get("/protected", ss.bearer(access)), 401,
                               "Token has been revoked")
        if refresh:
            self.assertRefused(server.post("/refresh", headers=ss.bearer(refresh)), 401,
                               "Token has been revoked")

    def assert_log_clean(self, server, secrets):
        """One JSON object per answered request on stderr, and none of `secrets` anywhere in it
        (nor the signature part of a token on its own)."""
        server.wait_for_request_lines()
        lines = server.log_lines()
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                self.fail("a stderr line is not JSON: %r" % line)
            self.assertIsInstance(value, dict, line)
        self.assertEqual(len(lines), server.requests_answered,
                         "one log line per request; last lines: %r" % lines[-3:])
        log = server.stderr_text()
        # stdout carries the first-run password line, by design; nothing else may leak there.
        out = "\n".join(l for l in server.stdout_lines if not ss.CREATED_DEMO.match(l))
        for secret in secrets:
            self.assertNotIn(secret, log)
            self.assertNotIn(secret, out)
            if secret.count(".") == 2:  # a token: its signature alone is the secret part
                self.assertNotIn(secret.split(".")[2], log)
        return lines


class FirstRunFlowTest(FlowTestCase):
    def test_demo_user_login_refresh_reuse_logout(self):
        server = self.start_server()
        # First run: the demo user's password, an advice line, then the listening line.
        self.assertIsNotNone(server.demo_password, server.stdout_lines)
        created = [i for i, l in enumerate(server.stdout_lines) if l.startswith("created user")]
        listening = [i for i, l in enumerate(server.stdout_lines) if ss.LISTENING.match(l)]
        self.assertEqual(len(created), 1, server.stdout_lines)
        self.assertEqual(listening, [len(server.stdout_lines) - 1], server.stdout_lines)
        self.assertGreaterEqual(listening[0] - created[0], 2, "an advice line follows")
        # The data directory is private, and so is the generated key ring.
        self.assertEqual(stat.S_IMODE(os.stat(server.data_dir).st_mode), 0o700)
        ring = os.path.join(server.data_dir, "keys.jwks")
        self.assertEqual(stat.S_IMODE(os.stat(ring).st_mode) & 0o077, 0, "keys.jwks is private")
        password = server.demo_password
        secrets = [password]

        r = server.login("demo", password)
        body = self.assertJson(r, 200)
        self.assertEqual(set(body), {"access_token", "refresh_token", "token_type", "expires_in"})
        self.assertEqual((body["token_type"], body["expires_in"]), ("bearer", 900))
        access, refresh = body["access_token"], body["refresh_token"]
        secrets += [access, refresh]
        claims = ss.claims_of(access)
        self.assertEqual((claims["sub"], claims["type"]), ("demo", "access"))
        self.assertEqual(claims["exp"] - claims["iat"], 900)
        self.assertEqual(ss.header_of(access)["alg"], "ES256")

        self.assert_user(server, access, "demo")
        me = self.assertJson(server.get("/me", ss.bearer(access)), 200)
        self.assertEqual(set(me), {"subject", "roles", "fresh", "jti", "issued_at", "expires_at"})
        self.assertEqual(me["subject"], "demo")
        self.assertIsInstance(me["roles"], list)
        self.assertEqual(me["fresh"], claims.get("fresh", False))
        self.assertEqual((me["jti"], me["issued_at"], me["expires_at"]),
                         (claims["jti"], claims["iat"], claims["exp"]))

        # The public key set publishes the signing key, and nothing private.
        r = server.get("/.well-known/jwks.json")
        self.assertEqual(r.status, 200, r)
        self.assertIn(r.header("Content-Type"), ("application/jwk-set+json", "application/json"))
        jwks = r.json()
        self.assertEqual(len(jwks["keys"]), 1, jwks)
        key = jwks["keys"][0]
        self.assertEqual((key["kty"], key["crv"], key["kid"]),
                         ("EC", "P-256", ss.header_of(access)["kid"]))
        self.assertFalse({"d", "p", "q", "dp", "dq", "qi", "k"} & set(key), key)

        # Rotation: a new pair of the same family; the old refresh token is spent.
        r = server.post("/refresh", headers=ss.bearer(refresh))
        body2 = self.assertJson(r, 200)
        access2, refresh2 = body2["access_token"], body2["refresh_token"]
        secrets += [access2, refresh2]
        self.assertNotEqual(access2, access)
        self.assertNotEqual(refresh2, refresh)
        self.assertEqual(ss.claims_of(refresh2)["fam"], ss.claims_of(refresh)["fam"])
        self.assertEqual(ss.claims_of(access2).get("fresh"), False)
        self.assert_user(server, access2, "demo")

        # The spent refresh token comes back: refused, and the family (refresh2) goes with it.
        self.assertRefused(server.post("/refresh", headers=ss.bearer(refresh)), 401,
                           "Token has been revoked")
        self.assertRefused(server.post("/refresh", headers=ss.bearer(refresh2)), 401,
                           "Token has been revoked")

        # Logout with the refresh token in the body: both die.
        access3, refresh3 = self.login_pair(server, "demo", password)
        secrets += [access3, refresh3]
        self.assert_user(server, access3, "demo")
        r = server.post("/logout", {"refresh_token": refresh3}, headers=ss.bearer(access3))
        self.assertJson(r, 200, {"logout": True})
        self.assert_revoked(server, access3, refresh3)

        # Logout with the access token only.
        access4, refresh4 = self.login_pair(server, "demo", password)
        secrets += [access4, refresh4]
        self.assertJson(server.post("/logout", headers=ss.bearer(access4)), 200, {"logout": True})
        self.assert_revoked(server, access=access4)

        lines = self.assert_log_clean(server, secrets)
        print("\n  sample request log line: %s" % lines[-1], file=sys.stderr)

    def test_fresh_login_gives_a_fresh_access_token_only(self):
        server = self.start_server()
        r = server.login("demo", server.demo_password, path="/fresh-login")
        body = self.assertJson(r, 200)
        self.assertIn("access_token", body)
        self.assertNotIn("refresh_token", body)
        claims = ss.claims_of(body["access_token"])
        self.assertEqual((claims["type"], claims["fresh"]), ("access", True))
        me = self.assertJson(server.get("/me", ss.bearer(body["access_token"])), 200)
        self.assertIs(me["fresh"], True)
        self.assertRefused(server.login("demo", "wrong", path="/fresh-login"), 401,
                           "Bad username or password", error=None)

    def test_users_added_with_the_command_roles_and_bad_credentials(self):
        server = self.start_server()
        # Added while the server runs, as an operator would.
        server.add_user("alice", "alice-password-1")
        server.add_user("boss", "boss-password-1", roles=["admin"])
        status, out, err = server.users("list")
        self.assertEqual(status, 0, err)
        for name in ("demo", "alice", "boss"):
            self.assertIn(name, out)
        self.assertNotIn("alice-password-1", out + err)

        alice, _ = self.login_pair(server, "alice", "alice-password-1")
        boss, _ = self.login_pair(server, "boss", "boss-password-1")
        self.assert_user(server, alice, "alice")
        self.assertEqual(self.assertJson(server.get("/me", ss.bearer(boss)), 200)["roles"],
                         ["admin"])
        self.assertEqual(self.assertJson(server.get("/me", ss.bearer(alice)), 200)["roles"], [])

        r = server.get("/admin", ss.bearer(alice))
        self.assertRefused(r, 403, "Missing required role", error="insufficient_scope")
        self.assertJson(server.get("/admin", ss.bearer(boss)), 200)

        # Wrong password and unknown user: the same answer.
        for user, password in (("alice", "wrong"), ("nobody", "alice-password-1"),
                               ("ALICE", "alice-password-1"), ("alice ", "alice-password-1")):
            self.assertRefused(server.login(user, password), 401, "Bad username or password",
                               error=None)
        # Empty fields are a malformed request (422, as FastAPI validation), not a login attempt.
        for user, password, detail in (("alice", "", "password: must not be empty"),
                                       ("", "x", "username: must not be empty")):
            r = server.login(user, password)
            self.assertJson(r, 422, {"detail": detail})

        status, out, err = server.users("remove", "alice")
        self.assertEqual(status, 0, err)
        self.assertRefused(server.login("alice", "alice-password-1"), 401,
                           "Bad username or password", error=None)
        self.assert_log_clean(server, ["alice-password-1", "boss-password-1",
                                       server.demo_password, alice, boss])

    def test_logout_all_ends_every_session_of_the_subject(self):
        server = self.start_server(users=[("boss", "boss-password-1", ["admin"]),
                                          ("carol", "carol-password-1", [])])
        self.assertIsNone(server.demo_password)  # the data directory was not empty
        first = self.login_pair(server, "boss", "boss-password-1")
        second = self.login_pair(server, "boss", "boss-password-1")
        other = self.login_pair(server, "carol", "carol-password-1")
        for access, _ in (first, second):
            self.assert_user(server, access, "boss")

        r = server.post("/logout-all", headers=ss.bearer(first[0]))
        self.assertEqual(r.status, 200, r)
        print("\n  /logout-all answered %r" % r.body, file=sys.stderr)
        for access, refresh in (first, second):
            self.assert_revoked(server, access, refresh)
        self.assert_user(server, other[0], "carol")

        # Tokens issued in the second of the revocation count as revoked (docs/tokens.md); a
        # login in the next second is a new session.
        time.sleep(max(0.0, int(time.time()) + 1.05 - time.time()))
        again, _ = self.login_pair(server, "boss", "boss-password-1")
        self.assert_user(server, again, "boss")


class RefreshReuseTest(FlowTestCase):
    def last_outcome(self, server, path):
        """The `outcome` of the last request log line for `path`."""
        server.wait_for_request_lines()
        for line in reversed(server.log_lines()):
            entry = json.loads(line)
            if entry.get("path") == path:
                return entry.get("outcome")
        self.fail("no log line for %s" % path)

    def test_reuse_revokes_the_access_tokens_of_the_family(self):
        server = self.start_server()
        password = server.demo_password
        access1, refresh1 = self.login_pair(server, "demo", password)
        other_access, other_refresh = self.login_pair(server, "demo", password)
        fresh = self.assertJson(server.login("demo", password, path="/fresh-login"), 200)
        # The login pair and each rotation carry the family in both tokens.
        family = ss.claims_of(refresh1)["fam"]
        self.assertEqual(ss.claims_of(access1)["fam"], family)
        self.assertNotIn("fam", ss.claims_of(fresh["access_token"]))

        body = self.assertJson(server.post("/refresh", headers=ss.bearer(refresh1)), 200)
        access2, refresh2 = body["access_token"], body["refresh_token"]
        self.assertEqual(ss.claims_of(access2)["fam"], family)
        self.assert_user(server, access2, "demo")

        # refresh1 presented again: reuse. Its family goes, access tokens included.
        self.assertRefused(server.post("/refresh", headers=ss.bearer(refresh1)), 401,
                           "Token has been revoked")
        r = server.get("/protected", ss.bearer(access2))
        self.assertRefused(r, 401, "Token has been revoked")
        self.assertEqual(r.header("WWW-Authenticate"), 'Bearer error="invalid_token"', r)
        self.assertEqual(self.last_outcome(server, "/protected"), "revoked")
        self.assert_revoked(server, access=access1, refresh=refresh2)

        # Another login of the same user, and a fresh token that belongs to no family, live on.
        self.assert_user(server, other_access, "demo")
        self.assert_user(server, fresh["access_token"], "demo")
        self.assertJson(server.post("/refresh", headers=ss.bearer(other_refresh)), 200)


class ThrottlingTest(FlowTestCase):
    def test_per_user_attempts_then_429_with_retry_after(self):
        server = self.start_server({"JWTFORT_LOGIN_ATTEMPTS_PER_USER": "3"},
                                   users=[("erin", "erin-password-1", []),
                                          ("frank", "frank-password-1", [])])
        for _ in range(3):
            self.assertRefused(server.login("frank", "wrong"), 401, "Bad username or password",
                               error=None)
        r = server.login("frank", "wrong")
        self.assertRefused(r, 429, "Too many login attempts", error=False)
        retry = r.header("Retry-After")
        self.assertIsNotNone(retry, r)
        self.assertRegex(retry, r"^[0-9]+$")
        self.assertTrue(1 <= int(retry) <= 60, retry)  # JWTFORT_LOGIN_WINDOW defaults to 60
        # Throttled means throttled: the right password is refused too, during the window.
        self.assertRefused(server.login("frank", "frank-password-1"), 429,
                           "Too many login attempts", error=False)
        # Another user name is not affected.
        self.login_pair(server, "erin", "erin-password-1")

    def test_per_address_uses_the_last_forwarded_for_entry_only_when_trusted(self):
        trusted = self.start_server({"JWTFORT_LOGIN_ATTEMPTS_PER_ADDRESS": "3",
                                     "JWTFORT_TRUST_FORWARDED_FOR": "true"})
        # The client may prepend what it likes; the proxy's entry is the last one.
        for i in range(3):
            r = trusted.post("/login", {"username": "u%d" % i, "password": "x"},
                             headers={"X-Forwarded-For": "10.9.9.%d, 203.0.113.7" % i})
            self.assertRefused(r, 401, "Bad username or password", error=None)
        r = trusted.post("/login", {"username": "u9", "password": "x"},
                         headers={"X-Forwarded-For": "10.1.1.1, 203.0.113.7"})
        self.assertRefused(r, 429, "Too many login attempts", error=False)
        self.assertRegex(r.header("Retry-After") or "", r"^[0-9]+$")
        r = trusted.post("/login", {"username": "u9", "password": "x"},
                         headers={"X-Forwarded-For": "203.0.113.8"})
        self.assertRefused(r, 401, "Bad username or password", error=None)
        r = trusted.post("/login", {"username": "demo", "password": trusted.demo_password},
                         headers={"X-Forwarded-For": "203.0.113.9"})
        self.assertJson(r, 200)

        # Not trusted: X-Forwarded-For is ignored, every attempt is 127.0.0.1's.
        untrusted = self.start_server({"JWTFORT_LOGIN_ATTEMPTS_PER_ADDRESS": "3"})
        for i in range(3):
            r = untrusted.post("/login", {"username": "u%d" % i, "password": "x"},
                               headers={"X-Forwarded-For": "198.51.100.%d" % i})
            self.assertRefused(r, 401, "Bad username or password", error=None)
        r = untrusted.post("/login", {"username": "u9", "password": "x"},
                           headers={"X-Forwarded-For": "198.51.100.99"})
        self.assertRefused(r, 429, "Too many login attempts", error=False)


class RequestErrorsTest(FlowTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ss.JwtfortServer().start()
        cls.access, cls.refresh = None, None

    @classmethod
    def tearDownClass(cls):
        ss.stop_class_server(cls.server)

    def setUp(self):
        if RequestErrorsTest.access is None:
            RequestErrorsTest.access, RequestErrorsTest.refresh = self.login_pair(
                self.server, "demo", self.server.demo_password)

    def test_missing_and_malformed_authorization_headers(self):
        s = self.server
        self.assertRefused(s.get("/protected"), 401, "Missing Authorization Header", error=None)
        bad = "Bad Authorization header. Expected value 'Bearer <JWT>'"
        for value in ("Bearer a b", "Bearer " + self.access + " x", "Basic dXNlcjpwYXNz",
                      "Bearer", "Bearer ", "Token " + self.access, self.access):
            with self.subTest(value=value[:40]):
                self.assertRefused(s.get("/protected", {"Authorization": value}), 400, bad,
                                   error="invalid_request")
        r = s.get("/protected", [("Authorization", "Bearer " + self.access)] * 2)
        self.assertEqual((r.status, ss.parse_challenge(r.header("WWW-Authenticate"))[1]
                          .get("error")), (400, "invalid_request"), r)
        # The scheme is case-insensitive (RFC 9110 §11.1).
        self.assertJson(s.get("/protected", {"Authorization": "bearer " + self.access}), 200,
                        {"user": "demo"})

    def test_token_types(self):
        s = self.server
        self.assertRefused(s.get("/protected", ss.bearer(self.refresh)), 401,
                           "Only access tokens are allowed")
        self.assertRefused(s.post("/refresh", headers=ss.bearer(self.access)), 401,
                           "Only refresh tokens are allowed")
        self.assertRefused(s.post("/logout", headers=ss.bearer(self.refresh)), 401,
                           "Only access tokens are allowed")

    def test_public_routes(self):
        s = self.server
        self.assertEqual(s.get("/healthz").status, 200)
        self.assertEqual(s.get("/public").status, 200)
        self.assertEqual(s.get("/.well-known/jwks.json").status, 200)

    def test_oversized_body_is_413(self):
        body = b'{"username":"demo","password":"' + b"x" * (4 << 20) + b'"}'
        head = ("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % len(body)).encode()
        r, elapsed, note = ss.raw_exchange(self.server.port, head + body)
        self.assertIsNotNone(r, note)
        self.assertEqual(r.status, 413, r)
        self.assertLess(elapsed, 10)

    def test_dot_segments_in_the_target_are_400(self):
        r, _, note = ss.raw_exchange(
            self.server.port, ("GET /protected/../admin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n"
                               % self.access).encode())
        self.assertIsNotNone(r, note)
        self.assertEqual(r.status, 400, r)
        for target in ("/public/../admin", "/public/./protected", "/protected/.."):
            with self.subTest(target=target):
                r = self.server.get(target, ss.bearer(self.access))
                self.assertEqual(r.status, 400, r)
        # Encoded dots are not a way around it: never the admin route.
        r = self.server.get("/public/%2e%2e/admin", ss.bearer(self.access))
        self.assertIn(r.status, (400, 404), r)

    def test_metrics_counters_move(self):
        s = self.server

        def samples():
            r = s.get("/metrics")
            self.assertEqual(r.status, 200, r)
            self.assertTrue((r.header("Content-Type") or "").startswith("text/plain"), r)
            values, types = {}, {}
            for line in r.body.decode().splitlines():
                m = re.match(r"^# TYPE (\S+) (\S+)$", line)
                if m:
                    types[m.group(1)] = m.group(2)
                if not line or line.startswith("#"):
                    continue
                m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( \d+)?$", line)
                self.assertIsNotNone(m, "not Prometheus text: %r" % line)
                values[m.group(1) + (m.group(2) or "")] = float(m.group(3))
            return values, types, r.body.decode()

        before, _, _ = samples()
        for _ in range(3):
            s.get("/protected")
        s.get("/protected", ss.bearer(self.access))
        s.get("/protected", ss.bearer(self.access))  # the same token again: a cache hit
        s.login("demo", "wrong")
        after, types, text = samples()
        self.assertNotIn(self.access, text)
        moved = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        print("\n  metric families: %s" % sorted(types.items()), file=sys.stderr)

        def family(series):
            name = series.split("{")[0]
            return types.get(name) or types.get(name[:-len("_total")] if name.endswith("_total")
                                                else name)

        requests = {k: v for k, v in moved.items()
                    if family(k) == "counter" and "request" in k.split("{")[0]}
        print("  request series that moved: %s" % sorted(requests.items()), file=sys.stderr)
        self.assertTrue(requests, "no request counter moved: %s" % sorted(moved))
        self.assertGreaterEqual(sum(requests.values()), 5, requests)
        self.assertTrue(any("401" in k for k in requests), "no request series labelled 401 moved")
        self.assertGreaterEqual(moved.get("jwtfort_verified_cache_hits_total", 0), 1, moved)
        for name in ("hits_total", "misses_total", "evictions_total", "expired_total"):
            self.assertEqual(types.get("jwtfort_verified_cache_" + name), "counter", name)
        self.assertEqual(types.get("jwtfort_verified_cache_entries"), "gauge")
        self.assertGreaterEqual(after["jwtfort_verified_cache_entries"], 1)
        self.assertGreater(after["jwtfort_verified_cache_bytes"], len(self.access))

    def test_login_body_errors(self):
        for body in (b"not json", b"{}", b'{"username":"demo"}', b'[1]'):
            with self.subTest(body=body):
                r = self.server.request("POST", "/login", {"Content-Type": "application/json"},
                                        body=body)
                print("\n  POST /login %r -> %d %r" % (body, r.status, r.body), file=sys.stderr)
                self.assertIn(r.status, (400, 401, 422), r)


class LifecycleTest(FlowTestCase):
    def test_restart_keeps_users_keys_and_revocations(self):
        server = self.start_server()
        password = server.demo_password
        kept, _ = self.login_pair(server, "demo", password)
        gone, _ = self.login_pair(server, "demo", password)
        self.assertJson(server.post("/logout", headers=ss.bearer(gone)), 200, {"logout": True})
        jwks = server.get("/.well-known/jwks.json").json()
        self.assertEqual(server.stop(), 0)

        again = self.start_server(data_dir=server.data_dir, parent=server.parent)
        self.assertIsNone(again.demo_password, again.stdout_lines)
        self.assertFalse([l for l in again.stdout_lines if password in l])
        self.assertEqual(again.get("/.well-known/jwks.json").json(), jwks)
        self.assert_user(again, kept, "demo")
        self.assertRefused(again.get("/protected", ss.bearer(gone)), 401, "Token has been revoked")
        self.login_pair(again, "demo", password)

    def test_sigterm_with_an_idle_keep_alive_connection_exits_0(self):
        server = ss.JwtfortServer().start()
        try:
            port = server.port
            conn = socket.create_connection((ss.LOOPBACK, port))
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            self.assertIn(b"200", conn.recv(4096).split(b"\r\n")[0])
            started = time.monotonic()
            status = server.stop()
            took = time.monotonic() - started
            print("\n  SIGTERM to exit: %.3f s" % took, file=sys.stderr)
            self.assertEqual(status, 0)
            self.assertLess(took, 25)
            with self.assertRaises(OSError):
                socket.create_connection((ss.LOOPBACK, port), timeout=2).close()
            conn.close()
        finally:
            server.cleanup()


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis")
    unittest.main(verbosity=2)

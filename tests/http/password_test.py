#!/usr/bin/env python3
"""jwtfort-server's POST /password end to end: a user changes their own password with a fresh
access token; every token of the user is revoked afterwards; non-fresh tokens, a wrong current
password (which counts for the login throttle), a weak new password and malformed requests are
refused with the answers /login gives.

Arguments: the jwtfort-server binary, the jwtfort binary, the redis-server binary (the last two
are not used here; every http test takes the same arguments).
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import server_support as ss  # noqa: E402

OLD = "alice-password-1"
NEW = "alice-password-2"


def change(server, token, current, new, headers=None):
    return server.post("/password", {"current_password": current, "new_password": new},
                       headers=dict(ss.bearer(token), **(headers or {})))


class PasswordTestCase(ss.ServerTestCase, unittest.TestCase):
    def login_pair(self, server, user, password):
        body = self.assertJson(server.login(user, password), 200)
        return body["access_token"], body["refresh_token"]

    def fresh_token(self, server, user, password):
        body = self.assertJson(server.login(user, password, path="/fresh-login"), 200)
        return body["access_token"]

    def assert_bad_login(self, response):
        self.assertRefused(response, 401, "Bad username or password", error=None)


class ChangePasswordTest(PasswordTestCase):
    def test_a_fresh_token_changes_the_password_and_ends_every_session(self):
        server = self.start_server(users=[("alice", OLD, []), ("carol", "carol-password-1", [])])
        old_access, old_refresh = self.login_pair(server, "alice", OLD)
        carol_access, _ = self.login_pair(server, "carol", "carol-password-1")
        fresh = self.fresh_token(server, "alice", OLD)

        r = change(server, fresh, OLD, NEW)
        self.assertJson(r, 200, {"detail": "Password changed"})
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        print("\n  /password answered %d %r" % (r.status, r.body), file=sys.stderr)

        self.assert_bad_login(server.login("alice", OLD))
        self.assertJson(server.login("alice", NEW), 200)
        # Every token of alice issued up to the change is revoked, the fresh one included.
        for token in (old_access, fresh):
            self.assertRefused(server.get("/protected", ss.bearer(token)), 401,
                               "Token has been revoked")
        self.assertRefused(server.post("/refresh", headers=ss.bearer(old_refresh)), 401,
                           "Token has been revoked")
        # Another user is not touched.
        self.assertJson(server.get("/protected", ss.bearer(carol_access)), 200, {"user": "carol"})
        self.assertNotIn(OLD, server.stderr_text())
        self.assertNotIn(NEW, server.stderr_text())


class RefusalsTest(PasswordTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ss.JwtfortServer({"JWTFORT_LOGIN_ATTEMPTS_PER_USER": "3"})
        os.makedirs(cls.server.parent, exist_ok=True)
        cls.server.add_user("alice", OLD)
        cls.server.add_user("bob", "bob-password-1")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        ss.stop_class_server(cls.server)

    def test_a_token_that_is_not_fresh_is_refused(self):
        s = self.server
        _, refresh = self.login_pair(s, "alice", OLD)
        rotated = self.assertJson(s.post("/refresh", headers=ss.bearer(refresh)), 200)
        self.assertIs(ss.claims_of(rotated["access_token"])["fresh"], False)
        self.assertRefused(change(s, rotated["access_token"], OLD, NEW), 401,
                           "Fresh token required")
        self.assertRefused(change(s, rotated["refresh_token"], OLD, NEW), 401,
                           "Only access tokens are allowed")
        r = s.post("/password", {"current_password": OLD, "new_password": NEW})
        self.assertRefused(r, 401, "Missing Authorization Header", error=None)
        self.assert_bad_login(s.login("alice", NEW))  # nothing changed

    def test_a_weak_or_unchanged_new_password_is_422_with_the_policy_message(self):
        s = self.server
        fresh = self.fresh_token(s, "alice", OLD)
        for new, detail in (("short", "new_password: password is shorter than 8 bytes"),
                            ("x" * 1025, "new_password: password is longer than 1024 bytes"),
                            (OLD, "new_password: must differ from the current password")):
            with self.subTest(detail=detail):
                self.assertJson(change(s, fresh, OLD, new), 422, {"detail": detail})
        self.assertJson(s.get("/protected", ss.bearer(fresh)), 200, {"user": "alice"})
        self.login_pair(s, "alice", OLD)  # unchanged

    def test_malformed_requests_are_415_and_422_as_for_login(self):
        s = self.server
        fresh = self.fresh_token(s, "alice", OLD)
        body = '{"current_password": "%s", "new_password": "%s"}' % (OLD, NEW)
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            with self.subTest(content_type=content_type):
                headers = dict(ss.bearer(fresh))
                if content_type:
                    headers["Content-Type"] = content_type
                r = s.request("POST", "/password", headers, body=body)
                self.assertJson(r, 415, {"detail": "Content-Type must be application/json"})
        json_type = dict(ss.bearer(fresh), **{"Content-Type": "application/json"})
        for raw, detail in (
                ("not json", "body: invalid JSON"),
                ("[1]", "body: expected a JSON object"),
                ('{"new_password": "%s"}' % NEW, "current_password: field required"),
                ('{"current_password": "%s"}' % OLD, "new_password: field required"),
                ('{"current_password": 1, "new_password": "%s"}' % NEW,
                 "current_password: expected a string"),
                ('{"current_password": "", "new_password": "%s"}' % NEW,
                 "current_password: must not be empty"),
                ('{"current_password": "%s", "new_password": ""}' % OLD,
                 "new_password: must not be empty")):
            with self.subTest(body=raw):
                r = s.request("POST", "/password", json_type, body=raw)
                self.assertJson(r, 422, {"detail": detail})
        self.login_pair(s, "alice", OLD)  # unchanged

    def test_a_wrong_current_password_is_a_failed_login_and_counts_for_the_throttle(self):
        s = self.server
        fresh = self.fresh_token(s, "bob", "bob-password-1")
        for _ in range(3):  # JWTFORT_LOGIN_ATTEMPTS_PER_USER
            self.assert_bad_login(change(s, fresh, "not-bobs-password", NEW))
        r = change(s, fresh, "bob-password-1", NEW)
        self.assertRefused(r, 429, "Too many login attempts", error=False)
        self.assertRegex(r.header("Retry-After") or "", r"^[0-9]+$")
        # The same count throttles /login of that user.
        self.assertRefused(s.login("bob", "bob-password-1"), 429, "Too many login attempts",
                           error=False)
        self.assertJson(s.get("/protected", ss.bearer(fresh)), 200, {"user": "bob"})


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis")
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""jwtfort-server as the forward-auth service of a real nginx (auth_request): nginx asks
/auth/verify for every request to /api/ and passes the subject on to the upstream; refused
requests never reach the upstream. /admin-api/ asks /auth/verify?roles=admin. /legacy-api/ is
configured as the documentation once said, with X-Original-Method alone: a client adding its own
X-Forwarded-Method must not turn a cookie-authenticated POST into a GET without CSRF protection.

Arguments: the jwtfort-server binary, the jwtfort binary, the redis-server binary, nginx.
"""

import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import server_support as ss  # noqa: E402

BAD_HEADER = "Bad Authorization header. Expected value 'Bearer <JWT>'"


class ForwardAuthTest(ss.ServerTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.upstream = ss.UpstreamEcho()
        try:
            cls.server = ss.JwtfortServer()
            cls.server.add_user("alice", "alice-password-1")
            cls.server.add_user("boss", "boss-password-1", roles=["admin"])
            cls.server.start()
            auth = "http://127.0.0.1:%d/auth/verify" % cls.server.port
            upstream = "http://127.0.0.1:%d" % cls.upstream.port
            # The headers the documentation names; /_auth_legacy without X-Forwarded-Method.
            sends = ("X-Forwarded-Method", "X-Original-Method", "X-Original-URI")
            cls.nginx = ss.NginxServer(
                ss.nginx_guarded_location("/api/", "/_auth", upstream, ("subject", "roles"))
                + ss.nginx_guarded_location("/admin-api/", "/_auth_admin", upstream)
                + ss.nginx_guarded_location("/legacy-api/", "/_auth_legacy", upstream)
                + ss.nginx_verify_location("/_auth", auth, sends)
                + ss.nginx_verify_location("/_auth_admin", auth + "?roles=admin", sends)
                + ss.nginx_verify_location("/_auth_legacy", auth,
                                           ("X-Original-Method", "X-Original-URI"))).start()
        except Exception:
            cls.upstream.close()
            if getattr(cls, "server", None):
                cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        cls.upstream.close()
        ss.stop_class_server(cls.server)

    def login(self, user, password):
        body = self.assertJson(self.server.login(user, password), 200)
        return body["access_token"], body["refresh_token"]

    def through_nginx(self, path, headers=None, method="GET"):
        return ss.request(self.nginx.port, method, path, headers)

    def assert_refused_before_upstream(self, path, headers, status):
        seen = len(self.upstream.requests)
        r = self.through_nginx(path, headers)
        self.assertEqual(r.status, status, r)
        self.assertEqual(len(self.upstream.requests), seen, "the upstream saw a refused request")
        return r

    def test_verify_endpoint_directly(self):
        access, _ = self.login("boss", "boss-password-1")
        r = self.server.get("/auth/verify", ss.bearer(access))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("X-Auth-Subject"), "boss")
        self.assertEqual(r.header("X-Auth-Jti"), ss.claims_of(access)["jti"])
        self.assertEqual(r.header("X-Auth-Roles"), "admin")
        self.assertEqual(self.server.get("/auth/verify?roles=admin", ss.bearer(access)).status,
                         200)
        alice, _ = self.login("alice", "alice-password-1")
        r = self.server.get("/auth/verify?roles=admin", ss.bearer(alice))
        self.assertRefused(r, 403, "Missing required role", error="insufficient_scope")
        self.assertRefused(self.server.get("/auth/verify"), 401, "Missing Authorization Header",
                           error=None)

    def test_valid_token_reaches_the_upstream_with_the_subject(self):
        access, _ = self.login("alice", "alice-password-1")
        r = self.through_nginx("/api/orders?id=7", ss.bearer(access))
        seen = self.assertJson(r, 200)
        self.assertEqual((seen["path"], seen["subject"]), ("/api/orders?id=7", "alice"))
        self.assertIn(seen["roles"], (None, ""))  # alice has no role
        r = self.through_nginx("/api/orders", ss.bearer(access), method="POST")
        self.assertEqual(self.assertJson(r, 200)["subject"], "alice")

    def test_refused_requests_never_reach_the_upstream(self):
        access, refresh = self.login("alice", "alice-password-1")
        r = self.assert_refused_before_upstream("/api/orders", {}, 401)
        # nginx hands the auth service's challenge on with a 401.
        self.assertEqual(r.header("WWW-Authenticate"), "Bearer")
        tampered = access[:-6] + ("AAAAAA" if not access.endswith("AAAAAA") else "BBBBBA")
        r = self.assert_refused_before_upstream("/api/orders", ss.bearer(tampered), 401)
        self.assertEqual(ss.parse_challenge(r.header("WWW-Authenticate"))[1].get("error"),
                         "invalid_token")
        self.assert_refused_before_upstream("/api/orders", ss.bearer(refresh), 401)
        # A malformed header: /auth/verify answers 401 (the forward-auth contract is 200, 401
        # or 403: auth_request turns anything else into a 500).
        r = self.server.get("/auth/verify", {"Authorization": "Bearer a b"})
        self.assertRefused(r, 401, BAD_HEADER, error="invalid_request")
        self.assert_refused_before_upstream("/api/orders", {"Authorization": "Bearer a b"}, 401)

        victim, _ = self.login("alice", "alice-password-1")
        self.assertEqual(self.through_nginx("/api/x", ss.bearer(victim)).status, 200)
        self.assertJson(self.server.post("/logout", headers=ss.bearer(victim)), 200,
                        {"logout": True})
        self.assert_refused_before_upstream("/api/x", ss.bearer(victim), 401)

    def test_admin_location_requires_the_role(self):
        alice, _ = self.login("alice", "alice-password-1")
        boss, _ = self.login("boss", "boss-password-1")
        self.assert_refused_before_upstream("/admin-api/users", ss.bearer(alice), 403)
        self.assert_refused_before_upstream("/admin-api/users", {}, 401)
        r = self.through_nginx("/admin-api/users", ss.bearer(boss))
        self.assertEqual(self.assertJson(r, 200)["subject"], "boss")

    def outcome_count(self, outcome):
        """jwtfort_auth_outcomes_total{outcome=...}: counted before the answer is written, so
        exact as soon as nginx has answered."""
        r = self.server.get("/metrics")
        self.assertEqual(r.status, 200, r)
        prefix = 'jwtfort_auth_outcomes_total{outcome="%s"} ' % outcome
        for line in r.body.decode().splitlines():
            if line.startswith(prefix):
                return int(line[len(prefix):])
        return 0

    def test_csrf_applies_whatever_method_header_the_client_adds(self):
        r = self.server.login("alice", "alice-password-1", cookies=True)
        self.assertJson(r, 200, {"login": True, "expires_in": 900})
        jar = {name: value for name, value, _ in map(ss.parse_set_cookie,
                                                      r.header_all("Set-Cookie"))}
        cookie = {"Cookie": "access_token_cookie=" + jar["access_token_cookie"]}
        forged_headers = [{}, {"X-Forwarded-Method": "GET"}, {"X-Original-Method": "GET"},
                          {"X-Forwarded-Method": "GET", "X-Original-Method": "GET"}]
        for prefix in ("/api/", "/legacy-api/"):
            for forged in forged_headers:
                seen, refused = len(self.upstream.requests), self.outcome_count("csrf_failed")
                r = self.through_nginx(prefix + "orders", dict(cookie, **forged), method="POST")
                self.assertEqual(r.status, 401, "%s %r: %r" % (prefix, forged, r))
                self.assertEqual(len(self.upstream.requests), seen, "%s %r" % (prefix, forged))
                self.assertEqual(self.outcome_count("csrf_failed"), refused + 1, (prefix, forged))
            with_csrf = dict(cookie, **{"X-CSRF-Token": jar["csrf_access_token"],
                                        "X-Forwarded-Method": "GET"})
            r = self.through_nginx(prefix + "orders", with_csrf, method="POST")
            self.assertEqual(self.assertJson(r, 200)["subject"], "alice", prefix)
            r = self.through_nginx(prefix + "orders", cookie)
            self.assertEqual(self.assertJson(r, 200)["subject"], "alice", prefix)


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis", "nginx")
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""jwtfort-server with tokens in cookies: login sets four cookies (the two tokens HttpOnly, the
two CSRF values readable by the page), GET with the cookie alone, double-submit CSRF on POST,
logout unsets the cookies, refresh through the refresh cookie and its CSRF value.

Arguments: the jwtfort-server binary, the jwtfort binary, the redis-server binary.
"""

import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import server_support as ss  # noqa: E402

COOKIE_NAMES = {"access_token_cookie", "refresh_token_cookie", "csrf_access_token",
                "csrf_refresh_token"}


class CookiesTest(ss.ServerTestCase, unittest.TestCase):
    def setUp(self):
        self.server = self.start_server({"AUTHJWT_TOKEN_LOCATION": "headers,cookies"})

    def set_cookies(self, response):
        """{name: (value, attributes)} of the response's Set-Cookie headers (each name once)."""
        cookies = {}
        for value in response.header_all("Set-Cookie"):
            name, cookie_value, attributes = ss.parse_set_cookie(value)
            self.assertNotIn(name, cookies, "Set-Cookie %s twice" % name)
            cookies[name] = (cookie_value, attributes)
        return cookies

    def cookie_login(self):
        r = self.server.login("demo", self.server.demo_password, cookies=True)
        body = self.assertJson(r, 200)
        self.assertIs(body.get("login"), True, body)
        cookies = self.set_cookies(r)
        self.assertEqual(set(cookies), COOKIE_NAMES, r.header_all("Set-Cookie"))
        values = {name: v for name, (v, _) in cookies.items()}
        # Tokens in HttpOnly cookies are pointless if the body hands them to the page anyway.
        for name in ("access_token_cookie", "refresh_token_cookie"):
            self.assertNotIn(values[name], r.body.decode(), "the body repeats " + name)
        return r, cookies, values

    def cookie_header(self, **cookies):
        return "; ".join("%s=%s" % kv for kv in cookies.items())

    def test_login_sets_four_cookies_httponly_on_the_tokens_only(self):
        r, cookies, values = self.cookie_login()
        print("\n  Set-Cookie: %r" % [v.split(";", 1)[1] if ";" in v else ""
                                    for v in r.header_all("Set-Cookie")], file=sys.stderr)
        for name in ("access_token_cookie", "refresh_token_cookie"):
            self.assertIs(cookies[name][1].get("httponly"), True, name)
        for name in ("csrf_access_token", "csrf_refresh_token"):
            self.assertNotIn("httponly", cookies[name][1], name)
        for name in COOKIE_NAMES:
            self.assertEqual(cookies[name][1].get("path"), "/", name)
            self.assertTrue(cookies[name][0], name)
        access, refresh = values["access_token_cookie"], values["refresh_token_cookie"]
        self.assertEqual(ss.claims_of(access)["type"], "access")
        self.assertEqual(ss.claims_of(refresh)["type"], "refresh")
        # Double submit: each CSRF cookie is the csrf claim of its token.
        self.assertEqual(values["csrf_access_token"], ss.claims_of(access)["csrf"])
        self.assertEqual(values["csrf_refresh_token"], ss.claims_of(refresh)["csrf"])
        self.assertNotEqual(values["csrf_access_token"], values["csrf_refresh_token"])

    def test_get_with_the_cookie_only(self):
        _, _, values = self.cookie_login()
        cookie = {"Cookie": self.cookie_header(access_token_cookie=values["access_token_cookie"])}
        self.assertJson(self.server.get("/protected", cookie), 200, {"user": "demo"})
        self.assertEqual(self.assertJson(self.server.get("/me", cookie), 200)["subject"], "demo")
        # Without any token: the missing-header answer, since headers come first.
        self.assertEqual(self.server.get("/protected").status, 401)

    def test_logout_needs_the_access_csrf_value(self):
        _, _, values = self.cookie_login()
        cookie = self.cookie_header(**values)  # a browser sends every cookie
        s = self.server
        self.assertRefused(s.post("/logout", headers={"Cookie": cookie}), 401,
                           "Missing CSRF Token")
        for wrong in ("nope", values["csrf_refresh_token"], values["csrf_access_token"] + "x"):
            with self.subTest(csrf=wrong):
                r = s.post("/logout", headers={"Cookie": cookie, "X-CSRF-Token": wrong})
                self.assertRefused(r, 401, "CSRF double submit tokens do not match")
        # Refused attempts changed nothing.
        only_access = {"Cookie": self.cookie_header(
            access_token_cookie=values["access_token_cookie"])}
        self.assertJson(s.get("/protected", only_access), 200, {"user": "demo"})

        r = s.post("/logout", headers={"Cookie": cookie,
                                       "X-CSRF-Token": values["csrf_access_token"]})
        self.assertJson(r, 200, {"logout": True})
        unset = self.set_cookies(r)
        self.assertEqual(set(unset), COOKIE_NAMES, r.header_all("Set-Cookie"))
        for name, (value, attributes) in unset.items():
            self.assertEqual(attributes.get("max-age"), "0", (name, attributes))
            self.assertEqual(value, "", name)
        self.assertRefused(s.get("/protected", only_access), 401, "Token has been revoked")

    def test_refresh_with_the_refresh_cookie_and_its_csrf_value(self):
        _, _, values = self.cookie_login()
        s = self.server
        refresh_cookie = {"Cookie": self.cookie_header(
            refresh_token_cookie=values["refresh_token_cookie"])}
        self.assertRefused(s.post("/refresh", headers=refresh_cookie), 401, "Missing CSRF Token")
        r = s.post("/refresh", headers=dict(refresh_cookie,
                                            **{"X-CSRF-Token": values["csrf_access_token"]}))
        self.assertRefused(r, 401, "CSRF double submit tokens do not match")

        r = s.post("/refresh", headers=dict(refresh_cookie,
                                            **{"X-CSRF-Token": values["csrf_refresh_token"]}))
        self.assertEqual(r.status, 200, r)
        print("\n  cookie refresh body: %r" % r.body, file=sys.stderr)
        fresh = {name: v for name, (v, _) in self.set_cookies(r).items()}
        self.assertEqual(set(fresh), COOKIE_NAMES, r.header_all("Set-Cookie"))
        for name in COOKIE_NAMES:
            self.assertNotEqual(fresh[name], values[name], name)
        self.assertEqual(ss.claims_of(fresh["refresh_token_cookie"])["fam"],
                         ss.claims_of(values["refresh_token_cookie"])["fam"])
        self.assertEqual(fresh["csrf_access_token"],
                         ss.claims_of(fresh["access_token_cookie"])["csrf"])
        self.assertJson(s.get("/protected", {"Cookie": self.cookie_header(
            access_token_cookie=fresh["access_token_cookie"])}), 200, {"user": "demo"})

        # The spent refresh cookie again: reuse; the new one is revoked with its family.
        r = s.post("/refresh", headers=dict(refresh_cookie,
                                            **{"X-CSRF-Token": values["csrf_refresh_token"]}))
        self.assertRefused(r, 401, "Token has been revoked")
        r = s.post("/refresh", headers={
            "Cookie": self.cookie_header(refresh_token_cookie=fresh["refresh_token_cookie"]),
            "X-CSRF-Token": fresh["csrf_refresh_token"]})
        self.assertRefused(r, 401, "Token has been revoked")

    def test_cookie_tokens_never_reach_the_log(self):
        _, _, values = self.cookie_login()
        self.server.get("/protected", {"Cookie": self.cookie_header(**values)})
        self.server.post("/logout", headers={"Cookie": self.cookie_header(**values),
                                             "X-CSRF-Token": values["csrf_access_token"]})
        self.server.wait_for_request_lines()
        log = self.server.stderr_text()
        for name in ("access_token_cookie", "refresh_token_cookie"):
            self.assertNotIn(values[name].split(".")[2], log)
        self.assertNotIn(self.server.demo_password, log)


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis")
    unittest.main(verbosity=2)

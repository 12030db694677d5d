#!/usr/bin/env python3
"""Two jwtfort-server instances behind one redis-server (same HS256 secret, same
JWTFORT_STORE_URL): a token of A works on B; a logout on A is seen by B within a bounded time;
a refresh token spent on A and replayed on B revokes the family on both; with Redis down both
answer 503 (fail closed) and recover when it is back.

Arguments: the jwtfort-server binary, the jwtfort binary, the redis-server binary.
"""

import shutil
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import server_support as ss  # noqa: E402

PROPAGATION_BOUND = 2.0  # seconds


class SharedRedisTest(ss.ServerTestCase, unittest.TestCase):
    def setUp(self):
        self.redis_dir = tempfile.mkdtemp(prefix="jwtfort-http-redis-")
        self.redis = ss.redis_server(self.redis_dir)
        self.redis.start()
        self.addCleanup(shutil.rmtree, self.redis_dir, ignore_errors=True)
        self.addCleanup(self.redis.stop)
        settings = ss.hs256_settings(JWTFORT_STORE_URL=self.redis.url)
        user = [("alice", "alice-password-1", [])]
        # Each instance has its own data directory (users), the store is what they share.
        self.a = self.start_server(settings, users=user)
        self.b = self.start_server(settings, users=user)

    def login(self, server):
        body = self.assertJson(server.login("alice", "alice-password-1"), 200)
        return body["access_token"], body["refresh_token"]

    def status_on(self, server, access):
        return server.get("/protected", ss.bearer(access)).status

    def test_a_token_of_one_instance_works_on_the_other(self):
        access, refresh = self.login(self.a)
        self.assertJson(self.b.get("/protected", ss.bearer(access)), 200, {"user": "alice"})
        body = self.assertJson(self.b.post("/refresh", headers=ss.bearer(refresh)), 200)
        self.assertJson(self.a.get("/protected", ss.bearer(body["access_token"])), 200,
                        {"user": "alice"})

    def test_logout_on_a_is_seen_by_b_within_the_bound(self):
        access, _ = self.login(self.a)
        self.assertEqual(self.status_on(self.b, access), 200)
        self.assertJson(self.a.post("/logout", headers=ss.bearer(access)), 200, {"logout": True})
        returned = time.monotonic()
        rejected = ss.wait_until(lambda: self.status_on(self.b, access) == 401,
                                 PROPAGATION_BOUND, interval=0.005)
        delay = time.monotonic() - returned
        print("\n  logout on A -> refused on B after %.1f ms" % (delay * 1000), file=sys.stderr)
        self.assertTrue(rejected, "B still accepts the token %.2f s after the logout" % delay)
        self.assertRefused(self.b.get("/protected", ss.bearer(access)), 401,
                           "Token has been revoked")
        self.assertRefused(self.a.get("/protected", ss.bearer(access)), 401,
                           "Token has been revoked")

    def test_logout_all_on_b_ends_sessions_made_on_a(self):
        first, _ = self.login(self.a)
        second, _ = self.login(self.b)
        self.assertEqual(self.b.post("/logout-all", headers=ss.bearer(second)).status, 200)
        for server in (self.a, self.b):
            for access in (first, second):
                self.assertTrue(ss.wait_until(lambda: self.status_on(server, access) == 401,
                                              PROPAGATION_BOUND))

    def test_refresh_reuse_across_instances_revokes_the_family_on_both(self):
        _, refresh = self.login(self.a)
        rotated = self.assertJson(self.a.post("/refresh", headers=ss.bearer(refresh)), 200)
        newer = rotated["refresh_token"]
        # The spent token replayed on the other instance: reuse, whoever replays it.
        self.assertRefused(self.b.post("/refresh", headers=ss.bearer(refresh)), 401,
                           "Token has been revoked")
        for server in (self.a, self.b):
            ok = ss.wait_until(lambda: server.post("/refresh", headers=ss.bearer(newer)).status
                               == 401, PROPAGATION_BOUND)
            self.assertTrue(ok, "the family is still alive on one instance")
            self.assertRefused(server.post("/refresh", headers=ss.bearer(newer)), 401,
                               "Token has been revoked")

    def test_redis_down_fails_closed_then_recovers(self):
        access, _ = self.login(self.a)
        self.redis.stop()
        for server in (self.a, self.b):
            r = ss.wait_until(lambda: (lambda r: r if r.status == 503 else None)(
                server.get("/protected", ss.bearer(access))), 5, interval=0.05)
            self.assertIsNotNone(r, "still answering without the store")
            self.assertRefused(r, 503, "Token store unavailable", error=False)
        self.redis.start()
        for server in (self.a, self.b):
            self.assertTrue(ss.wait_until(lambda: self.status_on(server, access) == 200, 15,
                                          interval=0.05), "no recovery after Redis came back")


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis")
    unittest.main(verbosity=2)

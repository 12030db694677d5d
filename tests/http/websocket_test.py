#!/usr/bin/env python3
"""jwtfort-server's WebSocket route: /ws?token=<access token> upgrades (101, a correct
Sec-WebSocket-Accept), says {"user": sub} first, then echoes; without a token, with a bad, a
refresh or a revoked token the answer is HTTP 401 and no upgrade. The token travels in the query
string, so the request log must not contain it. An open socket is closed (1008) when its token
expires or is revoked. A handshake the server cannot accept gets the server's own JSON refusal,
logged and counted with its real status.

Arguments: the jwtfort-server binary, the jwtfort binary, the redis-server binary.
"""

import json
import sys
import threading
import time
import unittest
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import server_support as ss  # noqa: E402


class WebSocketTest(ss.ServerTestCase, unittest.TestCase):
    def setUp(self):
        self.server = self.start_server()
        r = self.server.login("demo", self.server.demo_password)
        body = self.assertJson(r, 200)
        self.access, self.refresh = body["access_token"], body["refresh_token"]

    def ws(self, query):
        return ss.WebSocket(self.server.port, "/ws" + query)

    def assert_no_upgrade(self, query, detail=None):
        client = self.ws(query)
        r = client.connect()
        self.assertNotEqual(r.status, 101, r)
        self.assertIsNone(r.header("Sec-WebSocket-Accept"), r)
        self.assertNotEqual((r.header("Upgrade") or "").lower(), "websocket", r)
        if detail is None:
            self.assertEqual(r.status, 401, r)
            return r
        self.assertRefused(r, 401, detail)
        return r

    def test_upgrade_greeting_and_echo(self):
        client = self.ws("?token=" + urllib.parse.quote(self.access, safe=""))
        r = client.connect()
        self.assertEqual(r.status, 101, r)
        self.assertEqual(r.header("Upgrade", "").lower(), "websocket")
        self.assertIn("upgrade", r.header("Connection", "").lower())
        self.assertEqual(r.header("Sec-WebSocket-Accept"), client.expected_accept())
        self.assertEqual(r.header("Server"), "jwtfort-server", "no library version banner")
        self.assertEqual(json.loads(client.receive_text()), {"user": "demo"})
        for message in ("hello", "é" * 150, "x" * 70000):  # 7-bit, 16-bit and 64-bit lengths
            client.send_text(message)
            self.assertEqual(client.receive_text(), message)
        code = client.close()
        self.assertEqual(code, 1000)
        self.server.wait_for_request_lines(others=1, timeout=5)
        log = self.server.stderr_text()
        self.assertNotIn(self.access.split(".")[2], log, "the query token reached the log")
        self.assertNotIn(self.access, log)

    def test_no_token_is_401_without_upgrade(self):
        r = self.assert_no_upgrade("")
        print("\n  /ws without a token: %d %r %r" % (r.status, r.body,
                                                    r.header("WWW-Authenticate")),
              file=sys.stderr)
        self.assertTrue((r.detail() or "").startswith("Missing"), r)
        self.assert_no_upgrade("?token=")

    def test_bad_tokens_are_401_without_upgrade(self):
        self.assert_no_upgrade("?token=not-a-token", "Invalid token")
        tampered = self.access[:-4] + ("AAAA" if not self.access.endswith("AAAA") else "BBBB")
        self.assert_no_upgrade("?token=" + tampered, "Invalid token")
        self.assert_no_upgrade("?token=" + self.refresh, "Only access tokens are allowed")

    def test_revoked_token_is_401_without_upgrade(self):
        self.assertJson(self.server.post("/logout", headers=ss.bearer(self.access)), 200,
                        {"logout": True})
        self.assert_no_upgrade("?token=" + self.access, "Token has been revoked")

    def test_sigterm_with_an_open_websocket_exits_0(self):
        client = self.ws("?token=" + self.access)
        self.assertEqual(client.connect().status, 101)
        self.assertEqual(json.loads(client.receive_text()), {"user": "demo"})
        # The client answers the server's close frame as a browser would, while the server stops.
        seen, ended = [], []

        def answer_close():
            try:
                client.sock.settimeout(20)
                opcode, payload = client.receive()
                seen.append("close frame %s" % payload[:2].hex() if opcode == 0x8
                            else "opcode %d" % opcode)
                if opcode == 0x8:
                    client._send_frame(0x8, payload[:2])
                    while client.sock.recv(65536):  # until the server closes TCP (RFC 6455 §7.1.1)
                        pass
                    seen.append("end of stream")
                    ended.append(time.monotonic() - started)
                    client.sock.close()  # as a browser does on the server's FIN
            except (ConnectionError, OSError) as e:
                seen.append("connection ended: %s" % e)

        started = time.monotonic()
        reader = threading.Thread(target=answer_close)
        reader.start()
        status = self.server.stop()
        took = time.monotonic() - started
        reader.join(30)
        if client.sock.fileno() != -1:
            client.sock.close()
        print("\n  SIGTERM with an open WebSocket: exit %r after %.3f s; the client saw %s "
              "(stream ended after %s s)" % (status, took, seen, ended), file=sys.stderr)
        self.assertEqual(seen, ["close frame 03e9", "end of stream"])  # 1001 going away
        self.assertEqual(status, 0)
        self.assertLess(took, 25)

    def open_socket(self, token):
        client = self.ws("?token=" + urllib.parse.quote(token, safe=""))
        self.assertEqual(client.connect().status, 101)
        self.assertEqual(json.loads(client.receive_text()), {"user": "demo"})
        return client

    def closed_by_server(self, client, timeout):
        """Waits at most `timeout` seconds for the server's close frame, answers it as a browser
        would, and returns (code, reason) and the seconds it took."""
        started = time.monotonic()
        client.sock.settimeout(timeout)
        opcode, payload = client.receive()
        took = time.monotonic() - started
        self.assertEqual(opcode, 0x8, payload)
        client._send_frame(0x8, payload[:2])
        while client.sock.recv(65536):  # until the server ends the stream
            pass
        client.sock.close()
        return (int.from_bytes(payload[:2], "big"), payload[2:].decode()), took

    def test_a_socket_is_closed_when_its_token_expires(self):
        claims = dict(ss.claims_of(self.access), jti=ss.new_jti(), exp=int(time.time()) + 2)
        token = self.server.server_key().token(claims)  # the server's header: alg, kid, typ
        client = self.open_socket(token)
        client.send_text("still valid")
        self.assertEqual(client.receive_text(), "still valid")
        reason, took = self.closed_by_server(client, 10)
        self.assertEqual(reason, (1008, "token expired"))
        self.assertLess(took, 4)
        self.assertGreaterEqual(time.time(), claims["exp"])
        ss.wait_until(lambda: '"detail":"token expired"' in self.server.stderr_text(), 5)
        self.assertIn('{"event":"websocket_closed","detail":"token expired"}',
                      self.server.log_lines())

    def test_logout_closes_an_open_socket(self):
        client = self.open_socket(self.access)
        self.assertJson(self.server.post("/logout", headers=ss.bearer(self.access)), 200,
                        {"logout": True})
        reason, took = self.closed_by_server(client, 10)
        self.assertEqual(reason, (1008, "token revoked"))
        self.assertLess(took, 2.5)

    def test_logout_everywhere_closes_the_sockets_of_the_user(self):
        client = self.open_socket(self.access)
        other = self.assertJson(self.server.login("demo", self.server.demo_password), 200)
        self.assertJson(self.server.post("/logout-all",
                                         headers=ss.bearer(other["access_token"])), 200,
                        {"logout_all": True})
        reason, took = self.closed_by_server(client, 10)
        self.assertEqual(reason, (1008, "token revoked"))
        self.assertLess(took, 2.5)

    def test_unusable_handshakes_get_the_servers_json_refusal(self):
        target = "/ws?token=" + urllib.parse.quote(self.access, safe="")
        fields = {"Host": "127.0.0.1:%d" % self.server.port, "Upgrade": "websocket",
                  "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                  "Sec-WebSocket-Version": "13"}
        no_key = {k: v for k, v in fields.items() if k != "Sec-WebSocket-Key"}
        cases = [
            ("GET", "HTTP/1.1", no_key, 400, "Bad WebSocket handshake: missing Sec-WebSocket-Key"),
            ("HEAD", "HTTP/1.1", fields, 400, "Bad WebSocket handshake: the method must be GET"),
            ("GET", "HTTP/1.0", fields, 400, "Bad WebSocket handshake: HTTP/1.1 required"),
            ("GET", "HTTP/1.1", dict(fields, **{"Sec-WebSocket-Version": "8"}), 426,
             "Unsupported WebSocket version"),
        ]
        def ws_statuses():
            return [(line["method"], line["status"]) for line in map(json.loads, (
                x for x in self.server.log_lines() if '"path":"/ws"' in x))]
        for answered, (method, version, headers, status, detail) in enumerate(cases, 1):
            head = "%s %s %s\r\n" % (method, target, version)
            head += "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
            r, _, error = ss.raw_exchange(self.server.port, head.encode(), shut_write=True)
            self.assertIsNotNone(r, error)
            self.assertEqual(r.status, status, r)
            self.assertEqual(r.header("Content-Type"), "application/json", r)
            self.assertEqual(r.header("Cache-Control"), "no-store", r)
            self.assertIsNone(r.header("Server"), r)
            self.assertIsNone(r.header("Sec-WebSocket-Accept"), r)
            if method != "HEAD":
                self.assertEqual(r.json(), {"detail": detail}, r)
            if status == 426:
                self.assertEqual(r.header("Sec-WebSocket-Version"), "13", r)
            # The log line is written after the answer: wait for it before the next handshake,
            # so the order below is the server's order, not the scheduler's.
            ss.wait_until(lambda: len(ws_statuses()) >= answered, 5)

        self.assertEqual(ws_statuses(), [("GET", 400), ("HEAD", 400), ("GET", 400), ("GET", 426)])
        metrics = self.server.get("/metrics").body.decode()
        for line in ('{route="/ws",method="GET",status="400"} 2\n',
                     '{route="/ws",method="HEAD",status="400"} 1\n',
                     '{route="/ws",method="GET",status="426"} 1\n'):
            self.assertIn("jwtfort_http_requests_total" + line, metrics)
        self.assertNotIn('route="/ws",method="GET",status="101"', metrics)


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis")
    unittest.main(verbosity=2)

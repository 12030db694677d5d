#!/usr/bin/env python3
"""jwtfort-server under abuse from an outside client, on loopback: every byte, connection and
second a client can make the server hold has a bound, and crossing it gets a precise answer.

- Memory: chunk extensions, trailers and header fields sent in endless or tiny pieces get
  413/431 with a JSON body and `Connection: close`, while the server's VmRSS (read from /proc)
  stays within a bound derived from the limits, and /healthz keeps answering from a second
  address throughout.
- Framing: any Transfer-Encoding but exactly `chunked`, or one on HTTP/1.0, is a 400 and the
  bytes after it are never served as a request (RFC 9112 §6.1, §6.3).
- Connections: one address holding thousands of sockets is held to its cap while another is
  served; at the total cap an idle connection is shed for a new one; slow headers meet a
  deadline.

Every loop is bounded in count and time. Arguments: as every http test (jwtfort-server, jwtfort,
redis-server; only the first is used).
"""

import os
import resource
import select
import socket
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import server_support as ss  # noqa: E402

MAX_HEADER_BYTES = 8 * 1024
MAX_BODY_BYTES = 16 * 1024
MAX_BUFFERED_BYTES = MAX_HEADER_BYTES + MAX_BODY_BYTES
MIB = 1 << 20

# The bound on growth of the server's resident memory during a flood. Per connection the server
# holds at most its read buffer (MAX_BUFFERED_BYTES) and one parsed header (MAX_HEADER_BYTES of
# text, and a list entry per field: at most 2,048 fields of 4 bytes, about 200 KiB with their
# copies), so the floods below, 4 connections at a time, need under 1 MiB; the rest of the bound
# is the allocator's per-thread arenas and the log, which do not grow with what is sent.
RSS_GROWTH_BOUND = 24 * MIB
FLOOD_CONNECTIONS = 4
FLOOD_BYTES = 300 * MIB  # what the flooding client tries to send on each connection

# Set by CMake for a sanitized build, whose resident memory is mostly the sanitizer's.
SANITIZED = os.environ.get("JWTFORT_TEST_SANITIZED", "")

OTHER_ADDRESS = "127.0.0.2"  # the client that must keep being served
HOG_ADDRESS = "127.0.0.3"  # the client that takes the sockets


def raise_open_files(wanted):
    """Lets this process hold `wanted` sockets, within the hard limit; returns what it can."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connect_from(address, port, timeout=5.0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((address, 0))
    sock.connect((ss.LOOPBACK, port))
    return sock


def read_answer(sock, timeout=10.0):
    """The whole answer up to the server's close (or `timeout`), parsed; None when the server
    closed without answering."""
    sock.settimeout(timeout)
    received = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        received += chunk
    if not received:
        return None
    status, reason, headers, body = ss.parse_http_head(received)
    return ss.HttpResponse(status, reason, headers, body)


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def healthz_from(address, port, timeout=1.0):
    """Status of GET /healthz from `address`, or None when it took longer than `timeout`."""
    try:
        sock = connect_from(address, port, timeout)
    except OSError:
        return None
    with sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        except OSError:
            return None
        answer = read_answer(sock, timeout)
        return answer.status if answer else None


class Watch:
    """While open: samples the server's VmRSS and asks /healthz from another address every
    100 ms, recording the peak and every probe that failed or took over a second."""

    def __init__(self, server):
        self.server = server
        self.baseline = rss_bytes(server.process.pid)
        self.peak = self.baseline
        self.failures = []
        self.probes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.server.process.pid))
            started = time.monotonic()
            status = healthz_from(OTHER_ADDRESS, self.server.port)
            self.probes += 1
            if status != 200:
                self.failures.append((round(time.monotonic() - started, 3), status))
            self._stop.wait(0.1)


def flood(port, head, filler, total=FLOOD_BYTES, piece=MIB):
    """Sends `head`, then `filler` repeated up to `total` bytes, on one connection; returns the
    answer and how many bytes went out before the server stopped taking them."""
    sock = connect_from(HOG_ADDRESS, port, timeout=10.0)
    sent = [0]
    chunk = (filler * (piece // len(filler) + 1))[:piece]

    def sender():
        try:
            sock.sendall(head)
            while sent[0] < total:
                sock.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass  # the server closed: what this measures

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    answer = read_answer(sock, timeout=30.0)
    thread.join(30)
    sock.close()
    return answer, sent[0]


def open_connections(port):
    """The server's `jwtfort_connections_open`, less the connection asking (which asks the
    server to close it, so that it does not stay open, idle, once answered)."""
    metrics = ss.request(port, "GET", "/metrics", {"Connection": "close"}, timeout=5.0)
    metrics = metrics.body.decode()
    for line in metrics.splitlines():
        if line.startswith("jwtfort_connections_open "):
            return int(line.split()[1]) - 1
    raise AssertionError("no jwtfort_connections_open in /metrics")


def fill_to_cap(port, total, address=HOG_ADDRESS, rounds=40):
    """`total` connections from `address` that the server admitted. Earlier connections (the
    readiness probe's) must be gone from the server's side first; a connection it refused all
    the same (a 503 straight away) is replaced, for at most `rounds` rounds."""
    if not ss.wait_until(lambda: open_connections(port) == 0, 10, interval=0.05):
        raise AssertionError("connections of earlier requests stayed open")
    held = []
    for _ in range(rounds):
        held += [connect_from(address, port) for _ in range(total - len(held))]
        readable, _, _ = select.select(held, [], [], 0.5)
        for sock in readable:  # answered at once: refused
            held.remove(sock)
            sock.close()
        if len(held) == total:
            return held
    raise AssertionError("the server kept refusing connections under its cap")


class AbuseTestCase(ss.ServerTestCase, unittest.TestCase):
    def assertClosedWith(self, answer, status, detail, http10=False):
        """`answer` (read to the server's close) is `status` with {"detail": detail} and says
        the connection closes (HTTP/1.0 closes without saying)."""
        self.assertIsNotNone(answer, "the server closed without answering")
        self.assertEqual((answer.status, answer.json()), (status, {"detail": detail}), answer)
        self.assertEqual(answer.header("Connection"), None if http10 else "close", answer)
        self.assertEqual(answer.header("Content-Type"), "application/json", answer)

    def assertBounded(self, watch, what):
        growth = watch.peak - watch.baseline
        if not SANITIZED:
            self.assertLess(growth, RSS_GROWTH_BOUND,
                            "%s: VmRSS grew by %.1f MiB" % (what, growth / MIB))
        self.assertEqual(watch.failures, [], "%s: /healthz probes that failed" % what)
        self.assertGreater(watch.probes, 0)

    def parallel_floods(self, server, head, filler):
        results = [None] * FLOOD_CONNECTIONS

        def one(i):
            results[i] = flood(server.port, head, filler)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(FLOOD_CONNECTIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return results


class MemoryTest(AbuseTestCase):
    def setUp(self):
        self.server = self.start_server(ss.hs256_settings())

    CHUNKED = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")

    def assertFloodRefused(self, head, filler, what):
        with Watch(self.server) as watch:
            results = self.parallel_floods(self.server, head, filler)
        for answer, sent in results:
            self.assertClosedWith(answer, 413, "Chunk extensions or trailers too large")
            self.assertLess(sent, FLOOD_BYTES, "%s: the server took the whole flood" % what)
        self.assertBounded(watch, what)

    def test_an_endless_chunk_extension_is_refused_and_memory_stays_bounded(self):
        self.assertFloodRefused(self.CHUNKED + b"1;", b"a", "chunk extensions")

    def test_an_endless_trailer_is_refused_and_memory_stays_bounded(self):
        self.assertFloodRefused(self.CHUNKED + b"2\r\n{}\r\n0\r\nX-Trailer: ", b"b", "trailers")

    def test_header_fields_sent_a_few_at_a_time_meet_the_total_limit(self):
        # 5,000 fields (about 60 KB) in writes of 100 bytes: Beast's own limit applies to what one
        # parse sees, so without the server's count this was answered 200.
        fields = b"".join(b"X-F%d: v\r\n" % i for i in range(5000))
        sock = connect_from(HOG_ADDRESS, self.server.port, timeout=10.0)
        with Watch(self.server) as watch, sock:
            data = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"
            try:
                for i in range(0, len(data), 100):
                    sock.sendall(data[i:i + 100])
            except OSError:
                pass
            answer = read_answer(sock)
        self.assertClosedWith(answer, 431, "Request header too large")
        self.assertBounded(watch, "header fields")

    def test_the_header_limit_is_the_documented_total(self):
        # Request line, fields and the empty line: exactly 8 KiB passes, one byte more does not,
        # whether the bytes come at once or one field at a time.
        def request_of(total):
            start = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            padding = total - len(start) - len(b"X-Pad: \r\n\r\n")
            return start + b"X-Pad: " + b"p" * padding + b"\r\n\r\n"

        for split in (None, 64):
            for total, status in ((MAX_HEADER_BYTES, 200), (MAX_HEADER_BYTES + 1, 431)):
                data = request_of(total)
                self.assertEqual(len(data), total)
                sock = connect_from(HOG_ADDRESS, self.server.port)
                with sock:
                    step = split or len(data)
                    for i in range(0, len(data), step):
                        sock.sendall(data[i:i + step])
                    answer = read_answer(sock, timeout=5.0) if status != 200 else None
                    if status == 200:
                        sock.shutdown(socket.SHUT_WR)
                        answer = read_answer(sock, timeout=5.0)
                self.assertIsNotNone(answer)
                self.assertEqual(answer.status, status, (total, split, answer))
                if status == 431:
                    self.assertClosedWith(answer, 431, "Request header too large")

    def test_a_body_over_the_limit_in_chunks_is_refused(self):
        chunk = b"%x\r\n%s\r\n" % (4096, b"c" * 4096)
        data = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 5 + b"0\r\n\r\n")
        answer, _, _ = ss.raw_exchange(self.server.port, data)
        self.assertClosedWith(answer, 413, "Request body too large")


class FramingTest(AbuseTestCase):
    SMUGGLED = b"GET /public HTTP/1.1\r\nHost: x\r\n\r\n"

    def setUp(self):
        self.server = self.start_server(ss.hs256_settings())

    def exchange(self, data):
        sock = connect_from(HOG_ADDRESS, self.server.port)
        with sock:
            sock.sendall(data)
            return read_answer(sock, timeout=10.0)

    def test_transfer_codings_other_than_chunked_are_refused(self):
        for coding in (b"gzip", b"xchunked", b"chunked, gzip", b"gzip, chunked", b"identity",
                       b"chunked\r\nTransfer-Encoding: chunked", b"gzip\r\nTransfer-Encoding: chunked"):
            with self.subTest(coding=coding):
                answer = self.exchange(
                    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: " + coding + b"\r\n\r\n" + self.SMUGGLED)
                self.assertIsNotNone(answer)
                # One answer and the close: the bytes after the header were not served.
                self.assertNotIn(b"hello", answer.body)
                if coding.startswith(b"chunked\r\n"):
                    self.assertClosedWith(answer, 400, "Bad request")  # Beast: repeated field
                else:
                    self.assertClosedWith(answer, 400, "Transfer-Encoding must be exactly chunked")

    def test_transfer_encoding_on_http_1_0_is_refused(self):
        answer = self.exchange(
            b"POST /login HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\n{}\r\n0\r\n\r\n" + self.SMUGGLED)
        self.assertClosedWith(answer, 400, "Transfer-Encoding is not allowed in HTTP/1.0",
                              http10=True)
        self.assertNotIn(b"hello", answer.body)

    def test_content_length_with_transfer_encoding_is_refused(self):
        answer = self.exchange(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + self.SMUGGLED)
        self.assertClosedWith(answer, 400, "Bad request")

    def test_exactly_chunked_is_served(self):
        answer = self.exchange(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: Chunked \r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        self.assertEqual(answer.status, 422, answer)  # the body reached the login handler


class ConnectionTest(AbuseTestCase):
    def test_one_address_is_held_to_its_cap_while_another_is_served(self):
        cap = 50
        sockets_wanted = 2000
        available = raise_open_files(sockets_wanted + 200) - 100
        server = self.start_server(ss.hs256_settings(
            JWTFORT_MAX_CONNECTIONS=1000, JWTFORT_MAX_CONNECTIONS_PER_ADDRESS=cap))
        held = []
        refused = 0
        try:
            with Watch(server) as watch:
                for _ in range(min(sockets_wanted, available)):
                    held.append(connect_from(HOG_ADDRESS, server.port))
                # Each socket past the cap was answered at once and closed.
                for sock in held[cap:]:
                    answer = read_answer(sock, timeout=5.0)
                    self.assertClosedWith(answer, 503, "Too many connections from this address")
                    refused += 1
                self.assertEqual(healthz_from(OTHER_ADDRESS, server.port), 200)
            self.assertBounded(watch, "idle sockets")
            self.assertEqual(refused, len(held) - cap)
            # Many times the cap, even where the descriptor limit keeps us under 2,000.
            self.assertGreaterEqual(len(held), 10 * cap)
        finally:
            for sock in held:
                sock.close()
        metrics = server.get("/metrics").body.decode()
        self.assertIn('jwtfort_connections_refused_total{cap="address"} %d\n' % refused, metrics)
        # Every slot is given back once the sockets close.
        self.assertTrue(ss.wait_until(lambda: open_connections(server.port) == 0, 10, 0.05))

    def test_at_the_total_cap_an_idle_connection_is_shed_for_a_new_one(self):
        total = 20
        server = self.start_server(ss.hs256_settings(
            JWTFORT_MAX_CONNECTIONS=total, JWTFORT_MAX_CONNECTIONS_PER_ADDRESS=total,
            JWTFORT_HEADER_TIMEOUT=60))
        idle = fill_to_cap(server.port, total)
        try:
            self.assertEqual(healthz_from(OTHER_ADDRESS, server.port), 200)
            # The shed connection was closed without an answer: readable, at end of stream.
            readable, _, _ = select.select(idle, [], [], 2.0)
            closed = [sock for sock in readable if sock.recv(1) == b""]
            self.assertEqual(len(closed), 1, "one idle connection makes room")
            self.assertIs(closed[0], idle[0], "the one idle longest")
        finally:
            for sock in idle:
                sock.close()

    def test_at_the_total_cap_with_none_idle_a_new_connection_is_refused(self):
        total = 20
        server = self.start_server(ss.hs256_settings(
            JWTFORT_MAX_CONNECTIONS=total, JWTFORT_MAX_CONNECTIONS_PER_ADDRESS=total))
        busy = fill_to_cap(server.port, total)
        try:
            for sock in busy:  # a request started: not idle
                sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            time.sleep(1.0)  # every partial header read (generous: the machine may be loaded)
            sock = connect_from(OTHER_ADDRESS, server.port)
            with sock:
                self.assertClosedWith(read_answer(sock, timeout=5.0), 503, "Too many connections")
        finally:
            for sock in busy:
                sock.close()
        self.assertTrue(ss.wait_until(lambda: healthz_from(OTHER_ADDRESS, server.port) == 200, 5))

    def test_slow_headers_meet_the_header_deadline(self):
        # A field every 100 ms keeps the connection busy, but the header must be complete within
        # the header timeout of its first byte: the connection closes then, and the log says 408.
        server = self.start_server(ss.hs256_settings(JWTFORT_HEADER_TIMEOUT=1))
        sock = connect_from(HOG_ADDRESS, server.port)
        with sock:
            started = time.monotonic()
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            closed_at = None
            for i in range(40):  # at most 4 s
                time.sleep(0.1)
                try:
                    sock.sendall(b"X-Slow-%d: 1\r\n" % i)
                except OSError:
                    closed_at = time.monotonic() - started
                    break
            if closed_at is None:
                self.assertIsNone(read_answer(sock, timeout=1.0))
                closed_at = time.monotonic() - started
        self.assertLess(closed_at, 3.0)
        self.assertTrue(ss.wait_until(lambda: any(
            '"path":"/healthz","status":408' in line
            for line in server.log_lines()), 5), server.log_lines())

    def test_a_connection_that_sends_nothing_is_closed_without_an_answer(self):
        server = self.start_server(ss.hs256_settings(JWTFORT_HEADER_TIMEOUT=1))
        sock = connect_from(HOG_ADDRESS, server.port)
        with sock:
            started = time.monotonic()
            self.assertIsNone(read_answer(sock, timeout=5.0))
            self.assertLess(time.monotonic() - started, 3.0)

    def test_a_kept_alive_connection_waits_the_idle_timeout(self):
        server = self.start_server(ss.hs256_settings(JWTFORT_HEADER_TIMEOUT=1,
                                                     JWTFORT_IDLE_TIMEOUT=3))
        sock = connect_from(HOG_ADDRESS, server.port)
        with sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.settimeout(5.0)
            first = sock.recv(65536)
            self.assertTrue(first.startswith(b"HTTP/1.1 200 "), first)
            time.sleep(1.5)  # past the header timeout, within the idle one
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = read_answer(sock, timeout=5.0)
        self.assertEqual(answer.status, 200, answer)


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis")
    unittest.main()

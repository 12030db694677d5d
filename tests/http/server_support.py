"""Shared helpers of the end-to-end tests of jwtfort-server (label http). Standard library only.

- `JwtfortServer`: starts `jwtfort-server serve` on a free loopback port with a temporary data
  directory and a clean environment, reads the listening line and the first-run password of the
  user `demo`, waits for /healthz, collects the stderr request log, and stops with SIGTERM (the
  exit status is returned so that tests can assert 0).
- `HttpResponse`/`request`: a tiny client over http.client, one connection per request;
  `raw_exchange` sends bytes as they are (oversized or malformed requests) and reads the answer.
- `WebSocket`: a minimal RFC 6455 client (handshake with the Sec-WebSocket-Accept check, text
  frames masked from the client, close handshake).
- `RedisServer`, `NginxServer`, `UpstreamEcho`, `ConnectionCounter`: the other processes and
  listeners the tests run, all on 127.0.0.1.
- JWT helpers: base64url, HS256 minting, and a small pure-Python P-256 ECDSA (signing with the
  server's generated key read from its data directory, or with an attacker's key).

The binaries come from the command line: each test file calls `take_arguments(...)` with the names
of the arguments it expects, in order, before `unittest.main()`.
"""

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

# Filled by take_arguments().
SERVER = ""
CLI = ""
REDIS_SERVER = ""
NGINX = ""

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 90.0  # generous: a loaded machine, a first run hashing a password with Argon2
REQUEST_TIMEOUT = 30.0
HS256_SECRET = "jwtfort-http-tests-secret-of-at-least-32-bytes"


def take_arguments(argv, *names):
    """Pops the binaries named in `names` ("server", "cli", "redis", "nginx") from argv[1:]."""
    global SERVER, CLI, REDIS_SERVER, NGINX
    for name in names:
        if len(argv) < 2:
            raise SystemExit("usage: %s %s" % (argv[0], " ".join(n.upper() for n in names)))
        value = argv.pop(1)
        if name == "server":
            SERVER = os.path.abspath(value)
        elif name == "cli":
            CLI = "" if value == "-" else os.path.abspath(value)  # "-": built without the CLI
        elif name == "redis":
            REDIS_SERVER = value
        elif name == "nginx":
            NGINX = value
        else:
            raise ValueError(name)


def free_port():
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def clean_environment(**settings):
    """PATH and the given settings only: jwtfort refuses unknown AUTHJWT_/JWTFORT_ variables, so
    nothing of the caller's environment in those prefixes may leak in."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    for name, value in settings.items():
        if value is not None:
            env[name] = str(value)
    return env


def wait_until(predicate, timeout, interval=0.01):
    """Polls `predicate` until it returns a true value or `timeout` seconds pass; returns the last
    value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --- base64url and JWT ---------------------------------------------------------------------------


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def header_of(token):
    return json.loads(b64u_decode(token.split(".")[0]))


def claims_of(token):
    return json.loads(b64u_decode(token.split(".")[1]))


def compact_json(value):
    return json.dumps(value, separators=(",", ":"))


def hs256_token(header, claims, key):
    """A compact HS256 token. `header` and `claims` are dicts (serialized compactly) or raw
    bytes/str taken as they are, so tests can send JSON no serializer would write."""
    h = header if isinstance(header, (bytes, str)) else compact_json(header)
    c = claims if isinstance(claims, (bytes, str)) else compact_json(claims)
    signing_input = b64u(h) + "." + b64u(c)
    if isinstance(key, str):
        key = key.encode()
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64u(mac)


def signing_input_of(header, claims):
    h = header if isinstance(header, (bytes, str)) else compact_json(header)
    c = claims if isinstance(claims, (bytes, str)) else compact_json(claims)
    return b64u(h) + "." + b64u(c)


# --- P-256 ECDSA in pure Python (tests only: not constant time, no side-channel care) ------------

P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_A = P256_P - 3
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def _jacobian_double(P):
    X, Y, Z = P
    if Y == 0:
        return (0, 1, 0)
    p = P256_P
    YY = Y * Y % p
    S = 4 * X * YY % p
    ZZ = Z * Z % p
    M = 3 * (X - ZZ) * (X + ZZ) % p  # a = -3
    X3 = (M * M - 2 * S) % p
    Y3 = (M * (S - X3) - 8 * YY * YY) % p
    Z3 = 2 * Y * Z % p
    return (X3, Y3, Z3)


def _jacobian_add(P, Q):
    if P[2] == 0:
        return Q
    if Q[2] == 0:
        return P
    p = P256_P
    X1, Y1, Z1 = P
    X2, Y2, Z2 = Q
    Z1Z1 = Z1 * Z1 % p
    Z2Z2 = Z2 * Z2 % p
    U1 = X1 * Z2Z2 % p
    U2 = X2 * Z1Z1 % p
    S1 = Y1 * Z2 * Z2Z2 % p
    S2 = Y2 * Z1 * Z1Z1 % p
    if U1 == U2:
        return _jacobian_double(P) if S1 == S2 else (0, 1, 0)
    H = (U2 - U1) % p
    R = (S2 - S1) % p
    HH = H * H % p
    HHH = H * HH % p
    V = U1 * HH % p
    X3 = (R * R - HHH - 2 * V) % p
    Y3 = (R * (V - X3) - S1 * HHH) % p
    Z3 = H * Z1 * Z2 % p
    return (X3, Y3, Z3)


def p256_multiply(k, point=P256_G):
    R = (0, 1, 0)
    Q = (point[0], point[1], 1)
    while k:
        if k & 1:
            R = _jacobian_add(R, Q)
        Q = _jacobian_double(Q)
        k >>= 1
    if R[2] == 0:
        return None
    zinv = pow(R[2], -1, P256_P)
    return (R[0] * zinv * zinv % P256_P, R[1] * zinv * zinv * zinv % P256_P)


def _int_of_hash(digest):
    z = int.from_bytes(digest, "big")
    excess = len(digest) * 8 - 256
    return z >> excess if excess > 0 else z


def p256_sign(d, message, hash_name="sha256"):
    """(r, s) over `message` (bytes) with the private scalar `d`; the hash defaults to SHA-256."""
    z = _int_of_hash(hashlib.new(hash_name, message).digest())
    while True:
        k = secrets.randbelow(P256_N - 1) + 1
        r = p256_multiply(k)[0] % P256_N
        if r == 0:
            continue
        s = pow(k, -1, P256_N) * (z + r * d) % P256_N
        if s:
            return r, s


def p256_verify(point, message, r, s, hash_name="sha256"):
    if not (0 < r < P256_N and 0 < s < P256_N):
        return False
    z = _int_of_hash(hashlib.new(hash_name, message).digest())
    w = pow(s, -1, P256_N)
    a = p256_multiply(z * w % P256_N)
    b = p256_multiply(r * w % P256_N, point)
    if a is None or b is None:
        return False
    X = _jacobian_add((a[0], a[1], 1), (b[0], b[1], 1))
    if X[2] == 0:
        return False
    zinv = pow(X[2], -1, P256_P)
    return X[0] * zinv * zinv % P256_P % P256_N == r


def p1363(r, s, size=32):
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def der_signature(r, s):
    def integer(v):
        raw = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
        if raw[0] & 0x80:
            raw = b"\x00" + raw
        return b"\x02" + bytes([len(raw)]) + raw
    body = integer(r) + integer(s)
    return b"\x30" + bytes([len(body)]) + body


class EcKey:
    """A P-256 key: `d` (None for a public key) and the point (x, y)."""

    def __init__(self, d=None, point=None, kid=None):
        self.d = d
        self.point = point if point is not None else p256_multiply(d)
        self.kid = kid

    @classmethod
    def generate(cls, kid=None):
        return cls(d=secrets.randbelow(P256_N - 1) + 1, kid=kid)

    @classmethod
    def from_jwk(cls, jwk):
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise ValueError("not a P-256 JWK: %r" % {k: jwk.get(k) for k in ("kty", "crv")})
        x = int.from_bytes(b64u_decode(jwk["x"]), "big")
        y = int.from_bytes(b64u_decode(jwk["y"]), "big")
        d = int.from_bytes(b64u_decode(jwk["d"]), "big") if "d" in jwk else None
        key = cls(d=d, point=(x, y), kid=jwk.get("kid"))
        if d is not None and p256_multiply(d) != (x, y):
            raise ValueError("the private JWK's d does not match x, y")
        return key

    def x_bytes(self):
        return self.point[0].to_bytes(32, "big")

    def y_bytes(self):
        return self.point[1].to_bytes(32, "big")

    def public_jwk(self):
        jwk = {"kty": "EC", "crv": "P-256", "x": b64u(self.x_bytes()), "y": b64u(self.y_bytes())}
        if self.kid:
            jwk["kid"] = self.kid
        return jwk

    def spki_der(self):
        prefix = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
        return prefix + b"\x04" + self.x_bytes() + self.y_bytes()

    def pem(self):
        body = base64.b64encode(self.spki_der()).decode()
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"

    def sign_rs(self, signing_input, hash_name="sha256"):
        return p256_sign(self.d, signing_input.encode() if isinstance(signing_input, str)
                         else signing_input, hash_name)

    def es256_token(self, header, claims, hash_name="sha256", encoding="p1363"):
        """A token signed with this key; `header`/`claims` as in hs256_token. `encoding` picks
        R||S ("p1363") or ASN.1 DER ("der")."""
        signing_input = signing_input_of(header, claims)
        r, s = self.sign_rs(signing_input, hash_name)
        sig = p1363(r, s) if encoding == "p1363" else der_signature(r, s)
        return signing_input + "." + b64u(sig)


# --- HTTP client ---------------------------------------------------------------------------------


class HttpResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) in order
        self.body = body

    def header(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def detail(self):
        try:
            return self.json().get("detail")
        except ValueError:
            return None

    def __repr__(self):
        return "<HTTP %d %r %r>" % (self.status, self.headers, self.body[:300])


def request(port, method, path, headers=None, body=None, json_body=None, timeout=REQUEST_TIMEOUT,
            counter=None):
    """One request on a new connection. `headers` is a dict or a list of (name, value) pairs (a
    list can repeat a name). `json_body` is serialized with Content-Type application/json."""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers = list(headers.items() if isinstance(headers, dict) else headers or [])
        headers.append(("Content-Type", "application/json"))
    pairs = list(headers.items() if isinstance(headers, dict) else headers or [])
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in pairs:
            conn.putheader(name, value)
        if body is not None:
            if isinstance(body, str):
                body = body.encode()
            conn.putheader("Content-Length", str(len(body)))
        elif method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", "0")
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        result = HttpResponse(response.status, response.reason, response.getheaders(), data)
    finally:
        conn.close()
    if counter is not None:
        counter()
    return result


def bearer(token):
    return {"Authorization": "Bearer " + token}


def parse_http_head(data):
    """(status, reason, [(name, value)], rest) of the bytes of a response head."""
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return status, reason, headers, rest


def raw_exchange(port, data, timeout=REQUEST_TIMEOUT, shut_write=False):
    """Sends `data` as it is, from a second thread, while this one reads the answer (a server that
    answers 413/431 before reading everything must not deadlock us). Returns (HttpResponse or None,
    seconds until the answer's head or the end, error text of the sending side or None)."""
    sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
    send_error = []

    def sender():
        try:
            sock.sendall(data)
            if shut_write:
                sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            send_error.append("%s" % e)

    started = time.monotonic()
    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    received = b""
    head_at = None
    try:
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout) as e:
                send_error.append("recv: %s" % e)
                break
            if not chunk:
                break
            received += chunk
            if head_at is None and b"\r\n\r\n" in received:
                head_at = time.monotonic() - started
                status, reason, headers, rest = parse_http_head(received)
                length = None
                for n, v in headers:
                    if n.lower() == "content-length":
                        length = int(v)
                if length is not None:
                    while len(rest) < length:
                        more = sock.recv(65536)
                        if not more:
                            break
                        rest += more
                    break
    finally:
        sock.close()
        thread.join(timeout)
    elapsed = head_at if head_at is not None else time.monotonic() - started
    if b"\r\n\r\n" not in received:
        return None, elapsed, "; ".join(send_error) or "no response"
    status, reason, headers, rest = parse_http_head(received)
    return HttpResponse(status, reason, headers, rest), elapsed, "; ".join(send_error) or None


def parse_challenge(value):
    """`Bearer error="x", realm="y"` -> ("Bearer", {"error": "x", "realm": "y"})."""
    scheme, _, rest = (value or "").partition(" ")
    params = dict(re.findall(r'([A-Za-z_]+)="((?:[^"\\]|\\.)*)"', rest))
    return scheme, params


def parse_set_cookie(value):
    """A Set-Cookie value -> (name, cookie value, {attribute lower-case: value or True})."""
    parts = [p.strip() for p in value.split(";")]
    name, _, cookie_value = parts[0].partition("=")
    attributes = {}
    for part in parts[1:]:
        if not part:
            continue
        key, eq, v = part.partition("=")
        attributes[key.strip().lower()] = v.strip() if eq else True
    return name.strip(), cookie_value.strip(), attributes


# --- jwtfort-server ------------------------------------------------------------------------------

LISTENING = re.compile(r"^jwtfort-server listening on http://127\.0\.0\.1:(\d+)\s*$")
CREATED_DEMO = re.compile(r"^created user 'demo' with password: (\S+)\s*$")


class JwtfortServer:
    """One `jwtfort-server serve` process. `settings` are the AUTHJWT_/JWTFORT_ environment
    variables (None drops one). The data directory is created here unless given (to restart on
    the same one)."""

    def __init__(self, settings=None, data_dir=None, parent=None):
        self.owns_parent = parent is None
        self.parent = parent or tempfile.mkdtemp(prefix="jwtfort-http-")
        self.data_dir = data_dir or os.path.join(self.parent, "data")
        self.settings = dict(settings or {})
        self.process = None
        self.port = None
        self.demo_password = None
        self.stdout_lines = []
        self.stderr_lines = []
        self.requests_answered = 0  # requests of this harness that got an HTTP response
        self._lock = threading.Lock()
        self._stdout_queue = queue.Queue()
        self._threads = []

    # The environment of the server and of its `users` commands.
    def env(self):
        return clean_environment(**self.settings)

    def start(self, timeout=STARTUP_TIMEOUT):
        os.makedirs(self.parent, exist_ok=True)
        self.stdout_lines = []
        self.stderr_lines = []
        self._stdout_queue = queue.Queue()
        self.process = subprocess.Popen(
            [SERVER, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=self.env())
        self._threads = [
            threading.Thread(target=self._read_stdout, args=(self.process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self.process.stderr,), daemon=True)]
        for t in self._threads:
            t.start()
        deadline = time.monotonic() + timeout
        while self.port is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise RuntimeError("jwtfort-server printed no listening line in %.0f s; stdout %r "
                                   "stderr %r" % (timeout, self.stdout_lines, self.stderr_lines))
            try:
                line = self._stdout_queue.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self.process.poll() is not None:
                    self._join_readers()
                    raise RuntimeError("jwtfort-server exited with %d before listening; stdout %r "
                                       "stderr %r" % (self.process.returncode, self.stdout_lines,
                                                      self.stderr_lines))
                continue
            if line is None:
                continue
            m = CREATED_DEMO.match(line)
            if m:
                self.demo_password = m.group(1)
            m = LISTENING.match(line)
            if m:
                self.port = int(m.group(1))
        # Ready means /healthz answers 200.
        while True:
            try:
                r = self.get("/healthz", timeout=5)
                if r.status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("jwtfort-server /healthz never answered 200")
            time.sleep(0.05)

    def _read_stdout(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.stdout_lines.append(line)
            self._stdout_queue.put(line)
        self._stdout_queue.put(None)

    def _read_stderr(self, stream):
        for raw in iter(stream.readline, b""):
            with self._lock:
                self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _join_readers(self):
        for t in self._threads:
            t.join(10)
        for stream in (self.process and self.process.stdout, self.process and
                       self.process.stderr):
            if stream:
                stream.close()

    def wait_for_request_lines(self, others=0, timeout=10):
        """Waits until the log holds a request line for every request of this harness that got
        an answer, and for `others` made another way (a WebSocket upgrade): a line is written
        after its response, and event lines (startup, a closed WebSocket) must not stand in."""
        wait_until(lambda: sum('"path":' in line for line in self.log_lines())
                   >= self.requests_answered + others, timeout)

    def stderr_text(self):
        with self._lock:
            return "\n".join(self.stderr_lines)

    def log_lines(self):
        with self._lock:
            return list(self.stderr_lines)

    def stop(self, timeout=30):
        """SIGTERM; returns the exit status (None when it had to be killed)."""
        if self.process is None:
            return None
        process = self.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            status = None
        self._join_readers()
        self.process = None
        self.port = None
        return status

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self._join_readers()
            self.process = None

    def cleanup(self):
        self.kill()
        if self.owns_parent:
            shutil.rmtree(self.parent, ignore_errors=True)

    def _count(self):
        with self._lock:
            self.requests_answered += 1

    # --- HTTP ---
    def request(self, method, path, headers=None, body=None, json_body=None,
                timeout=REQUEST_TIMEOUT):
        return request(self.port, method, path, headers, body, json_body, timeout, self._count)

    def get(self, path, headers=None, timeout=REQUEST_TIMEOUT):
        return self.request("GET", path, headers, timeout=timeout)

    def post(self, path, json_body=None, headers=None, body=None):
        return self.request("POST", path, headers, body=body, json_body=json_body)

    def login(self, username, password, path="/login", **extra):
        return self.post(path, dict({"username": username, "password": password}, **extra))

    # --- the users command ---
    def users(self, *args, password=None, timeout=120):
        done = subprocess.run([SERVER, "users", *args, "--data-dir", self.data_dir],
                              input=(password + "\n") if password is not None else "",
                              capture_output=True, text=True, timeout=timeout, env=self.env())
        return done.returncode, done.stdout, done.stderr

    def add_user(self, name, password, roles=()):
        args = ["add", name]
        for role in roles:
            args += ["--role", role]
        status, out, err = self.users(*args, password=password)
        if status != 0:
            raise RuntimeError("users add %s failed (%d): %s %s" % (name, status, out, err))
        return out

    def server_key(self):
        """The private signing key the server generated in DATA_DIR/keys.jwks (first key)."""
        with open(os.path.join(self.data_dir, "keys.jwks")) as f:
            ring = json.load(f)
        return EcKey.from_jwk(ring["keys"][0])


def stop_class_server(server):
    """For tearDownClass: stops a server shared by a test class and raises unless it exited 0 on
    SIGTERM."""
    status = server.stop()
    server.cleanup()
    if status != 0:
        raise AssertionError("jwtfort-server exited with %r on SIGTERM" % status)


class ServerTestCase:
    """Mixin for unittest.TestCase: `start_server()` registers a cleanup that stops the server
    with SIGTERM and checks that it exited with status 0; assertions on answers."""

    def assertStatus(self, response, status, msg=None):
        self.assertEqual(response.status, status, msg or response)

    def assertJson(self, response, status, body=None):
        """Status, a JSON Content-Type and, when given, the exact body."""
        self.assertEqual(response.status, status, response)
        self.assertTrue((response.header("Content-Type") or "").startswith("application/json"),
                        response)
        value = response.json()
        if body is not None:
            self.assertEqual(value, body, response)
        return value

    def assertRefused(self, response, status, detail, error="invalid_token"):
        """A refusal: status, {"detail": detail}, and WWW-Authenticate: `Bearer` with the given
        error attribute (error=None: `Bearer` and no error attribute; error=False: no
        WWW-Authenticate at all)."""
        self.assertEqual((response.status, response.detail()), (status, detail), response)
        self.assertEqual(response.json(), {"detail": detail}, response)
        challenge = response.header("WWW-Authenticate")
        if error is False:
            self.assertIsNone(challenge, response)
            return
        self.assertIsNotNone(challenge, response)
        scheme, params = parse_challenge(challenge)
        self.assertEqual(scheme, "Bearer", response)
        if error is None:
            self.assertEqual(challenge, "Bearer", response)
        else:
            self.assertEqual(params.get("error"), error, response)

    def start_server(self, settings=None, users=(), data_dir=None, parent=None):
        server = JwtfortServer(settings, data_dir=data_dir, parent=parent)
        for name, password, roles in users:
            os.makedirs(server.parent, exist_ok=True)
            server.add_user(name, password, roles)
        server.start()
        self.addCleanup(self._stop_server, server)
        return server

    def _stop_server(self, server):
        if server.process is None:
            server.cleanup()
            return
        status = server.stop()
        server.cleanup()
        self.assertEqual(status, 0, "jwtfort-server did not exit 0 on SIGTERM")


def hs256_settings(**more):
    settings = {"AUTHJWT_SECRET_KEY": HS256_SECRET, "AUTHJWT_ALGORITHM": "HS256"}
    settings.update(more)
    return settings


# --- WebSocket -----------------------------------------------------------------------------------

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocket:
    """A minimal RFC 6455 client. `connect()` returns the handshake response; when its status is
    101 the socket is open for `send_text`/`receive`/`close`."""

    def __init__(self, port, target, headers=None, timeout=REQUEST_TIMEOUT):
        self.port = port
        self.target = target
        self.headers = headers or {}
        self.timeout = timeout
        self.sock = None
        self.buffer = b""
        self.key = base64.b64encode(os.urandom(16)).decode()

    def connect(self):
        self.sock = socket.create_connection((LOOPBACK, self.port), timeout=self.timeout)
        lines = ["GET %s HTTP/1.1" % self.target, "Host: 127.0.0.1:%d" % self.port,
                 "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: " + self.key, "Sec-WebSocket-Version: 13"]
        lines += ["%s: %s" % kv for kv in self.headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during the handshake: %r" % self.buffer)
            self.buffer += chunk
        status, reason, headers, rest = parse_http_head(self.buffer)
        response = HttpResponse(status, reason, headers, b"")
        if status == 101:
            self.buffer = rest
        else:
            length = int(response.header("Content-Length", "0"))
            while len(rest) < length:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
            response.body = rest
            self.sock.close()
            self.sock = None
        return response

    def expected_accept(self):
        return base64.b64encode(hashlib.sha1((self.key + WS_GUID).encode()).digest()).decode()

    def _read_exactly(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed in a frame")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _read_frame(self):
        b0, b1 = self._read_exactly(2)
        fin, opcode = bool(b0 & 0x80), b0 & 0x0F
        if b0 & 0x70:
            raise ValueError("reserved bits set by the server: %#x" % b0)
        if b1 & 0x80:
            raise ValueError("the server masked a frame (RFC 6455 §5.1 forbids it)")
        length = b1 & 0x7F
        if length == 126:
            length = int.from_bytes(self._read_exactly(2), "big")
        elif length == 127:
            length = int.from_bytes(self._read_exactly(8), "big")
        return fin, opcode, self._read_exactly(length)

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def receive(self):
        """The next data message as (opcode, payload bytes); answers pings; a close frame comes
        back as (0x8, payload)."""
        message, first_opcode = b"", None
        while True:
            fin, opcode, payload = self._read_frame()
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                return opcode, payload
            if first_opcode is None:
                first_opcode = opcode
            message += payload
            if fin:
                return first_opcode, message

    def receive_text(self):
        opcode, payload = self.receive()
        if opcode != 0x1:
            raise ValueError("expected a text frame, got opcode %d payload %r" % (opcode, payload))
        return payload.decode()

    def close(self, code=1000):
        """Sends a close frame, reads until the server's close frame and the end of the stream;
        returns the server's close code (None when it sent none)."""
        self._send_frame(0x8, code.to_bytes(2, "big"))
        server_code = None
        try:
            while True:
                opcode, payload = self.receive()
                if opcode == 0x8:
                    server_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                    break
            self.sock.settimeout(5)
            while self.sock.recv(65536):
                pass
        finally:
            self.sock.close()
            self.sock = None
        return server_code


# --- redis-server --------------------------------------------------------------------------------


class RedisServer:
    """A redis-server on a free loopback port, in its own directory (as tests/cli)."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process = None

    def url(self, db=0):
        return "redis://127.0.0.1:%d/%d" % (self.port, db)

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None


# --- listeners -----------------------------------------------------------------------------------


class ConnectionCounter:
    """A TCP listener on a free loopback port that counts the connections it accepts (for
    jku/x5u: the server must never connect)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


class UpstreamEcho:
    """An http.server in a thread: answers every request with JSON naming the path and the
    X-Auth-* headers it received, and records each request."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one(self):
                seen = {"method": self.command, "path": self.path,
                        "subject": self.headers.get("X-Auth-Subject"),
                        "roles": self.headers.get("X-Auth-Roles"),
                        "authorization": self.headers.get("Authorization")}
                outer.requests.append(seen)
                body = json.dumps(seen).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = handle_one

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# --- nginx ---------------------------------------------------------------------------------------


class NginxServer:
    """nginx in the foreground with everything (pid, logs, temp paths) in its own directory.

    As root the master hands requests to workers running as an unprivileged user, which must be
    able to traverse the directory: it is made 0755 (it holds no secret). As another user nginx
    runs as that user. `server_body` is the text inside `server { ... }` after `listen`."""

    def __init__(self, server_body):
        self.directory = tempfile.mkdtemp(prefix="jwtfort-nginx-")
        os.chmod(self.directory, 0o755)
        self.port = free_port()
        self.process = None
        d = self.directory
        self.config_path = os.path.join(d, "nginx.conf")
        with open(self.config_path, "w") as f:
            f.write("""worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
events { worker_connections 128; }
http {
  access_log %(d)s/access.log;
  client_body_temp_path %(d)s/client_body;
  proxy_temp_path %(d)s/proxy;
  fastcgi_temp_path %(d)s/fastcgi;
  uwsgi_temp_path %(d)s/uwsgi;
  scgi_temp_path %(d)s/scgi;
  server {
    listen 127.0.0.1:%(port)d;
%(body)s
  }
}
""" % {"d": d, "port": self.port, "body": server_body})

    def start(self):
        self.stderr = open(os.path.join(self.directory, "stderr.log"), "w")
        self.process = subprocess.Popen(
            [NGINX, "-p", self.directory, "-c", self.config_path, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nginx exited with %d: %s" % (self.process.returncode,
                                                                self.logs()))
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen: " + self.logs())

    def logs(self):
        out = []
        for name in ("stderr.log", "error.log"):
            try:
                with open(os.path.join(self.directory, name)) as f:
                    out.append(f.read())
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        if self.process is not None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
            self.stderr.close()
        shutil.rmtree(self.directory, ignore_errors=True)


# --- the jwtfort command -------------------------------------------------------------------------


def cli(*args, input_text=None, timeout=60):
    if not CLI:
        raise unittest.SkipTest("built without the jwtfort command")
    done = subprocess.run([CLI, *args], input=input_text, capture_output=True, text=True,
                          timeout=timeout, env=clean_environment())
    if done.returncode != 0:
        raise RuntimeError("jwtfort %s failed (%d): %s" % (" ".join(args), done.returncode,
                                                           done.stderr))
    return done.stdout


def new_jti():
    return str(uuid.uuid4())

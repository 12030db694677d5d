"""Shared helpers of the end-to-end tests of jwtfort-server (label http). Standard library only.

- `JwtfortServer`: starts `jwtfort-server serve` on a free loopback port with a temporary data
  directory and a clean environment, reads the listening line and the first-run password of the
  user `demo`, waits for /healthz, collects the stderr request log, and stops with SIGTERM (the
  exit status is returned so that tests can assert 0).
- `HttpResponse`/`request`: a tiny client over http.client, one connection per request;
  `raw_exchange` sends bytes as they are (oversized or malformed requests) and reads the answer.
- `WebSocket`: a minimal RFC 6455 client (handshake with the Sec-WebSocket-Accept check, text
  frames masked from the client, close handshake).
- `redis_server`, `NginxServer`, `UpstreamEcho`, `ConnectionCounter`: the other processes and
  listeners the tests run, all on 127.0.0.1.
- JWT helpers: base64url, HS256 minting, and `EcKey`, a P-256 key in a JWK file (the server's
  generated key in its data directory, or an attacker's): the jwtfort command signs the tokens it
  can write, the openssl command any other signing input (an attacker's header, another digest).

The binaries come from the command line: each test file calls `take_arguments(...)` with the names
of the arguments it expects, in order, before `unittest.main()`. Ports, processes and
redis-server come from tests/support/loopback.py, which ctest puts on PYTHONPATH.
"""

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

import loopback
from loopback import LOOPBACK, Process, free_port, wait_until

# Filled by take_arguments().
SERVER = ""
CLI = ""
REDIS_SERVER = ""
NGINX = ""

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


def clean_environment(**settings):
    """PATH and the given settings only: jwtfort refuses unknown AUTHJWT_/JWTFORT_ variables, so
    nothing of the caller's environment in those prefixes may leak in."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    for name, value in settings.items():
        if value is not None:
            env[name] = str(value)
    return env


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


# --- ES256 signing: the jwtfort command and openssl --------------------------------------------

# The order of the P-256 base point: signatures with r or s out of range are built with it.
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# SEC 1 ECPrivateKey for P-256 around d and the point: version 1, d, the curve's OID, the point.
SEC1_HEAD = bytes.fromhex("30770201010420")
SEC1_MIDDLE = bytes.fromhex("a00a06082a8648ce3d030107a144034200")


def p1363(r, s, size=32):
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def rs_of(signature):
    """(r, s) of a base64url R||S signature."""
    raw = b64u_decode(signature)
    half = len(raw) // 2
    return int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")


def der_signature(r, s):
    def integer(v):
        raw = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
        if raw[0] & 0x80:
            raw = b"\x00" + raw
        return b"\x02" + bytes([len(raw)]) + raw
    body = integer(r) + integer(s)
    return b"\x30" + bytes([len(body)]) + body


def rs_of_der(der):
    """(r, s) of an ECDSA-Sig-Value (a SEQUENCE of two INTEGERs; P-256's fits short lengths)."""
    if der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("not a DER ECDSA signature: %s" % der.hex())
    values, i = [], 2
    while i < len(der):
        if der[i] != 0x02:
            raise ValueError("not a DER ECDSA signature: %s" % der.hex())
        length = der[i + 1]
        values.append(int.from_bytes(der[i + 2:i + 2 + length], "big"))
        i += 2 + length
    return tuple(values)


def openssl():
    path = shutil.which("openssl")
    if path is None:
        raise unittest.SkipTest("openssl command not installed")
    return path


class EcKey:
    """A P-256 key: its JWK, and for a private key the JWK file it came from. `token` has the
    jwtfort command sign claims under the header the command writes (alg, kid, typ); `sign_rs` and
    `es256_token` sign any signing input with `openssl dgst`, for the headers and digests the
    command refuses to write."""

    def __init__(self, jwk, path=None):
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise ValueError("not a P-256 JWK: %r" % {k: jwk.get(k) for k in ("kty", "crv")})
        self.jwk = jwk
        self.path = path
        self.kid = jwk.get("kid")
        self.point = (int.from_bytes(self.x_bytes(), "big"), int.from_bytes(self.y_bytes(), "big"))

    @classmethod
    def from_jwk(cls, jwk):
        """The public key of a JWK."""
        return cls({k: v for k, v in jwk.items() if k != "d"})

    @classmethod
    def from_file(cls, path):
        """The private key of a JWK file, or of the first key of a JWK Set file."""
        with open(path) as f:
            value = json.load(f)
        jwk = value["keys"][0] if "keys" in value else value
        if "d" not in jwk:
            raise ValueError("%s holds no private key" % path)
        return cls(jwk, path)

    @classmethod
    def generate(cls, directory, kid):
        """A new private key from `jwtfort keygen`, in `directory`."""
        path = os.path.join(directory, "%s.es256.jwk" % kid)
        cli("keygen", "--alg", "ES256", "--kid", kid, "--out", path)
        return cls.from_file(path)

    def x_bytes(self):
        return b64u_decode(self.jwk["x"])

    def y_bytes(self):
        return b64u_decode(self.jwk["y"])

    def public_jwk(self):
        jwk = {"kty": "EC", "crv": "P-256", "x": self.jwk["x"], "y": self.jwk["y"]}
        if self.kid:
            jwk["kid"] = self.kid
        return jwk

    def spki_der(self):
        prefix = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
        return prefix + b"\x04" + self.x_bytes() + self.y_bytes()

    def pem(self):
        return pem_of("PUBLIC KEY", self.spki_der())

    def token(self, claims, kid=None):
        """`jwtfort sign` with this key: claims (a dict) on stdin; `kid` replaces the key's id
        ("" leaves it out)."""
        args = ["sign", "--key", self.path] + (["--kid", kid] if kid is not None else [])
        return cli(*args, "-", input_text=compact_json(claims)).strip()

    def sign_rs(self, signing_input, hash_name="sha256"):
        """(r, s) over `signing_input` (str or bytes) with `openssl dgst -<hash_name> -sign`."""
        if isinstance(signing_input, str):
            signing_input = signing_input.encode()
        private = SEC1_HEAD + b64u_decode(self.jwk["d"]) + SEC1_MIDDLE + b"\x04" + \
            self.x_bytes() + self.y_bytes()
        with tempfile.NamedTemporaryFile("w", suffix=".pem") as key_file:  # mode 0600
            key_file.write(pem_of("EC PRIVATE KEY", private))
            key_file.flush()
            done = subprocess.run([openssl(), "dgst", "-" + hash_name, "-sign", key_file.name],
                                  input=signing_input, capture_output=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError("openssl dgst failed (%d): %s" % (done.returncode, done.stderr))
        return rs_of_der(done.stdout)

    def es256_token(self, header, claims, hash_name="sha256", encoding="p1363"):
        """A token signed with this key; `header`/`claims` as in hs256_token. `encoding` picks
        R||S ("p1363") or ASN.1 DER ("der")."""
        signing_input = signing_input_of(header, claims)
        r, s = self.sign_rs(signing_input, hash_name)
        sig = p1363(r, s) if encoding == "p1363" else der_signature(r, s)
        return signing_input + "." + b64u(sig)


def pem_of(label, der):
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


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
    variables (None drops one), or with `config_file` the settings file it reads instead. The
    data directory is created here unless given (to restart on the same one)."""

    def __init__(self, settings=None, data_dir=None, parent=None, config_file=None):
        self.owns_parent = parent is None
        self.parent = parent or tempfile.mkdtemp(prefix="jwtfort-http-")
        self.data_dir = data_dir or os.path.join(self.parent, "data")
        self.settings = dict(settings or {})
        self.config_file = config_file
        self.process = None  # a loopback.Process while it runs
        self.output = None  # the Process of the latest start: its lines stay after it stopped
        self.port = None
        self.demo_password = None
        self.requests_answered = 0  # requests of this harness that got an HTTP response
        self._lock = threading.Lock()

    # The environment of the server and of its `users` commands.
    def env(self):
        return clean_environment(**self.settings)

    def start(self, timeout=STARTUP_TIMEOUT):
        os.makedirs(self.parent, exist_ok=True)
        deadline = time.monotonic() + timeout
        config = ["--config", self.config_file] if self.config_file else []
        self.process = self.output = Process(
            [SERVER, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir, *config],
            env=self.env(), name="jwtfort-server")
        try:
            self.port = int(self.process.wait_for_line(LISTENING, timeout).group(1))
        except RuntimeError:
            self.kill()
            raise
        for line in self.stdout_lines:
            m = CREATED_DEMO.match(line)
            if m:
                self.demo_password = m.group(1)
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

    @property
    def stdout_lines(self):
        return self.output.stdout_lines if self.output else []

    @property
    def stderr_lines(self):
        return self.output.stderr_lines if self.output else []

    def wait_for_request_lines(self, others=0, timeout=10):
        """Waits until the log holds a request line for every request of this harness that got
        an answer, and for `others` made another way (a WebSocket upgrade): a line is written
        after its response, and event lines (startup, a closed WebSocket) must not stand in."""
        wait_until(lambda: sum('"path":' in line for line in self.log_lines())
                   >= self.requests_answered + others, timeout)

    def stderr_text(self):
        return self.output.stderr_text() if self.output else ""

    def log_lines(self):
        return self.output.stderr_snapshot() if self.output else []

    def stop(self, timeout=30):
        """SIGTERM; returns the exit status (None when it had to be killed)."""
        if self.process is None:
            return None
        status = self.process.stop(timeout)
        self.process = None
        self.port = None
        return status

    def kill(self):
        if self.process is not None:
            self.process.kill()
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
        """The private signing key the server generated in DATA_DIR/keys.jwks (its only key)."""
        return EcKey.from_file(os.path.join(self.data_dir, "keys.jwks"))


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


def redis_server(directory):
    """The redis-server of the command line on a free loopback port, keeping an append-only file
    in `directory` (so a restart finds its data); `start()` it."""
    return loopback.RedisServer(REDIS_SERVER, directory)


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
                        "scopes": self.headers.get("X-Auth-Scopes"),
                        "issuer": self.headers.get("X-Auth-Issuer"),
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


# What an auth_request subrequest can tell /auth/verify about the original request, by header.
NGINX_REQUEST_HEADERS = {
    "X-Forwarded-Method": "$request_method",
    "X-Original-Method": "$request_method",
    "X-Original-URI": "$request_uri",
}


def nginx_verify_location(name, verify_url, sends):
    """nginx's internal location `name` for auth_request: asks jwtfort-server's `verify_url`
    (/auth/verify, with its query) about the request, without the request's body, with the
    headers `sends` names (keys of NGINX_REQUEST_HEADERS)."""
    lines = ["    location = %s {" % name,
             "      internal;",
             "      proxy_pass %s;" % verify_url,
             "      proxy_pass_request_body off;",
             '      proxy_set_header Content-Length "";']
    lines += ["      proxy_set_header %s %s;" % (h, NGINX_REQUEST_HEADERS[h]) for h in sends]
    return "\n".join(lines + ["    }", ""])


def nginx_guarded_location(prefix, verify_location, upstream, passes=("subject",), extra=()):
    """nginx's location `prefix`, proxied to `upstream` for the requests `verify_location`
    admits; each of jwtfort-server's answer headers X-Auth-<name> for a name in `passes` is
    passed on to the upstream; `extra` directives come before proxy_pass."""
    lines = ["    location %s {" % prefix, "      auth_request %s;" % verify_location]
    lines += ["      auth_request_set $auth_%s $upstream_http_x_auth_%s;" % (n, n) for n in passes]
    lines += ["      proxy_set_header X-Auth-%s $auth_%s;" % (n.capitalize(), n) for n in passes]
    lines += ["      " + directive for directive in extra]
    return "\n".join(lines + ["      proxy_pass %s;" % upstream, "    }", ""])


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
        self.process = Process(
            [NGINX, "-p", self.directory, "-c", self.config_path, "-g", "daemon off;"],
            name="nginx")
        try:
            self.process.wait_for_port(self.port, STARTUP_TIMEOUT)
        except RuntimeError as e:
            raise RuntimeError("%s\n%s" % (e, self.logs())) from None
        return self

    def logs(self):
        out = [self.process.stderr_text()] if self.process else []
        try:
            with open(os.path.join(self.directory, "error.log")) as f:
                out.append(f.read())
        except OSError:
            pass
        return "\n".join(out)

    def stop(self):
        if self.process is not None:
            self.process.stop(15, signal.SIGQUIT)  # graceful
            self.process = None
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

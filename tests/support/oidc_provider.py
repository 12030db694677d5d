"""A real OpenID Connect provider on loopback for the tests: the certified `oidc-provider` npm
package, run by tests/oidc/provider.mjs, and the clients that get tokens from it over its real
endpoints.

- `OidcProvider`: one provider process on a free 127.0.0.1 port, over HTTP or HTTPS, with a
  confidential client_credentials client per signing algorithm (RS256, ES256) and a public
  authorization code + PKCE client; its access tokens are RFC 9068 JWTs (`typ` `at+jwt`) for one
  resource indicator (their `aud`), with the custom claims (roles) the tests give. `start`,
  `stop`, `restart` (same port, same keys), `rotate_keys` (a new JWKS file and SIGHUP: the port
  stays open), `requests` (every request it answered, to count what reached it).
- `client_credentials_token` / `authorization_code_token`: a token from the token endpoint; the
  second drives the provider's sign-in and consent pages like a browser (cookies, redirects),
  with PKCE S256.
- `generate_jwks`, `sign_token`: signing keys for a provider, and tokens signed with them by hand
  (expired, odd headers), by the same Node.js script.
- `TestCertificateAuthority`: a throwaway CA and a server certificate for 127.0.0.1, made with
  `openssl` at test time.

Standard library only, like loopback.py, so that tests/http (ctest), tests/python (pytest) and
bench all use it. Node.js and npm must be installed; the package is installed from
tests/oidc/package-lock.json with `npm ci` on first use.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from http.cookiejar import CookieJar
from typing import Any

from loopback import LOOPBACK, Process, free_port, wait_until

OIDC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "oidc")
PROVIDER_SCRIPT = os.path.join(OIDC_DIR, "provider.mjs")
STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0

RESOURCE = "https://api.jwtfort.test"
SCOPE = "read write admin"
CLIENT_SECRET = "jwtfort-test-client-secret-of-some-length"
# The clients every provider has: one client_credentials client per signing algorithm, and the
# public authorization code + PKCE client (its access tokens are signed with RS256).
RS256_CLIENT = "service-rs256"
ES256_CLIENT = "service-es256"
PUBLIC_CLIENT = "spa"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never contacted: the code is read off the redirect


class OidcError(RuntimeError):
    """The provider refused a request: `status` and its JSON `body` (error, error_description)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"provider answered {status}: {body!r}")
        self.status = status
        self.body = body


# --- Node.js and the package ------------------------------------------------------------------


def node() -> str:
    path = shutil.which("node")
    if path is None:
        raise FileNotFoundError("node (Node.js) is not installed")
    return path


def install_package() -> None:
    """`npm ci` in tests/oidc unless node_modules already holds what package-lock.json names; a
    file lock keeps parallel tests from installing at once."""
    lock_path = os.path.join(OIDC_DIR, "package-lock.json")
    installed = os.path.join(OIDC_DIR, "node_modules", ".package-lock.json")
    with open(os.path.join(OIDC_DIR, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _same_lock(lock_path, installed):
            return  # npm is needed only to install (a copied tree may hold node_modules)
        npm = shutil.which("npm")
        if npm is None:
            raise FileNotFoundError("npm is not installed")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OIDC_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm ci failed ({done.returncode}): {done.stdout} {done.stderr}")


def _same_lock(lock_path: str, installed: str) -> bool:
    """True when npm's record of node_modules lists the same packages as package-lock.json."""
    try:
        with open(lock_path) as f:
            wanted = json.load(f)["packages"]
        with open(installed) as f:
            present = json.load(f)["packages"]
    except (OSError, ValueError, KeyError):
        return False
    wanted = {name: spec.get("version") for name, spec in wanted.items() if name}
    present = {name: spec.get("version") for name, spec in present.items() if name}
    return bool(wanted == present)


def _run_script(*args: str, input_text: str | None = None) -> str:
    install_package()
    done = subprocess.run(
        [node(), PROVIDER_SCRIPT, *args],
        input=input_text or "",
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"provider.mjs {args[0]} failed ({done.returncode}): {done.stderr}")
    return done.stdout.strip()


def generate_key(alg: str, kid: str) -> dict[str, Any]:
    """A new private JWK: RS256 (RSA 2048) or ES256 (P-256), with `kid`, `alg` and `use`."""
    key: dict[str, Any] = json.loads(_run_script("keygen", alg, kid))
    return key


def generate_jwks(path: str, keys: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Writes a private JWK Set of new keys, one per (alg, kid), to `path`; returns it."""
    jwks = {"keys": [generate_key(alg, kid) for alg, kid in keys]}
    write_json(path, jwks)
    return jwks


def public_jwks(jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The JWK Set without the private members."""
    private = {"d", "p", "q", "dp", "dq", "qi"}
    return {"keys": [{k: v for k, v in key.items() if k not in private} for key in jwks["keys"]]}


def sign_token(
    jwks_path: str, kid: str, header: Mapping[str, Any], claims: Mapping[str, Any]
) -> str:
    """A compact JWS over `header` and `claims`, signed by the key `kid` of the JWKS file with
    SHA-256 (RSASSA-PKCS1-v1_5 or ECDSA P-256, by the key's type): any header the tests want."""
    body = json.dumps({"header": dict(header), "claims": dict(claims)})
    return _run_script("sign", jwks_path, kid, input_text=body)


def public_pem(jwks_path: str, kid: str) -> str:
    """The public key `kid` of a JWKS file as a PEM SubjectPublicKeyInfo."""
    return _run_script("public-pem", jwks_path, kid) + "\n"


def write_json(path: str, value: Any) -> None:
    """Writes JSON so that a reader never sees half a file (the provider reloads on SIGHUP)."""
    partial = path + ".partial"
    with open(partial, "w") as f:
        json.dump(value, f)
    os.replace(partial, path)


# --- a test CA ----------------------------------------------------------------------------------


class TestCertificateAuthority:
    """A CA and a server certificate for 127.0.0.1 and localhost signed by it, as PEM files in
    `directory`: `ca_file`, `cert_file`, `key_file`. Made with the openssl command; valid for a
    day."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: str) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise FileNotFoundError("openssl is not installed")
        os.makedirs(directory, exist_ok=True)
        self.ca_file = os.path.join(directory, "ca.pem")
        self.cert_file = os.path.join(directory, "server.pem")
        self.key_file = os.path.join(directory, "server.key")
        ca_key = os.path.join(directory, "ca.key")
        request = os.path.join(directory, "server.csr")
        extensions = os.path.join(directory, "server.ext")
        with open(extensions, "w") as f:
            f.write(
                "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
                # RFC 5280 §4.2.1.1: what strict verifiers (Python 3.13's default) require.
                "authorityKeyIdentifier=keyid,issuer\nsubjectKeyIdentifier=hash\n"
            )
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        days = ["-days", "1"]
        ca_files = ["-keyout", ca_key, "-out", self.ca_file]
        ca_usage = ["-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        self._openssl(
            openssl, "req", "-x509", *ec, *days, "-subj", "/CN=test CA", *ca_usage, *ca_files
        )
        server_files = ["-keyout", self.key_file, "-out", request]
        self._openssl(openssl, "req", "-new", *ec, "-subj", "/CN=127.0.0.1", *server_files)
        by_ca = ["-CA", self.ca_file, "-CAkey", ca_key, "-CAcreateserial", "-extfile", extensions]
        self._openssl(
            openssl, "x509", "-req", "-in", request, *by_ca, *days, "-out", self.cert_file
        )

    @staticmethod
    def _openssl(openssl: str, *args: str) -> None:
        done = subprocess.run([openssl, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"openssl {args[0]} failed ({done.returncode}): {done.stderr}")


# --- the provider -------------------------------------------------------------------------------


class OidcProvider:
    """One provider process. `directory` holds its configuration and keys. `jwks_keys` are the
    (alg, kid) of the signing keys generated for it (default: one RS256 and one ES256 key);
    `claims` are added to the client_credentials tokens of every client (e.g. {"roles": [...]}),
    `accounts` maps an end user to the claims added to their tokens. `issuer` lets a second
    instance claim another's issuer; `tls` (a TestCertificateAuthority) serves HTTPS."""

    def __init__(
        self,
        directory: str,
        *,
        resource: str = RESOURCE,
        scope: str = SCOPE,
        claims: Mapping[str, Any] | None = None,
        accounts: Mapping[str, Mapping[str, Any]] | None = None,
        jwks_keys: Sequence[tuple[str, str]] = (("RS256", "rs-1"), ("ES256", "es-1")),
        tls: TestCertificateAuthority | None = None,
        issuer: str | None = None,
        ttl: int = 600,
    ) -> None:
        install_package()
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.port = free_port()
        self.tls = tls
        scheme = "https" if tls else "http"
        self.base_url = f"{scheme}://{LOOPBACK}:{self.port}"
        self.issuer = issuer or self.base_url
        self.resource = resource
        self.jwks_path = os.path.join(directory, "jwks.json")
        self.jwks = generate_jwks(self.jwks_path, jwks_keys)
        self.config_path = os.path.join(directory, "provider.json")
        self.request_log = os.path.join(directory, "requests.jsonl")
        client_claims = dict(claims or {})
        self.config: dict[str, Any] = {
            "issuer": self.issuer,
            "port": self.port,
            "jwks": self.jwks_path,
            "request_log": self.request_log,
            "resource": resource,
            "scope": scope,
            "ttl": ttl,
            "clients": [
                {
                    "client_id": RS256_CLIENT,
                    "client_secret": CLIENT_SECRET,
                    "alg": "RS256",
                    "claims": client_claims,
                },
                {
                    "client_id": ES256_CLIENT,
                    "client_secret": CLIENT_SECRET,
                    "alg": "ES256",
                    "claims": client_claims,
                },
                {"client_id": PUBLIC_CLIENT, "alg": "RS256", "redirect_uri": REDIRECT_URI},
            ],
            "accounts": {sub: dict(c) for sub, c in (accounts or {}).items()},
        }
        if tls:
            self.config["tls"] = {"cert": tls.cert_file, "key": tls.key_file}
        write_json(self.config_path, self.config)
        self._ssl = ssl.create_default_context(cafile=tls.ca_file) if tls else None
        self._process: Process | None = None

    # --- process ---
    def start(self) -> OidcProvider:
        """Starts it (again on the same port, with the current keys) and waits until it listens."""
        self._process = Process(
            [node(), PROVIDER_SCRIPT, "serve", self.config_path], cwd=OIDC_DIR, name="oidc-provider"
        )
        try:
            self._process.wait_for_line(r"^listening ", STARTUP_TIMEOUT)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """SIGTERM, and waits until it exited."""
        if self._process is not None:
            self._process.stop(timeout=10)
            self._process = None

    def restart(self) -> OidcProvider:
        self.stop()
        return self.start()

    def running(self) -> bool:
        return self._process is not None and self._process.running()

    def output(self) -> str:
        return self._process.output() if self._process else ""

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- keys ---
    def rotate_keys(self, keys: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """New signing keys, one per (alg, kid), replacing all the old ones: the JWKS file is
        rewritten and, while it runs, the provider reloads it on SIGHUP without closing its
        port. Returns the new private JWK Set."""
        self.jwks = generate_jwks(self.jwks_path, keys)
        if self._process is not None and self._process.running():
            seen = self._process.stdout_lines.count("reloaded")
            self._process.process.send_signal(signal.SIGHUP)
            self._wait_reloaded(seen + 1)
        return self.jwks

    def _wait_reloaded(self, count: int) -> None:
        assert self._process is not None
        process = self._process
        if not wait_until(lambda: process.stdout_lines.count("reloaded") >= count, 30.0):
            raise RuntimeError(f"oidc-provider did not reload its keys; {process.output()}")

    def kid_of(self, alg: str) -> str:
        """The kid of its (first) current key for `alg`."""
        return str(next(key["kid"] for key in self.jwks["keys"] if key["alg"] == alg))

    def sign(
        self,
        header: Mapping[str, Any],
        claims: Mapping[str, Any],
        alg: str = "RS256",
        kid: str | None = None,
    ) -> str:
        """A token signed by hand with its current key for `alg` (or the key `kid`); `header`
        is sent as given, so it must name alg (and kid) itself."""
        return sign_token(self.jwks_path, kid or self.kid_of(alg), header, claims)

    # --- what reached it ---
    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """Every request it answered since it was made ({method, path, status}), over all its
        runs, in order; with `path`, those to that path. A request is listed before its response
        is sent."""
        try:
            with open(self.request_log) as f:
                every = [json.loads(line) for line in f if line.endswith("\n")]
        except FileNotFoundError:
            return []
        return [r for r in every if path is None or r["path"] == path]

    # --- endpoints ---
    def url(self, path: str) -> str:
        return self.base_url + path

    def get_json(self, url: str) -> Any:
        """GET a JSON document of the provider (discovery, JWKS)."""
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT, context=self._ssl) as r:
            return json.load(r)

    def discovery(self) -> dict[str, Any]:
        document: dict[str, Any] = self.get_json(self.url("/.well-known/openid-configuration"))
        return document

    def token_endpoint(self) -> str:
        return str(self.discovery()["token_endpoint"])

    def client_credentials_token(
        self,
        client_id: str = RS256_CLIENT,
        scope: str | None = "read",
        resource: str | None = None,
        secret: str = CLIENT_SECRET,
    ) -> str:
        """An access token from the token endpoint (grant client_credentials, client_secret_basic
        authentication), for `resource` (default: the provider's) with `scope`."""
        form = {"grant_type": "client_credentials", "resource": resource or self.resource}
        if scope is not None:
            form["scope"] = scope
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        answer = self._post_form(self.token_endpoint(), form, {"Authorization": "Basic " + basic})
        return str(answer["access_token"])

    def authorization_code_token(
        self, account: str = "alice", scope: str = "openid read", resource: str | None = None
    ) -> dict[str, Any]:
        """Signs `account` in through the provider's own pages (sign-in, then consent) as a
        browser would, takes the code off the redirect to the public client's redirect_uri and
        exchanges it with its PKCE verifier. Returns the token response (access_token, id_token,
        scope...)."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        state = secrets.token_urlsafe(16)
        query = urllib.parse.urlencode(
            {
                "client_id": PUBLIC_CLIENT,
                "response_type": "code",
                "redirect_uri": REDIRECT_URI,
                "scope": scope,
                "state": state,
                "resource": resource or self.resource,
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            }
        )
        browser = _Browser(self._ssl)
        page = browser.open(str(self.discovery()["authorization_endpoint"]) + "?" + query)
        page = browser.open(page, {"prompt": "login", "login": account, "password": "any"})
        redirect = browser.open(page, {"prompt": "consent"})
        answer = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)
        if answer.get("state") != [state] or "code" not in answer:
            raise OidcError(302, answer)
        form = {
            "grant_type": "authorization_code",
            "code": answer["code"][0],
            "redirect_uri": REDIRECT_URI,
            "client_id": PUBLIC_CLIENT,
            "code_verifier": verifier,
        }
        result: dict[str, Any] = self._post_form(self.token_endpoint(), form, {})
        return result

    def _post_form(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> Any:
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(url, data=data, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT, context=self._ssl) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise OidcError(e.code, _json_or_text(e.read())) from None


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


class _StopAtClient(urllib.request.HTTPRedirectHandler):
    """Follows the provider's redirects but not the one to the client's redirect_uri: that one is
    the answer (nothing listens there)."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if newurl.startswith(REDIRECT_URI):
            raise _ReachedClient(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _ReachedClient(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class _Browser:
    """Cookies and redirects, as much of a browser as the provider's pages need."""

    def __init__(self, context: ssl.SSLContext | None) -> None:
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPCookieProcessor(CookieJar()),
            _StopAtClient(),
        ]
        if context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def open(self, url: str, form: Mapping[str, str] | None = None) -> str:
        """GET `url` (POST `form` to it) and follow redirects; returns the URL of the page it
        ended on, or the redirect to the client."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self._opener.open(url, data=data, timeout=REQUEST_TIMEOUT) as r:
                r.read()
                return str(r.geturl())
        except _ReachedClient as reached:
            return reached.url
        except urllib.error.HTTPError as e:
            raise OidcError(e.code, _json_or_text(e.read())) from None

#!/usr/bin/env python3
"""jwtfort-server accepting the access tokens of a real OpenID Connect provider (the certified
oidc-provider package, run by tests/support/oidc_provider.py on loopback): tokens from its real
token endpoint (client_credentials, authorization code + PKCE) reach the protected routes and
/auth/verify directly and through nginx auth_request, with the provider's roles and scopes
mapped into the X-Auth-* headers; the attack catalogue with the provider's own keys is refused
with exact outcomes; key rotation, a provider that stops, one that is down when the server
starts, several issuers from a settings file, and HTTPS to the provider with a test CA.

Arguments: the jwtfort-server binary, the jwtfort binary, the redis-server binary, nginx.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import oidc_provider as op  # noqa: E402
import server_support as ss  # noqa: E402
from loopback import wait_until  # noqa: E402

ROLES = ["admin", "auditor"]
READY_TIMEOUT = 60.0  # discovery retries back off from 1 s: a provider that starts late is seen
SETTLE = 1.5  # seconds in which a fetch the server should not make would have reached a provider


def oidc_settings(provider, **extra):
    """A server trusting `provider` for RFC 9068 access tokens signed with RS256 or ES256."""
    settings = {
        "JWTFORT_OIDC_ISSUER": provider.issuer,
        "JWTFORT_OIDC_AUDIENCE": op.RESOURCE,
        "JWTFORT_OIDC_ALGORITHMS": "RS256,ES256",
        "JWTFORT_OIDC_REQUIRE_AT_JWT": "true",
    }
    settings.update(extra)
    return settings


def metric(server, name, **labels):
    """The value of one series of /metrics, or None when it is not there."""
    wanted = name + ("{" + ",".join('%s="%s"' % kv for kv in labels.items()) + "}"
                     if labels else "")
    for line in server.get("/metrics").body.decode().splitlines():
        series, _, value = line.rpartition(" ")
        if series == wanted:
            return float(value)
    return None


def wait_ready(server, issuer, timeout=READY_TIMEOUT):
    if not wait_until(lambda: metric(server, "jwtfort_oidc_issuer_ready", issuer=issuer) == 1,
                      timeout, interval=0.1):
        raise AssertionError("%s never got the keys of %s; %s" % (
            server.port, issuer, "\n".join(server.log_lines()[-20:])))


def outcome_counts(server):
    """jwtfort_auth_outcomes_total by outcome: counted before a response is sent, so unlike the
    log lines (written after it, from any of the server's threads) they are in order."""
    counts = {}
    prefix = 'jwtfort_auth_outcomes_total{outcome="'
    for line in server.get("/metrics").body.decode().splitlines():
        if line.startswith(prefix):
            series, _, value = line.rpartition(" ")
            counts[series[len(prefix):-2]] = int(value)
    return counts


def events(server, name):
    found = []
    for line in server.log_lines():
        if line.startswith("{") and '"event":' in line:
            entry = json.loads(line)
            if entry.get("event") == name:
                found.append(entry)
    return found


def now():
    return int(time.time())


def access_claims(provider, **changes):
    """RFC 9068 claims as the provider writes them, for hand-signed tokens."""
    claims = {"iss": provider.issuer, "aud": op.RESOURCE, "sub": "forger", "client_id": "forger",
              "iat": now() - 5, "exp": now() + 300, "jti": ss.new_jti(), "scope": "read"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


class ProviderTestCase(ss.ServerTestCase, unittest.TestCase):
    """Providers and servers made by a test are stopped at its end."""

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="jwtfort-oidc-")
        self.addCleanup(shutil.rmtree, self.directory, True)

    def provider(self, name, **options):
        provider = op.OidcProvider(os.path.join(self.directory, name), **options)
        self.addCleanup(provider.stop)
        return provider

    def server(self, settings=None, config_file=None):
        server = ss.JwtfortServer(settings, config_file=config_file)
        self.addCleanup(server.cleanup)
        return server.start()

    def decided(self, server, path, token, outcome):
        """GET `path` with `token`, which must be decided with `outcome` (ok or an errc wire
        name); returns the response."""
        before = outcome_counts(server)
        r = server.get(path, ss.bearer(token))
        after = outcome_counts(server)
        changed = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        self.assertEqual(changed, {outcome: 1}, r)
        return r


class TrustedProviderTest(ProviderTestCase):
    """One provider, one server trusting it (next to its own tokens), nginx in front of it, and
    two providers it does not trust: an instance with an issuer of its own, and an impostor that
    claims the trusted provider's issuer with keys of its own (and the same kids)."""

    @classmethod
    def setUpClass(cls):
        cls.directory_ = tempfile.mkdtemp(prefix="jwtfort-oidc-")
        cls.upstream = ss.UpstreamEcho()
        cls.started = []
        try:
            cls.trusted = cls.start_provider("trusted", claims={"roles": ROLES},
                                             accounts={"alice": {"roles": ["reader"]}})
            cls.other = cls.start_provider("other", claims={"roles": ROLES})
            cls.impostor = cls.start_provider("impostor", issuer=cls.trusted.issuer,
                                              claims={"roles": ROLES})
            cls.jwtfort = ss.JwtfortServer(oidc_settings(cls.trusted))
            cls.started.append(cls.jwtfort)
            cls.jwtfort.start()
            wait_ready(cls.jwtfort, cls.trusted.issuer)
            cls.nginx = ss.NginxServer(cls.nginx_config()).start()
            cls.started.append(cls.nginx)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start_provider(cls, name, **options):
        provider = op.OidcProvider(os.path.join(cls.directory_, name), **options)
        cls.started.append(provider)
        return provider.start()

    @classmethod
    def nginx_config(cls):
        auth = "http://127.0.0.1:%d/auth/verify" % cls.jwtfort.port
        upstream = "http://127.0.0.1:%d" % cls.upstream.port
        sends = ("X-Original-Method",)
        return (ss.nginx_guarded_location("/api/", "/_auth", upstream,
                                          ("subject", "roles", "scopes", "issuer"),
                                          extra=('proxy_set_header Authorization "";',))
                + ss.nginx_guarded_location("/write-api/", "/_auth_write", upstream)
                + ss.nginx_verify_location("/_auth", auth, sends)
                + ss.nginx_verify_location("/_auth_write", auth + "?scopes=write", sends))

    @classmethod
    def tearDownClass(cls):
        for started in reversed(cls.started):
            if isinstance(started, ss.JwtfortServer):
                ss.stop_class_server(started)
            else:
                started.stop()
        cls.upstream.close()
        shutil.rmtree(cls.directory_, ignore_errors=True)

    def providers(self):
        return (self.trusted, self.other, self.impostor)

    def request_counts(self):
        return [len(p.requests()) for p in self.providers()]

    # --- accepted ---

    def test_client_credentials_tokens_of_both_algorithms(self):
        for client, alg in ((op.RS256_CLIENT, "RS256"), (op.ES256_CLIENT, "ES256")):
            with self.subTest(alg=alg):
                token = self.trusted.client_credentials_token(client, scope="read write")
                self.assertEqual(ss.header_of(token)["alg"], alg)
                self.assertJson(self.decided(self.jwtfort, "/protected", token, "ok"), 200,
                                {"user": client})
                me = self.assertJson(self.jwtfort.get("/me", ss.bearer(token)), 200)
                self.assertEqual((me["subject"], me["roles"]), (client, ROLES))
                r = self.jwtfort.get("/auth/verify", ss.bearer(token))
                self.assertStatus(r, 200)
                self.assertEqual(r.header("X-Auth-Subject"), client)
                self.assertEqual(r.header("X-Auth-Roles"), "admin,auditor")
                self.assertEqual(r.header("X-Auth-Scopes"), "read,write")
                self.assertEqual(r.header("X-Auth-Issuer"), self.trusted.issuer)
                self.assertEqual(r.header("X-Auth-Jti"), ss.claims_of(token)["jti"])

    def test_a_signed_in_user_through_authorization_code_and_pkce(self):
        answer = self.trusted.authorization_code_token("alice", scope="openid read")
        token = answer["access_token"]
        r = self.jwtfort.get("/auth/verify", ss.bearer(token))
        self.assertStatus(r, 200)
        self.assertEqual((r.header("X-Auth-Subject"), r.header("X-Auth-Roles"),
                          r.header("X-Auth-Scopes")), ("alice", "reader", "read"))
        # Roles work as for the server's own tokens: /admin wants "admin".
        self.assertRefused(self.decided(self.jwtfort, "/admin", token, "insufficient_scope"), 403,
                           "Missing required role", error="insufficient_scope")
        service = self.trusted.client_credentials_token()
        self.assertJson(self.jwtfort.get("/admin", ss.bearer(service)), 200,
                        {"admin": True, "user": op.RS256_CLIENT})
        # The ID token the client got next to it is no access token.
        id_token = answer["id_token"]
        self.assertRefused(self.decided(self.jwtfort, "/protected", id_token, "invalid_type"), 401,
                           "Invalid token")

    def test_role_and_scope_requirements_of_verify(self):
        reader = self.trusted.client_credentials_token(scope="read")
        writer = self.trusted.client_credentials_token(scope="read write")
        self.assertStatus(self.jwtfort.get("/auth/verify?roles=admin", ss.bearer(reader)), 200)
        self.assertStatus(self.jwtfort.get("/auth/verify?scopes=write", ss.bearer(writer)), 200)
        r = self.jwtfort.get("/auth/verify?scopes=write", ss.bearer(reader))
        self.assertRefused(r, 403, "Insufficient scope", error="insufficient_scope")
        r = self.jwtfort.get("/auth/verify?roles=owner", ss.bearer(writer))
        self.assertRefused(r, 403, "Missing required role", error="insufficient_scope")

    def test_the_servers_own_tokens_are_still_accepted(self):
        login = self.assertJson(self.jwtfort.login("demo", self.jwtfort.demo_password), 200)
        r = self.jwtfort.get("/auth/verify", ss.bearer(login["access_token"]))
        self.assertStatus(r, 200)
        self.assertEqual((r.header("X-Auth-Subject"), r.header("X-Auth-Issuer")), ("demo", ""))

    def test_through_nginx_auth_request(self):
        token = self.trusted.client_credentials_token(op.ES256_CLIENT, scope="read")
        r = ss.request(self.nginx.port, "GET", "/api/orders", ss.bearer(token))
        self.assertStatus(r, 200)
        seen = r.json()
        self.assertEqual((seen["path"], seen["subject"], seen["roles"], seen["scopes"],
                          seen["issuer"], seen["authorization"]),
                         ("/api/orders", op.ES256_CLIENT, "admin,auditor", "read",
                          self.trusted.issuer, None))
        upstream_seen = len(self.upstream.requests)
        self.assertStatus(ss.request(self.nginx.port, "GET", "/write-api/x", ss.bearer(token)),
                          403)
        writer = self.trusted.client_credentials_token(op.ES256_CLIENT, scope="read write")
        self.assertStatus(ss.request(self.nginx.port, "GET", "/write-api/x", ss.bearer(writer)),
                          200)
        foreign = self.other.client_credentials_token()
        self.assertStatus(ss.request(self.nginx.port, "GET", "/api/orders", ss.bearer(foreign)),
                          401)
        self.assertEqual(len(self.upstream.requests), upstream_seen + 1,
                         "the upstream saw a refused request")

    def test_metrics_count_outcomes_and_fetches_per_issuer(self):
        issuer = self.trusted.issuer
        before = metric(self.jwtfort, "jwtfort_oidc_tokens_total", issuer=issuer,
                        result="accepted") or 0
        token = self.trusted.client_credentials_token()
        self.assertStatus(self.jwtfort.get("/protected", ss.bearer(token)), 200)
        forged = self.trusted.sign({"alg": "RS256", "typ": "at+jwt", "kid": "rs-1"},
                                   access_claims(self.trusted, aud="https://elsewhere.test"))
        rejected = metric(self.jwtfort, "jwtfort_oidc_tokens_total", issuer=issuer,
                          result="rejected") or 0
        self.assertStatus(self.jwtfort.get("/protected", ss.bearer(forged)), 401)
        self.assertEqual(metric(self.jwtfort, "jwtfort_oidc_tokens_total", issuer=issuer,
                                result="accepted"), before + 1)
        self.assertEqual(metric(self.jwtfort, "jwtfort_oidc_tokens_total", issuer=issuer,
                                result="rejected"), rejected + 1)
        # Discovery and the JWKS at least; every one of them reached the provider.
        fetches = metric(self.jwtfort, "jwtfort_oidc_fetches_total", issuer=issuer)
        self.assertGreaterEqual(fetches, 2)
        self.assertEqual(metric(self.jwtfort, "jwtfort_oidc_fetch_failures_total",
                                issuer=issuer), 0)
        self.assertEqual(metric(self.jwtfort, "jwtfort_oidc_issuer_ready", issuer=issuer), 1)

    # --- the attack catalogue ---

    def attack(self, token, outcome, detail="Invalid token"):
        """`token` is refused with 401, `detail` and the outcome `outcome`, directly and through
        nginx; from the first attack of a test to its end no request reaches any provider."""
        if not getattr(self, "_watching_providers", False):
            self._watching_providers = True
            self.addCleanup(self.assert_no_provider_contacted, self.request_counts())
        self.assertRefused(self.decided(self.jwtfort, "/protected", token, outcome), 401, detail)
        r = self.jwtfort.get("/auth/verify", ss.bearer(token))
        self.assertRefused(r, 401, detail)
        self.assertIsNone(r.header("X-Auth-Subject"))
        self.assertStatus(ss.request(self.nginx.port, "GET", "/api/x", ss.bearer(token)), 401)

    def assert_no_provider_contacted(self, before):
        time.sleep(SETTLE)  # a fetch it should not make would reach a provider in this time
        self._watching_providers = False
        self.assertEqual(self.request_counts(), before, "a provider was contacted")

    def header(self, **changes):
        h = {"alg": "RS256", "typ": "at+jwt", "kid": "rs-1"}
        h.update(changes)
        return {k: v for k, v in h.items() if v is not None}

    def test_a_providers_token_sent_again_skips_its_signature(self):
        issuer = self.trusted.issuer
        token = self.trusted.client_credentials_token(op.ES256_CLIENT)
        hits = metric(self.jwtfort, "jwtfort_verified_cache_hits_total")
        misses = metric(self.jwtfort, "jwtfort_verified_cache_misses_total")
        accepted = metric(self.jwtfort, "jwtfort_oidc_tokens_total", issuer=issuer,
                          result="accepted") or 0
        for _ in range(3):
            r = self.jwtfort.get("/auth/verify", ss.bearer(token))
            self.assertStatus(r, 200)
            self.assertEqual(r.header("X-Auth-Subject"), op.ES256_CLIENT)
            self.assertEqual(r.header("X-Auth-Roles"), "admin,auditor")
        self.assertEqual(metric(self.jwtfort, "jwtfort_verified_cache_misses_total"), misses + 1)
        self.assertEqual(metric(self.jwtfort, "jwtfort_verified_cache_hits_total"), hits + 2)
        self.assertEqual(metric(self.jwtfort, "jwtfort_oidc_tokens_total", issuer=issuer,
                                result="accepted"), accepted + 3)

    def test_alg_confusion_with_the_providers_public_key_as_hmac_secret(self):
        claims = access_claims(self.trusted)
        pem = op.public_pem(self.trusted.jwks_path, "rs-1")
        public_jwks = json.dumps(op.public_jwks(self.trusted.jwks))
        for secret in (pem, pem.strip(), public_jwks):
            for alg in ("HS256", "HS384"):
                with self.subTest(alg=alg, secret=secret[:30]):
                    token = ss.hs256_token(self.header(alg=alg), claims, secret)
                    self.attack(token, "algorithm_not_allowed")

    def test_alg_none(self):
        claims = access_claims(self.trusted)
        for alg in ("none", "None", "NONE"):
            with self.subTest(alg=alg):
                token = ss.signing_input_of(self.header(alg=alg, kid=None), claims) + "."
                self.attack(token, "unsupported_algorithm")

    def test_key_source_headers_are_refused_before_any_fetch(self):
        claims = access_claims(self.trusted)
        attacker_jwk = op.public_jwks(self.other.jwks)["keys"][0]
        for name, value in (("jku", self.other.url("/jwks")), ("x5u", self.other.url("/cert")),
                            ("jwk", attacker_jwk)):
            with self.subTest(header=name):
                header = self.header(**{name: value})
                token = self.other.sign(header, claims, "RS256")
                self.attack(token, "unsupported_header")

    def test_kid_injection_gets_no_key_and_at_most_one_refetch(self):
        claims = access_claims(self.trusted)
        jwks_fetches = len(self.trusted.requests("/jwks"))
        kids = ["../../../../dev/null", "rs-1' OR '1'='1", "rs-1\u0000", "x" * 200, "es-1 "]
        for kid in kids:
            with self.subTest(kid=kid[:20]):
                token = self.other.sign(self.header(kid=kid), claims, "RS256")
                self.assertRefused(self.decided(self.jwtfort, "/protected", token, "unknown_key"),
                                   401, "Invalid token")
        time.sleep(SETTLE)
        # An unknown kid may mean a rotation: one refetch, not one per token.
        self.assertLessEqual(len(self.trusted.requests("/jwks")), jwks_fetches + 1)
        # The right kid with a key that is not the provider's.
        token = self.other.sign(self.header(kid="rs-1"), claims, "RS256")
        self.attack(token, "invalid_signature")

    # A token naming an issuer that is not trusted is one of the server's own as far as routing
    # goes (own tokens are accepted here): its own ES256 ring refuses it, without any network.
    # With own tokens off it is invalid_issuer (IssuerSettingsTest).

    def test_a_token_of_an_untrusted_provider(self):
        token = self.other.client_credentials_token(scope="read")
        es = self.other.client_credentials_token(op.ES256_CLIENT)
        self.attack(token, "algorithm_not_allowed")
        self.attack(es, "unknown_key")

    def test_an_impostor_claiming_the_trusted_issuer(self):
        token = self.impostor.client_credentials_token(scope="read")
        self.assertEqual(ss.claims_of(token)["iss"], self.trusted.issuer)
        self.assertEqual(ss.header_of(token)["kid"], "rs-1")  # the trusted provider's kid too
        self.attack(token, "invalid_signature")

    def test_an_unconfigured_issuer_causes_no_request(self):
        nobody = "http://127.0.0.1:%d" % ss.free_port()
        for iss in (nobody, self.other.issuer, self.trusted.issuer + "/", None):
            with self.subTest(iss=iss):
                token = self.other.sign(self.header(kid="unseen-kid"),
                                        access_claims(self.trusted, iss=iss), "RS256")
                self.attack(token, "algorithm_not_allowed")
                es = self.other.sign(self.header(alg="ES256", kid="unseen-kid"),
                                     access_claims(self.trusted, iss=iss), "ES256")
                self.attack(es, "unknown_key")

    def test_expired_and_misaddressed_tokens_signed_with_the_providers_key(self):
        p = self.trusted
        cases = [
            (access_claims(p, iat=now() - 600, exp=now() - 60), {}, "expired",
             "Signature has expired"),
            (access_claims(p, aud="https://elsewhere.test"), {}, "invalid_audience",
             "Invalid token"),
            (access_claims(p), {"typ": "JWT"}, "invalid_type", "Invalid token"),
            (access_claims(p, client_id=None), {}, "missing_claim", "Invalid token"),
        ]
        for claims, header, outcome, detail in cases:
            for alg in ("RS256", "ES256"):
                with self.subTest(outcome=outcome, alg=alg):
                    h = self.header(alg=alg, kid=p.kid_of(alg), **header)
                    self.attack(p.sign(h, claims, alg), outcome, detail)
        # The same claims, signed the same way, are accepted: the cases differ in one thing.
        good = p.sign(self.header(), access_claims(p), "RS256")
        self.assertStatus(self.jwtfort.get("/protected", ss.bearer(good)), 200)


class ProviderLifecycleTest(ProviderTestCase):
    """Key rotation, a provider that stops, one that is down when the server starts."""

    def test_key_rotation_is_accepted_after_one_refetch(self):
        provider = self.provider("p").start()
        server = self.server(oidc_settings(provider))
        wait_ready(server, provider.issuer)
        old = provider.client_credentials_token()
        self.assertStatus(server.get("/protected", ss.bearer(old)), 200)
        jwks_fetches = len(provider.requests("/jwks"))
        provider.rotate_keys([("RS256", "rs-2"), ("ES256", "es-2")])
        new = provider.client_credentials_token()
        self.assertEqual(ss.header_of(new)["kid"], "rs-2")
        # The first sight of the new kid is refused and starts one refetch; the next request
        # after it landed is accepted.
        self.assertRefused(self.decided(server, "/protected", new, "unknown_key"), 401,
                           "Invalid token")
        self.assertTrue(wait_until(lambda: server.get("/protected", ss.bearer(new)).status == 200,
                                   30, interval=0.2), server.log_lines()[-5:])
        self.assertEqual(len(provider.requests("/jwks")), jwks_fetches + 1)
        es = provider.client_credentials_token(op.ES256_CLIENT)
        self.assertStatus(server.get("/protected", ss.bearer(es)), 200)
        # The old key left the provider's JWKS: its tokens stop verifying.
        self.assertRefused(self.decided(server, "/protected", old, "unknown_key"), 401,
                           "Invalid token")

    def test_cached_keys_verify_while_the_provider_is_stopped(self):
        provider = self.provider("p").start()
        server = self.server(oidc_settings(provider))
        wait_ready(server, provider.issuer)
        tokens = [provider.client_credentials_token(c) for c in (op.RS256_CLIENT, op.ES256_CLIENT)]
        provider.stop()
        for token in tokens:
            self.assertStatus(server.get("/protected", ss.bearer(token)), 200)
            self.assertStatus(server.get("/auth/verify", ss.bearer(token)), 200)
        # A kid it does not know stays refused, and the failed refetch leaves the keys in place.
        unknown = provider.sign({"alg": "RS256", "typ": "at+jwt", "kid": "rs-9"},
                                access_claims(provider), kid="rs-1")
        self.assertRefused(server.get("/protected", ss.bearer(unknown)), 401, "Invalid token")
        wait_until(lambda: events(server, "oidc_jwks_failed"), 10)
        self.assertStatus(server.get("/protected", ss.bearer(tokens[0])), 200)

    def test_a_provider_down_at_start_answers_503_then_serves(self):
        provider = self.provider("p")  # its port and keys exist; it does not listen yet
        token = provider.sign({"alg": "ES256", "typ": "at+jwt", "kid": "es-1"},
                              access_claims(provider), "ES256")
        server = self.server(oidc_settings(provider))
        r = self.decided(server, "/protected", token, "jwks_unavailable")
        self.assertRefused(r, 503, "Key set unavailable", error=False)
        self.assertEqual(server.get("/auth/verify", ss.bearer(token)).status, 503)
        self.assertTrue(wait_until(lambda: events(server, "oidc_discovery_failed"), 10))
        # Its own tokens do not depend on the provider.
        login = self.assertJson(server.login("demo", server.demo_password), 200)
        self.assertStatus(server.get("/protected", ss.bearer(login["access_token"])), 200)
        provider.start()
        wait_ready(server, provider.issuer)
        self.assertStatus(server.get("/protected", ss.bearer(token)), 200)
        # One line per distinct failure, however many retries; each names the issuer and never
        # carries the token.
        failures = events(server, "oidc_discovery_failed")
        self.assertEqual(len({(e["error"], e.get("detail")) for e in failures}), len(failures))
        self.assertEqual({e["issuer"] for e in failures}, {provider.issuer})
        self.assertTrue(events(server, "oidc_discovery_ok"))
        self.assertTrue(events(server, "oidc_jwks_ok"))
        text = server.stderr_text()
        self.assertNotIn(token, text)
        self.assertNotIn(token.split(".")[2], text)


class IssuerSettingsTest(ProviderTestCase):
    """Several issuers from a settings file, each with its claim mapping; the server's own tokens
    turned off; HTTPS to a provider with a test CA."""

    def test_several_issuers_with_their_own_claim_mapping(self):
        keycloak_like = self.provider("kc", claims={
            "realm_access": {"roles": ["kc-admin"]},
            "resource_access": {"orders-api": {"roles": ["kc-orders"]}}}).start()
        auth0_like = self.provider("a0", claims={"permissions": ["read:orders"]},
                                   resource="https://orders.test").start()
        config = os.path.join(self.directory, "settings.toml")
        with open(config, "w") as f:
            f.write("""[jwtfort]
accept_own_tokens = false

[[jwtfort.oidc_issuers]]
issuer = "%s"
audience = ["%s"]
algorithms = ["RS256", "ES256"]
roles_claim = ["realm_access.roles", "resource_access.orders-api.roles"]
require_at_jwt = true

[[jwtfort.oidc_issuers]]
issuer = "%s"
audience = "https://orders.test"
algorithms = "ES256"
roles_claim = "permissions"
""" % (keycloak_like.issuer, op.RESOURCE, auth0_like.issuer))
        server = self.server(config_file=config)
        wait_ready(server, keycloak_like.issuer)
        wait_ready(server, auth0_like.issuer)
        kc = keycloak_like.client_credentials_token(scope="read")
        r = server.get("/auth/verify", ss.bearer(kc))
        self.assertStatus(r, 200)
        self.assertEqual((r.header("X-Auth-Roles"), r.header("X-Auth-Issuer")),
                         ("kc-admin,kc-orders", keycloak_like.issuer))
        a0 = auth0_like.client_credentials_token(op.ES256_CLIENT, scope="read write")
        r = server.get("/auth/verify?roles=read:orders", ss.bearer(a0))
        self.assertStatus(r, 200)
        self.assertEqual((r.header("X-Auth-Roles"), r.header("X-Auth-Scopes")),
                         ("read:orders", "read,write"))
        # Each issuer keeps its own rules: RS256 is not among the second one's algorithms.
        rs = auth0_like.client_credentials_token(op.RS256_CLIENT)
        self.assertRefused(self.decided(server, "/protected", rs, "algorithm_not_allowed"), 401,
                           "Invalid token")
        # Own tokens are off: a login still answers, its token opens nothing.
        login = self.assertJson(server.login("demo", server.demo_password), 200)
        own = login["access_token"]
        self.assertRefused(self.decided(server, "/protected", own, "invalid_issuer"), 401,
                           "Invalid token")
        # And a provider it does not trust is refused for its issuer, with no request to it.
        untrusted = self.provider("untrusted").start()
        token = untrusted.client_credentials_token()
        seen = len(untrusted.requests())
        self.assertRefused(self.decided(server, "/protected", token, "invalid_issuer"), 401,
                           "Invalid token")
        time.sleep(SETTLE)
        self.assertEqual(len(untrusted.requests()), seen)
        for issuer in (keycloak_like.issuer, auth0_like.issuer):
            self.assertEqual(metric(server, "jwtfort_oidc_tokens_total", issuer=issuer,
                                    result="accepted"), 1)

    def test_settings_that_do_not_fit_are_refused_at_start(self):
        cases = [
            ({"JWTFORT_OIDC_ISSUER": "http://127.0.0.1:9"},
             "JWTFORT_OIDC_AUDIENCE: must be set with JWTFORT_OIDC_ISSUER"),
            ({"JWTFORT_OIDC_AUDIENCE": "api"},
             "JWTFORT_OIDC_ISSUER: must be set with JWTFORT_OIDC_AUDIENCE"),
            ({"JWTFORT_ACCEPT_OWN_TOKENS": "false"}, "JWTFORT_ACCEPT_OWN_TOKENS: false needs"),
            ({"JWTFORT_OIDC_ISSUER": "http://idp.example.com", "JWTFORT_OIDC_AUDIENCE": "api"},
             "https"),
            ({"JWTFORT_OIDC_ISSUER": "http://127.0.0.1:9", "JWTFORT_OIDC_AUDIENCE": "api",
              "JWTFORT_OIDC_ALGORITHMS": "HS256"}, "JWTFORT_OIDC_ALGORITHMS: HMAC"),
            ({"JWTFORT_JWKS_URL": "https://idp.example.com/jwks"},
             "JWTFORT_JWKS_URL: no longer read"),
        ]
        for settings, message in cases:
            with self.subTest(settings=settings):
                data = tempfile.mkdtemp(dir=self.directory)
                done = subprocess.run(
                    [ss.SERVER, "serve", "--listen", "127.0.0.1:0", "--data-dir", data],
                    env=ss.clean_environment(**settings), capture_output=True, text=True,
                    timeout=60)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(message, done.stderr)
                self.assertTrue(done.stderr.startswith("error: invalid_configuration: "),
                                done.stderr)

    def test_https_to_the_provider_with_a_test_ca(self):
        authority = op.TestCertificateAuthority(os.path.join(self.directory, "ca"))
        provider = self.provider("tls", tls=authority).start()
        self.assertTrue(provider.issuer.startswith("https://127.0.0.1:"))
        token = provider.client_credentials_token(op.ES256_CLIENT)
        server = self.server(oidc_settings(provider, JWTFORT_OIDC_CA_FILE=authority.ca_file))
        wait_ready(server, provider.issuer)
        self.assertStatus(server.get("/protected", ss.bearer(token)), 200)
        # Without the CA the provider's certificate is not trusted: fail closed, and say why.
        untrusting = self.server(oidc_settings(provider))
        self.assertTrue(wait_until(lambda: events(untrusting, "oidc_discovery_failed"), 15))
        r = untrusting.get("/protected", ss.bearer(token))
        self.assertRefused(r, 503, "Key set unavailable", error=False)
        failure = events(untrusting, "oidc_discovery_failed")[0]
        self.assertEqual((failure["issuer"], failure["error"]),
                         (provider.issuer, "jwks_unavailable"))


if __name__ == "__main__":
    ss.take_arguments(sys.argv, "server", "cli", "redis", "nginx")
    unittest.main()

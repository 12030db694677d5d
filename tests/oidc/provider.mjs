// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback, for tests.
//
//   node provider.mjs serve CONFIG.json   serves until SIGTERM; SIGHUP re-reads CONFIG.json and its
//                                         JWKS file (key rotation without closing the port)
//   node provider.mjs keygen ALG KID      prints a private JWK (RS256: RSA 2048, ES256: P-256)
//   node provider.mjs public-pem JWKS KID prints the public key KID of the JWKS file as PEM (SPKI)
//   node provider.mjs sign JWKS KID       signs {"header": {...}, "claims": {...}} read on stdin
//                                         with the key KID of the JWKS file; prints the token
//
// CONFIG.json (written by tests/support/oidc_provider.py):
//   issuer        the issuer identifier, e.g. http://127.0.0.1:PORT (may differ from where it
//                 listens: a second instance that claims another's issuer)
//   port          the 127.0.0.1 port to listen on
//   tls           optional {"cert": PEM file, "key": PEM file}: HTTPS instead of HTTP
//   jwks          a file holding the private signing keys {"keys": [...]}, each with kid and alg
//   resource      the resource indicator; access tokens carry it as `aud`
//   scope         the resource's scopes, space-separated
//   ttl           access token lifetime in seconds
//   clients       [{client_id, client_secret?, alg, claims?, redirect_uri?}]: with a secret a
//                 confidential client_credentials client, without one a public authorization
//                 code + PKCE client (redirect_uri required); `alg` signs its access tokens;
//                 `claims` are added to its access tokens
//   accounts      {sub: claims}: claims added to the access tokens of a signed-in end user
//
//   request_log   a file: every request is appended to it as one JSON line {"method", "path",
//                 "status"} before its response is sent, so tests can count what reached the
//                 provider
//
// "listening ISSUER" is printed on stdout once it accepts requests, "reloaded" after a SIGHUP.
import {
  createPrivateKey, createPublicKey, createSign, generateKeyPairSync,
} from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

import Provider, { errors } from 'oidc-provider';

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

// --- keygen and sign: keys and hand-made tokens for the tests --------------------------------

function keygen(alg, kid) {
  const pair = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : null;
  if (!pair) throw new Error(`keygen: unsupported algorithm ${alg}`);
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

function sign(jwksPath, kid, input) {
  const jwk = readJson(jwksPath).keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error(`sign: no key ${kid}`);
  const signingInput = `${base64url(JSON.stringify(input.header))}.${base64url(JSON.stringify(input.claims))}`;
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const signer = createSign('SHA256');
  signer.update(signingInput);
  const signature = signer.sign(jwk.kty === 'EC' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${signingInput}.${signature.toString('base64url')}`;
}

// --- the provider ---------------------------------------------------------------------------

function clientMetadata(client) {
  if (client.client_secret) {
    return {
      client_id: client.client_id,
      client_secret: client.client_secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    };
  }
  return {
    client_id: client.client_id,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [client.redirect_uri],
  };
}

function buildProvider(config) {
  const clients = new Map(config.clients.map((client) => [client.client_id, client]));
  const accounts = config.accounts ?? {};
  const provider = new Provider(config.issuer, {
    clients: config.clients.map(clientMetadata),
    jwks: readJson(config.jwks),
    // Tokens are what the tests look at, not cookies: any fixed keys will do.
    cookies: { keys: ['jwtfort-test-provider-cookie-key'] },
    findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => config.resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource, client) => {
          if (resource !== config.resource) throw new errors.InvalidTarget();
          return {
            scope: config.scope,
            audience: config.resource,
            accessTokenTTL: config.ttl ?? 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: clients.get(client.clientId).alg } },
          };
        },
      },
    },
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'AccessToken' && token.kind !== 'ClientCredentials') return undefined;
      if (token.accountId) return accounts[token.accountId];
      return clients.get(token.clientId)?.claims;
    },
  });
  provider.on('server_error', (ctx, error) => console.error(`server_error ${error.stack}`));
  return provider;
}

function serve(configPath) {
  let config = readJson(configPath);
  let handler = buildProvider(config).callback();
  // Written synchronously before the response goes out: once a client has its answer, the
  // request is in the file.
  const logged = (req, res) => {
    const end = res.end.bind(res);
    res.end = (...args) => {
      const path = new URL(req.url, 'http://x').pathname;
      const line = JSON.stringify({ method: req.method, path, status: res.statusCode });
      appendFileSync(config.request_log, `${line}\n`);
      return end(...args);
    };
    handler(req, res);
  };
  const server = config.tls
    ? https.createServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, logged)
    : http.createServer(logged);
  server.listen(config.port, '127.0.0.1', () => console.log(`listening ${config.issuer}`));
  process.on('SIGHUP', () => {
    try {
      config = readJson(configPath);
      handler = buildProvider(config).callback();
      console.log('reloaded');
    } catch (error) {
      console.log(`reload failed: ${error.message}`);
    }
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  // Keep-alive connections of clients would hold close() open: end them.
  process.on('SIGTERM', () => server.closeAllConnections());
}

const [command, ...args] = process.argv.slice(2);
if (command === 'serve') {
  serve(args[0]);
} else if (command === 'keygen') {
  console.log(JSON.stringify(keygen(args[0], args[1])));
} else if (command === 'public-pem') {
  const jwk = readJson(args[0]).keys.find((key) => key.kid === args[1]);
  if (!jwk) throw new Error(`public-pem: no key ${args[1]}`);
  process.stdout.write(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
} else if (command === 'sign') {
  console.log(sign(args[0], args[1], JSON.parse(readFileSync(0, 'utf8'))));
} else {
  console.error('usage: provider.mjs serve CONFIG.json | keygen ALG KID | public-pem JWKS KID | sign JWKS KID');
  process.exit(2);
}

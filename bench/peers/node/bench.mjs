// jose and fast-jwt on the jwtfort benchmark fixtures.
//
// Usage: node bench.mjs FIXTURE_DIR [--target-seconds S] [--repeats N]
//
// Prints one JSON line per measurement on stdout, e.g.
//   {"peer":"jose","op":"verify","alg":"HS256","ns":5123.4,"version":"6.0.11"}
// and progress on stderr. Each measurement: a warm-up that also sizes the loop, then N calls timed
// with process.hrtime.bigint(), repeated; the median of the repeats per call is reported.
//
// Verify means what jwtfort's verifier does: signature with a pre-imported key, the algorithm
// pinned, iss and aud equal, exp/nbf/iat checked against the clock, sub and jti required.
// fast-jwt's verified-token cache stays off: it would skip the work being measured.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as jose from 'jose';
import { createSigner, createVerifier } from 'fast-jwt';

const ALGORITHMS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'];
const KEY_FILES = { RS256: 'rsa', PS256: 'rsa', ES256: 'es256', EdDSA: 'ed25519' };
const ISSUER = 'jwtfort-bench';
const AUDIENCE = 'api';
const REQUIRED = ['exp', 'iat', 'sub', 'jti'];

function parseArgs(argv) {
  const args = { fixtures: null, targetSeconds: 0.25, repeats: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target-seconds') args.targetSeconds = Number(argv[++i]);
    else if (argv[i] === '--repeats') args.repeats = Number(argv[++i]);
    else args.fixtures = argv[i];
  }
  if (!args.fixtures) throw new Error('usage: node bench.mjs FIXTURE_DIR [--target-seconds S] [--repeats N]');
  return args;
}

function loadFixtures(dir) {
  const read = (name) => readFileSync(join(dir, name), 'utf8');
  return {
    secret: read('hs256.secret').trim(),
    claims: JSON.parse(read('claims.json')),
    pem: (alg, isPublic) => read(KEY_FILES[alg] + (isPublic ? '.pub.pem' : '.pem')),
  };
}

const now = () => process.hrtime.bigint();

// Median over `repeats` of the mean time per call, in nanoseconds. `fn` may return a promise
// (jose is asynchronous); a synchronous `fn` (fast-jwt) is called without `await`, so it does not
// pay a microtask hand-off per call that it would not pay in an application.
async function timePerCall(fn, targetSeconds, repeats) {
  const first = fn();
  const isAsync = typeof first?.then === 'function';
  if (isAsync) await first;
  const calls = isAsync
    ? async (n) => { for (let i = 0; i < n; i++) await fn(); }
    : (n) => { for (let i = 0; i < n; i++) fn(); };
  const warmupNs = BigInt(Math.round(targetSeconds * 0.5e9));
  let done = 0;
  const start = now();
  while (now() - start < warmupNs || done < 3) {
    await calls(1);
    done++;
  }
  const perCall = Number(now() - start) / done;
  const n = Math.max(3, Math.floor((targetSeconds * 1e9) / perCall));
  const samples = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = now();
    await calls(n);
    samples.push(Number(now() - t0) / n);
  }
  samples.sort((a, b) => a - b);
  const mid = Math.floor(samples.length / 2);
  return samples.length % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
}

async function mustFail(call, peer, alg) {
  try {
    await call();
  } catch {
    return;
  }
  throw new Error(`${peer} ${alg}: a token from another issuer was accepted`);
}

// --- jose -----------------------------------------------------------------------------------

async function joseKeys(fx, alg) {
  if (alg === 'HS256') {
    // A CryptoKey imported once; a raw Uint8Array would be re-imported on every call.
    const key = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(fx.secret),
      { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return { signingKey: key, verificationKey: key };
  }
  return {
    signingKey: await jose.importPKCS8(fx.pem(alg, false), alg),
    verificationKey: await jose.importSPKI(fx.pem(alg, true), alg),
  };
}

async function joseOps(fx, alg) {
  const { signingKey, verificationKey } = await joseKeys(fx, alg);
  const claims = { ...fx.claims };
  const header = { alg, typ: 'JWT' };
  const sign = () => new jose.SignJWT(claims).setProtectedHeader(header).sign(signingKey);
  const token = await sign();
  const verify = (issuer = ISSUER) => jose.jwtVerify(token, verificationKey, {
    algorithms: [alg], issuer, audience: AUDIENCE, requiredClaims: REQUIRED,
  });
  if ((await verify()).payload.sub !== claims.sub) throw new Error('jose: wrong claims');
  await mustFail(() => verify('someone-else'), 'jose', alg);
  return { verify: () => verify(), sign };
}

// --- fast-jwt -------------------------------------------------------------------------------

async function fastJwtOps(fx, alg) {
  const signingKey = alg === 'HS256' ? fx.secret : fx.pem(alg, false);
  const verificationKey = alg === 'HS256' ? fx.secret : fx.pem(alg, true);
  const claims = { ...fx.claims };
  const signer = createSigner({ key: signingKey, algorithm: alg });
  const token = signer(claims);
  const verifierFor = (issuer) => createVerifier({
    key: verificationKey, algorithms: [alg], allowedIss: issuer, allowedAud: AUDIENCE,
    requiredClaims: REQUIRED, cache: false,
  });
  const verify = verifierFor(ISSUER);
  if (verify(token).sub !== claims.sub) throw new Error('fast-jwt: wrong claims');
  const wrongIssuer = verifierFor('someone-else');
  await mustFail(() => wrongIssuer(token), 'fast-jwt', alg);
  return { verify: () => verify(token), sign: () => signer(claims) };
}

function versionOf(name) {
  const require = createRequire(import.meta.url);
  const entry = require.resolve(name);
  const root = entry.slice(0, entry.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length);
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const fx = loadFixtures(args.fixtures);
  const peers = [
    ['jose', (alg) => joseOps(fx, alg)],
    ['fast-jwt', (alg) => fastJwtOps(fx, alg)],
  ];
  for (const [peer, makeOps] of peers) {
    const version = versionOf(peer);
    for (const alg of ALGORITHMS) {
      const ops = await makeOps(alg);
      for (const op of ['verify', 'sign']) {
        const ns = await timePerCall(ops[op], args.targetSeconds, args.repeats);
        process.stderr.write(`  ${peer.padEnd(8)} ${op.padEnd(6)} ${alg.padEnd(6)} ${(ns / 1000).toFixed(2).padStart(10)} us\n`);
        const line = { peer, op, alg, ns: Math.round(ns * 10) / 10, version };
        process.stdout.write(JSON.stringify(line) + '\n');
      }
    }
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});

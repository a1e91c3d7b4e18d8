/**
 * `npm run bench`: ACS validation throughput, this project against plain @node-saml/node-saml and samlify,
 * on the same signed responses, in one run. The machine is noisy, so contenders run in interleaved rounds
 * and the summary is a ratio to node-saml measured inside this run.
 *
 * What each contender does per response: decode, parse, verify the assertion signature against the trusted
 * certificate, and check the conditions it checks by default (ours checks more: Recipient, Destination,
 * exact Audience, InResponseTo, algorithm policy). Replay caching is store work and excluded for all.
 *
 * Options: BENCH_SECONDS (per contender per round, default 1.5), BENCH_ROUNDS (default 4).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import * as samlify from 'samlify';
import { validateResponse } from '../src/core/response/validate-response.ts';
import {
  ACS_URL,
  buildResponse,
  buildValidateOptions,
  IDP_ENTITY_ID,
  REQUEST_ID,
  SP_ENTITY_ID,
  testKey,
} from '../test/fixtures/build-response.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const POOL = 64; // distinct responses, so no contender can cache one document

interface Contender {
  name: string;
  validate: (samlResponse: string) => Promise<unknown>;
}

interface Sample {
  latenciesMs: number[];
  elapsedMs: number;
}

async function main(): Promise<void> {
  const scenarios = [
    {
      label: 'assertion signed (Entra/ADFS/Google default)',
      options: { sign: 'assertion' as const },
      responseSigned: false,
    },
    {
      label: 'response and assertion signed (Okta default)',
      options: { sign: 'both' as const },
      responseSigned: true,
    },
    {
      label: 'encrypted assertion (AES-256-GCM, RSA-OAEP)',
      options: { encrypt: { algorithm: 'aes256-gcm' as const } },
      responseSigned: false,
    },
  ];
  console.log(
    `node ${process.version}, ${SECONDS}s x ${ROUNDS} rounds per contender, ${POOL} distinct responses\n`,
  );
  for (const scenario of scenarios) {
    const now = new Date();
    const pool = await Promise.all(
      Array.from({ length: POOL }, () => buildResponse({ now, ...scenario.options })),
    );
    console.log(`## ${scenario.label} (${Buffer.from(pool[0]!, 'base64').length} bytes of XML)`);
    // Every contender must accept the fixture before it is timed: a fast rejection is not a benchmark.
    const contenders: Contender[] = [];
    for (const c of makeContenders(scenario.responseSigned, 'encrypt' in scenario.options)) {
      try {
        await c.validate(pool[0]!);
        contenders.push(c);
      } catch (err) {
        console.log(
          `  ${c.name.padEnd(22)} not timed: it did not accept this response, which the other two accept (${err instanceof Error ? err.message : String(err)})`,
        );
      }
    }
    report(await measure(contenders, pool));
  }
  baseline();
}

function makeContenders(responseSigned: boolean, encrypted: boolean): Contender[] {
  const idp = testKey('idp');
  const sp = testKey('sp');
  const ours = buildValidateOptions({
    now: new Date(),
    ...(responseSigned ? { policy: { wantSigned: 'response-and-assertion' } } : {}),
  });
  const nodeSaml = new SAML({
    idpCert: idp.certPem,
    issuer: SP_ENTITY_ID,
    callbackUrl: ACS_URL,
    audience: SP_ENTITY_ID,
    idpIssuer: IDP_ENTITY_ID,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: responseSigned,
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: 120_000,
    ...(encrypted ? { decryptionPvk: sp.keyPem } : {}),
  });
  // samlify refuses to run without a schema validator; none of the three contenders validates XSD here.
  samlify.setSchemaValidator({ validate: async () => 'skipped' });
  const samlifyIdp = samlify.IdentityProvider({
    entityID: IDP_ENTITY_ID,
    signingCert: idp.certPem,
    singleSignOnService: [
      { Binding: samlify.Constants.namespace.binding.redirect, Location: 'https://idp.example.com/sso' },
    ],
    singleLogoutService: [
      { Binding: samlify.Constants.namespace.binding.redirect, Location: 'https://idp.example.com/slo' },
    ],
  });
  const samlifySp = samlify.ServiceProvider({
    entityID: SP_ENTITY_ID,
    assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: ACS_URL }],
    wantAssertionsSigned: true,
    wantMessageSigned: responseSigned,
    ...(encrypted ? { encPrivateKey: sp.keyPem, isAssertionEncrypted: true } : {}),
    clockDrifts: [-120_000, 120_000],
  });
  return [
    {
      name: 'saml-sp-kit',
      validate: (r) => validateResponse(r, { ...ours, expectedRequestIds: [REQUEST_ID] }),
    },
    {
      name: '@node-saml/node-saml',
      validate: (r) => nodeSaml.validatePostResponseAsync({ SAMLResponse: r }),
    },
    {
      name: 'samlify',
      validate: (r) => samlifySp.parseLoginResponse(samlifyIdp, 'post', { body: { SAMLResponse: r } }),
    },
  ];
}

async function measure(contenders: Contender[], pool: string[]): Promise<Map<string, Sample>> {
  const samples = new Map<string, Sample>(contenders.map((c) => [c.name, { latenciesMs: [], elapsedMs: 0 }]));
  for (const c of contenders) for (let i = 0; i < 30; i++) await c.validate(pool[i % pool.length]!); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no contender always runs first (or last) on a drifting machine.
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const c of order) {
      const sample = samples.get(c.name)!;
      const start = performance.now();
      let i = 0;
      while (performance.now() - start < SECONDS * 1000) {
        const t0 = performance.now();
        await c.validate(pool[i++ % pool.length]!);
        sample.latenciesMs.push(performance.now() - t0);
      }
      sample.elapsedMs += performance.now() - start;
    }
  }
  return samples;
}

function report(samples: Map<string, Sample>): void {
  const rows = [...samples].map(([name, s]) => {
    const sorted = [...s.latenciesMs].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    return {
      name,
      opsPerSec: (s.latenciesMs.length / s.elapsedMs) * 1000,
      p50: pct(0.5),
      p99: pct(0.99),
      n: sorted.length,
    };
  });
  const reference = rows.find((r) => r.name === '@node-saml/node-saml')?.opsPerSec ?? Number.NaN;
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(22)} ${r.opsPerSec.toFixed(0).padStart(6)} ops/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   x${(r.opsPerSec / reference).toFixed(2)} vs node-saml   (n=${r.n})`,
    );
  }
  console.log('');
}

/** The floor: one SHA-256 digest plus one RSA-2048 PKCS#1 v1.5 verification with a cached key object. */
function baseline(): void {
  const key = createPrivateKey(testKey('idp').keyPem);
  const pub = createPublicKey(testKey('idp').certPem);
  const data = Buffer.alloc(1200, 'x');
  const signature = sign('sha256', data, key);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < SECONDS * 1000) {
    createHash('sha256').update(data).digest();
    verify('sha256', data, pub, signature);
    n++;
  }
  console.log(
    `## floor: SHA-256 + RSA-2048 verify: ${((n / (performance.now() - start)) * 1000).toFixed(0)} ops/s`,
  );
}

await main();

/**
 * The fuzz targets: for each public entry point, an arbitrary of cases (a seed, a mutation plan, a transport
 * edit) and the code that turns a case into the input the validator sees, runs it and classifies the outcome.
 *
 * - `response`: validateResponse on mutants of genuine responses (the attacker edits a captured message).
 * - `response-resigned`: validateResponse on responses whose assertion the trusted IdP itself signed after
 *   the mutation: nothing here is forged, so only escapes and time are judged, but every check after the
 *   signature sees hostile shapes.
 * - `logout`: decodeLogoutMessage, then validateLogoutRequest or validateLogoutResponse as the SLO endpoint
 *   dispatches, on the Redirect, POST and SOAP bindings (query edits for Redirect).
 * - `logout-resigned`: the same on mutants the trusted IdP signed.
 * - `metadata`: parseIdpMetadata, with verifyMetadataSignature when a certificate is pinned.
 */
import fc from 'fast-check';
import { decodeLogoutMessage, type IncomingLogoutMessage } from '../../src/core/logout/decode.ts';
import { validateLogoutRequest, validateLogoutResponse } from '../../src/core/logout/validate-logout.ts';
import { type ParsedIdpMetadata, parseIdpMetadata } from '../../src/core/metadata/idp-metadata.ts';
import { validateResponse } from '../../src/core/response/validate-response.ts';
import type { ValidatedAssertion } from '../../src/core/types.ts';
import { parseXml } from '../../src/core/xml/parse.ts';
import { incoming } from '../fixtures/build-logout.ts';
import { buildResponseXml } from '../fixtures/build-response.ts';
import { applyPlan, type MutationPlan, mutationPlan } from './mutate.ts';
import { type CaseResult, identityOf, runCase } from './oracle.ts';
import {
  type Expectation,
  type LogoutSeed,
  logoutSeeds,
  type MetadataSeed,
  metadataSeeds,
  type ResponseSeed,
  replaceRedirectMessage,
  responseSeeds,
} from './seeds.ts';

/** One fuzz target: cases to draw, and how to run one. `input` is what the validator saw (for reports). */
export interface FuzzTarget<C> {
  name: string;
  arbitrary: fc.Arbitrary<C>;
  run(c: C, budgetMs?: number): Promise<{ result: CaseResult; input: string } | undefined>;
}

// ---------------------------------------------------------------------------------------------------------
// Identities: what an accepted message yields, minus what is legitimately unsigned

export function responseIdentity(r: ValidatedAssertion): unknown {
  return {
    issuer: r.issuer,
    nameId: r.nameId,
    attributes: r.attributes,
    assertionId: r.assertionId,
    inResponseTo: r.inResponseTo ?? null,
    sessionIndex: r.sessionIndex ?? null,
    sessionNotOnOrAfter: r.sessionNotOnOrAfter ?? null,
    authnInstant: r.authnInstant ?? null,
    authnContextClassRef: r.authnContextClassRef ?? null,
    notOnOrAfter: r.notOnOrAfter,
    certificate: r.signature.certificateFingerprint,
    algorithm: r.signature.algorithm,
    wasEncrypted: r.wasEncrypted,
  };
}

type LogoutResult = (ReturnType<typeof validateLogoutRequest> | ReturnType<typeof validateLogoutResponse>) & {
  kind: string;
};

/** RelayState is echoed, never trusted (unsigned on POST); the binding is the transport's. */
export function logoutIdentity(r: LogoutResult): unknown {
  const { relayState: _relay, binding: _binding, ...rest } = r;
  return rest;
}

export function metadataIdentity(m: ParsedIdpMetadata): unknown {
  return {
    entityId: m.entityId,
    ssoEndpoints: m.ssoEndpoints,
    sloEndpoints: m.sloEndpoints,
    signingCertificates: m.signingCertificates,
    nameIdFormats: m.nameIdFormats,
    wantAuthnRequestsSigned: m.wantAuthnRequestsSigned,
    validUntil: m.validUntil ?? null,
    cacheDuration: m.cacheDuration ?? null,
    warnings: m.warnings,
    signature: m.signature ?? null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Transports

const RESPONSE_TRANSPORTS = [
  'base64',
  'base64',
  'base64',
  'raw',
  'wrapped',
  'utf16le',
  'latin1',
  'base64url',
  'spaces',
  'bad-char',
] as const;
type ResponseTransport = (typeof RESPONSE_TRANSPORTS)[number];

function encodeTransport(xml: string, transport: ResponseTransport): string {
  const b64 = Buffer.from(xml, 'utf8').toString('base64');
  switch (transport) {
    case 'base64':
      return b64;
    case 'raw':
      return xml;
    case 'wrapped':
      return b64.replace(/.{76}/g, '$&\r\n');
    case 'utf16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]).toString('base64');
    case 'latin1':
      return Buffer.from(xml, 'latin1').toString('base64');
    case 'base64url':
      return Buffer.from(xml, 'utf8').toString('base64url');
    case 'spaces':
      return b64.replace(/.{10}/g, '$& ');
    case 'bad-char':
      return `${b64.slice(0, b64.length >> 1)}*${b64.slice(b64.length >> 1)}`;
  }
}

const QUERY_EDITS = [
  'none',
  'duplicate-message',
  'drop-signature',
  'sigalg-sha1',
  'sigalg-unknown',
  'signature-first',
  'lowercase-percent',
  'plus-for-%2B',
  'add-relaystate',
  'duplicate-relaystate',
  'truncate-signature',
  'double-encode',
  'empty-params',
  'truncate',
] as const;
type QueryEdit = (typeof QUERY_EDITS)[number];

function editQuery(query: string, edit: QueryEdit, n: number): string {
  const params = query.split('&');
  switch (edit) {
    case 'none':
      return query;
    case 'duplicate-message':
      return `${query}&${params[0]}`;
    case 'drop-signature':
      return params.filter((p) => !p.startsWith('Signature=')).join('&');
    case 'sigalg-sha1':
      return query.replace(
        /SigAlg=[^&]*/,
        `SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#rsa-sha1')}`,
      );
    case 'sigalg-unknown':
      return query.replace(/SigAlg=[^&]*/, 'SigAlg=urn%3Afuzz');
    case 'signature-first':
      return [
        ...params.filter((p) => p.startsWith('Signature=')),
        ...params.filter((p) => !p.startsWith('Signature=')),
      ].join('&');
    case 'lowercase-percent':
      return query.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    case 'plus-for-%2B':
      return query.replace(/%2B/g, '+');
    case 'add-relaystate':
      return `${query}&RelayState=%2F%2Fevil.example`;
    case 'duplicate-relaystate':
      return `${query}&RelayState=rs-2`;
    case 'truncate-signature':
      return query.replace(/(Signature=[^&]{10})[^&]*/, '$1');
    case 'double-encode':
      return query.replace(/%/g, '%25');
    case 'empty-params':
      return `&&=&${query}&=x&`;
    case 'truncate':
      return query.slice(0, n % (query.length + 1));
  }
}

const POST_SHAPES = ['single', 'single', 'single', 'array', 'both-keys', 'number'] as const;

function postFields(seed: LogoutSeed, value: string, shape: (typeof POST_SHAPES)[number]) {
  const key = seed.kind === 'LogoutRequest' ? 'SAMLRequest' : 'SAMLResponse';
  switch (shape) {
    case 'single':
      return { [key]: value, RelayState: 'rs-1' };
    case 'array':
      return { [key]: [value, value] };
    case 'both-keys':
      return { SAMLRequest: value, SAMLResponse: value };
    case 'number':
      return { [key]: 42 };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Targets

async function expectationsOf<S, R>(
  seeds: readonly S[],
  genuine: (s: S) => Promise<R>,
  project: (r: R) => unknown,
  authenticated: (s: S) => boolean = () => true,
): Promise<Expectation[]> {
  return Promise.all(
    seeds.map(async (s) => {
      if (!authenticated(s)) return 'any' as const;
      try {
        return identityOf(project(await genuine(s)));
      } catch {
        return null;
      }
    }),
  );
}

export interface ResponseCase {
  seed: number;
  plan: MutationPlan;
  transport: ResponseTransport;
}

export async function responseTarget(): Promise<
  FuzzTarget<ResponseCase> & { seeds: ResponseSeed[]; expected: Expectation[] }
> {
  const seeds = await responseSeeds();
  const expected = await expectationsOf(seeds, (s) => validateResponse(s.xml, s.options), responseIdentity);
  return {
    name: 'response',
    seeds,
    expected,
    arbitrary: fc.record({
      seed: fc.nat({ max: seeds.length - 1 }),
      plan: mutationPlan,
      transport: fc.constantFrom(...RESPONSE_TRANSPORTS),
    }),
    async run(c, budgetMs) {
      const seed = seeds[c.seed]!;
      const input = encodeTransport(applyPlan(seed.xml, c.plan), c.transport);
      const result = await runCase(
        () => validateResponse(input, seed.options),
        responseIdentity as (r: never) => unknown,
        expected[c.seed]!,
        budgetMs,
      );
      return { result, input };
    },
  };
}

export async function resignedResponseTarget(): Promise<FuzzTarget<{ seed: number; plan: MutationPlan }>> {
  const seeds = await responseSeeds();
  const usable = seeds.filter((s) => s.build.sign === undefined || s.build.sign === 'assertion');
  return {
    name: 'response-resigned',
    arbitrary: fc.record({ seed: fc.nat({ max: usable.length - 1 }), plan: mutationPlan }),
    async run(c, budgetMs) {
      const seed = usable[c.seed]!;
      let xml: string;
      try {
        xml = await buildResponseXml({
          ...seed.build,
          // Only well-formed mutants reach the signer (xml-crypto's own parser would log every error).
          editAssertion: (a) => {
            const mutant = applyPlan(a, c.plan);
            parseXml(mutant, { maxBytes: Number.MAX_SAFE_INTEGER });
            return mutant;
          },
        });
      } catch {
        return undefined; // The IdP's signer could not sign this mutant: nothing to validate.
      }
      const input = Buffer.from(xml, 'utf8').toString('base64');
      const result = await runCase(
        () => validateResponse(input, seed.options),
        () => null,
        'any',
        budgetMs,
      );
      return { result, input: xml };
    },
  };
}

export interface LogoutCase {
  seed: number;
  plan: MutationPlan;
  mutateXml: boolean;
  query: QueryEdit;
  post: (typeof POST_SHAPES)[number];
  transport: ResponseTransport;
  n: number;
}

function runLogout(message: IncomingLogoutMessage, seed: LogoutSeed): LogoutResult {
  // As the SLO endpoint does: decode, then dispatch on what the message is.
  const decoded = decodeLogoutMessage(message, {});
  return decoded.kind === 'LogoutRequest'
    ? { kind: decoded.kind, ...validateLogoutRequest(decoded, seed.options) }
    : { kind: decoded.kind, ...validateLogoutResponse(decoded, seed.options) };
}

function logoutMessage(seed: LogoutSeed, c: LogoutCase): IncomingLogoutMessage {
  const xml = c.mutateXml ? applyPlan(seed.xml, c.plan) : seed.xml;
  switch (seed.binding) {
    case 'redirect': {
      const query = c.mutateXml ? replaceRedirectMessage(seed.rawQuery!, xml) : seed.rawQuery!;
      return { binding: 'redirect', rawQuery: editQuery(query, c.query, c.n) };
    }
    case 'post':
      return { binding: 'post', fields: postFields(seed, encodeTransport(xml, c.transport), c.post) };
    case 'soap':
      return { binding: 'soap', body: xml };
  }
}

export function logoutTarget(): Promise<
  FuzzTarget<LogoutCase> & { seeds: LogoutSeed[]; expected: Expectation[] }
> {
  const seeds = logoutSeeds();
  const genuineMessage = (s: LogoutSeed) =>
    logoutMessage(s, {
      seed: 0,
      plan: { dom: [] },
      mutateXml: false,
      query: 'none',
      post: 'single',
      transport: 'base64',
      n: 0,
    });
  return expectationsOf(seeds, async (s) => runLogout(genuineMessage(s), s), logoutIdentity).then(
    (expected) => ({
      name: 'logout',
      seeds,
      expected,
      arbitrary: fc.record({
        seed: fc.nat({ max: seeds.length - 1 }),
        plan: mutationPlan,
        mutateXml: fc.boolean(),
        query: fc.constantFrom(...QUERY_EDITS),
        post: fc.constantFrom(...POST_SHAPES),
        transport: fc.constantFrom(...RESPONSE_TRANSPORTS),
        n: fc.nat(),
      }),
      async run(c, budgetMs) {
        const seed = seeds[c.seed]!;
        const message = logoutMessage(seed, c);
        const result = await runCase(
          () => runLogout(message, seed),
          logoutIdentity as (r: never) => unknown,
          expected[c.seed]!,
          budgetMs,
        );
        return { result, input: JSON.stringify(message) };
      },
    }),
  );
}

export function resignedLogoutTarget(): FuzzTarget<{
  seed: number;
  plan: MutationPlan;
  binding: 'redirect' | 'post';
}> {
  const seeds = logoutSeeds().filter((s) => s.genuine && s.binding !== 'soap');
  return {
    name: 'logout-resigned',
    arbitrary: fc.record({
      seed: fc.nat({ max: seeds.length - 1 }),
      plan: mutationPlan,
      binding: fc.constantFrom<'redirect' | 'post'>('redirect', 'post'),
    }),
    async run(c, budgetMs) {
      const seed = seeds[c.seed]!;
      const unsigned = seed.xml.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
      const xml = applyPlan(unsigned, c.plan);
      let message: IncomingLogoutMessage;
      try {
        message = incoming(xml, seed.kind === 'LogoutRequest' ? 'SAMLRequest' : 'SAMLResponse', {
          binding: c.binding,
          relayState: 'rs-1',
        });
      } catch {
        return undefined; // The IdP's signer could not sign this mutant.
      }
      const result = await runCase(
        () => runLogout(message, seed),
        () => null,
        'any',
        budgetMs,
      );
      return { result, input: xml };
    },
  };
}

export function metadataTarget(): Promise<
  FuzzTarget<{ seed: number; plan: MutationPlan }> & { seeds: MetadataSeed[]; expected: Expectation[] }
> {
  const seeds = metadataSeeds();
  return expectationsOf(
    seeds,
    async (s) => parseIdpMetadata(s.xml, s.options),
    metadataIdentity,
    (s) => s.authenticated,
  ).then((expected) => ({
    name: 'metadata',
    seeds,
    expected,
    arbitrary: fc.record({ seed: fc.nat({ max: seeds.length - 1 }), plan: mutationPlan }),
    async run(c, budgetMs) {
      const seed = seeds[c.seed]!;
      const input = applyPlan(seed.xml, c.plan);
      const result = await runCase(
        () => parseIdpMetadata(input, seed.options),
        metadataIdentity as (r: never) => unknown,
        expected[c.seed]!,
        budgetMs,
      );
      return { result, input };
    },
  }));
}

/**
 * The genuine inputs the fuzzer starts from, built with the ordinary test fixture builders: signed
 * responses (assertion, response, both, encrypted, unsolicited), signed logout messages on the three
 * bindings, and real metadata documents. Each seed carries what a validator may answer for any mutant of it:
 * the identity of the genuine message (`expected`), `null` when no mutant may ever be accepted (the genuine
 * message itself is refused: rogue key, SHA-1, unsolicited), or `'any'` for input that is not
 * authenticated (unsigned metadata an admin uploads: only robustness is at stake).
 */
import { readFileSync } from 'node:fs';
import type { ValidateLogoutOptions } from '../../src/core/logout/validate-logout.ts';
import type { ParseIdpMetadataOptions } from '../../src/core/metadata/idp-metadata.ts';
import type { ValidateResponseOptions } from '../../src/core/response/validate-response.ts';
import type { ConnectionPolicy } from '../../src/core/types.ts';
import { deflateAndEncode } from '../../src/core/xml/encoding.ts';
import {
  incoming,
  LOGOUT_SP,
  logoutConnection,
  logoutRequestXml,
  logoutResponseXml,
  SP_LOGOUT_REQUEST_ID,
} from '../fixtures/build-logout.ts';
import {
  type BuildResponseOptions,
  buildResponseXml,
  buildValidateOptions,
  FIXED_NOW,
  REQUEST_ID,
  testKey,
} from '../fixtures/build-response.ts';
import { ATTACKER_REQUEST_ID } from './mutate.ts';

/** What a validator may return for mutants of a seed. */
export type Expectation = string | null | 'any';

export interface ResponseSeed {
  name: string;
  xml: string;
  options: ValidateResponseOptions;
  build: BuildResponseOptions;
}

export type LogoutBinding = 'redirect' | 'post' | 'soap';
export interface LogoutSeed {
  name: string;
  kind: 'LogoutRequest' | 'LogoutResponse';
  binding: LogoutBinding;
  /** The message XML (POST: signed; SOAP: the whole signed envelope; redirect: unsigned, signed in the query). */
  xml: string;
  /** Redirect binding: the signed query string as the IdP sent it. */
  rawQuery?: string;
  options: ValidateLogoutOptions & { expectedRequestIds: readonly string[] };
  /** Whether the genuine message is accepted (false: any mutant accepted is a forgery). */
  genuine: boolean;
}

export interface MetadataSeed {
  name: string;
  xml: string;
  options: ParseIdpMetadataOptions;
  /** true: signed and pinned, so an accepted mutant must read the genuine facts; false: unsigned, anything goes. */
  authenticated: boolean;
  /** The pinned certificate does not sign it: nothing may be accepted. */
  refused?: boolean;
}

const EXPECTED_IDS = [REQUEST_ID, ATTACKER_REQUEST_ID];

function responseSeed(
  name: string,
  build: BuildResponseOptions,
  policy: Partial<ConnectionPolicy> = {},
): Promise<ResponseSeed> {
  return buildResponseXml(build).then((xml) => ({
    name,
    xml,
    build,
    options: buildValidateOptions({ policy, expectedRequestIds: EXPECTED_IDS }),
  }));
}

/** Response seeds: what IdPs send, and the refusals whose mutants must stay refused. */
export function responseSeeds(): Promise<ResponseSeed[]> {
  return Promise.all([
    responseSeed('assertion-signed', {}),
    responseSeed('response-signed', { sign: 'response' }, { wantSigned: 'response-or-assertion' }),
    responseSeed('both-signed', { sign: 'both' }, { wantSigned: 'response-and-assertion' }),
    responseSeed('encrypted', { encrypt: { algorithm: 'gcm' } }),
    responseSeed('unsolicited-allowed', { inResponseTo: null }, { allowIdpInitiated: true }),
    // Refused as sent: no mutant may turn them into a sign-in.
    responseSeed('unsolicited-refused', { inResponseTo: null }),
    responseSeed('sha1-refused', { sha1: true }),
    responseSeed('rogue-key', { signingKey: 'idp-rogue' }),
    responseSeed('unsigned', { sign: 'none' }),
  ]);
}

function logoutOptions(): LogoutSeed['options'] {
  return {
    connection: logoutConnection(),
    sp: LOGOUT_SP,
    now: FIXED_NOW,
    expectedRequestIds: [SP_LOGOUT_REQUEST_ID],
  };
}

function logoutSeed(
  name: string,
  kind: LogoutSeed['kind'],
  binding: LogoutBinding,
  signer: 'idp' | 'idp-rogue' | null = 'idp',
): LogoutSeed {
  const xml = kind === 'LogoutRequest' ? logoutRequestXml() : logoutResponseXml();
  const key = kind === 'LogoutRequest' ? 'SAMLRequest' : 'SAMLResponse';
  const message = incoming(xml, key, { binding, signer, relayState: binding === 'soap' ? '' : 'rs-1' });
  const base = { name, kind, binding, options: logoutOptions(), genuine: signer === 'idp' };
  switch (message.binding) {
    case 'redirect':
      return { ...base, xml, rawQuery: message.rawQuery };
    case 'post':
      return { ...base, xml: Buffer.from(String(message.fields[key]), 'base64').toString('utf8') };
    case 'soap':
      return { ...base, xml: message.body };
  }
}

/** Logout seeds: both messages on each binding the SP receives them, and two that must stay refused. */
export function logoutSeeds(): LogoutSeed[] {
  return [
    logoutSeed('request-post', 'LogoutRequest', 'post'),
    logoutSeed('request-soap', 'LogoutRequest', 'soap'),
    logoutSeed('request-redirect', 'LogoutRequest', 'redirect'),
    logoutSeed('response-post', 'LogoutResponse', 'post'),
    logoutSeed('response-redirect', 'LogoutResponse', 'redirect'),
    logoutSeed('request-post-rogue', 'LogoutRequest', 'post', 'idp-rogue'),
    logoutSeed('request-post-unsigned', 'LogoutRequest', 'post', null),
  ];
}

const metadataFixture = (name: string) =>
  readFileSync(new URL(`../fixtures/metadata/${name}`, import.meta.url), 'utf8');
const METADATA_NOW = new Date('2027-01-01T00:00:00Z');

/** Metadata seeds: ADFS's signed FederationMetadata pinned to its key, and the unsigned vendor documents. */
export function metadataSeeds(): MetadataSeed[] {
  const signed = metadataFixture('adfs-signed.xml');
  return [
    {
      name: 'adfs-signed-pinned',
      xml: signed,
      options: { now: METADATA_NOW, signature: { certificates: [testKey('idp').certPem] } },
      authenticated: true,
    },
    {
      name: 'adfs-signed-wrong-pin',
      xml: signed,
      options: { now: METADATA_NOW, signature: { certificates: [testKey('idp-rogue').certPem] } },
      authenticated: true,
      refused: true,
    },
    {
      name: 'keycloak',
      xml: metadataFixture('keycloak-realm.xml'),
      options: { now: METADATA_NOW },
      authenticated: false,
    },
    {
      name: 'entra',
      xml: metadataFixture('entra-app.xml'),
      options: { now: METADATA_NOW },
      authenticated: false,
    },
    { name: 'adfs', xml: metadataFixture('adfs.xml'), options: { now: METADATA_NOW }, authenticated: false },
    {
      name: 'aggregate',
      xml: metadataFixture('aggregate-two-idps.xml'),
      options: { now: METADATA_NOW, idpEntityId: 'https://idp.uni-a.example/idp/shibboleth' },
      authenticated: false,
    },
  ];
}

/** Re-deflates a mutated redirect-binding XML into the query, keeping the IdP's signature parameters. */
export function replaceRedirectMessage(rawQuery: string, xml: string): string {
  return rawQuery.replace(
    /^(SAML(?:Request|Response))=[^&]*/,
    (_m, key: string) => `${key}=${encodeURIComponent(deflateAndEncode(xml))}`,
  );
}

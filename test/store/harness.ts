/** Shared pieces of the store contract suites: the factory shape and overridable record builders. */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { type Connection, DEFAULT_POLICY } from '../../src/core/types.ts';
import type { PendingRequest, SessionRecord, UserUpsert } from '../../src/store/types.ts';

/** A fresh, empty store and a way to release it. */
export interface Harness<T> {
  store: T;
  close(): Promise<void>;
}

export type Factory<T> = () => Promise<Harness<T>>;

/** A fixed clock: every contract test runs on injected times, never on Date.now(). */
export const T0 = new Date('2026-01-01T00:00:00.000Z');

export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

export function buildConnection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: 'acme',
    displayName: 'Acme Corp',
    idpEntityId: 'https://idp.acme.test/metadata',
    ssoEndpoints: [{ binding: 'redirect', location: 'https://idp.acme.test/sso' }],
    sloEndpoints: [],
    signingCertificates: [
      {
        pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        fingerprintSha256: 'AA:BB',
        subject: 'CN=idp',
        notBefore: '2025-01-01T00:00:00.000Z',
        notAfter: '2030-01-01T00:00:00.000Z',
      },
    ],
    nameIdFormats: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    wantAuthnRequestsSigned: true,
    preset: 'okta',
    attributeMapping: { email: ['mail'] },
    policy: { ...DEFAULT_POLICY, logoutIssuerAliases: [] },
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    ...overrides,
  };
}

export function buildUser(overrides: Partial<UserUpsert> = {}): UserUpsert {
  return {
    connectionId: 'acme',
    nameId: 'alice@acme.test',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    email: 'alice@acme.test',
    firstName: 'Alice',
    lastName: 'Liddell',
    displayName: 'Alice Liddell',
    groups: ['engineering'],
    externalId: 'ext-1',
    attributes: { email: ['alice@acme.test'], groups: ['engineering'] },
    ...overrides,
  };
}

export function buildSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    userId: 'user-1',
    connectionId: 'acme',
    nameId: { value: 'alice@acme.test', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
    sessionIndex: '_idx-1',
    createdAt: T0,
    expiresAt: at(3600),
    ...overrides,
  };
}

export function buildRequest(overrides: Partial<PendingRequest> = {}): PendingRequest {
  return {
    requestId: `_${randomUUID()}`,
    connectionId: 'acme',
    browserKey: 'browser-1',
    returnTo: '/dashboard',
    createdAt: T0,
    expiresAt: at(600),
    ...overrides,
  };
}

/**
 * Gives each test of a contract suite a fresh store from `factory`, closed after the test.
 * Returns the accessor the tests call.
 */
export function useStore<T>(factory: Factory<T>): () => T {
  let harness: Harness<T> | undefined;
  beforeEach(async () => {
    harness = await factory();
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  return () => {
    if (harness === undefined) throw new Error('store used outside a test');
    return harness.store;
  };
}

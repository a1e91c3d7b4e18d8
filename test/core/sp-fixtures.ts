/** Overridable builders for the SP identity and a connection, shared by the request and metadata tests. */
import { readFileSync } from 'node:fs';
import { describeCertificate } from '../../src/core/keys.ts';
import { type Connection, DEFAULT_POLICY, type KeyPair, type SpIdentity } from '../../src/core/types.ts';

const keyDir = new URL('../fixtures/keys/', import.meta.url);

/** Reads one of the test key pairs from test/fixtures/keys. */
export function testKeyPair(name: 'sp' | 'idp' | 'idp-rogue' | 'idp-next'): KeyPair {
  return {
    privateKeyPem: readFileSync(new URL(`${name}.key.pem`, keyDir), 'utf8'),
    certificatePem: readFileSync(new URL(`${name}.cert.pem`, keyDir), 'utf8'),
  };
}

export function buildSp(overrides: Partial<SpIdentity> = {}): SpIdentity {
  const keys = testKeyPair('sp');
  return {
    entityId: 'https://sp.example.com/saml/metadata',
    acsUrl: 'https://sp.example.com/saml/acme/acs',
    sloUrl: 'https://sp.example.com/saml/acme/slo',
    metadataUrl: 'https://sp.example.com/saml/acme/metadata',
    signing: keys,
    encryption: keys,
    ...overrides,
  };
}

export function buildConnection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: 'acme',
    displayName: 'Acme',
    idpEntityId: 'https://idp.example.com/metadata',
    ssoEndpoints: [
      { binding: 'redirect', location: 'https://idp.example.com/sso/redirect' },
      { binding: 'post', location: 'https://idp.example.com/sso/post' },
    ],
    sloEndpoints: [{ binding: 'redirect', location: 'https://idp.example.com/slo' }],
    signingCertificates: [describeCertificate(testKeyPair('idp').certificatePem)],
    nameIdFormats: [],
    wantAuthnRequestsSigned: true,
    preset: 'generic',
    attributeMapping: {},
    policy: { ...DEFAULT_POLICY },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

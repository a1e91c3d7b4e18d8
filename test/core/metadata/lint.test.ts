/** Vendor lint (issue #3): each finding from the metadata shape real IdPs publish, by stable id. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MetadataStatus } from '../../../src/core/connection-state.ts';
import { describeCertificate } from '../../../src/core/keys.ts';
import { parseIdpMetadata } from '../../../src/core/metadata/idp-metadata.ts';
import { LINT_IDS, type LintedConnection, lintConnection } from '../../../src/core/metadata/lint.ts';
import { DEFAULT_POLICY, type IdpCertificate } from '../../../src/core/types.ts';
import { testKeyPair } from '../sp-fixtures.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/metadata/${name}`, import.meta.url), 'utf8');
const NOW = new Date('2027-01-01T00:00:00Z');
const DAY = 86_400_000;

/** A linted connection from a metadata fixture, as the connection service would store it. */
function fromMetadata(
  name: string,
  overrides: Partial<LintedConnection> = {},
  idpEntityId?: string,
): LintedConnection {
  const parsed = parseIdpMetadata(fixture(name), { now: NOW, ...(idpEntityId ? { idpEntityId } : {}) });
  const status: MetadataStatus = {
    source: 'file',
    importedAt: NOW.toISOString(),
    changedAt: NOW.toISOString(),
    sha256: 'x',
    facts: parsed.facts,
    notes: parsed.notes,
    consecutiveFailures: 0,
    ...(parsed.validUntil ? { validUntil: parsed.validUntil } : {}),
  };
  return {
    id: 'acme',
    idpEntityId: parsed.entityId,
    ssoEndpoints: parsed.ssoEndpoints,
    sloEndpoints: parsed.sloEndpoints,
    signingCertificates: parsed.signingCertificates,
    wantAuthnRequestsSigned: parsed.wantAuthnRequestsSigned,
    policy: { ...DEFAULT_POLICY },
    metadataStatus: status,
    ...overrides,
  };
}

const ids = (connection: LintedConnection, now = NOW) => lintConnection({ connection, now }).map((f) => f.id);

function cert(name: 'idp' | 'idp-next' | 'idp-rogue', dates: Partial<IdpCertificate> = {}): IdpCertificate {
  return { ...describeCertificate(testKeyPair(name).certificatePem), ...dates };
}

describe('lintConnection: vendor realities', () => {
  it('Entra: a BOM and WS-Federation roles are explained, not errors', () => {
    const findings = lintConnection({ connection: fromMetadata('entra-app.xml'), now: NOW });
    const bom = findings.find((f) => f.id === 'metadata-bom');
    expect(bom?.severity).toBe('info');
    expect(findings.find((f) => f.id === 'metadata-wsfed-roles')?.message).toMatch(
      /SecurityTokenServiceType/,
    );
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('ADFS: its SP role is ignored and the SHA-1 trust setting is pointed out', () => {
    const findings = lintConnection({ connection: fromMetadata('adfs.xml'), now: NOW });
    expect(findings.map((f) => f.id)).toEqual(expect.arrayContaining(['metadata-other-roles', 'adfs-sha1']));
    expect(findings.find((f) => f.id === 'adfs-sha1')?.hint).toMatch(/Set-AdfsRelyingPartyTrust/);
    const allowing = fromMetadata('adfs.xml', { policy: { ...DEFAULT_POLICY, allowSha1: true } });
    expect(ids(allowing)).toContain('sha1-allowed');
    expect(ids(allowing)).not.toContain('adfs-sha1');
  });

  it('an aggregate says which entity is used; a missing SLO is noted (Google has none)', () => {
    const c = fromMetadata('aggregate-two-idps.xml', {}, 'https://idp.college-b.example/saml');
    const found = ids(c);
    expect(found).toContain('metadata-aggregate');
    expect(found).toContain('slo-missing');
  });

  it('SHA-1 signed metadata', () => {
    const c = fromMetadata('keycloak-realm.xml');
    c.metadataStatus!.facts = {
      ...c.metadataStatus!.facts,
      signed: true,
      signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
    };
    expect(
      lintConnection({ connection: c, now: NOW }).find((f) => f.id === 'metadata-signature-sha1')?.severity,
    ).toBe('warning');
  });
});

describe('lintConnection: certificates', () => {
  const base = fromMetadata('keycloak-realm.xml');

  it('flags an expired certificate, and all-expired as an error', () => {
    const expired = cert('idp', { notAfter: '2026-06-01T00:00:00.000Z' });
    const one = lintConnection({
      connection: { ...base, signingCertificates: [expired, cert('idp-next')] },
      now: NOW,
    });
    expect(one.find((f) => f.id === 'certificate-expired')?.fingerprint).toBe(expired.fingerprintSha256);
    expect(one.map((f) => f.id)).toContain('certificates-inactive');
    expect(one.some((f) => f.severity === 'error')).toBe(false);
    const all = lintConnection({ connection: { ...base, signingCertificates: [expired] }, now: NOW });
    expect(all.find((f) => f.id === 'certificates-all-expired')?.severity).toBe('error');
  });

  it('warns about a soon-expiring certificate unless a successor is already trusted', () => {
    const soon = cert('idp', { notAfter: new Date(NOW.getTime() + 10 * DAY).toISOString() });
    const alone = lintConnection({ connection: { ...base, signingCertificates: [soon] }, now: NOW });
    expect(alone.find((f) => f.id === 'certificate-expiring')?.severity).toBe('warning');
    const withNext = lintConnection({
      connection: { ...base, signingCertificates: [soon, cert('idp-next')] },
      now: NOW,
    });
    expect(withNext.find((f) => f.id === 'certificate-expiring')?.severity).toBe('info');
  });

  it('notes a certificate published ahead of its validity and one kept after a rollover', () => {
    const next = cert('idp-next', { notBefore: '2027-02-01T00:00:00.000Z' });
    const retired = cert('idp', { lastSeenAt: '2026-12-30T00:00:00.000Z' });
    const found = ids({ ...base, signingCertificates: [retired, next] });
    expect(found).toEqual(
      expect.arrayContaining(['certificate-not-yet-valid', 'certificate-retired', 'certificates-inactive']),
    );
  });
});

describe('lintConnection: endpoints, URL and policy', () => {
  const base = fromMetadata('keycloak-realm.xml');

  it('plain-http SSO is a warning, except for a local development IdP', () => {
    const remote = {
      ...base,
      ssoEndpoints: [{ binding: 'post' as const, location: 'http://idp.example.com/sso' }],
    };
    expect(lintConnection({ connection: remote, now: NOW }).find((f) => f.id === 'sso-http')?.severity).toBe(
      'warning',
    );
    const local = lintConnection({ connection: base, now: NOW }).find((f) => f.id === 'sso-http');
    expect(local?.severity).toBe('info');
  });

  it('URL metadata: insecure URL, failing refresh and staleness', () => {
    const status = {
      ...base.metadataStatus!,
      source: 'url' as const,
      importedAt: new Date(NOW.getTime() - 3 * DAY).toISOString(),
      lastError: {
        at: NOW.toISOString(),
        code: 'SAML_METADATA_INVALID',
        message: 'HTTP 503.',
        hint: 'Check the URL.',
      },
      consecutiveFailures: 4,
    };
    const c = { ...base, metadataUrl: 'http://idp.example.com/metadata', metadataStatus: status };
    const findings = lintConnection({ connection: c, now: NOW });
    expect(findings.map((f) => f.id)).toEqual(
      expect.arrayContaining(['metadata-insecure-url', 'metadata-refresh-failing', 'metadata-stale']),
    );
    expect(findings.find((f) => f.id === 'metadata-refresh-failing')?.hint).toBe('Check the URL.');
  });

  it('expired and soon-expiring validUntil', () => {
    const status = { ...base.metadataStatus!, validUntil: '2026-12-31T00:00:00.000Z' };
    expect(lintConnection({ connection: { ...base, metadataStatus: status }, now: NOW })[0]).toMatchObject({
      id: 'metadata-expired',
      severity: 'error',
    });
    const soon = { ...base.metadataStatus!, validUntil: '2027-01-03T00:00:00.000Z' };
    expect(ids({ ...base, metadataStatus: soon })).toContain('metadata-expiring');
  });

  it('policy relaxations are visible', () => {
    const policy = {
      ...DEFAULT_POLICY,
      allowIdpInitiated: true,
      clockSkewSeconds: 900,
      signAuthnRequests: false,
    };
    const findings = lintConnection({ connection: { ...base, policy }, now: NOW });
    expect(findings.map((f) => f.id)).toEqual(
      expect.arrayContaining(['idp-initiated-allowed', 'clock-skew-large', 'authn-requests-unsigned']),
    );
    expect(findings.find((f) => f.id === 'authn-requests-unsigned')?.severity).toBe('error');
  });

  it('warns when AES-CBC is decrypted without a Response signature (issue #9)', () => {
    expect(ids(base)).not.toContain('cbc-without-response-signature');
    const policy = { ...DEFAULT_POLICY, allowCbcWithoutResponseSignature: true };
    const finding = lintConnection({ connection: { ...base, policy }, now: NOW }).find(
      (f) => f.id === 'cbc-without-response-signature',
    );
    expect(finding?.severity).toBe('warning');
    expect(finding?.hint).toMatch(/MessageAndAssertion/);
  });

  // Issue #9, items 7 and 9: the per-connection signature requirement and the SOAP Destination opt-out show.
  it('names a signature requirement stricter than the default, and the SOAP Destination opt-out', () => {
    const lint = (policy: Partial<typeof DEFAULT_POLICY>) =>
      lintConnection({ connection: { ...base, policy: { ...DEFAULT_POLICY, ...policy } }, now: NOW });
    expect(lint({}).map((f) => f.id)).not.toContain('signature-requirement');
    const assertion = lint({ wantSigned: 'assertion' }).find((f) => f.id === 'signature-requirement');
    expect(assertion).toMatchObject({
      severity: 'info',
      message: expect.stringContaining('Assertion itself'),
    });
    const both = lint({ wantSigned: 'response-and-assertion' }).find((f) => f.id === 'signature-requirement');
    expect(both?.message).toContain('both the Response and the Assertion');
    const optOut = lint({ allowSoapLogoutWithoutDestination: true });
    expect(optOut.find((f) => f.id === 'soap-logout-destination-optional')?.severity).toBe('warning');
    expect(lint({}).map((f) => f.id)).not.toContain('soap-logout-destination-optional');
  });

  it('two connections to one IdP with one SP entity ID', () => {
    const others = [{ id: 'dev', idpEntityId: base.idpEntityId, spEntityId: 'https://sp.example' }];
    const twin = lintConnection({ connection: base, now: NOW, spEntityId: 'https://sp.example', others });
    expect(twin.find((f) => f.id === 'sp-entity-shared')?.message).toMatch(/"dev"/);
    const own = lintConnection({ connection: base, now: NOW, spEntityId: 'https://sp.example/acme', others });
    expect(own.map((f) => f.id)).not.toContain('sp-entity-shared');
  });

  it('every id it emits is a declared, stable id', () => {
    const everything = lintConnection({
      connection: { ...fromMetadata('adfs.xml'), policy: { ...DEFAULT_POLICY, allowSha1: true } },
      now: new Date('2099-01-01T00:00:00Z'),
    });
    for (const f of everything) expect(LINT_IDS).toContain(f.id);
  });
});

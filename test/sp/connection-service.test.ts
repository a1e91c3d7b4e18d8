/**
 * ConnectionService (issue #3): create from text or URL, PATCH semantics, refresh with rollover, failure
 * recording with the last good copy kept, the schedule, and the view (lint + health).
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { SamlSpError } from '../../src/core/errors.ts';
import { describeCertificate } from '../../src/core/keys.ts';
import { ConnectionService } from '../../src/sp/connection-service.ts';
import { MetadataRefresher } from '../../src/sp/metadata-refresh.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { idpMetadataXml } from './metadata-builder.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/metadata/${name}`, import.meta.url), 'utf8');
const fp = (name: 'idp' | 'idp-next' | 'idp-rogue') =>
  describeCertificate(testKeyPair(name).certificatePem).fingerprintSha256;

let clock: Date;
let served: string | Error;
let service: ConnectionService;
let sp: ServiceProvider;
const URL_A = 'https://idp.acme.test/metadata';

beforeEach(() => {
  clock = new Date('2027-01-01T00:00:00Z');
  served = idpMetadataXml({ keys: ['idp'] });
  const keys = testKeyPair('sp');
  sp = new ServiceProvider({
    baseUrl: 'https://sp.example.com',
    entityId: 'https://sp.example.com',
    keys: { signing: keys, encryption: keys },
    stores: createMemoryStores(),
    now: () => clock,
  });
  service = new ConnectionService({
    sp,
    fetchMetadata: async (url) => {
      if (url !== URL_A) throw new SamlSpError('SAML_METADATA_INVALID', `unknown ${url}`);
      if (served instanceof Error) throw served;
      return served;
    },
  });
});

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: { code: string }) => err.code,
  );

describe('create', () => {
  it('from a file: status, stamped certificates, generated id from the display name', async () => {
    const c = await service.create({
      displayName: 'Acme Corp',
      metadataXml: fixture('keycloak-realm.xml'),
      preset: 'keycloak',
    });
    expect(c.id).toBe('acme-corp');
    expect(c.metadataStatus).toMatchObject({
      source: 'file',
      consecutiveFailures: 0,
      importedAt: clock.toISOString(),
    });
    expect(c.metadataStatus?.nextRefreshAt).toBeUndefined();
    expect(c.signingCertificates.every((cert) => cert.firstSeenAt === clock.toISOString())).toBe(true);
    // A duplicate name warns instead of silently becoming acme-corp-2; confirmed, it gets its own id.
    expect(
      await codeOf(service.create({ displayName: 'acme corp ', metadataXml: fixture('keycloak-realm.xml') })),
    ).toBe('CONNECTION_NAME_EXISTS');
    const again = await service.create({
      displayName: 'Acme Corp',
      metadataXml: fixture('keycloak-realm.xml'),
      allowDuplicateName: true,
    });
    expect(again.id).toBe('acme-corp-2');
  });

  it('from a URL: fetched now, next refresh scheduled (6 h default)', async () => {
    const c = await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    expect(c.metadataUrl).toBe(URL_A);
    expect(c.metadataStatus?.source).toBe('url');
    expect(c.metadataStatus?.nextRefreshAt).toBe('2027-01-01T06:00:00.000Z');
  });

  it('refuses a duplicate id, an invalid body and unusable metadata, each with a code', async () => {
    await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    expect(await codeOf(service.create({ id: 'acme', displayName: 'Again', metadataUrl: URL_A }))).toBe(
      'CONNECTION_EXISTS',
    );
    expect(await codeOf(service.create({} as never))).toBe('ADMIN_INVALID_REQUEST');
    expect(await codeOf(service.create({ displayName: 'x', metadataXml: '<x/>', metadataUrl: URL_A }))).toBe(
      'ADMIN_INVALID_REQUEST',
    );
    expect(await codeOf(service.create({ id: 'a/b', displayName: 'x', metadataXml: '<x/>' }))).toBe(
      'ADMIN_INVALID_REQUEST',
    );
    expect(await codeOf(service.create({ displayName: 'x', metadataXml: fixture('hostile-xxe.xml') }))).toBe(
      'SAML_DTD_FORBIDDEN',
    );
    expect(
      await codeOf(service.create({ displayName: 'x', metadataXml: fixture('aggregate-two-idps.xml') })),
    ).toBe('SAML_METADATA_INVALID');
    expect(await service.list()).toHaveLength(1);
  });

  it('picks an IdP from an aggregate and gives the connection its own SP entity ID on request', async () => {
    const c = await service.create({
      displayName: 'College',
      metadataXml: fixture('aggregate-two-idps.xml'),
      idpEntityId: 'https://idp.college-b.example/saml',
      ownSpEntityId: true,
    });
    expect(c.idpEntityId).toBe('https://idp.college-b.example/saml');
    expect(c.spEntityIdMode).toBe('connection');
    expect(service.spEntityIdOf(c)).toBe('https://sp.example.com/saml/college/metadata');
  });

  it('verifies signed metadata against a pinned certificate', async () => {
    const c = await service.create({
      displayName: 'ADFS',
      metadataXml: fixture('adfs-signed.xml'),
      metadataSigningCertificates: [testKeyPair('idp').certificatePem],
    });
    expect(c.metadataStatus?.signatureVerifiedBy).toBe(fp('idp'));
    expect(
      await codeOf(
        service.create({
          displayName: 'ADFS',
          metadataXml: fixture('adfs-signed.xml'),
          metadataSigningCertificates: [testKeyPair('idp-rogue').certificatePem],
        }),
      ),
    ).toBe('SAML_SIGNATURE_UNTRUSTED');
  });
});

describe('update', () => {
  it('changes policy (merged) and mapping (replaced); null clears the SP entity ID', async () => {
    await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A, spEntityId: 'https://sp/x' });
    const c = await service.update('acme', {
      policy: { clockSkewSeconds: 30 },
      allowIdpInitiated: true,
      attributeMapping: { email: ['mail'] },
      spEntityId: null,
    });
    expect(c.policy).toMatchObject({ clockSkewSeconds: 30, allowIdpInitiated: true, allowSha1: false });
    expect(c.attributeMapping).toEqual({ email: ['mail'] });
    expect(c.spEntityId).toBeUndefined();
    expect(await codeOf(service.update('acme', { policy: { clockSkewSeconds: -1 } }))).toBe(
      'ADMIN_INVALID_REQUEST',
    );
    expect(await codeOf(service.update('acme', { nope: 1 } as never))).toBe('ADMIN_INVALID_REQUEST');
    expect(await codeOf(service.update('nope', { displayName: 'x' }))).toBe('SAML_CONNECTION_NOT_FOUND');
  });

  it('replacing the metadata by upload replaces the trust and stops URL refresh', async () => {
    await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    const c = await service.update('acme', { metadataXml: idpMetadataXml({ keys: ['idp-next'] }) });
    expect(c.signingCertificates.map((x) => x.fingerprintSha256)).toEqual([fp('idp-next')]);
    expect(c.metadataUrl).toBeUndefined();
    expect(c.metadataStatus?.source).toBe('file');
    expect(await codeOf(service.refresh('acme'))).toBe('CONNECTION_NOT_REFRESHABLE');
  });
});

describe('refresh', () => {
  it('trusts a new certificate beside the old one, then keeps the old one only for the grace period', async () => {
    await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    served = idpMetadataXml({ keys: ['idp', 'idp-next'] });
    clock = new Date('2027-01-02T00:00:00Z');
    const both = await service.refresh('acme');
    expect(both).toMatchObject({ ok: true, changed: true, added: [fp('idp-next')] });
    served = idpMetadataXml({ keys: ['idp-next'] });
    clock = new Date('2027-01-03T00:00:00Z');
    const rolled = await service.refresh('acme');
    expect(rolled.retained).toEqual([fp('idp')]);
    expect(rolled.connection.signingCertificates.map((c) => c.fingerprintSha256)).toEqual([
      fp('idp-next'),
      fp('idp'),
    ]);
    const view = await service.view('acme');
    expect(view.lint.map((l) => l.id)).toContain('certificate-retired');
    expect(view.signingCertificates.find((c) => c.fingerprintSha256 === fp('idp'))?.retired).toBe(true);
    clock = new Date('2027-01-10T00:00:00Z');
    const later = await service.refresh('acme');
    expect(later.dropped).toEqual([fp('idp')]);
    expect(later.changed).toBe(false);
  });

  it('keeps the last good copy when the URL fails, records the failure, backs off, and recovers', async () => {
    const created = await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    served = new SamlSpError('SAML_METADATA_INVALID', 'Could not fetch: connection refused.', {
      hint: 'Check the URL.',
    });
    clock = new Date('2027-01-01T07:00:00Z');
    const failed = await service.refresh('acme');
    expect(failed.ok).toBe(false);
    expect(failed.error?.code).toBe('SAML_METADATA_INVALID');
    expect(failed.connection.signingCertificates).toEqual(created.signingCertificates);
    expect(failed.connection.metadataStatus).toMatchObject({
      consecutiveFailures: 1,
      importedAt: created.metadataStatus?.importedAt,
      nextRefreshAt: '2027-01-01T07:01:00.000Z',
      lastError: { code: 'SAML_METADATA_INVALID', hint: 'Check the URL.' },
    });
    const second = await service.refresh('acme');
    expect(second.connection.metadataStatus?.nextRefreshAt).toBe('2027-01-01T07:02:00.000Z');
    const view = await service.view('acme');
    expect(view.health.status).toBe('warning');
    expect(view.lint.map((l) => l.id)).toContain('metadata-refresh-failing');
    // Broken metadata (not just a network error) is a failure too, and changes nothing.
    served = '<html>maintenance</html>';
    expect((await service.refresh('acme')).connection.signingCertificates).toEqual(
      created.signingCertificates,
    );
    served = idpMetadataXml({ keys: ['idp'] });
    const ok = await service.refresh('acme');
    expect(ok.connection.metadataStatus?.lastError).toBeUndefined();
    expect(ok.connection.metadataStatus?.consecutiveFailures).toBe(0);
  });

  it('refuses metadata for another entity ID than the connection trusts', async () => {
    await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    served = idpMetadataXml({ keys: ['idp-rogue'], entityId: 'https://evil.example/idp' });
    const outcome = await service.refresh('acme');
    expect(outcome.ok).toBe(false);
    expect(outcome.connection.signingCertificates.map((c) => c.fingerprintSha256)).toEqual([fp('idp')]);
  });

  it('honours cacheDuration, and the scheduler refreshes only what is due', async () => {
    served = idpMetadataXml({ keys: ['idp'], cacheDuration: 'PT1H' });
    const c = await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    await service.create({ id: 'file', displayName: 'File', metadataXml: fixture('keycloak-realm.xml') });
    expect(c.metadataStatus?.nextRefreshAt).toBe('2027-01-01T01:00:00.000Z');
    const refresher = new MetadataRefresher({ connections: service });
    expect(await refresher.runDue(new Date('2027-01-01T00:30:00Z'))).toEqual([]);
    clock = new Date('2027-01-01T01:00:00Z');
    const outcomes = await refresher.runDue(clock);
    expect(outcomes.map((o) => [o.connection.id, o.ok])).toEqual([['acme', true]]);
    await refresher.stop();
  });
});

describe('view and health', () => {
  it('shows SP values, policy, lint and the sign-in health', async () => {
    await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    let view = await service.view('acme');
    expect(view).toMatchObject({
      spEntityId: 'https://sp.example.com/saml/acme/metadata',
      acsUrl: 'https://sp.example.com/saml/acme/acs',
      metadataUrl: 'https://sp.example.com/saml/acme/metadata',
      idpMetadataUrl: URL_A,
      health: { status: 'ok', lastSignInAt: null },
    });
    expect(view.acceptedSignatureAlgorithms).not.toContain('http://www.w3.org/2000/09/xmldsig#rsa-sha1');
    expect(view.signingCertificates[0]).toMatchObject({ state: 'active', retired: false });
    expect(JSON.stringify(view)).not.toContain('<EntityDescriptor');
    await service.health.recordFailure('acme', {
      at: clock,
      code: 'SAML_AUDIENCE_MISMATCH',
      message: 'm',
      hint: 'h',
    });
    view = await service.view('acme');
    expect(view.health).toMatchObject({ status: 'warning', lastFailure: { code: 'SAML_AUDIENCE_MISMATCH' } });
    await service.health.recordSuccess('acme', {
      at: new Date(clock.getTime() + 1000),
      nameId: 'alice',
      userId: 'u',
    });
    expect((await service.view('acme')).health.status).toBe('ok');
    await service.remove('acme');
    expect(await service.health.get('acme')).toBeUndefined();
  });
});

describe('MetadataRefresher timers', () => {
  it('ticks on its own once started, and stops', async () => {
    await service.create({ id: 'acme', displayName: 'Acme', metadataUrl: URL_A });
    clock = new Date('2027-01-02T00:00:00Z');
    served = idpMetadataXml({ keys: ['idp', 'idp-next'] });
    const refresher = new MetadataRefresher({ connections: service, tickMs: 10, initialDelayMs: 0 });
    refresher.start();
    for (let i = 0; i < 100 && (await service.get('acme')).signingCertificates.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await refresher.stop();
    expect((await service.get('acme')).signingCertificates).toHaveLength(2);
    expect((await service.get('acme')).metadataStatus?.nextRefreshAt).toBe('2027-01-02T06:00:00.000Z');
  });
});

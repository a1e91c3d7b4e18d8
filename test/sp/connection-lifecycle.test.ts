/**
 * Issue #12 item 2 and 4 in the service (HTTP-free, as the setup portal calls it): draft -> testing -> active,
 * who may skip the test, the SP entity ID modes, and the mapping report that makes a test "passed with
 * warnings".
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mapAttributes } from '../../src/core/mapping/map-attributes.ts';
import { fieldLookingLike, mappingReport } from '../../src/core/mapping/mapping-report.ts';
import { ConnectionService } from '../../src/sp/connection-service.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { idpMetadataXml } from './metadata-builder.ts';

let service: ConnectionService;
const ADMIN = { actor: { kind: 'admin-token' as const, name: 'ADMIN_TOKEN' } };
const CUSTOMER = { actor: { kind: 'setup-link' as const, name: 'link-1' } };

beforeEach(() => {
  const keys = testKeyPair('sp');
  const sp = new ServiceProvider({
    baseUrl: 'https://sp.example.com',
    entityId: 'https://sp.example.com/shared',
    keys: { signing: keys, encryption: keys },
    stores: createMemoryStores(),
    now: () => new Date('2027-01-01T00:00:00Z'),
  });
  service = new ConnectionService({ sp });
});

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: { code: string }) => err.code,
  );

describe('draft -> testing -> active', () => {
  it('a draft cannot be activated, even by override; metadata makes it testable', async () => {
    const draft = await service.create({ displayName: 'Acme' }, ADMIN);
    expect(draft).toMatchObject({ id: 'acme', status: 'draft', spEntityIdMode: 'connection' });
    expect(service.spEntityIdOf(draft)).toBe('https://sp.example.com/saml/acme/metadata');
    expect(await codeOf(service.activate('acme', { override: true }, ADMIN))).toBe('CONNECTION_NOT_READY');
    await expect(service.sp.startLogin('acme', { browserKey: 'b' })).rejects.toMatchObject({
      code: 'SAML_CONNECTION_NOT_ACTIVE',
    });
    const testing = await service.update(
      'acme',
      { metadataXml: idpMetadataXml({ keys: ['idp'] }) },
      CUSTOMER,
    );
    expect(testing.status).toBe('testing');
    // A test request is allowed before activation; a real one is not.
    await expect(service.sp.startLogin('acme', { browserKey: 'b', testRun: 'run' })).resolves.toMatchObject({
      binding: 'redirect',
    });
    await expect(service.sp.startLogin('acme', { browserKey: 'b' })).rejects.toMatchObject({ status: 403 });
  });

  it('only an app admin may skip the test, and the override is recorded with who did it', async () => {
    await service.create(
      { displayName: 'Acme', metadataXml: idpMetadataXml({ keys: ['idp'] }), requireTest: true },
      ADMIN,
    );
    expect(await codeOf(service.activate('acme', {}, ADMIN))).toBe('CONNECTION_TEST_REQUIRED');
    expect(await codeOf(service.activate('acme', { override: true }, CUSTOMER))).toBe('ADMIN_FORBIDDEN');
    const active = await service.activate('acme', { override: true }, ADMIN);
    expect(active).toMatchObject({ status: 'active', activation: { via: 'override', actor: ADMIN.actor } });
    expect(active.history?.map((h) => h.action)).toEqual(['created', 'activated']);
  });

  it('a passing test lets anyone who may edit it activate it, recorded as the test', async () => {
    await service.create(
      { displayName: 'Acme', metadataXml: idpMetadataXml({ keys: ['idp'] }), requireTest: true },
      ADMIN,
    );
    await service.recordTest('acme', {
      run: 'run-1',
      at: '2027-01-01T00:00:00.000Z',
      outcome: 'passed-with-warnings',
      actor: CUSTOMER.actor,
    });
    const active = await service.activate('acme', {}, CUSTOMER);
    expect(active.activation).toMatchObject({ via: 'test', testRun: 'run-1', actor: CUSTOMER.actor });
  });

  it('created with metadata by the app admin (API, CLI): active at once, recorded as theirs', async () => {
    const c = await service.create(
      { displayName: 'Acme', metadataXml: idpMetadataXml({ keys: ['idp'] }) },
      ADMIN,
    );
    expect(c).toMatchObject({ status: 'active', activation: { via: 'created', actor: ADMIN.actor } });
  });

  it('switches between its own, the shared and a custom SP entity ID', async () => {
    await service.create({ displayName: 'Acme' });
    let c = await service.update('acme', { spEntityIdMode: 'shared' });
    expect(service.spEntityIdOf(c)).toBe('https://sp.example.com/shared');
    c = await service.update('acme', { spEntityId: 'urn:acme:sp' });
    expect(c.spEntityIdMode).toBe('custom');
    expect(service.spEntityIdOf(c)).toBe('urn:acme:sp');
    c = await service.update('acme', { spEntityIdMode: 'connection' });
    expect(c.spEntityId).toBeUndefined();
    expect(service.spEntityIdOf(c)).toBe('https://sp.example.com/saml/acme/metadata');
    expect(await codeOf(service.update('acme', { spEntityIdMode: 'custom' }))).toBe('ADMIN_INVALID_REQUEST');
  });
});

describe('mapping report', () => {
  const nameId = { value: 'alice' };
  const report = (attributes: Record<string, string[]>, overrides = {}) => {
    const profile = mapAttributes({ attributes, nameId, preset: 'okta', overrides });
    return mappingReport({ attributes, preset: 'okta', overrides, profile });
  };

  it('is clean when every expected field is read', () => {
    const r = report({
      email: ['a@x.test'],
      firstName: ['A'],
      lastName: ['L'],
      displayName: ['A L'],
      groups: ['g'],
    });
    expect(r).toEqual({ unmapped: [], missing: [], notSent: [] });
  });

  it('names the fields left empty although sent under other names, with a one-click suggestion', () => {
    const r = report({
      email: ['a@x.test'],
      'urn:oid:2.5.4.42': ['A'],
      surname: ['L'],
      memberOf: ['g'],
      department: ['Eng'],
    });
    expect(r.missing.map((m) => m.field)).toEqual(['firstName', 'lastName', 'displayName', 'groups']);
    expect(r.missing.find((m) => m.field === 'firstName')?.candidates[0]).toBe('urn:oid:2.5.4.42');
    expect(r.unmapped.find((u) => u.name === 'memberOf')?.suggestedField).toBe('groups');
    expect(r.unmapped.find((u) => u.name === 'department')?.suggestedField).toBeUndefined();
  });

  it('says "not sent" (no warning) when the IdP sent nothing unread', () => {
    const r = report({ email: ['a@x.test'] });
    expect(r.missing).toEqual([]);
    expect(r.notSent).toEqual(['firstName', 'lastName', 'displayName', 'groups']);
  });

  it('recognises claim URIs by their last segment', () => {
    expect(fieldLookingLike('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname')).toBe(
      'firstName',
    );
    expect(fieldLookingLike('http://schemas.microsoft.com/ws/2008/06/identity/claims/groups')).toBe('groups');
    expect(fieldLookingLike('costCenter')).toBeUndefined();
  });
});

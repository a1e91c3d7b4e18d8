/** OrganizationService.ensure: how the dev organization is seeded once, and never over an admin's changes. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_POLICY } from '../../src/core/organization.ts';
import { OrganizationService } from '../../src/sp/organization-service.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';

const keys = testKeyPair('sp');
const actor = { kind: 'system', name: 'dev-idp' } as const;

function service() {
  const sp = new ServiceProvider({
    baseUrl: 'https://sp.test',
    entityId: 'https://sp.test',
    keys: { signing: keys, encryption: keys },
    stores: createMemoryStores(),
  });
  return new OrganizationService({ sp });
}

describe('OrganizationService.ensure', () => {
  it('creates the organization with its seed domains verified, then leaves it alone', async () => {
    const organizations = service();
    const created = await organizations.ensure('dev', 'Dev', { actor }, { verifiedDomains: ['example.com'] });
    expect(created.domains).toMatchObject([
      { domain: 'example.com', verified: true, verificationMethod: 'admin', verifiedBy: 'dev-idp' },
    ]);
    await organizations.removeDomain('dev', 'example.com');
    const again = await organizations.ensure('dev', 'Dev', { actor }, { verifiedDomains: ['example.com'] });
    expect(again.domains).toEqual([]);
  });

  it('seeds an organization left as migration 5 made it (no domain, never changed)', async () => {
    const organizations = service();
    const at = '2026-01-01T00:00:00.000Z';
    await organizations.sp.organizations.put({
      id: 'dev',
      name: 'Development IdP (embedded)',
      domains: [],
      policy: { ...DEFAULT_ORGANIZATION_POLICY },
      createdAt: at,
      updatedAt: at,
    });
    const seeded = await organizations.ensure('dev', 'Dev', { actor }, { verifiedDomains: ['example.com'] });
    expect(seeded.domains.map((d) => [d.domain, d.verified])).toEqual([['example.com', true]]);
    expect(seeded.name).toBe('Development IdP (embedded)');
  });

  it('skips a seed domain another organization holds', async () => {
    const organizations = service();
    await organizations.create({ id: 'acme', name: 'Acme', domains: ['example.com'] });
    const dev = await organizations.ensure('dev', 'Dev', { actor }, { verifiedDomains: ['example.com'] });
    expect(dev.domains).toEqual([]);
  });
});

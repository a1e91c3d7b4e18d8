/** The OrganizationStore contract: every adapter must pass it. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_POLICY, type Organization } from '../../src/core/organization.ts';
import { DomainTakenError, type OrganizationStore } from '../../src/store/organizations.ts';
import { type Factory, T0, useStore } from './harness.ts';

export function buildOrganization(overrides: Partial<Organization> = {}): Organization {
  return {
    id: 'acme',
    name: 'Acme Corp',
    domains: [
      {
        domain: 'acme.test',
        verified: true,
        verifiedAt: T0.toISOString(),
        verificationMethod: 'dns',
        verifiedBy: 'admin-token',
        verificationToken: 'tok-acme',
        createdAt: T0.toISOString(),
      },
      { domain: 'acme-corp.test', verified: false, verificationToken: 'tok-2', createdAt: T0.toISOString() },
    ],
    policy: { ...DEFAULT_ORGANIZATION_POLICY, ssoRequired: true },
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    ...overrides,
  };
}

export function organizationStoreContract(name: string, factory: Factory<OrganizationStore>): void {
  describe(`OrganizationStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('round-trips an organization with its domains and policy', async () => {
      const organization = buildOrganization();
      await store().put(organization);
      expect(await store().get('acme')).toEqual(organization);
      expect(await store().get('nobody')).toBeUndefined();
    });

    it('getIfChanged (where provided): the organization and a version, then "unchanged" until any edit', async () => {
      const getIfChanged = store().getIfChanged?.bind(store());
      if (!getIfChanged) return;
      expect(await getIfChanged('acme', undefined)).toBeUndefined();
      await store().put(buildOrganization());
      const first = await getIfChanged('acme', undefined);
      if (first === undefined || first === 'unchanged') throw new Error('expected the organization');
      expect(first.organization).toEqual(buildOrganization());
      expect(await getIfChanged('acme', first.version)).toBe('unchanged');
      expect(await getIfChanged('acme', 'some other version')).toEqual(first);
      // Same updatedAt, changed policy: the version follows every write, not a timestamp.
      await store().put(buildOrganization({ policy: { ...DEFAULT_ORGANIZATION_POLICY, jit: false } }));
      const second = await getIfChanged('acme', first.version);
      if (second === undefined || second === 'unchanged')
        throw new Error('expected the changed organization');
      expect(second.organization.policy.jit).toBe(false);
      expect(await getIfChanged('acme', second.version)).toBe('unchanged');
      await store().delete('acme');
      expect(await getIfChanged('acme', second.version)).toBeUndefined();
    });

    it('put replaces by id, domains included', async () => {
      await store().put(buildOrganization());
      const renamed = buildOrganization({ name: 'Acme Renamed', domains: [] });
      await store().put(renamed);
      const all = await store().list();
      expect(all).toEqual([renamed]);
      expect(await store().findByDomain('acme.test')).toBeUndefined();
    });

    it('lists by id', async () => {
      for (const id of ['globex', 'acme', 'initech'])
        await store().put(buildOrganization({ id, domains: [] }));
      expect((await store().list()).map((o) => o.id)).toEqual(['acme', 'globex', 'initech']);
    });

    it('finds an organization by any domain it claims, verified or not', async () => {
      await store().put(buildOrganization());
      await store().put(buildOrganization({ id: 'globex', domains: [] }));
      expect((await store().findByDomain('acme.test'))?.id).toBe('acme');
      expect((await store().findByDomain('acme-corp.test'))?.id).toBe('acme');
      expect(await store().findByDomain('globex.test')).toBeUndefined();
    });

    it('a domain belongs to one organization only: the second claim is refused and writes nothing', async () => {
      await store().put(buildOrganization());
      const globex = buildOrganization({
        id: 'globex',
        name: 'Globex',
        domains: [
          { domain: 'acme.test', verified: false, verificationToken: 'g', createdAt: T0.toISOString() },
        ],
      });
      const refusal = await store()
        .put(globex)
        .catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(DomainTakenError);
      expect(refusal).toMatchObject({ code: 'DOMAIN_TAKEN', domain: 'acme.test', organizationId: 'acme' });
      expect(await store().get('globex')).toBeUndefined();
      await expect(store().create(globex)).rejects.toBeInstanceOf(DomainTakenError);
      expect(await store().get('globex')).toBeUndefined();
      expect((await store().findByDomain('acme.test'))?.id).toBe('acme');
    });

    it('a refused update leaves the stored organization as it was', async () => {
      await store().put(buildOrganization());
      await store().put(buildOrganization({ id: 'globex', name: 'Globex', domains: [] }));
      const grab = buildOrganization({
        id: 'globex',
        name: 'Globex grabbing',
        domains: [
          { domain: 'acme.test', verified: false, verificationToken: 'g', createdAt: T0.toISOString() },
        ],
      });
      await expect(store().put(grab)).rejects.toBeInstanceOf(DomainTakenError);
      expect((await store().get('globex'))?.name).toBe('Globex');
    });

    it('a domain given up can be claimed by another organization', async () => {
      await store().put(buildOrganization());
      await store().put(buildOrganization({ domains: [] }));
      const globex = buildOrganization({ id: 'globex' });
      await store().put(globex);
      expect((await store().findByDomain('acme.test'))?.id).toBe('globex');
    });

    it('create inserts only when the id is free', async () => {
      expect(await store().create(buildOrganization())).toBe(true);
      expect(await store().create(buildOrganization({ name: 'Second', domains: [] }))).toBe(false);
      expect((await store().get('acme'))?.name).toBe('Acme Corp');
      expect((await store().findByDomain('acme.test'))?.id).toBe('acme');
    });

    it('delete reports whether there was an organization, and frees its domains', async () => {
      await store().put(buildOrganization());
      expect(await store().delete('acme')).toBe(true);
      expect(await store().delete('acme')).toBe(false);
      expect(await store().get('acme')).toBeUndefined();
      expect(await store().findByDomain('acme.test')).toBeUndefined();
      await store().put(buildOrganization({ id: 'globex' }));
      expect((await store().findByDomain('acme.test'))?.id).toBe('globex');
    });

    it('returns copies: mutating a result does not change the store', async () => {
      const organization = buildOrganization();
      await store().put(organization);
      organization.name = 'changed after put';
      const read = await store().get('acme');
      if (read === undefined) throw new Error('missing');
      read.domains.length = 0;
      const again = await store().get('acme');
      expect(again?.name).toBe('Acme Corp');
      expect(again?.domains).toHaveLength(2);
    });
  });
}

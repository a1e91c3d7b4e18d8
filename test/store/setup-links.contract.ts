/** The SetupLinkStore contract: every adapter (memory, SQLite, PostgreSQL) must pass it. */
import { describe, expect, it } from 'vitest';
import type { SetupLinkRecord, SetupLinkStore } from '../../src/store/setup-links.ts';
import { at, type Factory, useStore } from './harness.ts';

export function buildSetupLink(overrides: Partial<SetupLinkRecord> = {}): SetupLinkRecord {
  return {
    id: 'sl_one',
    organizationId: 'acme',
    tokenHash: 'a'.repeat(64),
    createdAt: at(0),
    expiresAt: at(7 * 86_400),
    createdBy: 'admin-token:admin',
    ...overrides,
  };
}

export function setupLinkStoreContract(name: string, factory: Factory<SetupLinkStore>): void {
  describe(`SetupLinkStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('finds a link by id and by token hash, with every field as written', async () => {
      const link = buildSetupLink();
      await store().create(link);
      expect(await store().get('sl_one')).toEqual(link);
      expect(await store().findByTokenHash('a'.repeat(64))).toEqual(link);
      expect(await store().findByTokenHash('b'.repeat(64))).toBeUndefined();
      expect(await store().get('sl_other')).toBeUndefined();
    });

    it('refuses a second link with the same token hash', async () => {
      await store().create(buildSetupLink());
      await expect(store().create(buildSetupLink({ id: 'sl_two' }))).rejects.toThrow();
    });

    it('lists one organization, newest first', async () => {
      await store().create(buildSetupLink({ id: 'sl_old', tokenHash: '1'.repeat(64), createdAt: at(1) }));
      await store().create(buildSetupLink({ id: 'sl_new', tokenHash: '2'.repeat(64), createdAt: at(5) }));
      await store().create(
        buildSetupLink({ id: 'sl_globex', organizationId: 'globex', tokenHash: '3'.repeat(64) }),
      );
      expect((await store().listForOrganization('acme')).map((l) => l.id)).toEqual(['sl_new', 'sl_old']);
      expect((await store().listForOrganization('globex')).map((l) => l.id)).toEqual(['sl_globex']);
      expect(await store().listForOrganization('initech')).toEqual([]);
    });

    it('revokes once: the first revocation time stays', async () => {
      await store().create(buildSetupLink());
      expect(await store().revoke('sl_one', at(10))).toBe(true);
      expect(await store().revoke('sl_one', at(20))).toBe(false);
      expect(await store().revoke('sl_unknown', at(20))).toBe(false);
      expect((await store().get('sl_one'))?.revokedAt).toEqual(at(10));
    });

    it('binds one connection: the first binding wins, an unknown link binds nothing', async () => {
      await store().create(buildSetupLink());
      expect(await store().bindConnection('sl_one', 'acme-1')).toBe('acme-1');
      expect(await store().bindConnection('sl_one', 'acme-2')).toBe('acme-1');
      expect(await store().bindConnection('sl_unknown', 'acme-3')).toBeUndefined();
      expect((await store().get('sl_one'))?.connectionId).toBe('acme-1');
    });

    it('records the first activation', async () => {
      await store().create(buildSetupLink());
      await store().markActivated('sl_one', at(30));
      await store().markActivated('sl_one', at(40));
      expect((await store().get('sl_one'))?.activatedAt).toEqual(at(30));
    });

    it('logs uses per link, oldest first, the most recent `limit`, user agents clipped', async () => {
      await store().create(buildSetupLink());
      await store().recordUse({
        linkId: 'sl_one',
        at: at(1),
        action: 'open',
        ip: '127.0.0.1',
        userAgent: 'UA',
      });
      await store().recordUse({ linkId: 'sl_one', at: at(2), action: 'metadata' });
      await store().recordUse({
        linkId: 'sl_one',
        at: at(3),
        action: 'test-start',
        userAgent: 'x'.repeat(5000),
      });
      await store().recordUse({ linkId: 'sl_two', at: at(4), action: 'open' });
      const uses = await store().listUses('sl_one');
      expect(uses.map((u) => u.action)).toEqual(['open', 'metadata', 'test-start']);
      expect(uses[0]).toEqual({
        linkId: 'sl_one',
        at: at(1),
        action: 'open',
        ip: '127.0.0.1',
        userAgent: 'UA',
      });
      expect(uses[1]).toEqual({ linkId: 'sl_one', at: at(2), action: 'metadata' });
      expect(uses[2]?.userAgent?.length).toBe(512);
      expect((await store().listUses('sl_one', 2)).map((u) => u.action)).toEqual(['metadata', 'test-start']);
    });

    it('returns copies', async () => {
      await store().create(buildSetupLink());
      const read = await store().get('sl_one');
      if (!read) throw new Error('missing');
      read.organizationId = 'globex';
      read.expiresAt.setTime(0);
      expect((await store().get('sl_one'))?.organizationId).toBe('acme');
      expect((await store().get('sl_one'))?.expiresAt).toEqual(at(7 * 86_400));
    });
  });
}

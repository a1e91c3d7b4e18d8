/** The AuditLogStore and AdminTokenStore contracts: every adapter that provides them must pass. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type {
  AdminTokenRecord,
  AdminTokenStore,
  AuditLogStore,
  NewAuditEntry,
} from '../../src/store/audit.ts';
import { at, type Factory, useStore } from './harness.ts';

export function buildAuditEntry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    id: randomUUID(),
    at: at(0),
    actor: { kind: 'admin-token', name: 'alice' },
    action: 'connection.updated',
    target: { type: 'connection', id: 'acme' },
    before: { attributeMapping: { email: ['mail'] } },
    after: { attributeMapping: { email: ['emailAddress'] }, list: [1, 'two', null], nested: { ok: true } },
    ...overrides,
  };
}

export function auditLogStoreContract(name: string, factory: Factory<AuditLogStore>): void {
  describe(`AuditLogStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('is empty at first', async () => {
      expect(await store().list()).toEqual([]);
    });

    it('returns what it appended, with an increasing seq, oldest first', async () => {
      const first = buildAuditEntry({ at: at(1) });
      const second = buildAuditEntry({
        at: at(2),
        action: 'connection.created',
        target: { type: 'connection', id: 'globex' },
      });
      const a = await store().append(first);
      const b = await store().append(second);
      expect(b.seq).toBeGreaterThan(a.seq);
      expect(await store().list()).toEqual([
        { ...first, seq: a.seq },
        { ...second, seq: b.seq },
      ]);
    });

    it('keeps entries without before (a creation) or after (a removal)', async () => {
      const { before: _b, ...created } = buildAuditEntry({ action: 'connection.created' });
      const { after: _a, ...removed } = buildAuditEntry({ action: 'connection.removed', at: at(5) });
      await store().append(created);
      await store().append(removed);
      const [c, r] = await store().list();
      expect(c).not.toHaveProperty('before');
      expect(c?.after).toEqual(created.after);
      expect(r).not.toHaveProperty('after');
      expect(r?.before).toEqual(removed.before);
    });

    it('filters by time, by target, and pages by seq with a limit', async () => {
      for (let i = 0; i < 5; i++) {
        await store().append(
          buildAuditEntry({ at: at(i * 10), target: { type: 'connection', id: i % 2 ? 'odd' : 'even' } }),
        );
      }
      const since = await store().list({ since: at(20) });
      expect(since.map((e) => e.at)).toEqual([at(20), at(30), at(40)]);
      const odd = await store().list({ target: { type: 'connection', id: 'odd' } });
      expect(odd.map((e) => e.at)).toEqual([at(10), at(30)]);
      const page1 = await store().list({ limit: 2 });
      expect(page1).toHaveLength(2);
      const page2 = await store().list({ afterSeq: page1[1]?.seq as number, limit: 2 });
      expect(page2.map((e) => e.at)).toEqual([at(20), at(30)]);
      const last = await store().list({ afterSeq: page2[1]?.seq as number, limit: 2 });
      expect(last.map((e) => e.at)).toEqual([at(40)]);
      const newest = await store().list({ newestFirst: true, limit: 2 });
      expect(newest.map((e) => e.at)).toEqual([at(40), at(30)]);
      const newestOdd = await store().list({ newestFirst: true, target: { type: 'connection', id: 'odd' } });
      expect(newestOdd.map((e) => e.at)).toEqual([at(30), at(10)]);
    });

    it('has no way to change or remove an entry', () => {
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(store())).filter(
        (m) => m !== 'constructor',
      );
      expect(methods.sort()).toEqual(['append', 'list']);
    });
  });
}

function buildToken(overrides: Partial<AdminTokenRecord> = {}): AdminTokenRecord {
  return {
    id: randomUUID(),
    name: 'alice',
    tokenHash: randomUUID().replaceAll('-', ''),
    createdAt: at(0),
    createdBy: 'bootstrap',
    ...overrides,
  };
}

export function adminTokenStoreContract(name: string, factory: Factory<AdminTokenStore>): void {
  describe(`AdminTokenStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('creates, lists oldest first, and finds by id and by hash', async () => {
      const alice = buildToken({ createdAt: at(1) });
      const bob = buildToken({ name: 'bob', createdAt: at(2), createdBy: 'alice' });
      await store().create(alice);
      await store().create(bob);
      expect(await store().list()).toEqual([alice, bob]);
      expect(await store().get(bob.id)).toEqual(bob);
      expect(await store().findByHash(alice.tokenHash)).toEqual(alice);
      expect(await store().findByHash('nope')).toBeUndefined();
      expect(await store().get('nope')).toBeUndefined();
    });

    it('records the last use', async () => {
      const alice = buildToken();
      await store().create(alice);
      await store().touch(alice.id, at(60));
      expect((await store().get(alice.id))?.lastUsedAt).toEqual(at(60));
    });

    it('revokes once', async () => {
      const alice = buildToken();
      await store().create(alice);
      expect(await store().revoke(alice.id, at(5))).toBe(true);
      expect(await store().revoke(alice.id, at(6))).toBe(false);
      expect(await store().revoke('nope', at(6))).toBe(false);
      expect((await store().get(alice.id))?.revokedAt).toEqual(at(5));
    });

    it('refuses a second token with the same hash', async () => {
      const alice = buildToken();
      await store().create(alice);
      await expect(store().create(buildToken({ tokenHash: alice.tokenHash }))).rejects.toThrow();
    });
  });
}

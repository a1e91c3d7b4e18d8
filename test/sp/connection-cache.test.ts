/** The sign-in path's connection cache: parsed once per version, an edit on any instance seen at once. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionCache, OrganizationCache } from '../../src/sp/connection-cache.ts';
import { MemoryConnectionStore } from '../../src/store/memory/connections.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { buildConnection } from '../store/harness.ts';
import { buildOrganization } from '../store/organizations.contract.ts';

describe('ConnectionCache', () => {
  const opened: { stores: Stores; dir?: string }[] = [];
  afterEach(async () => {
    for (const { stores, dir } of opened.splice(0)) {
      await stores.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands out the same frozen connection until it changes, then the new one; nothing once it is gone', async () => {
    const store = new MemoryConnectionStore();
    const cache = new ConnectionCache(store);
    expect(await cache.get('acme')).toBeUndefined();
    await store.put(buildConnection());
    const first = await cache.get('acme');
    expect(first).toEqual(buildConnection());
    expect(await cache.get('acme')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.signingCertificates[0])).toBe(true);
    await store.put(buildConnection({ displayName: 'Acme Renamed' }));
    const second = await cache.get('acme');
    expect(second?.displayName).toBe('Acme Renamed');
    expect(second).not.toBe(first);
    await store.delete('acme');
    expect(await cache.get('acme')).toBeUndefined();
  });

  it('sees an edit made by another instance on the same SQLite file at the next read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-connection-cache-'));
    const file = path.join(dir, 'shared.db');
    const a = openSqliteStores(file);
    const b = openSqliteStores(file);
    opened.push({ stores: a, dir }, { stores: b });
    await a.connections.put(buildConnection());
    const cacheOnB = new ConnectionCache(b.connections);
    const before = await cacheOnB.get('acme');
    expect(await cacheOnB.get('acme')).toBe(before);
    // Same updatedAt, changed content: the version is the stored text, not the timestamp.
    await a.connections.put({ ...buildConnection(), displayName: 'Edited on A' });
    expect((await cacheOnB.get('acme'))?.displayName).toBe('Edited on A');
    // An edit of another connection moves the shared counter: one more read, the same content.
    await a.connections.put(buildConnection({ id: 'globex' }));
    expect((await cacheOnB.get('acme'))?.displayName).toBe('Edited on A');
    await a.connections.delete('acme');
    expect(await cacheOnB.get('acme')).toBeUndefined();
  });

  it("sees an organization's policy edited by another instance at the next sign-in", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-organization-cache-'));
    const file = path.join(dir, 'shared.db');
    const a = openSqliteStores(file);
    const b = openSqliteStores(file);
    opened.push({ stores: a, dir }, { stores: b });
    if (!a.organizations || !b.organizations) throw new Error('SQLite stores have organizations');
    await a.organizations.put(buildOrganization());
    const cacheOnB = new OrganizationCache(b.organizations);
    const before = await cacheOnB.get('acme');
    expect(before?.policy.jit).toBe(true);
    expect(await cacheOnB.get('acme')).toBe(before);
    expect(Object.isFrozen(before?.policy)).toBe(true);
    await a.organizations.put(buildOrganization({ policy: { ...before!.policy, jit: false } }));
    expect((await cacheOnB.get('acme'))?.policy.jit).toBe(false);
    await a.organizations.delete('acme');
    expect(await cacheOnB.get('acme')).toBeUndefined();
  });

  it('the SP key version moves with every key write, on any instance sharing the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-key-version-'));
    const file = path.join(dir, 'shared.db');
    const a = openSqliteStores(file);
    const b = openSqliteStores(file);
    opened.push({ stores: a, dir }, { stores: b });
    const version = () => b.spKeys?.version?.();
    const v0 = await version();
    expect(await version()).toBe(v0);
    await a.spKeys?.put({
      id: 'k1',
      use: 'signing',
      state: 'next',
      certificatePem: 'PEM',
      keyRef: 'file:k1',
      createdAt: new Date(0),
    });
    const v1 = await version();
    expect(v1).not.toBe(v0);
    expect(await version()).toBe(v1);
  });
});

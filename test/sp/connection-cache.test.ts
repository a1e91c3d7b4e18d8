/** The sign-in path's connection cache: parsed once per version, an edit on any instance seen at once. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionCache } from '../../src/sp/connection-cache.ts';
import { MemoryConnectionStore } from '../../src/store/memory/connections.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { buildConnection } from '../store/harness.ts';

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
  });
});

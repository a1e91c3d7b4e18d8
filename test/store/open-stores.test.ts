/** Choosing the backend from DATABASE_URL. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.ts';
import { openStores, parseDatabaseUrl } from '../../src/store/index.ts';
import { MemoryConnectionStore, MemoryRequestIdStore } from '../../src/store/memory/index.ts';
import {
  SqliteConnectionStore,
  SqliteReplayCache,
  SqliteRequestIdStore,
} from '../../src/store/sqlite/index.ts';
import { buildConnection } from './harness.ts';

describe('parseDatabaseUrl', () => {
  it('reads memory:, relative and absolute SQLite paths', () => {
    expect(parseDatabaseUrl('memory:')).toEqual({ kind: 'memory' });
    expect(parseDatabaseUrl('sqlite:data/sp.db', '/srv/app')).toEqual({
      kind: 'sqlite',
      file: '/srv/app/data/sp.db',
    });
    expect(parseDatabaseUrl('sqlite:/var/lib/sp.db', '/srv/app')).toEqual({
      kind: 'sqlite',
      file: '/var/lib/sp.db',
    });
    expect(parseDatabaseUrl('sqlite:///var/lib/sp.db', '/srv/app')).toEqual({
      kind: 'sqlite',
      file: '/var/lib/sp.db',
    });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', file: ':memory:' });
    expect(parseDatabaseUrl('postgres://u:p@db/sp')).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@db/sp',
    });
  });

  it('rejects an empty SQLite path and unknown schemes, without echoing a password', () => {
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(InvalidOptionError);
    let error: unknown;
    try {
      parseDatabaseUrl('mysql://root:hunter2@db/sp');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('ERR_INVALID_ARG_VALUE');
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('openStores', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-open-'));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('memory: puts all five stores in memory', async () => {
    const stores = await openStores({ databaseUrl: 'memory:' });
    expect(stores.connections).toBeInstanceOf(MemoryConnectionStore);
    expect(stores.requests).toBeInstanceOf(MemoryRequestIdStore);
    await stores.close();
  });

  it('sqlite:PATH relative to the working directory creates the file and its parents', async () => {
    vi.spyOn(process, 'cwd').mockReturnValue(dir);
    const stores = await openStores({ databaseUrl: 'sqlite:data/deep/sp.db' });
    try {
      expect(existsSync(path.join(dir, 'data', 'deep', 'sp.db'))).toBe(true);
      expect(stores.connections).toBeInstanceOf(SqliteConnectionStore);
      // "In-process caches" by default; the replay record is not a cache and stays in the file (issue #11).
      expect(stores.requests).toBeInstanceOf(MemoryRequestIdStore);
      expect(stores.replay).toBeInstanceOf(SqliteReplayCache);
      await stores.connections.put(buildConnection());
    } finally {
      await stores.close();
    }
    const reopened = await openStores({ databaseUrl: `sqlite:${path.join(dir, 'data', 'deep', 'sp.db')}` });
    try {
      expect((await reopened.connections.list()).map((c) => c.id)).toEqual(['acme']);
    } finally {
      await reopened.close();
    }
  });

  it("caches: 'database' keeps request IDs in SQLite", async () => {
    const stores = await openStores({ databaseUrl: `sqlite:${path.join(dir, 'sp.db')}`, caches: 'database' });
    expect(stores.requests).toBeInstanceOf(SqliteRequestIdStore);
    await stores.close();
    await stores.close(); // closing twice is harmless
  });

  it('an unreachable PostgreSQL or Redis fails the open at once, with the password redacted', async () => {
    // Port 1 on loopback refuses connections: nothing is started, and nothing waits for a timeout.
    for (const options of [
      { databaseUrl: 'postgres://sp:hunter2@127.0.0.1:1/sp' },
      { databaseUrl: 'postgresql://sp:hunter2@127.0.0.1:1/sp' },
      { databaseUrl: 'memory:', redisUrl: 'redis://:hunter2@127.0.0.1:1' },
    ]) {
      const error = await openStores(options).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/(PostgreSQL|Redis) at \S+:\*\*\*@127\.0\.0\.1:1/);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('rejects a REDIS_URL that is not redis:// or rediss:// before opening anything', async () => {
    await expect(
      openStores({ databaseUrl: 'memory:', redisUrl: 'http://cache:6379' }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

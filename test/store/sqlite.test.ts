/** What only the SQLite adapters promise: persistence, migrations, WAL, atomicity across connections. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync, StatementSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appliedVersions,
  MIGRATIONS,
  migrate,
  openSqliteDatabase,
  openSqliteStores,
} from '../../src/store/sqlite/index.ts';
import { at, buildConnection, buildRequest, buildSession, buildUser } from './harness.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-sqlite-'));
  file = path.join(dir, 'nested', 'dir', 'sp.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite stores', () => {
  it('create parent directories and survive a reopen with the same data', async () => {
    const first = openSqliteStores(file, { caches: 'database' });
    const connection = buildConnection();
    await first.connections.put(connection);
    const user = await first.users.upsert(buildUser(), at(0));
    const session = buildSession({ userId: user.id });
    await first.sessions.create(session);
    const request = buildRequest();
    await first.requests.save(request);
    expect(await first.replay.remember('assertion:_a', at(300), at(0))).toBe(true);
    await first.close();

    const second = openSqliteStores(file, { caches: 'database' });
    try {
      expect(await second.connections.get('acme')).toEqual(connection);
      expect(await second.users.get(user.id)).toEqual(user);
      expect(await second.sessions.get(session.id, at(1))).toEqual(session);
      expect(await second.requests.consume(request.requestId, at(1))).toEqual(request);
      expect(await second.replay.remember('assertion:_a', at(300), at(1))).toBe(false);
    } finally {
      await second.close();
    }
  });

  it('keeps request IDs in memory by default, but the replay record in the file: it survives a reopen (#11)', async () => {
    const first = openSqliteStores(file);
    const request = buildRequest();
    await first.requests.save(request);
    await first.replay.remember('k', at(300), at(0));
    await first.close();
    const second = openSqliteStores(file);
    try {
      expect(await second.requests.peek(request.requestId, at(1))).toBeUndefined();
      expect(await second.replay.remember('k', at(300), at(1))).toBe(false);
    } finally {
      await second.close();
    }
  });

  it('runs in WAL mode with a busy timeout', () => {
    const db = openSqliteDatabase(file);
    try {
      expect(db.prepare('PRAGMA journal_mode').get()?.journal_mode).toBe('wal');
      expect(db.prepare('PRAGMA busy_timeout').get()?.timeout).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it('one consume wins across two connections to the same file', async () => {
    const a = openSqliteStores(file, { caches: 'database' });
    const b = openSqliteStores(file, { caches: 'database' });
    try {
      const requests = Array.from({ length: 10 }, () => buildRequest());
      for (const r of requests) await a.requests.save(r);
      const results = await Promise.all(
        requests.flatMap((r) => [
          a.requests.consume(r.requestId, at(1)),
          b.requests.consume(r.requestId, at(1)),
        ]),
      );
      expect(results.filter((r) => r !== undefined)).toHaveLength(10);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('enforces one user per (connection_id, name_id) in the schema itself', () => {
    const db = openSqliteDatabase(file);
    try {
      const insert = db.prepare(
        `INSERT INTO users (id, connection_id, name_id, groups, attributes, created_at, updated_at, last_login_at)
         VALUES (?, 'acme', 'alice', '[]', '{}', 't', 't', 't')`,
      );
      insert.run('u1');
      expect(() => insert.run('u2')).toThrow(/UNIQUE/);
    } finally {
      db.close();
    }
  });
});

describe('migrations', () => {
  it('are recorded once and idempotent across reopens', () => {
    const db = openSqliteDatabase(file);
    try {
      const all = MIGRATIONS.map((m) => m.version);
      expect(appliedVersions(db)).toEqual(all);
      expect(migrate(db)).toEqual([]);
      expect(appliedVersions(db)).toEqual(all);
    } finally {
      db.close();
    }
    const again = openSqliteDatabase(file);
    try {
      expect(appliedVersions(again)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      again.close();
    }
  });

  it('apply only the new ones, in order', () => {
    const db = new DatabaseSync(':memory:');
    try {
      const one = { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' };
      const two = { version: 2, name: 'b', sql: 'CREATE TABLE b (x INTEGER)' };
      expect(migrate(db, [one])).toEqual([1]);
      expect(migrate(db, [one, two])).toEqual([2]);
      expect(appliedVersions(db)).toEqual([1, 2]);
    } finally {
      db.close();
    }
  });

  it('roll a failing migration back entirely and leave it unrecorded', () => {
    const db = new DatabaseSync(':memory:');
    try {
      const good = { version: 1, name: 'good', sql: 'CREATE TABLE good (x INTEGER)' };
      const bad = { version: 2, name: 'bad', sql: 'CREATE TABLE half (x INTEGER); CREATE TABLE broken (' };
      expect(() => migrate(db, [good, bad])).toThrow(/migration 2 \(bad\) failed/);
      expect(appliedVersions(db)).toEqual([1]);
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'half'")
        .all();
      expect(tables).toEqual([]);
      expect(db.isTransaction).toBe(false);
    } finally {
      db.close();
    }
  });

  it('refuse a list that is not strictly increasing', () => {
    const db = new DatabaseSync(':memory:');
    try {
      const m = (version: number) => ({ version, name: `m${version}`, sql: 'SELECT 1' });
      expect(() => migrate(db, [m(2), m(1)])).toThrow(/strictly increasing/);
      expect(() => migrate(db, [m(1), m(1)])).toThrow(/strictly increasing/);
    } finally {
      db.close();
    }
  });
});

describe('SQLite SCIM sign-in lookup (migration 17)', () => {
  /** Runs `work` and returns how many statements read `scim_users`. */
  async function directoryReads(work: () => Promise<unknown>): Promise<number> {
    const get = StatementSync.prototype.get;
    let reads = 0;
    StatementSync.prototype.get = function (this: StatementSync, ...args: unknown[]) {
      if (/FROM scim_users/.test(this.sourceSQL)) reads++;
      return Reflect.apply(get, this, args);
    } as typeof get;
    try {
      await work();
    } finally {
      StatementSync.prototype.get = get;
    }
    return reads;
  }

  it('reads an empty directory once, a user once, and again after a write', async () => {
    const stores = openSqliteStores(file);
    const scim = stores.scim;
    if (!scim) throw new Error('no SCIM store');
    try {
      const find = () => scim.findUserForSignIn('acme', ['erin@acme.test', 'Erin@Mail.acme.test']);
      expect(await directoryReads(find)).toBe(1);
      expect(await directoryReads(async () => [await find(), await find(), await find()])).toBe(0);
      const erin = {
        id: 'u-erin',
        organizationId: 'acme',
        userName: 'erin@acme.test',
        active: true,
        deleted: false,
        resource: { userName: 'erin@acme.test' },
        version: 1,
        createdAt: at(0),
        updatedAt: at(0),
      };
      await scim.insertUser(erin);
      // The organization now has a user: is there one? then the lookup itself; then neither.
      expect(await directoryReads(find)).toBe(2);
      expect(await directoryReads(async () => [await find(), await find()])).toBe(0);
      expect(await find()).toEqual(erin);
      await scim.updateUser({ ...erin, active: false, version: 2 });
      expect(await directoryReads(find)).toBe(2);
      expect((await find())?.active).toBe(false);
    } finally {
      await stores.close();
    }
  });
});

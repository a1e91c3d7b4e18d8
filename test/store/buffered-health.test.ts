/** BufferedConnectionHealth: successes counted in memory, written at each flush and at close. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferedConnectionHealth } from '../../src/store/buffered-health.ts';
import type { ConnectionHealthStore } from '../../src/store/connection-health.ts';
import { MemoryConnectionHealthStore } from '../../src/store/memory/connection-health.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { connectionHealthStoreContract } from './connection-health.contract.ts';
import { at } from './harness.ts';

/** `underlying` with its recordSuccess replaced (a slow or failing write). */
function withRecordSuccess(
  underlying: ConnectionHealthStore,
  recordSuccess: ConnectionHealthStore['recordSuccess'],
): ConnectionHealthStore {
  return {
    get: (id) => underlying.get(id),
    list: () => underlying.list(),
    delete: (id) => underlying.delete(id),
    recordFailure: (id, f) => underlying.recordFailure(id, f),
    recordSuccess,
  };
}

// Reads include what is buffered, so the wrapper keeps the store contract, flushed or not.
connectionHealthStoreContract('buffered (1 h flush) over memory', async () => {
  const store = new BufferedConnectionHealth(new MemoryConnectionHealthStore(), { flushMs: 3_600_000 });
  return { store, close: () => store.close() };
});
connectionHealthStoreContract('buffered (flushMs 0: writes through) over memory', async () => {
  const store = new BufferedConnectionHealth(new MemoryConnectionHealthStore(), { flushMs: 0 });
  return { store, close: () => store.close() };
});

describe('BufferedConnectionHealth over SQLite', () => {
  let dir: string;
  let stores: Stores;
  const open = () => {
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-buffered-health-'));
    stores = openSqliteStores(path.join(dir, 'test.db'));
    return stores.connectionHealth as ConnectionHealthStore;
  };
  afterEach(async () => {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes no row per success: the counts land at the flush, and this instance reads them before', async () => {
    const underlying = open();
    const health = new BufferedConnectionHealth(underlying, { flushMs: 3_600_000 });
    for (let i = 1; i <= 100; i++) {
      await health.recordSuccess('acme', { at: at(i), nameId: `n${i}`, userId: 'u' });
    }
    expect(await underlying.get('acme')).toBeUndefined();
    expect((await health.get('acme'))?.successCount).toBe(100);
    expect((await health.list()).map((h) => [h.connectionId, h.successCount])).toEqual([['acme', 100]]);
    await health.flush();
    expect(await underlying.get('acme')).toMatchObject({
      successCount: 100,
      lastSuccess: { at: at(100), nameId: 'n100' },
    });
    expect((await health.get('acme'))?.successCount).toBe(100);
  });

  it('writes failures at once, and what is left at close', async () => {
    const underlying = open();
    const health = new BufferedConnectionHealth(underlying, { flushMs: 3_600_000 });
    await health.recordSuccess('acme', { at: at(1), nameId: 'alice', userId: 'u1' });
    await health.recordFailure('acme', { at: at(2), code: 'SAML_REPLAYED', message: 'm', hint: 'h' });
    expect(await underlying.get('acme')).toMatchObject({ successCount: 0, failureCount: 1 });
    await health.close();
    expect(await underlying.get('acme')).toMatchObject({ successCount: 1, failureCount: 1 });
  });

  it('flushes by itself after flushMs', async () => {
    const underlying = open();
    const health = new BufferedConnectionHealth(underlying, { flushMs: 20 });
    await health.recordSuccess('acme', { at: at(1), nameId: 'alice', userId: 'u1' });
    await expect.poll(async () => (await underlying.get('acme'))?.successCount, { timeout: 5_000 }).toBe(1);
    await health.close();
  });

  it('keeps the counts when a flush fails (the database blinked) and writes them at the next', async () => {
    const underlying = open();
    let down = true;
    const flaky = withRecordSuccess(underlying, (id, s, n) =>
      down ? Promise.reject(new Error('database is locked')) : underlying.recordSuccess(id, s, n),
    );
    const problems: unknown[] = [];
    const health = new BufferedConnectionHealth(flaky, {
      flushMs: 3_600_000,
      onFlushError: (e) => problems.push(e),
    });
    await health.recordSuccess('acme', { at: at(1), nameId: 'alice', userId: 'u1' });
    await health.flush();
    expect(problems).toHaveLength(1);
    expect((await health.get('acme'))?.successCount).toBe(1);
    await health.recordSuccess('acme', { at: at(2), nameId: 'bob', userId: 'u2' });
    down = false;
    await health.close();
    expect(await underlying.get('acme')).toMatchObject({ successCount: 2, lastSuccess: { nameId: 'bob' } });
  });

  it('a delete during the flush that is writing the same connection leaves no row behind', async () => {
    const underlying = open();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let writing = false;
    const slow = withRecordSuccess(underlying, async (id, s, n) => {
      writing = true;
      await gate;
      return underlying.recordSuccess(id, s, n);
    });
    const health = new BufferedConnectionHealth(slow, { flushMs: 3_600_000 });
    await health.recordSuccess('acme', { at: at(1), nameId: 'alice', userId: 'u1' });
    const flushed = health.flush();
    await expect.poll(() => writing).toBe(true);
    const deleted = health.delete('acme');
    release();
    await Promise.all([flushed, deleted]);
    expect(await underlying.get('acme')).toBeUndefined();
    expect(await health.get('acme')).toBeUndefined();
    await health.close();
  });

  it('a failed write of a connection deleted meanwhile is not kept for the next flush', async () => {
    const underlying = open();
    let fail: (e: Error) => void = () => undefined;
    const failing = new Promise<void>((_, reject) => {
      fail = reject;
    });
    let writing = false;
    const flaky = withRecordSuccess(underlying, async () => {
      writing = true;
      await failing;
    });
    const health = new BufferedConnectionHealth(flaky, { flushMs: 3_600_000 });
    await health.recordSuccess('acme', { at: at(1), nameId: 'alice', userId: 'u1' });
    const flushed = health.flush();
    await expect.poll(() => writing).toBe(true);
    const deleted = health.delete('acme');
    fail(new Error('database is locked'));
    await Promise.all([flushed, deleted]);
    expect(await health.get('acme')).toBeUndefined();
    expect(await health.list()).toEqual([]);
    await health.close();
  });
});

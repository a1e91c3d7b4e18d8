/** BufferedTraceStore: successful attempts' traces written in batches, failures at once, reads include the buffer. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferedTraceStore } from '../../src/store/buffered-traces.ts';
import { MemoryTraceStore } from '../../src/store/memory/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { SignInTrace, Stores, TraceStore } from '../../src/store/types.ts';
import { at } from './harness.ts';
import { buildTrace, traceStoreContract } from './traces.contract.ts';

// Reads include what is buffered, so the wrapper keeps the store contract, flushed or not.
traceStoreContract('buffered (1 h flush) over memory', async () => {
  const store = new BufferedTraceStore(new MemoryTraceStore(), { flushMs: 3_600_000 });
  return { store, close: () => store.close() };
});
traceStoreContract('buffered (flushMs 0: writes through) over memory', async () => {
  const store = new BufferedTraceStore(new MemoryTraceStore(), { flushMs: 0 });
  return { store, close: () => store.close() };
});

const success = (n: number, overrides: Partial<SignInTrace> = {}) =>
  buildTrace({
    traceId: `SUCC0-${String(n).padStart(5, '0')}`,
    at: at(n),
    outcome: 'succeeded',
    errorCode: undefined,
    ...overrides,
  });

/** A store whose writes fail while `down` is set. */
class FlakyStore extends MemoryTraceStore {
  down = false;
  batches = 0;
  /** When set, a batch write waits for it. */
  gate: Promise<void> | undefined;
  override async put(trace: SignInTrace): Promise<void> {
    if (this.down) throw new Error('database is down');
    return super.put(trace);
  }
  override async putMany(traces: readonly SignInTrace[]): Promise<void> {
    await this.gate;
    if (this.down) throw new Error('database is down');
    this.batches += 1;
    return super.putMany(traces);
  }
}

describe('BufferedTraceStore over SQLite', () => {
  let dir: string;
  let stores: Stores;
  const open = () => {
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-buffered-traces-'));
    stores = openSqliteStores(path.join(dir, 'test.db'));
    return stores.traces as TraceStore;
  };
  afterEach(async () => {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes successes at the flush, one batch; this instance reads them before', async () => {
    const underlying = open();
    const traces = new BufferedTraceStore(underlying, { flushMs: 3_600_000 });
    for (let i = 1; i <= 50; i++) await traces.put(success(i));
    expect(await underlying.list()).toEqual([]);
    expect(traces.buffered).toBe(50);
    expect(await traces.get('SUCC0-00007')).toEqual(success(7));
    expect((await traces.list({ limit: 3 })).map((t) => t.traceId)).toEqual([
      'SUCC0-00050',
      'SUCC0-00049',
      'SUCC0-00048',
    ]);
    await traces.flush();
    expect(traces.buffered).toBe(0);
    expect(await underlying.list({ limit: 500 })).toHaveLength(50);
    expect(await underlying.get('SUCC0-00007')).toEqual(success(7));
  });

  it("writes a failure's trace at once, so support finds it on every instance right after the error page", async () => {
    const underlying = open();
    const traces = new BufferedTraceStore(underlying, { flushMs: 3_600_000 });
    await traces.put(buildTrace({ traceId: 'FAIL0-00001' }));
    expect(await underlying.get('FAIL0-00001')).toEqual(buildTrace({ traceId: 'FAIL0-00001' }));
    expect(traces.buffered).toBe(0);
  });

  it('writes what is left at close', async () => {
    const underlying = open();
    const traces = new BufferedTraceStore(underlying, { flushMs: 3_600_000 });
    await traces.put(success(1));
    await traces.close();
    expect(await underlying.get('SUCC0-00001')).toEqual(success(1));
  });

  it('flushes on its own after flushMs', async () => {
    const underlying = open();
    const traces = new BufferedTraceStore(underlying, { flushMs: 20 });
    await traces.put(success(1));
    await expect.poll(() => underlying.get('SUCC0-00001'), { timeout: 2_000 }).toEqual(success(1));
    await traces.close();
  });

  it('writes everything before a purge, so the cap counts every trace', async () => {
    const underlying = open();
    const traces = new BufferedTraceStore(underlying, { flushMs: 3_600_000 });
    for (let i = 1; i <= 5; i++) await traces.put(success(i));
    expect(await traces.purge({ olderThan: at(0), maxCount: 2 })).toBe(3);
    expect((await traces.list()).map((t) => t.traceId)).toEqual(['SUCC0-00005', 'SUCC0-00004']);
  });
});

describe('BufferedTraceStore bounds', () => {
  it('writes the batch before taking one more than maxBuffered (back-pressure, nothing dropped)', async () => {
    const underlying = new FlakyStore();
    const traces = new BufferedTraceStore(underlying, { flushMs: 3_600_000, maxBuffered: 10 });
    for (let i = 1; i <= 25; i++) await traces.put(success(i));
    expect(underlying.batches).toBe(2);
    expect(traces.buffered).toBe(5);
    expect(await underlying.list({ limit: 500 })).toHaveLength(20);
    await traces.close();
    expect(await underlying.list({ limit: 500 })).toHaveLength(25);
  });

  it('keeps a failed batch for the next flush, within the bound, and reports what it dropped', async () => {
    const underlying = new FlakyStore();
    const reports: { kept: number; dropped: number }[] = [];
    const traces = new BufferedTraceStore(underlying, {
      flushMs: 3_600_000,
      maxBuffered: 10,
      onFlushError: (_error, facts) => reports.push(facts),
    });
    for (let i = 1; i <= 6; i++) await traces.put(success(i));
    underlying.down = true;
    await traces.flush();
    expect(reports).toEqual([{ kept: 6, dropped: 0 }]);
    expect(traces.buffered).toBe(6);
    // Still readable here while the database is away.
    expect(await traces.get('SUCC0-00003')).toEqual(success(3));
    underlying.down = false;
    await traces.flush();
    expect(await underlying.list({ limit: 500 })).toHaveLength(6);

    // A batch that cannot be written and finds the buffer refilled keeps only what fits: the newest.
    for (let i = 11; i <= 20; i++) await traces.put(success(i));
    underlying.down = true;
    let open = () => {};
    underlying.gate = new Promise((resolve) => {
      open = resolve;
    });
    const flushing = traces.flush();
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 21; i <= 24; i++) await traces.put(success(i));
    open();
    await flushing;
    underlying.gate = undefined;
    expect(reports.at(-1)).toEqual({ kept: 6, dropped: 4 });
    underlying.down = false;
    await traces.close();
    const written = (await underlying.list({ limit: 500 })).map((t) => t.traceId);
    expect(written).toContain('SUCC0-00024');
    expect(written).toContain('SUCC0-00015');
    expect(written).not.toContain('SUCC0-00014');
  });
});

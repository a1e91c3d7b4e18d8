/** The in-memory caches stay bounded under a flood and evict expired entries before live ones. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, SamlSpError } from '../../src/core/errors.ts';
import { ExpiringMap } from '../../src/store/memory/expiring-map.ts';
import { MemoryReplayCache, MemoryRequestIdStore, replayDigest } from '../../src/store/memory/index.ts';
import { at, buildRequest } from './harness.ts';

describe('ExpiringMap', () => {
  it('never holds more than maxEntries', () => {
    const map = new ExpiringMap<number>({ maxEntries: 50 });
    for (let i = 0; i < 1_000; i++) {
      map.set(`k${i}`, i, at(3600), at(0));
      expect(map.size).toBeLessThanOrEqual(50);
    }
    // The newest survive a flood; the oldest went first.
    expect(map.get('k999', at(1))).toBe(999);
    expect(map.get('k0', at(1))).toBeUndefined();
  });

  it('evicts expired entries before live ones', () => {
    const map = new ExpiringMap<string>({ maxEntries: 10 });
    map.set('live-old', 'keep', at(3600), at(0));
    for (let i = 0; i < 9; i++) map.set(`short${i}`, 'x', at(10), at(0));
    map.set('new', 'y', at(3600), at(20)); // at cap: the nine expired ones go, not 'live-old'
    expect(map.get('live-old', at(21))).toBe('keep');
    expect(map.get('new', at(21))).toBe('y');
    expect(map.size).toBe(2);
  });

  it('stays near its live size under a steady load, far below its cap (issue #16)', () => {
    const map = new ExpiringMap<true>({ maxEntries: 1_000_000 });
    // 100 writes per second, each live for 60 s: 6,000 live entries at any time.
    for (let i = 0; i < 100_000; i++) map.set(`k${i}`, true, at(i / 100 + 60), at(i / 100));
    expect(map.size).toBeGreaterThanOrEqual(6_000);
    expect(map.size).toBeLessThanOrEqual(6_000 * 1.5 + 1_024);
  });

  it('reports removals so side indexes stay right, and rejects a bad cap', () => {
    const removed: string[] = [];
    const map = new ExpiringMap<string>({ maxEntries: 2, onRemove: (key) => removed.push(key) });
    map.set('a', 'a', at(10), at(0));
    map.set('b', 'b', at(10), at(0));
    map.set('c', 'c', at(10), at(1));
    expect(removed).toEqual(['a']);
    expect(() => new ExpiringMap({ maxEntries: 0 })).toThrow(InvalidOptionError);
    expect(() => new ExpiringMap({ maxEntries: Number.NaN })).toThrow(InvalidOptionError);
  });
});

describe('memory caches under a flood', () => {
  it('the request-ID store keeps its cap and its per-browser index in step', async () => {
    const store = new MemoryRequestIdStore({ maxEntries: 20 });
    const flood = Array.from({ length: 200 }, (_, i) =>
      buildRequest({ requestId: `_r${i}`, createdAt: at(i / 100) }),
    );
    for (const r of flood) await store.save(r);
    expect(store.size).toBeLessThanOrEqual(20);
    const live = await store.listForBrowser('browser-1', 'acme', at(5));
    expect(live.length).toBeLessThanOrEqual(20);
    expect(live.at(-1)?.requestId).toBe('_r199');
    for (const r of live) expect(await store.peek(r.requestId, at(5))).toEqual(r);
  });

  it('the replay cache keeps its cap by refusing, never by forgetting a live key (issue #16)', async () => {
    const cache = new MemoryReplayCache({ maxEntries: 20 });
    for (let i = 0; i < 20; i++) expect(await cache.remember(`k${i}`, at(300), at(0))).toBe(true);
    const full = await cache.remember('k20', at(300), at(1)).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(SamlSpError);
    expect((full as SamlSpError).code).toBe('SAML_REPLAY_CACHE_FULL');
    expect((full as SamlSpError).status).toBe(503);
    expect(cache.size).toBe(20);
    // Every live key is still known: replays stay refused while the cache is full.
    for (let i = 0; i < 20; i++) expect(await cache.remember(`k${i}`, at(300), at(2))).toBe(false);
    // A refused key was not recorded, and a pure lookup (expiry = now) needs no room.
    expect(await cache.remember('k20', at(2), at(2))).toBe(true);
    // Once the oldest expire, new keys are accepted again.
    expect(await cache.remember('k20', at(600), at(300))).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('a full replay cache finds an entry added after its last sweep once it expires', async () => {
    const cache = new MemoryReplayCache({ maxEntries: 3 });
    await cache.remember('long-1', at(1000), at(0));
    await cache.remember('long-2', at(1000), at(0));
    await cache.remember('long-3', at(1000), at(0));
    await expect(cache.remember('x', at(1000), at(1))).rejects.toThrow(SamlSpError); // sweeps: next expiry 1000
    expect(await cache.remember('long-1', at(1000), at(1))).toBe(false);
    const roomy = new MemoryReplayCache({ maxEntries: 3 });
    await roomy.remember('long', at(1000), at(0));
    await roomy.remember('short', at(10), at(0));
    await roomy.remember('long-2', at(1000), at(0));
    await expect(roomy.remember('x', at(1000), at(5))).rejects.toThrow(SamlSpError);
    expect(await roomy.remember('x', at(1000), at(11))).toBe(true); // 'short' expired: swept, not refused
  });
});

describe('what one entry keeps alive (issue #16)', () => {
  it('the replay key is a fixed-size digest, whatever the key', () => {
    for (const key of ['', 'a', `assertion:dev:_${'x'.repeat(10_000)}`]) {
      const digest = replayDigest(key);
      expect(typeof digest).toBe('string');
      expect(digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    expect(replayDigest('assertion:a:_1')).not.toBe(replayDigest('assertion:a:_2'));
  });

  it('a replay entry does not keep the document its ID was cut from alive', async () => {
    // An ID read from a parsed document is a slice of a larger string; a Map keyed by that slice keeps the
    // whole string alive (measured on the old cache: 50 MB for these 1,000 entries of 50 KB documents).
    const cache = new MemoryReplayCache();
    const now = at(0);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000; i++) {
      const doc = `<Assertion ID="_${String(i).padStart(8, '0')}${'f'.repeat(24)}">${'z'.repeat(50_000)}</Assertion>`;
      await cache.remember(`assertion:dev:${doc.slice(15, 48)}`, at(3600), now);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(cache.size).toBe(1_000);
    expect(grown).toBeLessThan(5_000_000);
  });

  it('a pending request does not keep the Cookie header its browser key was cut from alive', async () => {
    const store = new MemoryRequestIdStore();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000; i++) {
      const header = `pad=${'p'.repeat(50_000)}; saml_sp_session_req=${String(i).padStart(43, 'k')}`;
      const browserKey = header.slice(header.length - 43);
      await store.save(buildRequest({ browserKey, createdAt: at(0), expiresAt: at(600) }));
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(store.size).toBe(1_000);
    expect(grown).toBeLessThan(5_000_000);
  });
});

/** The V8 collector, reached without a command-line flag. */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The in-memory caches stay bounded under a flood and evict expired entries before live ones. */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.ts';
import { ExpiringMap } from '../../src/store/memory/expiring-map.ts';
import { MemoryReplayCache, MemoryRequestIdStore } from '../../src/store/memory/index.ts';
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

  it('the replay cache keeps its cap', async () => {
    const cache = new MemoryReplayCache({ maxEntries: 20 });
    for (let i = 0; i < 200; i++) expect(await cache.remember(`k${i}`, at(300), at(0))).toBe(true);
    expect(cache.size).toBeLessThanOrEqual(20);
    expect(await cache.remember('k199', at(300), at(1))).toBe(false);
  });
});

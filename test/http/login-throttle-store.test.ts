/** Issue #11 item 5: the admin sign-in throttle on a ThrottleStore, per address and under a global ceiling. */
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/http/admin/index.ts';
import { MemoryThrottleStore } from '../../src/store/memory/index.ts';

const T = Date.parse('2026-01-01T00:00:00Z');
const WINDOW = 15 * 60_000;

describe('LoginThrottle on a ThrottleStore', () => {
  it('blocks an address after maxPerClient failures until its window has passed; a success resets it', async () => {
    const throttle = new LoginThrottle({ maxPerClient: 3 });
    for (let i = 0; i < 3; i++) {
      expect(await throttle.blocked('10.0.0.1', T)).toBe(false);
      await throttle.fail('10.0.0.1', T + i);
    }
    expect(await throttle.blocked('10.0.0.1', T + 10)).toBe(true);
    expect(await throttle.blocked('10.0.0.2', T + 10)).toBe(false);
    expect(await throttle.blocked('10.0.0.1', T + WINDOW)).toBe(false);
    await throttle.fail('10.0.0.2', T);
    await throttle.reset('10.0.0.2');
    expect(await throttle.blocked('10.0.0.2', T + 1)).toBe(false);
  });

  it('rotating addresses run into the global ceiling, which a success does not lift', async () => {
    const throttle = new LoginThrottle({ maxPerClient: 10, maxTotal: 5 });
    for (let i = 0; i < 5; i++) await throttle.fail(`10.0.1.${i}`, T);
    expect(await throttle.blocked('10.0.2.1', T + 1)).toBe(true);
    await throttle.reset('10.0.2.1');
    expect(await throttle.blocked('10.0.2.1', T + 2)).toBe(true);
    expect(await throttle.blocked('10.0.2.1', T + WINDOW)).toBe(false);
  });

  it('two throttles on one store (two instances) count together; no address can own the ceiling bucket', async () => {
    const store = new MemoryThrottleStore();
    const [a, b] = [
      new LoginThrottle({ store, maxPerClient: 4 }),
      new LoginThrottle({ store, maxPerClient: 4 }),
    ];
    await a.fail('10.0.0.9', T);
    await b.fail('10.0.0.9', T);
    await a.fail('10.0.0.9', T);
    expect(await b.blocked('10.0.0.9', T)).toBe(false);
    await b.fail('10.0.0.9', T);
    expect(await a.blocked('10.0.0.9', T)).toBe(true);
    await a.reset('*'); // the literal '*' is an address like any other, not the ceiling
    expect(await store.count('admin-login:*', new Date(T))).toBe(4);
  });
});

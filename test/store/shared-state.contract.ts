/** The shared-state contracts (StateStore, ThrottleStore, LockStore): every adapter must pass them. */
import { describe, expect, it } from 'vitest';
import type { LockStore, StateStore, ThrottleStore } from '../../src/store/types.ts';
import { at, type Factory, useStore } from './harness.ts';

export function stateStoreContract(name: string, factory: Factory<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('keeps a value until it expires', async () => {
      await store().set('k', '{"a":1}', at(60), at(0));
      expect(await store().get('k', at(0))).toBe('{"a":1}');
      expect(await store().get('k', at(59))).toBe('{"a":1}');
      expect(await store().get('k', at(60))).toBeUndefined();
    });

    it('set replaces the value and its expiry; delete removes it', async () => {
      await store().set('k', 'one', at(60), at(0));
      await store().set('k', 'two', at(600), at(1));
      expect(await store().get('k', at(300))).toBe('two');
      await store().delete('k');
      expect(await store().get('k', at(301))).toBeUndefined();
      await store().delete('k'); // absent: harmless
    });

    it('keys are independent and values are kept byte for byte', async () => {
      // Text without NUL characters (PostgreSQL text cannot hold one; JSON.stringify never writes one).
      const text = 'é ✓ "quoted" {[]} \n\t';
      await store().set('a', text, at(60), at(0));
      await store().set('b', '', at(60), at(0));
      expect(await store().get('a', at(1))).toBe(text);
      expect(await store().get('b', at(1))).toBe('');
      expect(await store().get('c', at(1))).toBeUndefined();
    });
  });
}

export function throttleStoreContract(name: string, factory: Factory<ThrottleStore>): void {
  describe(`ThrottleStore contract: ${name}`, () => {
    const store = useStore(factory);
    const WINDOW = 60_000;

    it('counts hits within the window that the first hit opened, then starts again', async () => {
      expect(await store().count('ip', at(0))).toBe(0);
      expect(await store().hit('ip', WINDOW, at(0))).toBe(1);
      expect(await store().hit('ip', WINDOW, at(30))).toBe(2);
      expect(await store().hit('ip', WINDOW, at(59))).toBe(3);
      expect(await store().count('ip', at(59))).toBe(3);
      // The window closes 60 s after its first hit, not after its last.
      expect(await store().count('ip', at(60))).toBe(0);
      expect(await store().hit('ip', WINDOW, at(60))).toBe(1);
      expect(await store().count('ip', at(61))).toBe(1);
    });

    it('reset forgets a key; keys are independent', async () => {
      await store().hit('a', WINDOW, at(0));
      await store().hit('a', WINDOW, at(0));
      await store().hit('b', WINDOW, at(0));
      await store().reset('a');
      expect(await store().count('a', at(1))).toBe(0);
      expect(await store().count('b', at(1))).toBe(1);
      expect(await store().hit('a', WINDOW, at(1))).toBe(1);
    });

    it('concurrent hits are all counted', async () => {
      const counts = await Promise.all(Array.from({ length: 20 }, () => store().hit('x', WINDOW, at(0))));
      expect([...counts].sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await store().count('x', at(1))).toBe(20);
    });
  });
}

export function lockStoreContract(name: string, factory: Factory<LockStore>): void {
  describe(`LockStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('one owner at a time until the lease expires or is released', async () => {
      expect(await store().acquire('job', 'a', at(60), at(0))).toBe(true);
      expect(await store().acquire('job', 'b', at(60), at(1))).toBe(false);
      // Re-acquiring one's own lease extends it.
      expect(await store().acquire('job', 'a', at(120), at(2))).toBe(true);
      expect(await store().acquire('job', 'b', at(180), at(100))).toBe(false);
      expect(await store().acquire('job', 'b', at(180), at(120))).toBe(true);
      expect(await store().release('job', 'a')).toBe(false); // not a's any more
      expect(await store().acquire('job', 'a', at(200), at(121))).toBe(false);
      expect(await store().release('job', 'b')).toBe(true);
      expect(await store().acquire('job', 'a', at(200), at(122))).toBe(true);
    });

    it('names are independent', async () => {
      expect(await store().acquire('x', 'a', at(60), at(0))).toBe(true);
      expect(await store().acquire('y', 'b', at(60), at(0))).toBe(true);
      expect(await store().release('x', 'b')).toBe(false);
    });

    it('of many owners racing for a free lease exactly one wins', async () => {
      const won = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store().acquire('race', `owner-${i}`, at(60), at(0))),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
    });
  });
}

/** The ReplayCache contract: every adapter must pass it. */
import { describe, expect, it } from 'vitest';
import type { ReplayCache } from '../../src/store/types.ts';
import { at, type Factory, useStore } from './harness.ts';

export function replayCacheContract(name: string, factory: Factory<ReplayCache>): void {
  describe(`ReplayCache contract: ${name}`, () => {
    const store = useStore(factory);

    it('remembers a key: true, then false while live, then true again once expired', async () => {
      expect(await store().remember('assertion:_a1', at(60), at(0))).toBe(true);
      expect(await store().remember('assertion:_a1', at(60), at(1))).toBe(false);
      expect(await store().remember('assertion:_a1', at(60), at(59))).toBe(false);
      expect(await store().remember('assertion:_a1', at(120), at(60))).toBe(true);
      expect(await store().remember('assertion:_a1', at(120), at(61))).toBe(false);
    });

    it('a refused replay does not extend the first expiry', async () => {
      expect(await store().remember('k', at(60), at(0))).toBe(true);
      expect(await store().remember('k', at(6000), at(30))).toBe(false);
      expect(await store().remember('k', at(6000), at(60))).toBe(true);
    });

    it('keys are independent', async () => {
      expect(await store().remember('a', at(60), at(0))).toBe(true);
      expect(await store().remember('b', at(60), at(0))).toBe(true);
      expect(await store().remember('a', at(60), at(0))).toBe(false);
    });

    it('concurrent remembers of one key: exactly one is first', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store().remember('same', at(60), at(0))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}

/** The ConnectionHealthStore contract: every adapter that provides one must pass it. */
import { describe, expect, it } from 'vitest';
import type { ConnectionHealthStore } from '../../src/store/connection-health.ts';
import { at, type Factory, useStore } from './harness.ts';

export function connectionHealthStoreContract(name: string, factory: Factory<ConnectionHealthStore>): void {
  describe(`ConnectionHealthStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('knows nothing about a connection before its first sign-in', async () => {
      expect(await store().get('acme')).toBeUndefined();
      expect(await store().list()).toEqual([]);
    });

    it('keeps the last success and the last failure side by side, with counters', async () => {
      await store().recordSuccess('acme', { at: at(1), nameId: 'alice', userId: 'u1' });
      await store().recordFailure('acme', {
        at: at(2),
        code: 'SAML_AUDIENCE_MISMATCH',
        message: 'Audience mismatch.',
        hint: 'Check the SP entity ID at the IdP.',
      });
      await store().recordSuccess('acme', { at: at(3), nameId: 'bob', userId: 'u2' });
      expect(await store().get('acme')).toEqual({
        connectionId: 'acme',
        successCount: 2,
        failureCount: 1,
        lastSuccess: { at: at(3), nameId: 'bob', userId: 'u2' },
        lastFailure: {
          at: at(2),
          code: 'SAML_AUDIENCE_MISMATCH',
          message: 'Audience mismatch.',
          hint: 'Check the SP entity ID at the IdP.',
        },
      });
    });

    it('a failure alone has no lastSuccess; long texts are clipped', async () => {
      await store().recordFailure('globex', {
        at: at(5),
        code: 'SAML_REPLAYED',
        message: 'x'.repeat(10_000),
        hint: 'h',
      });
      const health = await store().get('globex');
      expect(health?.lastSuccess).toBeUndefined();
      expect(health?.successCount).toBe(0);
      expect(health?.lastFailure?.message.length).toBeLessThanOrEqual(2000);
    });

    it('counts a batch of successes at once (a buffer flushing), keeping the last', async () => {
      await store().recordSuccess('acme', { at: at(1), nameId: 'alice', userId: 'u1' });
      await store().recordSuccess('acme', { at: at(9), nameId: 'zoe', userId: 'u9' }, 41);
      expect(await store().get('acme')).toMatchObject({
        successCount: 42,
        failureCount: 0,
        lastSuccess: { at: at(9), nameId: 'zoe', userId: 'u9' },
      });
    });

    it('counts concurrent records exactly', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store().recordSuccess('acme', { at: at(i), nameId: `n${i}`, userId: 'u' }),
        ),
      );
      expect((await store().get('acme'))?.successCount).toBe(20);
    });

    it('lists by connection id and deletes', async () => {
      for (const id of ['initech', 'acme', 'globex'])
        await store().recordSuccess(id, { at: at(1), nameId: 'n', userId: 'u' });
      expect((await store().list()).map((h) => h.connectionId)).toEqual(['acme', 'globex', 'initech']);
      expect(await store().delete('acme')).toBe(true);
      expect(await store().delete('acme')).toBe(false);
      expect(await store().get('acme')).toBeUndefined();
    });

    it('returns copies', async () => {
      await store().recordSuccess('acme', { at: at(1), nameId: 'alice', userId: 'u1' });
      const read = await store().get('acme');
      if (!read?.lastSuccess) throw new Error('missing');
      read.lastSuccess.nameId = 'mallory';
      read.successCount = 99;
      expect((await store().get('acme'))?.lastSuccess?.nameId).toBe('alice');
      expect((await store().get('acme'))?.successCount).toBe(1);
    });
  });
}

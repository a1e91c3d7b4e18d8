/** The RequestIdStore contract: every adapter must pass it. */
import { describe, expect, it } from 'vitest';
import type { RequestIdStore } from '../../src/store/types.ts';
import { at, buildRequest, type Factory, T0, useStore } from './harness.ts';

export function requestIdStoreContract(name: string, factory: Factory<RequestIdStore>): void {
  describe(`RequestIdStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('peek returns the saved request and does not consume it', async () => {
      const request = buildRequest();
      await store().save(request);
      expect(await store().peek(request.requestId, at(1))).toEqual(request);
      expect(await store().peek(request.requestId, at(2))).toEqual(request);
      expect(await store().consume(request.requestId, at(3))).toEqual(request);
    });

    it('consume returns the request once, then nothing', async () => {
      const request = buildRequest();
      await store().save(request);
      expect(await store().consume(request.requestId, at(1))).toEqual(request);
      expect(await store().consume(request.requestId, at(2))).toBeUndefined();
      expect(await store().peek(request.requestId, at(2))).toBeUndefined();
    });

    it('round-trips what a step-up sign-in demanded (ForceAuthn, maxAge), and leaves it absent otherwise', async () => {
      const stepUp = buildRequest({ authn: { forceAuthn: true, maxAgeSeconds: 600 } });
      const maxAgeOnly = buildRequest({ authn: { maxAgeSeconds: 0 } });
      const plain = buildRequest();
      for (const r of [stepUp, maxAgeOnly, plain]) await store().save(r);
      expect(await store().peek(stepUp.requestId, at(1))).toEqual(stepUp);
      expect(await store().consume(maxAgeOnly.requestId, at(1))).toEqual(maxAgeOnly);
      const read = await store().consume(plain.requestId, at(1));
      expect(read).toEqual(plain);
      expect(read).not.toHaveProperty('authn');
    });

    it('unknown IDs give undefined', async () => {
      expect(await store().peek('_nope', T0)).toBeUndefined();
      expect(await store().consume('_nope', T0)).toBeUndefined();
    });

    it('two concurrent consumes: exactly one gets the request', async () => {
      const requests = Array.from({ length: 20 }, () => buildRequest());
      for (const r of requests) await store().save(r);
      const results = await Promise.all(
        requests.flatMap((r) => [store().consume(r.requestId, at(1)), store().consume(r.requestId, at(1))]),
      );
      const won = results.filter((r) => r !== undefined);
      expect(won).toHaveLength(20);
      expect(new Set(won.map((r) => r.requestId)).size).toBe(20);
    });

    it('expires at expiresAt: peek, consume and listForBrowser stop seeing it', async () => {
      const request = buildRequest({ expiresAt: at(600) });
      await store().save(request);
      expect(await store().peek(request.requestId, at(599))).toEqual(request);
      expect(await store().peek(request.requestId, at(600))).toBeUndefined();
      expect(await store().listForBrowser(request.browserKey, request.connectionId, at(600))).toEqual([]);
      expect(await store().consume(request.requestId, at(600))).toBeUndefined();
    });

    it('listForBrowser returns the live requests of that browser and connection, oldest first', async () => {
      const second = buildRequest({ createdAt: at(10), expiresAt: at(610) });
      const first = buildRequest({ createdAt: at(5), expiresAt: at(605) });
      const expired = buildRequest({ createdAt: at(0), expiresAt: at(20) });
      await store().save(second);
      await store().save(first);
      await store().save(expired);
      await store().save(buildRequest({ browserKey: 'browser-2' }));
      await store().save(buildRequest({ connectionId: 'other' }));

      expect(await store().listForBrowser('browser-1', 'acme', at(30))).toEqual([first, second]);
      await store().consume(first.requestId, at(31));
      expect(await store().listForBrowser('browser-1', 'acme', at(32))).toEqual([second]);
      expect(await store().listForBrowser('browser-3', 'acme', at(32))).toEqual([]);
    });

    it('keeps the test run of a test sign-in request, and nothing on an ordinary one', async () => {
      const test = buildRequest({ testRun: 'run-1' });
      const plain = buildRequest();
      await store().save(test);
      await store().save(plain);
      expect(await store().peek(test.requestId, at(1))).toEqual(test);
      expect((await store().peek(plain.requestId, at(1)))?.testRun).toBeUndefined();
      expect(await store().listForBrowser('browser-1', 'acme', at(1))).toContainEqual(test);
      expect(await store().consume(test.requestId, at(2))).toEqual(test);
    });

    it('keeps its own copy of a saved request', async () => {
      const request = buildRequest({ returnTo: '/a' });
      await store().save(request);
      request.returnTo = '/changed';
      expect((await store().peek(request.requestId, at(1)))?.returnTo).toBe('/a');
    });
  });
}

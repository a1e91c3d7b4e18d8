/** The event store contracts (WebhookStore: endpoints, outbox, delivery log; CertificateAlertStore). */
import { describe, expect, it } from 'vitest';
import type {
  CertificateAlertStore,
  OutboxEvent,
  WebhookEndpointRecord,
  WebhookStore,
} from '../../src/store/types.ts';
import { at, type Factory, useStore } from './harness.ts';

export function buildEndpoint(overrides: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord {
  return {
    id: 'ep_one',
    url: 'https://hooks.example.test/saml',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    eventTypes: [],
    enabled: true,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

function event(n: number, overrides: Partial<OutboxEvent> = {}): OutboxEvent {
  return {
    id: `evt_${n}`,
    type: 'connection.updated',
    payload: JSON.stringify({ id: `evt_${n}`, n, text: 'é ✓ "quoted"' }),
    createdAt: at(n),
    ...overrides,
  };
}

export function webhookStoreContract(name: string, factory: Factory<WebhookStore>): void {
  describe(`WebhookStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('keeps endpoints; put replaces; delete reports whether it removed one', async () => {
      await store().putEndpoint(buildEndpoint({ description: 'ops', eventTypes: ['certificate.*'] }));
      await store().putEndpoint(buildEndpoint({ id: 'ep_two', createdAt: at(5), updatedAt: at(5) }));
      expect(await store().getEndpoint('ep_one')).toEqual(
        buildEndpoint({ description: 'ops', eventTypes: ['certificate.*'] }),
      );
      await store().putEndpoint(buildEndpoint({ enabled: false, updatedAt: at(9) }));
      expect((await store().getEndpoint('ep_one'))?.enabled).toBe(false);
      expect((await store().getEndpoint('ep_one'))?.description).toBeUndefined();
      expect((await store().listEndpoints()).map((e) => e.id)).toEqual(['ep_one', 'ep_two']);
      expect(await store().deleteEndpoint('ep_one')).toBe(true);
      expect(await store().deleteEndpoint('ep_one')).toBe(false);
      expect(await store().getEndpoint('ep_one')).toBeUndefined();
    });

    it('enqueues one pending message per endpoint, due at once, with the payload byte for byte', async () => {
      await store().putEndpoint(buildEndpoint());
      await store().putEndpoint(buildEndpoint({ id: 'ep_two' }));
      await store().enqueue(event(1), ['ep_one', 'ep_two'], 'acme');
      await store().enqueue(event(2), [], 'acme'); // no endpoint: nothing written
      expect(await store().depth()).toBe(2);
      const due = await store().due(at(1), 10);
      expect(due.map((d) => d.message.endpointId)).toEqual(['ep_one', 'ep_two']);
      expect(due[0]?.event).toEqual(event(1));
      expect(due[0]?.message).toMatchObject({
        eventId: 'evt_1',
        eventType: 'connection.updated',
        orderingKey: 'acme',
        status: 'pending',
        attempts: 0,
      });
      expect(await store().due(at(0), 10)).toEqual([]); // not yet
    });

    it('offers only the oldest pending message of each (endpoint, connection); unkeyed ones never wait', async () => {
      await store().putEndpoint(buildEndpoint());
      await store().enqueue(event(1), ['ep_one'], 'acme');
      await store().enqueue(event(2), ['ep_one'], 'acme');
      await store().enqueue(event(3), ['ep_one'], 'globex');
      await store().enqueue(event(4), ['ep_one'], undefined);
      await store().enqueue(event(5), ['ep_one'], undefined);
      const first = await store().due(at(10), 10);
      expect(first.map((d) => d.event.id)).toEqual(['evt_1', 'evt_3', 'evt_4', 'evt_5']);

      // evt_1 fails and is retried later: evt_2 stays held behind it.
      const m1 = first[0]?.message.id as string;
      await store().recordAttempt(
        { messageId: m1, attempt: 1, at: at(10), durationMs: 3, error: 'connect ECONNREFUSED' },
        { status: 'pending', nextAttemptAt: at(60) },
      );
      expect((await store().due(at(20), 10)).map((d) => d.event.id)).toEqual(['evt_3', 'evt_4', 'evt_5']);
      await store().recordAttempt(
        { messageId: m1, attempt: 2, at: at(60), statusCode: 204, durationMs: 7 },
        { status: 'delivered' },
      );
      expect((await store().due(at(61), 10)).map((d) => d.event.id)).toEqual([
        'evt_2',
        'evt_3',
        'evt_4',
        'evt_5',
      ]);
      expect((await store().due(at(61), 2)).length).toBe(2);
    });

    it('logs attempts and moves messages on; a message given up releases the next one', async () => {
      await store().putEndpoint(buildEndpoint());
      await store().enqueue(event(1), ['ep_one'], 'acme');
      await store().enqueue(event(2), ['ep_one'], 'acme');
      const [first] = await store().due(at(1), 10);
      const id = first?.message.id as string;
      await store().recordAttempt(
        { messageId: id, attempt: 1, at: at(1), statusCode: 500, durationMs: 12, error: 'HTTP 500' },
        { status: 'failed' },
      );
      const message = await store().getMessage(id);
      expect(message).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastStatusCode: 500,
        lastError: 'HTTP 500',
      });
      expect(message?.lastAttemptAt).toEqual(at(1));
      expect(await store().listAttempts(id)).toEqual([
        { messageId: id, attempt: 1, at: at(1), statusCode: 500, durationMs: 12, error: 'HTTP 500' },
      ]);
      expect((await store().due(at(2), 10)).map((d) => d.event.id)).toEqual(['evt_2']);
      expect(await store().depth()).toBe(1);
      expect((await store().listMessages({ status: 'failed' })).map((m) => m.id)).toEqual([id]);
      expect((await store().listMessages()).map((m) => m.eventId)).toEqual(['evt_2', 'evt_1']);
      expect(await store().listMessages({ endpointId: 'ep_other' })).toEqual([]);
    });

    it('redelivers a message on demand: pending again, due now, attempts counted on', async () => {
      await store().putEndpoint(buildEndpoint());
      await store().enqueue(event(1), ['ep_one'], 'acme');
      const [first] = await store().due(at(1), 10);
      const id = first?.message.id as string;
      await store().recordAttempt(
        { messageId: id, attempt: 1, at: at(1), statusCode: 200, durationMs: 1 },
        { status: 'delivered' },
      );
      expect(await store().due(at(100), 10)).toEqual([]);
      expect(await store().redeliver(id, at(100))).toBe(true);
      expect(await store().redeliver('msg_nope', at(100))).toBe(false);
      const again = await store().due(at(100), 10);
      expect(again.map((d) => d.message.id)).toEqual([id]);
      expect(again[0]?.message.attempts).toBe(1);
    });

    it('purges finished messages older than the cut-off with their attempts, never pending ones', async () => {
      await store().putEndpoint(buildEndpoint());
      await store().enqueue(event(1), ['ep_one'], 'acme'); // delivered, old
      await store().enqueue(event(2), ['ep_one'], 'globex'); // failed, old
      await store().enqueue(event(3), ['ep_one'], 'acme'); // pending, old
      await store().enqueue(event(50), ['ep_one'], undefined); // delivered, recent
      for (const d of await store().due(at(60), 10)) {
        if (d.event.id === 'evt_3') continue;
        await store().recordAttempt(
          {
            messageId: d.message.id,
            attempt: 1,
            at: at(60),
            durationMs: 1,
            ...(d.event.id === 'evt_2' ? { error: 'x' } : { statusCode: 200 }),
          },
          { status: d.event.id === 'evt_2' ? 'failed' : 'delivered' },
        );
      }
      expect(await store().purge(at(10))).toBe(2);
      const left = await store().listMessages();
      expect(left.map((m) => m.eventId).sort()).toEqual(['evt_3', 'evt_50']);
      expect(await store().listAttempts(left.find((m) => m.eventId === 'evt_50')?.id as string)).toHaveLength(
        1,
      );
      expect((await store().due(at(60), 10)).map((d) => d.event.id)).toEqual(['evt_3']);
      expect(await store().purge(at(10))).toBe(0);
    });

    it('deleting an endpoint drops its messages', async () => {
      await store().putEndpoint(buildEndpoint());
      await store().putEndpoint(buildEndpoint({ id: 'ep_two' }));
      await store().enqueue(event(1), ['ep_one', 'ep_two'], 'acme');
      await store().deleteEndpoint('ep_one');
      expect((await store().due(at(1), 10)).map((d) => d.message.endpointId)).toEqual(['ep_two']);
      expect(await store().depth()).toBe(1);
    });
  });
}

export function certificateAlertStoreContract(name: string, factory: Factory<CertificateAlertStore>): void {
  describe(`CertificateAlertStore contract: ${name}`, () => {
    const store = useStore(factory);

    it('records each (connection, certificate, threshold) once', async () => {
      const key = { connectionId: 'acme', fingerprintSha256: 'AA:BB', threshold: '7d' };
      expect(await store().has(key)).toBe(false);
      expect(await store().record(key, at(0))).toBe(true);
      expect(await store().record(key, at(5))).toBe(false);
      expect(await store().has(key)).toBe(true);
      expect(await store().has({ ...key, threshold: '1d' })).toBe(false);
      expect(await store().record({ ...key, threshold: '1d' }, at(9))).toBe(true);
      expect(await store().record({ ...key, connectionId: 'globex' }, at(9))).toBe(true);
      expect(await store().list('acme')).toEqual([
        { ...key, at: at(0) },
        { ...key, threshold: '1d', at: at(9) },
      ]);
    });

    it('of two concurrent records exactly one wins', async () => {
      const key = { connectionId: 'acme', fingerprintSha256: 'CC:DD', threshold: 'expired' };
      const results = await Promise.all([store().record(key, at(0)), store().record(key, at(0))]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}

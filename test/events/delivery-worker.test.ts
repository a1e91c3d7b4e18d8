/**
 * The delivery worker on its own: two workers on one SQLite file (two instances) send each message once,
 * and a message still failing at its maximum age is given up, which lets the next one of its connection go.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus, WebhookDeliveryWorker, WebhookService } from '../../src/events/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

let dir: string;
let receiver: WebhookReceiver;
const open: Stores[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-delivery-'));
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await receiver.stop();
  for (const s of open.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

function instance(options: { now?: () => Date; maxAgeMs?: number } = {}) {
  const stores = openSqliteStores(path.join(dir, 'shared.db'));
  open.push(stores);
  const store = stores.webhooks as NonNullable<Stores['webhooks']>;
  const bus = new EventBus({ outbox: store, ...(options.now ? { now: options.now } : {}) });
  const worker = new WebhookDeliveryWorker({
    store,
    ...(stores.locks ? { locks: stores.locks } : {}),
    ...(options.now ? { now: options.now } : {}),
    retry: { baseMs: 1_000, maxDelayMs: 1_000, maxAgeMs: options.maxAgeMs ?? 60_000, jitter: 0 },
  });
  return { stores, bus, worker, webhooks: new WebhookService({ store, events: bus }) };
}

describe('WebhookDeliveryWorker', () => {
  it('two instances on one database send every message exactly once', async () => {
    const a = instance();
    const b = instance();
    receiver.secret = (await a.webhooks.create({ url: receiver.url })).secret;
    for (let i = 0; i < 20; i++) {
      await a.bus.emit('connection.updated', {
        connectionId: `c${i % 3}`,
        fields: ['displayName'],
        actor: 'cli:cli',
      });
    }
    for (let round = 0; round < 20 && (await a.webhooks.depth()) > 0; round++) {
      await Promise.all([a.worker.runDue(), b.worker.runDue()]);
    }
    expect(await a.webhooks.depth()).toBe(0);
    expect(receiver.rejected).toEqual([]);
    const ids = receiver.received.map((r) => r.webhookId);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  });

  it('gives a message up at its maximum age, then sends the next one of its connection', async () => {
    let clock = new Date();
    const a = instance({ now: () => clock, maxAgeMs: 10_000 });
    const { secret } = await a.webhooks.create({ url: receiver.url });
    await a.bus.emit('connection.created', { connectionId: 'acme', actor: 'cli:cli' });

    // The receiver does not know the secret yet: it answers 400 to everything.
    await a.worker.runDue();
    clock = new Date(clock.getTime() + 9_000);
    await a.bus.emit('connection.deleted', { connectionId: 'acme', actor: 'cli:cli' });
    await a.worker.runDue(); // the first is retried (and fails again); the second waits behind it
    const [second, first] = await a.webhooks.deliveries();
    expect(first).toMatchObject({
      eventType: 'connection.created',
      status: 'pending',
      attempts: 2,
      lastStatusCode: 400,
    });
    expect(second).toMatchObject({ eventType: 'connection.deleted', status: 'pending', attempts: 0 });

    clock = new Date(clock.getTime() + 2_000); // the first is now past the maximum age: its next failure gives up
    await a.worker.runDue();
    expect((await a.webhooks.delivery(first?.id as string)).status).toBe('failed');
    // The later event was held until then; now it goes (and fails and waits: the receiver still refuses).
    expect(await a.webhooks.delivery(second?.id as string)).toMatchObject({ status: 'pending', attempts: 1 });

    receiver.secret = secret;
    clock = new Date(clock.getTime() + 2_000);
    await a.worker.runDue();
    expect((await a.webhooks.delivery(second?.id as string)).status).toBe('delivered');
    expect(receiver.received.map((r) => r.event.type)).toEqual(['connection.deleted']);
    const log = (await a.webhooks.delivery(first?.id as string)).log ?? [];
    expect(log.map((l) => [l.attempt, l.statusCode, l.error])).toEqual([
      [1, 400, 'HTTP 400'],
      [2, 400, 'HTTP 400'],
      [3, 400, 'HTTP 400'],
    ]);
  });
});

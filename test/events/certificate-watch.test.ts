/**
 * Issue #13 item 5: the certificate watch raises each expiry threshold once per certificate (persisted in
 * SQLite, shared by instances through the lease), and a metadata refresh that adds or removes a signing
 * certificate raises `metadata.changed` (metadata served by a real local HTTP server).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CertificateWatch, type SamlSpEvent, WebhookService } from '../../src/events/index.ts';
import { ConnectionService } from '../../src/sp/connection-service.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { idpCertificate } from '../fixtures/build-response.ts';
import { metadataWith } from './helpers.ts';

const DAY = 86_400_000;
const IDP = idpCertificate('idp');
const NEXT = idpCertificate('idp-next');
const EXPIRY = Date.parse(IDP.notAfter);

let dir: string;
let clock: Date;
const open: Stores[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-certwatch-'));
  clock = new Date(EXPIRY - 40 * DAY);
});
afterEach(async () => {
  for (const stores of open.splice(0)) await stores.close();
  await rm(dir, { recursive: true, force: true });
});

/** An SP on the shared SQLite file, its events recorded, and a watch on its clock. */
function instance() {
  const stores = openSqliteStores(path.join(dir, 'sp.db'));
  open.push(stores);
  const keys = testKeyPair('sp');
  const sp = new ServiceProvider({
    baseUrl: 'https://sp.example.com',
    entityId: 'https://sp.example.com',
    keys: { signing: keys, encryption: keys },
    stores,
    now: () => clock,
  });
  const events: SamlSpEvent[] = [];
  sp.events.on('*', (event) => {
    events.push(event);
  });
  const watch = new CertificateWatch({
    connections: () => stores.connections.list(),
    alerts: stores.certificateAlerts as NonNullable<Stores['certificateAlerts']>,
    events: sp.events,
    ...(stores.locks ? { locks: stores.locks } : {}),
    now: () => clock,
  });
  return { stores, sp, events, watch, connections: new ConnectionService({ sp }) };
}

describe('the certificate watch', () => {
  it('raises the 7-day event exactly once for a certificate that expires in 6 days', async () => {
    const a = instance();
    const webhooks = new WebhookService({
      store: a.stores.webhooks as NonNullable<Stores['webhooks']>,
      events: a.sp.events,
    });
    await webhooks.create({ url: 'https://hooks.example.test/in', eventTypes: ['certificate.*'] });
    await a.connections.create({ id: 'acme', metadataXml: metadataWith('https://idp.acme.test', [IDP.pem]) });

    expect(await a.watch.runDue()).toEqual([]); // 40 days out: nothing

    clock = new Date(EXPIRY - 6 * DAY);
    const raised = await a.watch.runDue();
    expect(raised.map((w) => [w.connectionId, w.threshold, w.daysLeft])).toEqual([['acme', '7d', 6]]);
    clock = new Date(EXPIRY - 6 * DAY + 3_600_000);
    expect(await a.watch.runDue()).toEqual([]);

    // Another instance on the same database (a restart, or a second server): nothing again.
    const b = instance();
    clock = new Date(EXPIRY - 5 * DAY);
    expect(await b.watch.runDue()).toEqual([]);
    await Promise.all([a.sp.events.settled(), b.sp.events.settled()]);

    const certificateEvents = [...a.events, ...b.events].filter((e) => e.type.startsWith('certificate.'));
    expect(certificateEvents.map((e) => e.type)).toEqual(['certificate.expiring_7d']);
    expect(certificateEvents[0]?.data).toEqual({
      connectionId: 'acme',
      fingerprintSha256: IDP.fingerprintSha256,
      subject: IDP.subject,
      notAfter: IDP.notAfter,
      daysLeft: 6,
    });
    // In the outbox once, for the endpoint that asked for certificate events.
    const queued = await webhooks.deliveries();
    expect(queued.map((d) => d.eventType)).toEqual(['certificate.expiring_7d']);
    expect(await a.stores.certificateAlerts?.list('acme')).toEqual([
      {
        connectionId: 'acme',
        fingerprintSha256: IDP.fingerprintSha256,
        threshold: '7d',
        at: new Date(EXPIRY - 6 * DAY),
      },
    ]);

    // Then the 1-day warning, then expiry, each once; the 30-day one never (it was already past).
    clock = new Date(EXPIRY - 12 * 3_600_000);
    expect((await b.watch.runDue()).map((w) => w.threshold)).toEqual(['1d']);
    clock = new Date(EXPIRY + 60_000);
    expect((await a.watch.runDue()).map((w) => [w.threshold, w.daysLeft])).toEqual([['expired', -1]]);
    expect(await a.watch.runDue()).toEqual([]);
  });

  it('two instances checking at the same moment raise the alert once', async () => {
    const a = instance();
    const b = instance();
    await a.connections.create({ id: 'acme', metadataXml: metadataWith('https://idp.acme.test', [IDP.pem]) });
    clock = new Date(EXPIRY - 29 * DAY);
    const [ra, rb] = await Promise.all([a.watch.runDue(), b.watch.runDue()]);
    expect([...ra, ...rb].map((w) => w.threshold)).toEqual(['30d']);
    expect([...(await a.watch.runDue()), ...(await b.watch.runDue())]).toEqual([]);
  });
});

describe('metadata.changed', () => {
  let server: Server;
  let published: string[];
  let url: string;

  beforeEach(async () => {
    published = [IDP.pem];
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/samlmetadata+xml');
      res.end(metadataWith('https://idp.rollover.test', published));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is raised when a refresh adds or removes a signing certificate, and only then', async () => {
    const a = instance();
    await a.connections.create({ id: 'roll', metadataUrl: url });
    const changes = () =>
      a.events
        .filter((e) => e.type === 'metadata.changed' || e.type === 'metadata.refreshed')
        .map((e) => [e.type, e.data]);

    await a.connections.refresh('roll'); // unchanged
    published = [IDP.pem, NEXT.pem]; // the IdP publishes its next certificate
    clock = new Date(clock.getTime() + DAY);
    await a.connections.refresh('roll');
    published = [NEXT.pem]; // and drops the old one
    clock = new Date(clock.getTime() + DAY);
    await a.connections.refresh('roll');
    clock = new Date(clock.getTime() + DAY);
    await a.connections.refresh('roll'); // the old one is only kept for the grace period: not a new removal
    await a.sp.events.settled();

    expect(changes()).toEqual([
      ['metadata.refreshed', { connectionId: 'roll', textChanged: false }],
      ['metadata.refreshed', { connectionId: 'roll', textChanged: true }],
      ['metadata.changed', { connectionId: 'roll', added: [NEXT.fingerprintSha256], removed: [] }],
      ['metadata.refreshed', { connectionId: 'roll', textChanged: true }],
      ['metadata.changed', { connectionId: 'roll', added: [], removed: [IDP.fingerprintSha256] }],
      ['metadata.refreshed', { connectionId: 'roll', textChanged: false }],
    ]);
  });

  it('a failing refresh raises metadata.failing with the code, never the IdP text', async () => {
    const a = instance();
    await a.connections.create({ id: 'roll', metadataUrl: url });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await a.connections.refresh('roll');
    await a.sp.events.settled();
    const failing = a.events.filter((e) => e.type === 'metadata.failing');
    expect(failing.map((e) => e.data)).toEqual([
      { connectionId: 'roll', code: 'SAML_METADATA_INVALID', consecutiveFailures: 1 },
    ]);
    // afterEach closes it again: harmless.
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
});

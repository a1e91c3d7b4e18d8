/**
 * Issue #13 item 5 end to end: a connection whose IdP certificate expires in 6 days. The server's
 * certificate watch raises `certificate.expiring_7d` once (delivered to a Standard Webhooks receiver), the
 * admin page shows the banner in real Chromium (screenshot), and `saml-sp connections list` marks the
 * connection.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/keys.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { adminApi, metadataWith } from './helpers.ts';

const TOKEN = 'banner-admin-token-0123456789';
const root = path.resolve(import.meta.dirname, '../..');

let t: TestServer;
let browser: Browser;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN, WEBHOOK_TICK_MS: '100', DEV_IDP: 'off' });
  receiver = await startWebhookReceiver();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
  await t?.close();
});

function cli(...args: string[]) {
  return runCli({ cwd: t.dir, env: cliEnv(t.dir, { database: 'test.db' }), timeoutMs: 30_000 }, args);
}

describe('a certificate that expires in 6 days', () => {
  it('raises the 7-day event once, shows the banner on the admin page and marks `connections list`', async () => {
    const api = adminApi(t.baseUrl, TOKEN);
    const endpoint = await api<{ secret: string }>('POST', '/webhooks', {
      url: receiver.url,
      eventTypes: ['certificate.*'],
    });
    receiver.secret = endpoint.body.secret;
    // Valid since yesterday for 7 days: it expires in 6 days.
    const expiring = await generateKeyPair({
      commonName: 'idp.expiring.test',
      days: 7,
      now: new Date(Date.now() - 86_400_000),
    });
    const healthy = await generateKeyPair({ commonName: 'idp.healthy.test' });
    await api('POST', '/connections', {
      id: 'expiring',
      displayName: 'Expiring Corp',
      metadataXml: metadataWith('https://idp.expiring.test', [expiring.certificatePem]),
    });
    await api('POST', '/connections', {
      id: 'healthy',
      displayName: 'Healthy Inc',
      metadataXml: metadataWith('https://idp.healthy.test', [healthy.certificatePem]),
    });

    // The daily check, twice (and once more after the server's own start-up check may have run).
    const first = await t.server.certificateWatch.runDue();
    const second = await t.server.certificateWatch.runDue();
    expect([...first, ...second].map((w) => [w.connectionId, w.threshold, w.daysLeft])).toEqual([
      ['expiring', '7d', 6],
    ]);
    await receiver.waitFor((r) => r.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 500)); // nothing else arrives
    expect(receiver.rejected).toEqual([]);
    expect(
      receiver.received.map((r) => [r.event.type, r.event.data.connectionId, r.event.data.daysLeft]),
    ).toEqual([['certificate.expiring_7d', 'expiring', 6]]);

    // The admin page, in Chromium.
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${t.baseUrl}/admin`);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin`), page.click('button[type=submit]')]);
    const banner = page.locator('#certificate-banner');
    expect(await banner.isVisible()).toBe(true);
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain('Expiring Corp');
    expect(text).toContain('expires in 6 days');
    expect(text).not.toContain('Healthy Inc');
    expect(await banner.locator('li[data-connection=expiring][data-threshold="7d"]').count()).toBe(1);
    const shots = path.join(root, 'test-results');
    await mkdir(shots, { recursive: true });
    const file = path.join(shots, 'certificate-banner.png');
    await page.screenshot({ path: file, fullPage: true });
    expect((await stat(file)).size).toBeGreaterThan(10_000);
    await context.close();

    // The CLI on the same database.
    const listed = await cli('connections', 'list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.find((l) => l.startsWith('expiring\t'))).toMatch(
      /\t! certificate expires in 6 days \(\d{4}-\d{2}-\d{2}\)$/,
    );
    expect(lines.find((l) => l.startsWith('healthy\t'))).not.toContain('certificate');
  }, 90_000);
});

describe('the webhooks page', () => {
  it('adds an endpoint (secret shown once), lists deliveries and sends one again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.baseUrl}/admin`);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin`), page.click('button[type=submit]')]);
    await page.click('nav >> text=Webhooks');
    expect(await page.textContent('h1')).toBe('Webhooks');

    const second = await startWebhookReceiver();
    try {
      await page.fill('#url', second.url);
      await page.fill('#description', 'from the page');
      await page.check('input[name=eventTypes][value="connection.updated"]');
      await page.click('button:has-text("Add endpoint")');
      const secret = (await page.textContent('#webhook-secret'))?.trim();
      expect(secret).toMatch(/^whsec_/);
      second.secret = secret;
      await page.click('text=Back to the webhooks');
      expect(await page.textContent('body')).not.toContain(secret as string);
      expect(await page.textContent('body')).toContain(second.url);

      const api = adminApi(t.baseUrl, TOKEN);
      await api('PATCH', '/connections/healthy', { displayName: 'Healthy Incorporated' });
      await second.waitFor((r) => r.length >= 1);
      expect(second.received.map((r) => r.event.type)).toEqual(['connection.updated']);

      await page.reload();
      const row = page.locator('tr[data-delivery]', { hasText: 'connection.updated' }).first();
      await row.locator('button:has-text("Send again")').click();
      expect(await page.textContent('.flash')).toMatch(/sent again/);
      await second.waitFor((r) => r.length >= 2);
      expect(second.received[1]?.webhookId).toBe(second.received[0]?.webhookId);
      expect(second.rejected).toEqual([]);
    } finally {
      await second.stop();
      await context.close();
    }
  }, 60_000);
});

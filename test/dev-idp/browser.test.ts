/**
 * The dev IdP in a real browser (Chromium): the login form, the IdP session cookie, and the auto-posted
 * response under the IdP's Content Security Policy, with JavaScript on and off. A fake ACS on the same server
 * records what arrives.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevIdp } from '../../src/dev-idp/index.ts';
import { authnRequestXml, KEYS, redirectUrl, requestId, spMetadataFixture } from './helpers.ts';

const SP = 'https://browser-sp.example.test/metadata';

let server: ReturnType<ReturnType<typeof express>['listen']>;
let origin: string;
let browser: Browser;
const received: Record<string, string>[] = [];

beforeAll(async () => {
  const app = express();
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp = createDevIdp({
    baseUrl: `${origin}/idp`,
    signing: KEYS.idp,
    serviceProviders: () => [spMetadataFixture({ entityId: SP, acsUrls: [`${origin}/acs`] })],
  });
  app.use('/idp', idp.router);
  app.post('/acs', express.urlencoded({ extended: false }), (req, res) => {
    received.push(req.body as Record<string, string>);
    res.type('text').send('posted');
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

function signInUrl(relayState: string): string {
  const sso = `${origin}/idp/sso`;
  return redirectUrl(sso, authnRequestXml({ id: requestId(), issuer: SP, destination: sso }), {
    key: KEYS.sp,
    relayState,
  });
}

function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

describe('the dev IdP in Chromium', () => {
  it('signs in with the form, auto-posts to the ACS, and skips the form on the next request', async () => {
    received.length = 0;
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = watchCsp(page);
    await page.goto(signInUrl('/first'));
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-pass');
    await Promise.all([
      page.waitForURL(`${origin}/acs`, { timeout: 10_000 }),
      page.click('button[type=submit]'),
    ]);
    expect(await page.textContent('body')).toBe('posted');

    await Promise.all([
      page.waitForURL(`${origin}/acs`, { timeout: 10_000 }),
      page.goto(signInUrl('/second')),
    ]);
    expect(received.map((r) => r.RelayState)).toEqual(['/first', '/second']);
    expect(received.every((r) => (r.SAMLResponse ?? '').length > 1000)).toBe(true);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('works with JavaScript off: the response page shows a Continue button', async () => {
    received.length = 0;
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(signInUrl('/nojs'));
    await page.fill('#username', 'bob');
    await page.fill('#password', 'bob-pass');
    await page.click('button[type=submit]');
    expect(page.url()).toBe(`${origin}/idp/login`);
    await Promise.all([
      page.waitForURL(`${origin}/acs`, { timeout: 10_000 }),
      page.click('button[type=submit]'),
    ]);
    expect(received.map((r) => r.RelayState)).toEqual(['/nojs']);
    await context.close();
  });
});

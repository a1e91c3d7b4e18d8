/**
 * Issue #13, item 3 in real Chromium: a sign-in refused at the ACS (a response the embedded IdP signed for
 * this browser's request, but an hour old) shows the end-user page: plain words, the connection's name, the
 * trace ID and time, the support contact, "For your IT admin" collapsed until opened, and a "Try again" that
 * starts a fresh sign-in at the IdP. A screenshot of the page is kept (its path is printed) for review.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndInflate } from '../../src/core/xml/encoding.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const SUPPORT = 'https://help.customer.example/sso';
const TOKEN = 'browser-trace-token-0123456789';
const SCREENSHOTS = new URL('../../.cache/screenshots/', import.meta.url).pathname;

let t: TestServer;
let browser: Browser;

beforeAll(async () => {
  t = await startTestServer({ SUPPORT_CONTACT: SUPPORT, ADMIN_TOKEN: TOKEN });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the end-user error page in Chromium', () => {
  it('explains an expired sign-in, keeps details for the IT admin collapsed, and tries again', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
    const page = await context.newPage();
    // A real SP-initiated start: the browser gets its request-binding cookie and lands on the IdP's form.
    await page.goto(`${t.baseUrl}/saml/dev/login?returnTo=${encodeURIComponent('/reports')}`);
    const request = decodeAndInflate(new URL(page.url()).searchParams.get('SAMLRequest') ?? '');
    const inResponseTo = /\bID="([^"]+)"/.exec(request)?.[1] ?? '';
    const { samlResponse } = await t.server.devIdp!.issueResponse({
      spEntityId: t.server.sp.spIdentity({ id: 'dev' }).entityId,
      username: 'alice',
      inResponseTo,
      overrides: { now: new Date(Date.now() - 3600_000) },
    });
    // The browser posts it to the ACS, as the IdP's auto-post form would.
    await Promise.all([
      page.waitForURL(`${t.baseUrl}/saml/dev/acs`),
      page.evaluate(
        ([action, value]) => {
          const form = document.createElement('form');
          form.method = 'POST';
          form.action = action as string;
          for (const [name, v] of [
            ['SAMLResponse', value],
            ['RelayState', '/reports'],
          ]) {
            const input = document.createElement('input');
            input.type = 'hidden';
            input.name = name as string;
            input.value = v as string;
            form.append(input);
          }
          document.body.append(form);
          form.submit();
        },
        [`${t.baseUrl}/saml/dev/acs`, samlResponse],
      ),
    ]);

    expect(await page.textContent('h1')).toBe('This sign-in link expired');
    expect(await page.textContent('.org')).toContain('Development IdP (embedded)');
    const traceId = (await page.textContent('[data-trace-id]')) ?? '';
    expect(traceId).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(await page.getAttribute(`a[href="${SUPPORT}"]`, 'href')).toBe(SUPPORT);
    // Technical details are there, but collapsed.
    expect(await page.isVisible('text=SAML_RESPONSE_EXPIRED')).toBe(false);
    await mkdir(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, 'end-user-error-page.png');
    const png = await page.screenshot({ path: file, fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    console.info(`end-user error page screenshot: ${file}`);
    await page.click('summary');
    expect(await page.isVisible('text=SAML_RESPONSE_EXPIRED')).toBe(true);
    await page.screenshot({
      path: path.join(SCREENSHOTS, 'end-user-error-page-it-admin.png'),
      fullPage: true,
    });

    // "Try again": a fresh SP-initiated sign-in to the same connection, back at the IdP's login form.
    await Promise.all([page.waitForURL(/\/idp\//), page.click('text=Try again')]);
    expect(page.url()).toContain('SAMLRequest=');
    // The trace the person would quote is there for the admin.
    expect((await t.server.traces.get(traceId))?.errorCode).toBe('SAML_RESPONSE_EXPIRED');

    // The admin looks the quoted ID up: "Find a trace" accepts it as typed.
    await page.goto(`${t.baseUrl}/admin`);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin`), page.click('button[type=submit]')]);
    await page.click('text=Traces');
    await page.fill('#q', traceId.replace('-', '').toLowerCase());
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin/traces/${traceId}`), page.click('text=Open')]);
    expect(await page.textContent('[data-error-code]')).toBe('SAML_RESPONSE_EXPIRED');
    const failed = (await page.textContent('[data-failed-check]')) ?? '';
    expect(await page.getAttribute(`[data-check="${failed}"]`, 'data-status')).toBe('fail');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-trace-detail.png'), fullPage: true });
    await context.close();
  }, 90_000);
});

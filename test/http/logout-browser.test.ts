/**
 * Single Logout in a real browser (Chromium): the redirect chain of SP-initiated logout through the embedded
 * IdP and back, and IdP-initiated logout over the POST binding, whose answer is the SP's auto-posting form
 * under its Content Security Policy.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAutoPostForm } from '../../src/core/request/post-form.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let t: TestServer;
let browser: Browser;

beforeAll(async () => {
  t = await startTestServer();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${t.baseUrl}/saml/dev/login?returnTo=/`);
  await page.fill('#username', 'alice');
  await page.fill('#password', 'alice-pass');
  await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('button[type=submit]')]);
  await expect(page.textContent('body')).resolves.toContain('Alice Liddell');
}

async function meStatus(page: Page): Promise<number> {
  const response = await page.request.get(`${t.baseUrl}/me`, { headers: { accept: 'application/json' } });
  return response.status();
}

describe('Single Logout in Chromium', () => {
  it('SP-initiated: the Sign out link ends both sessions and comes back home', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = watchCsp(page);
    await signIn(page);
    await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('a[href="/logout"]')]);
    await expect(page.textContent('body')).resolves.toContain('Nobody is signed in');
    expect(await meStatus(page)).toBe(401);
    // The IdP session is gone too: the next sign-in shows the password form.
    await page.goto(`${t.baseUrl}/saml/dev/login?returnTo=/`);
    await expect(page.locator('#password').count()).resolves.toBe(1);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('IdP-initiated over POST: the SP answers with an auto-posting LogoutResponse that reaches the IdP', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = watchCsp(page);
    await signIn(page);
    const [dispatch] = await t.server.devIdp!.logoutUser('alice', {
      binding: 'post',
      relayState: 'chromium',
    });
    if (dispatch?.message.binding !== 'post') throw new Error('post expected');
    // The IdP's own auto-posting page, as it would serve it.
    await page.setContent(
      renderAutoPostForm({ action: dispatch.message.action, fields: dispatch.message.fields }),
    );
    await page.waitForURL(`${t.baseUrl}/idp/slo`);
    await expect(page.textContent('#logout-status')).resolves.toBe(
      'urn:oasis:names:tc:SAML:2.0:status:Success',
    );
    expect(await meStatus(page)).toBe(401);
    expect(violations).toEqual([]);
    await context.close();
  });
});

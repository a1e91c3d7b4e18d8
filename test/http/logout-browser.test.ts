/**
 * Single Logout in a real browser (Chromium): the redirect chain of SP-initiated logout through the embedded
 * IdP and back, and IdP-initiated logout over the POST binding, whose answer is the SP's auto-posting form
 * under its Content Security Policy.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  it('SP-initiated: the Sign out button ends both sessions and comes back home', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = watchCsp(page);
    await signIn(page);
    await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('#sign-out')]);
    await expect(page.textContent('body')).resolves.toContain('Nobody is signed in');
    expect(await meStatus(page)).toBe(401);
    // The IdP session is gone too: the next sign-in shows the password form.
    await page.goto(`${t.baseUrl}/saml/dev/login?returnTo=/`);
    await expect(page.locator('#password').count()).resolves.toBe(1);
    expect(violations).toEqual([]);
    await context.close();
  });

  // Issue #9, item 6, as Chromium really sends it: the SameSite=Lax session cookie travels with a form posted
  // from another port of this host (same-site), so only the Sec-Fetch-Site check stands between that page and
  // the user's session; a link to GET /logout from anywhere only reaches the confirmation page.
  it('another origin cannot sign the user out; a link reaches the confirmation page, whose button does', async () => {
    const evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="post" action="${t.baseUrl}/logout?returnTo=/"></form>` +
          `<a id="link" href="${t.baseUrl}/logout?returnTo=/">sign out</a>` +
          `<script>if (location.hash === '#post') document.getElementById('f').submit();</script>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page);
      const refused = page.waitForResponse(`${t.baseUrl}/logout?returnTo=/`);
      await page.goto(`${evilUrl}#post`);
      expect((await refused).status()).toBe(403);
      await expect(page.textContent('body')).resolves.toContain('SAML_LOGOUT_CROSS_SITE');
      expect(await meStatus(page)).toBe(200);

      await page.goto(evilUrl);
      await Promise.all([page.waitForURL(`${t.baseUrl}/logout?returnTo=/`), page.click('#link')]);
      expect(await meStatus(page)).toBe(200);
      await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('#confirm-sign-out')]);
      expect(await meStatus(page)).toBe(401);
    } finally {
      await context.close();
      await new Promise((resolve) => evil.close(resolve));
    }
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

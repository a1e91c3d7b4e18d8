/**
 * Issue #3 acceptance in real Chromium: sign in to /admin with the admin token, upload the embedded IdP's
 * metadata as a new connection, see it listed as healthy, run "Test sign-in" as alice through the embedded
 * IdP's login form, and see her attributes and the mapped user. No CSP violation on the way.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'browser-admin-token-0123456789';

let t: TestServer;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  t = await startTestServer({ ADMIN_TOKEN: TOKEN });
  dir = await mkdtemp(path.join(tmpdir(), 'admin-browser-'));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

describe('the admin page in Chromium', () => {
  it('uploads the embedded IdP metadata, shows the connection healthy, and test-signs-in as alice', async () => {
    const metadataFile = path.join(dir, 'embedded-idp.xml');
    await writeFile(metadataFile, await (await fetch(`${t.baseUrl}/idp/metadata`)).text());

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = watchCsp(page);

    // Sign in with the admin token.
    await page.goto(`${t.baseUrl}/admin`);
    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    expect(await page.textContent('[role=alert]')).toMatch(/Wrong admin token/);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin`), page.click('button[type=submit]')]);
    expect(await page.textContent('h1')).toBe('Connections');
    const cookie = (await context.cookies()).find((c) => c.name === 'saml_sp_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });

    // Create a connection by uploading the metadata file.
    await page.click('text=New connection');
    await page.fill('#displayName', 'Acme (embedded IdP)');
    await page.fill('#id', 'acme');
    await page.selectOption('#preset', 'keycloak');
    await page.setInputFiles('#metadataFile', metadataFile);
    await page.click('summary:has-text("More options")');
    // The embedded IdP already serves `dev` under the SP-wide entity ID: this one gets its own.
    await page.check('input[name=ownSpEntityId]');
    await Promise.all([
      page.waitForURL(`${t.baseUrl}/admin/connections/acme`),
      page.click('button:has-text("Create connection")'),
    ]);
    expect(await page.textContent('.flash')).toMatch(/created/);
    expect(await page.textContent('#sp-values')).toContain(`${t.baseUrl}/saml/acme/acs`);
    expect(await page.textContent('#sp-values')).toContain(`${t.baseUrl}/saml/acme/metadata`);
    expect(await page.textContent('#sp-values')).toMatch(
      /Okta[\s\S]*Entra ID[\s\S]*AD FS[\s\S]*Google Workspace/,
    );

    // Listed with a healthy status.
    await page.click('nav >> text=Connections');
    const row = page.locator('tr[data-connection="acme"]');
    expect(await row.locator('[data-health]').getAttribute('data-health')).toBe('ok');
    expect(await row.textContent()).toMatch(/Healthy/);
    expect(await row.textContent()).toMatch(/Last sign-in: never/);

    // Test sign-in through the embedded IdP's login form.
    await row.locator('text=Test sign-in').click();
    await page.waitForSelector('#username');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-pass');
    await Promise.all([
      page.waitForURL(/\/admin\/connections\/acme\/test\/result\?run=/, { timeout: 15_000 }),
      page.click('button[type=submit]'),
    ]);
    await page.waitForSelector('[data-result=success]');
    const attributes = await page.textContent('#attributes');
    expect(attributes).toContain('alice@example.com');
    expect(attributes).toContain('Alice');
    const mapped = await page.textContent('#mapped-user');
    expect(mapped).toContain('alice@example.com');
    expect(mapped).toMatch(/First name\s*Alice/);
    expect(await page.textContent('#name-id')).toBeTruthy();

    // The list now shows the sign-in.
    await page.goto(`${t.baseUrl}/admin`);
    expect(await page.locator('tr[data-connection="acme"]').textContent()).not.toMatch(/Last sign-in: never/);
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);

  it('refuses a change posted without the CSRF token, even with the admin cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.baseUrl}/admin`);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin`), page.click('button[type=submit]')]);
    const response = await page.request.post(`${t.baseUrl}/admin/connections/dev/delete`, {
      form: { _csrf: 'forged' },
    });
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('ADMIN_CSRF_FAILED');
    const list = await page.request.get(`${t.baseUrl}/admin/api/connections`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(((await list.json()) as { id: string }[]).map((c) => c.id)).toContain('dev');
    await context.close();
  }, 30_000);
});

/**
 * Issues #3 and #12 in real Chromium: sign in to /admin with the admin token, create a connection with only a
 * name (a draft with its SP values), upload the embedded IdP's metadata, run "Test sign-in" as alice through
 * the embedded IdP's login form, see her attributes, the mapped user and the checklist, activate, and find it
 * listed as active with no sign-in counted. The pages fit 390 px and 1280 px without horizontal overflow
 * (screenshots of each). No CSP violation on the way.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
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
  it('creates a draft by name, adds the metadata, test-signs-in as alice, and activates', async () => {
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

    // Create first: a name is enough, the SP values are there at once.
    await page.click('text=New connection');
    await page.fill('#displayName', 'Acme (embedded IdP)');
    await page.fill('#id', 'acme');
    await page.selectOption('#preset', 'keycloak');
    await Promise.all([
      page.waitForURL(`${t.baseUrl}/admin/connections/acme`),
      page.click('button:has-text("Create connection")'),
    ]);
    expect(await page.textContent('.flash')).toMatch(/Draft/);
    expect(await page.getAttribute('h1 [data-status]', 'data-status')).toBe('draft');
    expect(await page.textContent('#acs-url')).toBe(`${t.baseUrl}/saml/acme/acs`);
    // Its own SP entity ID by default: the embedded IdP serves `dev` on the shared one, and they do not collide.
    expect(await page.textContent('#sp-entity-id')).toBe(`${t.baseUrl}/saml/acme/metadata`);
    expect(await page.textContent('#sp-values')).toMatch(
      /Okta[\s\S]*Entra ID[\s\S]*AD FS[\s\S]*Google Workspace/,
    );

    // The metadata arrives later, as a file.
    await page.setInputFiles('#replace-metadataFile', metadataFile);
    await Promise.all([
      page.waitForURL(`${t.baseUrl}/admin/connections/acme`),
      page.click('button:has-text("Save metadata")'),
    ]);
    expect(await page.getAttribute('h1 [data-status]', 'data-status')).toBe('testing');
    const refused = await page.request.get(`${t.baseUrl}/saml/acme/login`, { maxRedirects: 0 });
    expect(refused.status()).toBe(403);

    // Test sign-in through the embedded IdP's login form.
    await page.click('#next-step a:has-text("Test sign-in")');
    await page.waitForSelector('#username');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-pass');
    await Promise.all([
      page.waitForURL(/\/admin\/connections\/acme\/test\/result\?run=/, { timeout: 15_000 }),
      page.click('button[type=submit]'),
    ]);
    await page.waitForSelector('[data-result]').catch(async (err: unknown) => {
      throw new Error(`no result at ${page.url()}: ${(await page.content()).slice(0, 2000)}`, { cause: err });
    });
    expect(await page.getAttribute('[data-result]', 'data-result')).toBe('passed');
    const attributes = await page.textContent('#attributes');
    expect(attributes).toContain('alice@example.com');
    const mapped = await page.textContent('#mapped-user');
    expect(mapped).toContain('alice@example.com');
    expect(mapped).toMatch(/First name\s*Alice/);
    expect(await page.locator('#checklist [data-status=pass]').count()).toBeGreaterThan(10);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('saml_sp_session');

    await Promise.all([page.waitForURL(`${t.baseUrl}/admin/connections/acme`), page.click('#activate')]);
    expect(await page.getAttribute('h1 [data-status]', 'data-status')).toBe('active');
    expect(await page.textContent('#activation')).toMatch(/a test sign-in passed/);

    // Listed as active and healthy; the test was not a sign-in.
    await page.click('nav >> text=Connections');
    const row = page.locator('tr[data-connection="acme"]');
    expect(await row.locator('[data-health]').getAttribute('data-health')).toBe('ok');
    expect(await row.textContent()).toMatch(/Active/);
    expect(await row.textContent()).toMatch(/Last sign-in: never/);
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);

  it('fits a phone (390 px) and a laptop (1280 px) without horizontal overflow; screenshots of each page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.baseUrl}/admin`);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${t.baseUrl}/admin`), page.click('button[type=submit]')]);
    const pages = ['/admin', '/admin/connections/dev', '/admin/connections/acme', '/admin/connections/new'];
    const shots: string[] = [];
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      for (const url of pages) {
        await page.goto(`${t.baseUrl}${url}`);
        const overflow = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
          wide: Array.from(document.querySelectorAll('main *'))
            .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .slice(0, 3)
            .map((e) => `${e.tagName}.${e.className}`),
        }));
        expect(overflow.scroll, `${url} at ${width} px: ${overflow.wide.join(', ')}`).toBeLessThanOrEqual(
          overflow.client,
        );
        if (url.startsWith('/admin/connections/') && url !== '/admin/connections/new') {
          // The certificate table stays inside its section.
          const fits = await page.evaluate(() => {
            const table = document.querySelector('table.certificates');
            const section = table?.closest('section');
            if (!table || !section) return true;
            return table.getBoundingClientRect().right <= section.getBoundingClientRect().right + 1;
          });
          expect(fits, `certificate table of ${url} at ${width} px`).toBe(true);
        }
        const file = path.join(dir, `${url.replace(/\W+/g, '_')}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        shots.push(file);
      }
    }
    for (const file of shots) expect((await stat(file)).size).toBeGreaterThan(5000);
    await context.close();
  }, 90_000);

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

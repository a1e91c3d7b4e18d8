/**
 * Issue #6 acceptance in headless Chromium against the embedded IdP: sign in at `website` (password asked),
 * open `billing` (signed in without a password), sign out at `website`, and both apps are signed out, billing's
 * session ended by the IdP's LogoutRequest (front channel through the browser, or back channel over SOAP);
 * signing in again asks for the password.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEstate, type TestEstate } from './helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
});

/** Every URL the tab requested as a navigation, redirect hops included: which servers a flow went through. */
function recordNavigations(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) urls.push(request.url());
  });
  return urls;
}

async function whoAt(page: Page, appUrl: string): Promise<string> {
  await page.goto(`${appUrl}/`);
  return (await page.textContent('#who')) ?? '';
}

for (const mode of ['front-channel', 'back-channel'] as const) {
  describe(`estate in Chromium, ${mode} logout`, () => {
    let estate: TestEstate;
    beforeAll(async () => {
      estate = await startTestEstate(mode);
    });
    afterAll(async () => {
      await estate?.close();
    });

    it('one password for both apps; sign-out at website signs out of billing too', async () => {
      const { website, billing, idp } = estate.url;
      const context = await browser.newContext();
      const page = await context.newPage();
      const cspViolations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });

      // website: the IdP asks for the password.
      await page.goto(`${website}/`);
      await page.click('#sign-in');
      await page.waitForSelector('#password');
      await page.fill('#username', 'alice');
      await page.fill('#password', 'alice-pass');
      await Promise.all([page.waitForURL(`${website}/`), page.click('button[type=submit]')]);
      expect(await page.textContent('#who')).toContain('Alice Liddell');

      // billing: single sign-on, straight back from the IdP with no form.
      await page.goto(`${billing}/`);
      expect(await page.textContent('#who')).toContain('Not signed in');
      const signInHops = recordNavigations(page);
      await Promise.all([page.waitForURL(`${billing}/`), page.click('#sign-in')]);
      expect(await page.textContent('#who')).toContain('Alice Liddell');
      expect(await page.locator('#password').count()).toBe(0);
      expect(signInHops.some((u) => u.startsWith(`${idp}/idp/sso`))).toBe(true);

      // Sign out at website.
      await page.goto(`${website}/`);
      const logoutHops = recordNavigations(page);
      await Promise.all([page.waitForURL(`${website}/`), page.click('#sign-out')]);
      expect(await page.textContent('#who')).toContain('Not signed in');
      const visitedBilling = logoutHops.some((u) => u.startsWith(`${billing}/saml/idp/slo`));
      expect(visitedBilling).toBe(mode === 'front-channel');
      expect(estate.devIdp?.logoutResponses().at(-1)).toMatchObject({
        spEntityId: billing,
        binding: mode === 'front-channel' ? 'redirect' : 'soap',
        verified: true,
      });

      // Both apps are signed out, and the IdP asks for the password again.
      expect(await whoAt(page, billing)).toContain('Not signed in');
      expect(await whoAt(page, website)).toContain('Not signed in');
      await page.click('#sign-in');
      await page.waitForSelector('#password');
      expect(cspViolations).toEqual([]);
      await context.close();
    });
  });
}

/**
 * IdP-initiated sign-in from Keycloak's IdP-initiated SSO URL (/realms/<realm>/protocol/saml/clients/<name>):
 * the unsolicited response (no InResponseTo) is refused with SAML_UNSOLICITED while the connection does not
 * allow it, and signs the user in once policy.allowIdpInitiated is on.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type E2eSp, launchChromium, me, startSp, submitKeycloakLogin, USERS } from './helpers.ts';

let sp: E2eSp;
let browser: Browser;

beforeAll(async () => {
  sp = await startSp();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await sp?.close();
});

/** Signs in at Keycloak's IdP-initiated URL and returns the ACS's answer to the auto-posted response. */
async function idpInitiated(page: Page, relayState: string) {
  const { realmUrl } = inject('keycloak');
  const acs = `${sp.baseUrl}/saml/keycloak/acs`;
  const answer = page.waitForResponse((r) => r.url() === acs && r.request().method() === 'POST');
  await page.goto(`${realmUrl}/protocol/saml/clients/sp-kit?RelayState=${encodeURIComponent(relayState)}`);
  await submitKeycloakLogin(page, USERS.alice);
  const response = await answer;
  const samlResponse = new URLSearchParams(response.request().postData() ?? '').get('SAMLResponse') ?? '';
  return { response, xml: Buffer.from(samlResponse, 'base64').toString('utf8') };
}

describe('IdP-initiated sign-in through Keycloak', () => {
  it('is refused with SAML_UNSOLICITED while the connection does not allow it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { response, xml } = await idpInitiated(page, '/me');
    expect(xml).toContain('<saml:Assertion');
    expect(xml).not.toMatch(/InResponseTo=/);
    expect(response.status()).toBeGreaterThanOrEqual(400);
    expect(response.status()).toBeLessThan(500);
    expect(await response.text()).toContain('SAML_UNSOLICITED');
    expect(response.headers()['set-cookie'] ?? '').not.toContain('saml_sp_session=');
    expect((await me(context, sp)).status).toBe(401);
    await context.close();
  });

  it('signs alice in once policy.allowIdpInitiated is on', async () => {
    await sp.updateConnection('keycloak', (c) => ({
      ...c,
      policy: { ...c.policy, allowIdpInitiated: true },
    }));
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const { response } = await idpInitiated(page, '/me');
      expect(response.status()).toBe(303);
      await page.waitForURL(`${sp.baseUrl}/me`);
      const { status, body } = await me(context, sp);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        email: 'alice@example.com',
        connectionId: 'keycloak',
        externalId: USERS.alice.id,
      });
    } finally {
      await sp.updateConnection('keycloak', (c) => ({
        ...c,
        policy: { ...c.policy, allowIdpInitiated: false },
      }));
      await context.close();
    }
  });
});

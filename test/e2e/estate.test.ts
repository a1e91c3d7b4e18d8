/**
 * Issue #6 against a real Keycloak: the estate's two apps (examples/estate) as two SAML clients of the realm,
 * created through the admin API with the same JSON the realm import uses (dev-idp/runner/estate-clients.ts),
 * for apps on free ports. Keycloak's session gives single sign-on; signing out at one app signs out of the
 * other, which Keycloak tells server to server (`billing`: back-channel) or through the browser (`website`:
 * front-channel); signing in again asks for the password.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { estateClient } from '../../dev-idp/runner/estate-clients.ts';
import { ESTATE_APPS } from '../../examples/estate/estate.ts';
import { type RunningEstate, startEstate } from '../../examples/estate/main.ts';
import { generateKeyPair } from '../../src/core/keys.ts';
import type { KeyPair } from '../../src/core/types.ts';
import { freePort } from '../helpers/server.ts';
import { keycloakAdmin, launchChromium, submitKeycloakLogin, USERS } from './helpers.ts';

let estate: RunningEstate;
let browser: Browser;
const createdClients: string[] = [];

beforeAll(async () => {
  const keys = new Map<string, KeyPair>();
  const ports: Record<string, number> = {};
  for (const spec of ESTATE_APPS) ports[spec.name] = await freePort();
  estate = await startEstate({
    ports,
    idp: { kind: 'external', metadataXml: inject('keycloak').descriptorXml },
    keys: async (name) => {
      const pair = await generateKeyPair({ commonName: `e2e estate ${name}` });
      keys.set(name, pair);
      return pair;
    },
  });
  for (const app of estate.apps) {
    const spec = ESTATE_APPS.find((s) => s.name === app.name)!;
    const client = estateClient({
      spec,
      baseUrl: app.baseUrl,
      signingCertPem: keys.get(app.name)!.certificatePem,
    });
    const created = await keycloakAdmin('/clients', { method: 'POST', body: client });
    expect(created.status).toBe(201);
    createdClients.push(new URL(created.headers.get('location') ?? '').pathname.split('/').pop() ?? '');
  }
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const id of createdClients) await keycloakAdmin(`/clients/${id}`, { method: 'DELETE' });
  await estate?.close();
});

const appUrl = (name: string) => estate.apps.find((a) => a.name === name)!.baseUrl;

/** Every navigation of the tab, redirect and auto-post hops included. */
function recordNavigations(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) urls.push(r.url());
  });
  return urls;
}

async function who(page: Page, app: string): Promise<string> {
  await page.goto(`${appUrl(app)}/`);
  return (await page.textContent('#who')) ?? '';
}

/** Signs in at `first` with the password, then at `second` through Keycloak's session alone. */
async function signInAtBoth(page: Page, first: string, second: string): Promise<void> {
  await page.goto(`${appUrl(first)}/`);
  await page.click('#sign-in');
  await submitKeycloakLogin(page, USERS.alice);
  await page.waitForURL(`${appUrl(first)}/`);
  expect(await page.textContent('#who')).toContain('Alice Liddell');

  await page.goto(`${appUrl(second)}/`);
  const hops = recordNavigations(page);
  await Promise.all([page.waitForURL(`${appUrl(second)}/`), page.click('#sign-in')]);
  expect(await page.textContent('#who')).toContain('Alice Liddell');
  expect(hops.some((u) => u.startsWith(inject('keycloak').realmUrl))).toBe(true);
  expect(await page.locator('#kc-form-login').count()).toBe(0);
}

async function passwordAskedAt(page: Page, app: string): Promise<boolean> {
  await page.goto(`${appUrl(app)}/`);
  await page.click('#sign-in');
  await page.waitForURL(
    (url) => url.href.startsWith(inject('keycloak').realmUrl) || url.href === `${appUrl(app)}/`,
  );
  await page.waitForLoadState('load');
  return (await page.locator('#kc-form-login').count()) > 0;
}

describe('estate with Keycloak: one login, one logout', () => {
  it('the realm import (npm run keycloak, docker compose) registers both apps at their default ports', async () => {
    for (const spec of ESTATE_APPS) {
      const clientId = `http://localhost:${spec.defaultPort}`;
      const found = (await (
        await keycloakAdmin(`/clients?clientId=${encodeURIComponent(clientId)}`)
      ).json()) as {
        frontchannelLogout: boolean;
      }[];
      expect(found).toEqual([
        expect.objectContaining({ frontchannelLogout: spec.keycloakLogout === 'front-channel' }),
      ]);
    }
  });

  it('sign-out at website ends billing’s session through Keycloak’s back channel', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAtBoth(page, 'website', 'billing');

    await page.goto(`${appUrl('website')}/`);
    const hops = recordNavigations(page);
    await Promise.all([page.waitForURL(`${appUrl('website')}/`), page.click('#sign-out')]);
    expect(await page.textContent('#who')).toContain('Not signed in');
    // Back channel: the browser never went to billing.
    expect(hops.some((u) => u.startsWith(appUrl('billing')))).toBe(false);
    await expect.poll(() => who(page, 'billing'), { timeout: 15_000 }).toContain('Not signed in');
    expect(await passwordAskedAt(page, 'website')).toBe(true);
    await context.close();
  });

  it('sign-out at billing ends website’s session through Keycloak’s front channel (the browser visits website)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAtBoth(page, 'billing', 'website');

    await page.goto(`${appUrl('billing')}/`);
    const hops = recordNavigations(page);
    await Promise.all([page.waitForURL(`${appUrl('billing')}/`), page.click('#sign-out')]);
    expect(await page.textContent('#who')).toContain('Not signed in');
    expect(hops.some((u) => u.startsWith(`${appUrl('website')}/saml/idp/slo`))).toBe(true);
    expect(await who(page, 'website')).toContain('Not signed in');
    expect(await passwordAskedAt(page, 'billing')).toBe(true);
    await context.close();
  });
});

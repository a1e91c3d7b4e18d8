/**
 * Issue #17 against a real Keycloak: examples/estate-oidc's Django app (mozilla-django-oidc from PyPI, run from a
 * virtual environment this test sets up on loopback) signs alice in through the OpenID bridge and Keycloak SAML,
 * calls the Node API with its access token (200) and refreshes its offline grant; then alice signs out at
 * Keycloak (IdP-initiated SAML SLO, front channel through the browser): the SP session ends, the bridge sends
 * Django a back-channel logout token, Django's session ends, and the refresh token is refused.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrdersApi } from '../../examples/estate-oidc/api.ts';
import { ensureVenv, type RunningDjango, startDjango } from '../../examples/estate-oidc/django.ts';
import { freePort } from '../helpers/server.ts';
import { type E2eSp, launchChromium, startSp, submitKeycloakLogin, USERS } from './helpers.ts';

const ADMIN_TOKEN = 'e2e-estate-oidc-admin-token-0123456789';
const API = 'https://orders.estate.test';
const VENV = path.resolve(import.meta.dirname, '../../node_modules/.cache/estate-oidc-venv');

let sp: E2eSp;
let api: Server;
let django: RunningDjango;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-kit-e2e-estate-oidc-'));
  sp = await startSp({ OIDC_BRIDGE: 'on', OIDC_RESOURCES: API, ADMIN_TOKEN });
  const apiPort = await freePort();
  api = createOrdersApi({ issuer: sp.baseUrl, audience: API });
  await new Promise<void>((resolve) => api.listen(apiPort, '127.0.0.1', resolve));
  const port = await freePort();
  const djangoUrl = `http://127.0.0.1:${port}`;
  const created = await fetch(`${sp.baseUrl}/admin/api/oidc-clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Estate (Django)',
      redirectUris: [`${djangoUrl}/oidc/callback/`],
      postLogoutRedirectUris: [`${djangoUrl}/signed-out/`],
      backchannelLogoutUri: `${djangoUrl}/oidc/backchannel-logout/`,
    }),
  });
  expect(created.status).toBe(201);
  const { clientId, clientSecret } = (await created.json()) as { clientId: string; clientSecret: string };
  django = await startDjango(await ensureVenv(VENV), port, {
    issuer: sp.baseUrl,
    clientId,
    clientSecret,
    apiUrl: `http://127.0.0.1:${apiPort}/orders`,
    apiResource: API,
    connection: 'keycloak',
    database: path.join(dir, 'django.sqlite3'),
  });
  browser = await launchChromium();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await django?.stop();
  await new Promise((resolve) => (api ? api.close(resolve) : resolve(undefined)));
  await sp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('examples/estate-oidc with Keycloak', () => {
  it('Django signs in through the bridge and Keycloak SAML, calls the API; signing out at Keycloak ends the Django session and its refresh token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${django.url}/`);
    await submitKeycloakLogin(page, USERS.alice);
    await page.waitForURL(`${django.url}/`);
    const claims = await page.locator('#claims').innerText();
    expect(claims).toContain(USERS.alice.email);

    const orders = await context.request.get(`${django.url}/orders/`);
    expect(await orders.json()).toMatchObject({ apiStatus: 200, api: { orders: [expect.any(Object)] } });
    const before = await django.refreshGrants();
    expect(before).toEqual([expect.objectContaining({ outcome: 'refreshed' })]);

    // IdP-initiated SAML SLO: alice signs out at Keycloak, which sends the SP a LogoutRequest through the browser.
    const slo = page.waitForRequest((r) => r.url().startsWith(`${sp.baseUrl}/saml/keycloak/slo`));
    await page.goto(`${inject('keycloak').realmUrl}/protocol/openid-connect/logout`);
    await page.click('#kc-logout');
    await slo;
    await page.waitForLoadState('networkidle');
    expect(sp.events).toContainEqual(
      expect.objectContaining({ event: 'saml.logout_request', connectionId: 'keycloak', endedSessions: 1 }),
    );

    // The bridge told Django over the back channel: its session is gone (back to the sign-in), and the refresh
    // token of that sign-in is refused.
    await expect
      .poll(async () => (await context.request.get(`${django.url}/`, { maxRedirects: 0 })).status(), {
        timeout: 15_000,
      })
      .toBe(302);
    const home = await context.request.get(`${django.url}/`, { maxRedirects: 0 });
    expect(home.headers().location).toContain('/oidc/authenticate/');
    expect(await django.refreshGrants()).toEqual([
      expect.objectContaining({ sid: before[0]!.sid, outcome: 'refused' }),
    ]);
    await context.close();
  }, 300_000);
});

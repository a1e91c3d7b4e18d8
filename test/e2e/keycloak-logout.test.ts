/**
 * Single Logout with a real Keycloak:
 * - SP-initiated: /logout sends a signed LogoutRequest (with the SessionIndex Keycloak issued) and both the SP
 *   session and Keycloak's session end.
 * - Keycloak-initiated, front-channel: signing out at Keycloak (its end-session page) sends the browser to the
 *   SP's SLO endpoint with a LogoutRequest, and the SP session ends.
 * - Keycloak-initiated, back-channel: an admin signs the user out (admin API); Keycloak sends the LogoutRequest
 *   server-to-server, without the browser's cookies (a form POST, or SOAP when the client has a SOAP SLO URL),
 *   and the SP finds the session by NameID and SessionIndex. Keycloak sends back-channel logouts only to
 *   clients with frontchannelLogout off, so the test switches the client over through the admin API.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REALM } from '../../dev-idp/runner/realm.ts';
import {
  type E2eSp,
  keycloakAdminToken,
  keycloakSessionAlive,
  launchChromium,
  me,
  signIn,
  startSp,
  USERS,
} from './helpers.ts';

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

interface ClientRepresentation {
  id: string;
  clientId: string;
  frontchannelLogout: boolean;
  attributes: Record<string, string>;
}

/** Changes the realm client of the `keycloak` connection for the duration of `run`, then restores it. */
async function withKeycloakClient(
  change: (c: ClientRepresentation) => ClientRepresentation,
  run: () => Promise<void>,
) {
  const { keycloakUrl } = inject('keycloak');
  const base = `${keycloakUrl}/admin/realms/${REALM}/clients`;
  const headers = {
    authorization: `Bearer ${await keycloakAdminToken()}`,
    'content-type': 'application/json',
  };
  const found = await fetch(`${base}?clientId=${encodeURIComponent(sp.baseUrl)}`, { headers });
  const [original] = (await found.json()) as ClientRepresentation[];
  if (!original) throw new Error(`no Keycloak client ${sp.baseUrl}`);
  const put = (rep: ClientRepresentation) =>
    fetch(`${base}/${original.id}`, { method: 'PUT', headers, body: JSON.stringify(rep) });
  expect((await put(change(structuredClone(original)))).status).toBe(204);
  try {
    await run();
  } finally {
    await put(original);
  }
}

/** The LogoutRequests the SP received from Keycloak (its log events), for the binding they came over. */
function logoutRequests() {
  return sp.events.filter((e) => e.event === 'saml.logout_request' && e.connectionId === 'keycloak');
}

async function adminSignOut(userId: string): Promise<void> {
  const { keycloakUrl } = inject('keycloak');
  const response = await fetch(`${keycloakUrl}/admin/realms/${REALM}/users/${userId}/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await keycloakAdminToken()}` },
  });
  expect(response.status).toBe(204);
}

describe('Single Logout with Keycloak', () => {
  it('SP-initiated: /logout ends the SP session and Keycloak’s session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, sp, 'keycloak', USERS.alice);
    expect((await me(context, sp)).status).toBe(200);

    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(inject('keycloak').realmUrl)) sent.push(r.url());
    });
    // GET /logout asks to confirm (issue #9, item 6); the button makes the same-origin POST that signs out.
    await page.goto(`${sp.baseUrl}/logout?returnTo=/`);
    await Promise.all([page.waitForURL(`${sp.baseUrl}/`), page.click('#confirm-sign-out')]);
    expect(sent.some((url) => new URL(url).searchParams.has('SAMLRequest'))).toBe(true);

    expect((await me(context, sp)).status).toBe(401);
    expect(await keycloakSessionAlive(page, sp)).toBe(false);
    await context.close();
  });

  it('Keycloak-initiated, front-channel: signing out at Keycloak ends the SP session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, sp, 'keycloak', USERS.alice);
    expect((await me(context, sp)).status).toBe(200);

    const slo = page.waitForRequest((r) => r.url().startsWith(`${sp.baseUrl}/saml/keycloak/slo`));
    await page.goto(`${inject('keycloak').realmUrl}/protocol/openid-connect/logout`);
    await page.click('#kc-logout');
    const request = await slo;
    const carried = request.method() === 'POST' ? (request.postData() ?? '') : new URL(request.url()).search;
    expect(carried).toContain('SAMLRequest=');
    await page.waitForLoadState('networkidle');
    expect(logoutRequests()).toContainEqual(expect.objectContaining({ endedSessions: 1 }));

    expect((await me(context, sp)).status).toBe(401);
    expect(await keycloakSessionAlive(page, sp)).toBe(false);
    await context.close();
  });

  it('Keycloak-initiated, back-channel (form POST): an admin sign-out reaches the SP without the browser', async () => {
    await withKeycloakClient(
      (c) => ({ ...c, frontchannelLogout: false }),
      async () => {
        const context = await browser.newContext();
        const page = await context.newPage();
        await signIn(page, sp, 'keycloak', USERS.bob);
        expect((await me(context, sp)).status).toBe(200);
        await adminSignOut(USERS.bob.id);
        await expect.poll(async () => (await me(context, sp)).status, { timeout: 15_000 }).toBe(401);
        expect(logoutRequests()).toContainEqual(
          expect.objectContaining({ binding: 'post', endedSessions: 1 }),
        );
        await context.close();
      },
    );
  });

  it('Keycloak-initiated, back-channel (SOAP): the same over the SOAP binding when the client has a SOAP URL', async () => {
    await withKeycloakClient(
      (c) => ({
        ...c,
        frontchannelLogout: false,
        attributes: {
          ...c.attributes,
          saml_single_logout_service_url_soap: `${sp.baseUrl}/saml/keycloak/slo`,
        },
      }),
      async () => {
        const context = await browser.newContext();
        const page = await context.newPage();
        await signIn(page, sp, 'keycloak', USERS.alice);
        expect((await me(context, sp)).status).toBe(200);
        await adminSignOut(USERS.alice.id);
        await expect.poll(async () => (await me(context, sp)).status, { timeout: 15_000 }).toBe(401);
        expect(logoutRequests()).toContainEqual(
          expect.objectContaining({ binding: 'soap', endedSessions: 1 }),
        );
        await context.close();
      },
    );
  });
});

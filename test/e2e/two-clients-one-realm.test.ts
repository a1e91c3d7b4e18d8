/**
 * Issue #12 (Done when): two connections to the same IdP, one Keycloak realm with two SAML clients, work side
 * by side without warnings. Played as an app admin would:
 * - create both connections with only a name (admin API): each is a draft with its own SP entity ID;
 * - create a SAML client per connection in Keycloak through its admin REST API, from exactly the SP values the
 *   API gave (entity ID, ACS and SLO URLs, the SP certificate downloaded from the connection);
 * - give each connection Keycloak's metadata URL (PATCH), run the test sign-in on the admin page (it passes,
 *   signs nobody in, creates no user), activate;
 * - then a user signs in to both connections in one browser, each session on its own connection, and neither
 *   connection has a finding above "info".
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { certificateBase64 } from '../../src/core/keys.ts';
import type { ConnectionView } from '../../src/sp/connection-view.ts';
import {
  type E2eSp,
  keycloakAdmin,
  launchChromium,
  me,
  startSp,
  submitKeycloakLogin,
  USERS,
} from './helpers.ts';

const ADMIN_TOKEN = 'e2e-two-clients-admin-token-0123456789';
const TEAMS = ['Team Alpha', 'Team Beta'] as const;
let sp: E2eSp;
let browser: Browser;
const createdClients: string[] = [];
const ids: string[] = [];

type Json = Partial<ConnectionView> & { error?: { code: string } };

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${sp.baseUrl}/admin/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

function attribute(name: string, userAttribute: string) {
  return {
    name,
    protocol: 'saml',
    protocolMapper: 'saml-user-property-mapper',
    config: { 'user.attribute': userAttribute, 'attribute.name': name, 'attribute.nameformat': 'Basic' },
  };
}

/** A Keycloak SAML client from the values the SP's admin API shows for a connection. */
function keycloakClient(view: Json, certificatePem: string) {
  return {
    clientId: view.spEntityId,
    name: `saml-sp-kit e2e: ${view.displayName}`,
    protocol: 'saml',
    enabled: true,
    fullScopeAllowed: false,
    defaultClientScopes: [],
    optionalClientScopes: [],
    redirectUris: [view.acsUrl],
    attributes: {
      'saml.server.signature': 'true',
      'saml.assertion.signature': 'true',
      'saml.signature.algorithm': 'RSA_SHA256',
      'saml.client.signature': 'true',
      'saml.signing.certificate': certificateBase64(certificatePem),
      'saml.force.post.binding': 'true',
      'saml.authnstatement': 'true',
      saml_name_id_format: 'email',
      saml_force_name_id_format: 'true',
      saml_assertion_consumer_url_post: view.acsUrl,
      saml_single_logout_service_url_redirect: view.spSloUrl,
    },
    protocolMappers: [
      attribute('email', 'email'),
      attribute('firstName', 'firstName'),
      attribute('lastName', 'lastName'),
      attribute('externalId', 'id'),
      {
        name: 'groups',
        protocol: 'saml',
        protocolMapper: 'saml-group-membership-mapper',
        config: {
          'attribute.name': 'groups',
          'attribute.nameformat': 'Basic',
          single: 'true',
          'full.path': 'false',
        },
      },
    ],
  };
}

beforeAll(async () => {
  sp = await startSp({ ADMIN_TOKEN });
  browser = await launchChromium();
  const kc = inject('keycloak');
  for (const name of TEAMS) {
    // Create first: a name is enough, and the SP values exist at once.
    const created = await api('POST', '/connections', { displayName: name, preset: 'keycloak' });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe('draft');
    ids.push(created.json.id as string);
    const certificate = await (await fetch(created.json.spCertificateUrl as string)).text();
    const client = await keycloakAdmin('/clients', {
      method: 'POST',
      body: keycloakClient(created.json, certificate),
    });
    expect(client.status).toBe(201);
    createdClients.push((client.headers.get('location') ?? '').split('/').pop() ?? '');
    // Then the IdP's metadata, by URL.
    const patched = await api('PATCH', `/connections/${created.json.id}`, {
      metadataUrl: `${kc.realmUrl}/protocol/saml/descriptor`,
    });
    expect(patched.json.status).toBe('testing');
  }
}, 180_000);

afterAll(async () => {
  for (const id of createdClients)
    await keycloakAdmin(`/clients/${id}`, { method: 'DELETE' }).catch(() => {});
  await browser?.close();
  await sp?.close();
});

async function adminSignIn(page: Page): Promise<void> {
  await page.goto(`${sp.baseUrl}/admin`);
  await page.fill('#token', ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${sp.baseUrl}/admin`), page.click('button[type=submit]')]);
}

describe('two connections to one Keycloak realm', () => {
  it('have distinct SP entity IDs, pass their test sign-ins without a session or a user, and activate', async () => {
    const [a, b] = await Promise.all(ids.map(async (id) => (await api('GET', `/connections/${id}`)).json));
    expect(a?.spEntityId).not.toBe(b?.spEntityId);
    expect(a?.idpEntityId).toBe(b?.idpEntityId);
    const usersBefore = (await sp.server.stores.users.list()).length;

    const context = await browser.newContext();
    const page = await context.newPage();
    await adminSignIn(page);
    for (const [i, id] of ids.entries()) {
      await page.goto(`${sp.baseUrl}/admin/connections/${id}/test`);
      // Keycloak asks for the password once; the second test rides its single sign-on session.
      if (i === 0) await submitKeycloakLogin(page, USERS.alice);
      await page.waitForURL(new RegExp(`/admin/connections/${id}/test/result\\?run=`), { timeout: 60_000 });
      await page.waitForSelector('[data-result]');
      expect(await page.getAttribute('[data-result]', 'data-result')).toBe('passed');
      expect(await page.textContent('#mapped-user')).toContain(USERS.alice.email);
      await Promise.all([page.waitForURL(`${sp.baseUrl}/admin/connections/${id}`), page.click('#activate')]);
      expect(await page.getAttribute('h1 [data-status]', 'data-status')).toBe('active');
    }
    expect((await context.cookies()).map((c) => c.name)).not.toContain('saml_sp_session');
    expect(await sp.server.stores.users.list()).toHaveLength(usersBefore);
    for (const id of ids) expect((await sp.server.connections.health.get(id))?.successCount ?? 0).toBe(0);
    await context.close();
  }, 180_000);

  it('sign a user in to both, side by side, with no finding above info', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (const [i, id] of ids.entries()) {
      await page.goto(`${sp.baseUrl}/saml/${id}/login?returnTo=/me`);
      if (i === 0) await submitKeycloakLogin(page, USERS.bob);
      await page.waitForURL(`${sp.baseUrl}/me`, { timeout: 60_000 });
      const who = await me(context, sp);
      expect(who.status).toBe(200);
      expect(who.body).toMatchObject({
        connectionId: id,
        email: USERS.bob.email,
        lastName: USERS.bob.lastName,
      });
    }
    const users = await sp.server.stores.users.list();
    expect(ids.every((id) => users.some((u) => u.connectionId === id && u.email === USERS.bob.email))).toBe(
      true,
    );
    for (const id of ids) {
      const view = (await api('GET', `/connections/${id}`)).json;
      expect(view.lint?.filter((l) => l.severity !== 'info')).toEqual([]);
      expect(view.health).toMatchObject({ status: 'ok', successCount: 1 });
    }
    await context.close();
  }, 180_000);
});

/**
 * Issue #9 (Done when, and items 7 and 9) against a real Keycloak:
 * - A SAML client created as Keycloak's admin console creates one: a POST to the admin REST API with the client
 *   ID, the SP's ACS and SLO URLs and the SP signing certificate (the admin imports it on the Keys tab, since
 *   "Client signature required" is on by default), everything else left to Keycloak, which fills in its
 *   defaults (ClientManager.createClient → SamlProtocolFactory.setupClientDefaults): the document (Response)
 *   signed, the assertion not, username NameID. A realm import does not apply those defaults, so the client is
 *   made here rather than in the realm template.
 * - The SP connection comes from Keycloak's descriptor with the default policy, untouched, and signs in.
 * - Keycloak's back-channel (SOAP) LogoutRequest carries Destination = the client's SOAP logout URL, which the
 *   SP now requires: the sign-out reaches the SP, and the Destination it logged is its SLO URL.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REALM } from '../../dev-idp/runner/realm.ts';
import { certificateBase64 } from '../../src/core/keys.ts';
import { DEFAULT_POLICY } from '../../src/core/types.ts';
import { connectionFromMetadata } from '../../src/sp/connections.ts';
import { type E2eSp, keycloakAdminHeaders, launchChromium, me, signIn, startSp, USERS } from './helpers.ts';

const CONNECTION = 'kc-default';
let sp: E2eSp;
let browser: Browser;
let clientsUrl: string;
let clientUuid: string;

interface ClientRepresentation {
  id: string;
  clientId: string;
  frontchannelLogout?: boolean;
  attributes: Record<string, string>;
}

async function keycloakClient(): Promise<ClientRepresentation> {
  const response = await fetch(`${clientsUrl}/${clientUuid}`, { headers: await keycloakAdminHeaders() });
  expect(response.status).toBe(200);
  return (await response.json()) as ClientRepresentation;
}

beforeAll(async () => {
  sp = await startSp();
  browser = await launchChromium();
  const kc = inject('keycloak');
  const spEntityId = `${sp.baseUrl}/saml/${CONNECTION}`;
  const identity = sp.server.sp.spIdentity({ id: CONNECTION, spEntityId });

  // In Keycloak, as an admin does it in the console: Clients → Create client (SAML), then the URLs, then the
  // SP certificate on the Keys tab.
  clientsUrl = `${kc.keycloakUrl}/admin/realms/${REALM}/clients`;
  const created = await fetch(clientsUrl, {
    method: 'POST',
    headers: await keycloakAdminHeaders(),
    body: JSON.stringify({
      clientId: spEntityId,
      name: 'saml-sp-kit: connection kc-default (console defaults)',
      protocol: 'saml',
      redirectUris: [identity.acsUrl],
      attributes: {
        saml_assertion_consumer_url_post: identity.acsUrl,
        saml_single_logout_service_url_redirect: identity.sloUrl,
        'saml.signing.certificate': certificateBase64(identity.signing.certificatePem),
      },
    }),
  });
  expect(created.status).toBe(201);
  clientUuid = (created.headers.get('location') ?? '').split('/').pop() ?? '';

  // In the SP: a connection from Keycloak's descriptor, with no policy given.
  await sp.server.stores.connections.put(
    connectionFromMetadata(
      { id: CONNECTION, metadataXml: kc.descriptorXml, preset: 'keycloak', spEntityId },
      new Date(),
    ),
  );
});

afterAll(async () => {
  if (clientUuid)
    await fetch(`${clientsUrl}/${clientUuid}`, { method: 'DELETE', headers: await keycloakAdminHeaders() });
  await browser?.close();
  await sp?.close();
});

/** Whether an element opens with its Issuer followed by a ds:Signature (the enveloped signature's place). */
function signs(xml: string, element: 'Response' | 'Assertion'): boolean {
  return new RegExp(
    `<(\\w+:)?${element}\\b[^>]*>\\s*<(\\w+:)?Issuer\\b[^>]*>[^<]*</(\\w+:)?Issuer>\\s*<(\\w+:)?Signature\\b`,
  ).test(xml);
}

describe('a Keycloak client with the console defaults', () => {
  it('Keycloak fills in its defaults: documents signed, assertions not, client signature required', async () => {
    const client = await keycloakClient();
    expect(client.attributes).toMatchObject({
      'saml.server.signature': 'true',
      'saml.client.signature': 'true',
      saml_name_id_format: 'username',
    });
    expect(client.attributes['saml.assertion.signature'] ?? 'false').toBe('false');
  });

  it('signs in under the default policy: the Response is signed, the assertion is not', async () => {
    const connection = await sp.server.stores.connections.get(CONNECTION);
    expect(connection?.policy).toEqual(DEFAULT_POLICY);

    const context = await browser.newContext();
    const page = await context.newPage();
    let xml = '';
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === `${sp.baseUrl}/saml/${CONNECTION}/acs`) {
        const value = new URLSearchParams(request.postData() ?? '').get('SAMLResponse') ?? '';
        xml = Buffer.from(value, 'base64').toString('utf8');
      }
    });
    await signIn(page, sp, CONNECTION, USERS.alice);
    expect(signs(xml, 'Response')).toBe(true);
    expect(signs(xml, 'Assertion')).toBe(false);

    const { status, body } = await me(context, sp);
    expect(status).toBe(200);
    expect(body).toMatchObject({ connectionId: CONNECTION, nameId: 'alice' });
    await context.close();
  });

  it('Keycloak’s back-channel (SOAP) LogoutRequest carries the Destination the SP requires', async () => {
    const headers = await keycloakAdminHeaders();
    const original = await keycloakClient();
    const sloUrl = `${sp.baseUrl}/saml/${CONNECTION}/slo`;
    const put = (rep: ClientRepresentation) =>
      fetch(`${clientsUrl}/${clientUuid}`, { method: 'PUT', headers, body: JSON.stringify(rep) });
    // Back-channel logout goes to clients with front-channel logout off, over SOAP when they have a SOAP URL.
    const soap = {
      ...original,
      frontchannelLogout: false,
      attributes: { ...original.attributes, saml_single_logout_service_url_soap: sloUrl },
    };
    expect((await put(soap)).status).toBe(204);
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, sp, CONNECTION, USERS.bob);
      expect((await me(context, sp)).status).toBe(200);
      const { keycloakUrl } = inject('keycloak');
      const out = await fetch(`${keycloakUrl}/admin/realms/${REALM}/users/${USERS.bob.id}/logout`, {
        method: 'POST',
        headers,
      });
      expect(out.status).toBe(204);
      await expect.poll(async () => (await me(context, sp)).status, { timeout: 15_000 }).toBe(401);
      const received = sp.events.filter(
        (e) => e.event === 'saml.logout_request' && e.connectionId === CONNECTION,
      );
      expect(received).toContainEqual(
        expect.objectContaining({ binding: 'soap', destination: sloUrl, endedSessions: 1 }),
      );
      expect(sp.events.filter((e) => e.event === 'saml.rejected' && e.route === 'slo')).toEqual([]);
      await context.close();
    } finally {
      await put(original);
    }
  });
});

/**
 * The presets proven against a real IdP: Keycloak clients that imitate Entra ID (claim URIs, assertion-only
 * signature, emailAddress NameID), AD FS (claim URIs, assertion-only signature, persistent NameID) and Okta
 * (Response and Assertion signed, unspecified NameID, plain attribute names). Each client has its own SP
 * connection with its own SP entity ID (Connection.spEntityId) and the matching preset.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIMS } from '../../src/core/mapping/presets.ts';
import { type E2eSp, launchChromium, type MeJson, me, signIn, startSp, USERS } from './helpers.ts';

const FORMAT = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
};

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

/** Signs alice in over a connection; returns /me and the SAMLResponse XML that reached the ACS. */
async function signInAlice(connectionId: string): Promise<{ body: MeJson; xml: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  let xml = '';
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url() === `${sp.baseUrl}/saml/${connectionId}/acs`) {
      const value = new URLSearchParams(request.postData() ?? '').get('SAMLResponse') ?? '';
      xml = Buffer.from(value, 'base64').toString('utf8');
    }
  });
  await signIn(page, sp, connectionId, USERS.alice);
  const { status, body } = await me(context, sp);
  expect(status).toBe(200);
  await context.close();
  return { body, xml };
}

/** Whether the Response element itself carries a signature (a ds:Signature child before the Status). */
function responseSigned(xml: string): boolean {
  return /<(\w+:)?Response\b[^>]*>\s*<(\w+:)?Issuer>[^<]*<\/(\w+:)?Issuer>\s*<(\w+:)?Signature\b/.test(xml);
}

describe('vendor-imitating Keycloak clients with their presets', () => {
  it('kc-entra (preset entra): claim URIs, assertion-only signature, emailAddress NameID', async () => {
    const { body, xml } = await signInAlice('kc-entra');
    expect(responseSigned(xml)).toBe(false);
    expect(xml).toContain(`Name="${CLAIMS.emailAddress}"`);
    expect(body).toMatchObject({
      connectionId: 'kc-entra',
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      displayName: 'Alice Liddell',
      externalId: USERS.alice.id,
      nameId: 'alice@example.com',
      nameIdFormat: FORMAT.email,
    });
    expect([...body.groups].sort()).toEqual(['admins', 'engineering']);
    expect(body.attributes[CLAIMS.entraTenantId]).toEqual(['00000000-0000-4000-8000-000000000000']);
    // No default client scopes on this client: no Keycloak Role attributes, as from Entra.
    expect(body.attributes.Role).toBeUndefined();
  });

  it('kc-adfs (preset adfs): claim URIs, assertion-only signature, persistent NameID as the external id', async () => {
    const { body, xml } = await signInAlice('kc-adfs');
    expect(responseSigned(xml)).toBe(false);
    expect(body).toMatchObject({
      connectionId: 'kc-adfs',
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      nameIdFormat: FORMAT.persistent,
    });
    expect(body.nameId).toMatch(/^G-[0-9a-f-]{36}$/);
    expect(body.externalId).toBe(body.nameId);
    expect([...body.groups].sort()).toEqual(['admins', 'engineering']);
    expect(body.attributes[CLAIMS.upn]).toEqual(['alice@example.com']);
  });

  it('kc-okta (preset okta): Response and Assertion signed, unspecified NameID, plain attribute names', async () => {
    const { body, xml } = await signInAlice('kc-okta');
    expect(responseSigned(xml)).toBe(true);
    expect(body).toMatchObject({
      connectionId: 'kc-okta',
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      displayName: 'Alice Liddell',
      nameId: 'alice',
      nameIdFormat: FORMAT.unspecified,
      // Okta's default NameID is not persistent and the preset has no id attribute: no stable external id.
      externalId: null,
    });
    expect([...body.groups].sort()).toEqual(['admins', 'engineering']);
  });

  it('each connection presents its own SP entity ID, which Keycloak puts in the Audience', async () => {
    for (const id of ['kc-entra', 'kc-adfs', 'kc-okta']) {
      const connection = await sp.server.stores.connections.get(id);
      expect(connection?.spEntityId).toBe(`${sp.baseUrl}/saml/${id}`);
    }
    const { xml } = await signInAlice('kc-okta');
    expect(xml).toContain(`<saml:Audience>${sp.baseUrl}/saml/kc-okta</saml:Audience>`);
  });
});

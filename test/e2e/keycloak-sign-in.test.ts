/**
 * SP-initiated sign-in through a real Keycloak in headless Chromium: the SP's signed AuthnRequest (Redirect
 * binding) is verified by Keycloak against the certificate in the realm, the user signs in on Keycloak's login
 * page, and the signed response posts back to the ACS; /me shows the profile the keycloak preset mapped.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eSp, keycloakSessionAlive, launchChromium, me, signIn, startSp, USERS } from './helpers.ts';

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

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

describe('sign-in through Keycloak (connection keycloak, preset keycloak)', () => {
  it('alice signs in on Keycloak’s login page and lands back signed in with her mapped profile', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, sp, 'keycloak', USERS.alice);

    const { status, body } = await me(context, sp);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      displayName: 'Alice Liddell',
      externalId: USERS.alice.id,
      connectionId: 'keycloak',
      nameId: 'alice@example.com',
      nameIdFormat: EMAIL_FORMAT,
    });
    expect([...body.groups].sort()).toEqual(['admins', 'engineering']);
    // AuthnStatement present (saml.authnstatement), so logout has a SessionIndex to send.
    expect(body.sessionIndex).toEqual(expect.any(String));
    // Keycloak's role_list scope sends one <Attribute Name="Role"> per role: the SP merges them into one list.
    expect(body.attributes.Role).toEqual(expect.arrayContaining(['sp-kit-user', 'sp-kit-admin']));
    expect(body.attributes.Role?.length).toBeGreaterThan(2);
    await context.close();
  });

  it('bob gets his own profile and groups', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, sp, 'keycloak', USERS.bob);
    const { status, body } = await me(context, sp);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      email: 'bob@example.com',
      firstName: 'Bob',
      lastName: 'Builder',
      externalId: USERS.bob.id,
      groups: ['sales'],
    });
    expect(body.attributes.Role).toContain('sp-kit-user');
    expect(body.attributes.Role).not.toContain('sp-kit-admin');
    await context.close();
  });

  it('a second sign-in rides on Keycloak’s session (single sign-on: no login form)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, sp, 'keycloak', USERS.alice);
    await context.clearCookies({ domain: 'localhost', name: 'saml_sp_session' });
    expect((await me(context, sp)).status).toBe(401);
    expect(await keycloakSessionAlive(page, sp)).toBe(true);
    expect((await me(context, sp)).body.email).toBe('alice@example.com');
    await context.close();
  });
});
